import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import { iotClient } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

// The shipped Lambda handler, run as Lambda would, against the local IoT Core
// (the SDK takes the endpoint from AWS_ENDPOINT_URL_IOT).
let local: LocalIot;
let handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

beforeAll(async () => {
  local = await startLocalIot();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_IOT: local.emulator.endpoints.controlPlane,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: local.emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.emulator.credentials.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    IOT_POLICY_NAME: 'app-user',
  });
  expect((await runCli(['policy', 'create', 'app-user', '--template', 'cognito-user'], { env: local.env })).code).toBe(0);
  // @ts-expect-error: plain JavaScript shipped as a template
  ({ handler } = await import('../../templates/lambda/on-demand-registration/index.mjs'));
});
afterAll(async () => local?.close());

const identityId = 'us-east-1:0123abcd-0000-4000-8000-00000000abcd';

describe('templates/lambda/on-demand-registration', () => {
  it('attaches the policy to the calling identity, then reports it as already registered', async () => {
    const event = { requestContext: { identity: { cognitoIdentityId: identityId } } };
    const first = await handler(event, {});
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ identityId, policyName: 'app-user', alreadyRegistered: false });
    const attached = await iotClient(local.emulator).send(new ListAttachedPoliciesCommand({ target: identityId }));
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['app-user']);
    const second = await handler({}, { identity: { cognitoIdentityId: identityId } });
    expect(JSON.parse(second.body)).toMatchObject({ alreadyRegistered: true });
  });

  it('refuses a caller without a Cognito identity, whatever the body says', async () => {
    const r = await handler({ body: JSON.stringify({ identityId }) }, {});
    expect(r.statusCode).toBe(403);
  });
});
