/** TestAuthorization answers with the broker's evaluator, in AWS's shape (SDK v3 client). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand, TestAuthorizationCommand } from '@aws-sdk/client-iot';
import { createDevice, startBrokerTest, type BrokerTest, type Device } from '../helpers/broker.js';
import { sdkError } from '../helpers/emulator.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
let t: BrokerTest;
let device: Device;
beforeAll(async () => {
  t = await startBrokerTest();
  await t.iot.send(
    new CreatePolicyCommand({
      policyName: 'own-topics',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` },
          { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}/*` },
          { Sid: 'NoFirmware', Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/things/*/firmware` },
        ],
      }),
    }),
  );
  await t.iot.send(new CreatePolicyCommand({ policyName: 'subscribe-all', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: '*' }] }) }));
  device = await createDevice(t, { policy: 'own-topics', thingName: 'pump-7' });
});
afterAll(() => t.close());

const test = (clientId: string | undefined, authInfos: { actionType: 'PUBLISH' | 'SUBSCRIBE' | 'RECEIVE' | 'CONNECT'; resources: string[] }[], extra: Record<string, unknown> = {}) =>
  t.iot.send(new TestAuthorizationCommand({ principal: device.certificateArn, clientId, authInfos, ...extra }));

it('allows, denies implicitly and explicitly, with the policies involved', async () => {
  const out = await test('pump-7', [
    { actionType: 'CONNECT', resources: [`${ARN}:client/pump-7`] },
    { actionType: 'PUBLISH', resources: [`${ARN}:topic/things/pump-7/flow`] },
    { actionType: 'PUBLISH', resources: [`${ARN}:topic/things/pump-7/firmware`] },
    { actionType: 'SUBSCRIBE', resources: [`${ARN}:topicfilter/things/pump-7/#`] },
  ]);
  const policy = { policyName: 'own-topics', policyArn: `${ARN}:policy/own-topics` };
  expect(out.authResults).toEqual([
    {
      authInfo: { actionType: 'CONNECT', resources: [`${ARN}:client/pump-7`] },
      allowed: { policies: [policy] },
      denied: { implicitDeny: { policies: [] }, explicitDeny: { policies: [] } },
      authDecision: 'ALLOWED',
      missingContextValues: [],
    },
    expect.objectContaining({ authDecision: 'ALLOWED', allowed: { policies: [policy] } }),
    expect.objectContaining({ authDecision: 'EXPLICIT_DENY', denied: { implicitDeny: { policies: [] }, explicitDeny: { policies: [policy] } } }),
    expect.objectContaining({ authDecision: 'IMPLICIT_DENY', denied: { implicitDeny: { policies: [policy] }, explicitDeny: { policies: [] } } }),
  ]);
});

it('reports missing context values: thing variables need the client id to be the thing name', async () => {
  const out = await test('someone-else', [{ actionType: 'CONNECT', resources: [`${ARN}:client/someone-else`] }]);
  expect(out.authResults![0]).toMatchObject({ authDecision: 'IMPLICIT_DENY', missingContextValues: ['iot:Connection.Thing.ThingName'] });
});

it('honours policyNamesToAdd and policyNamesToSkip, and refuses an unknown policy', async () => {
  const added = await test('pump-7', [{ actionType: 'SUBSCRIBE', resources: [`${ARN}:topicfilter/anything`] }], { policyNamesToAdd: ['subscribe-all'] });
  expect(added.authResults![0]!.authDecision).toBe('ALLOWED');
  const skipped = await test('pump-7', [{ actionType: 'CONNECT', resources: [`${ARN}:client/pump-7`] }], { policyNamesToSkip: ['own-topics'] });
  expect(skipped.authResults![0]!.authDecision).toBe('IMPLICIT_DENY');
  const err = await sdkError(test('pump-7', [{ actionType: 'CONNECT', resources: [`${ARN}:client/pump-7`] }], { policyNamesToAdd: ['nope'] }));
  expect(err.name).toBe('ResourceNotFoundException');
});

it('evaluates a Cognito identity with the policies attached to its identity id', async () => {
  const identityId = 'us-east-1:11111111-2222-3333-4444-555555555555';
  await t.iot.send(new AttachPolicyCommand({ policyName: 'subscribe-all', target: identityId }));
  const out = await t.iot.send(new TestAuthorizationCommand({ principal: identityId, authInfos: [{ actionType: 'SUBSCRIBE', resources: [`${ARN}:topicfilter/a/b`] }] }));
  expect(out.authResults![0]!.authDecision).toBe('ALLOWED');
});

it('validates its input', async () => {
  expect((await sdkError(t.iot.send(new TestAuthorizationCommand({ authInfos: [] })))).name).toBe('InvalidRequestException');
  expect((await sdkError(test('x', [{ actionType: 'PUBLISH', resources: ['topic/not-an-arn'] }]))).name).toBe('InvalidRequestException');
});
