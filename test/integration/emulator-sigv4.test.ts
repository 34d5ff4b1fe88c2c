import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateIdentityPoolCommand, DescribeIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { CreateThingCommand, DescribeThingCommand, ListThingsCommand } from '@aws-sdk/client-iot';
import { cognitoClient, iotClient, rawRequest, sdkError, signedRequest, startEmulator, type Credentials, type TestEmulator } from '../helpers/emulator.js';

let t: TestEmulator;
let clock = 0;
beforeAll(async () => {
  // A clock we can move forward, to expire temporary credentials.
  t = await startEmulator({ now: () => Date.now() + clock, authorize: () => true });
  await t.iot.send(new CreateThingCommand({ thingName: 'signed' }));
});
afterAll(() => t.close());

async function temporaryCredentials(): Promise<Credentials> {
  const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'sig', AllowUnauthenticatedIdentities: true }));
  await t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId, Roles: { unauthenticated: 'arn:aws:iam::123456789012:role/r' } }));
  const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId }));
  const { Credentials } = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
  return { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! };
}

const expectRefusal = (err: Awaited<ReturnType<typeof sdkError>>, name: string) => expect([err.name, err.$metadata.httpStatusCode]).toEqual([name, 403]);

describe('SigV4 refusals, as AWS words them', () => {
  it('a wrong secret: InvalidSignatureException', async () => {
    const err = await sdkError(iotClient(t.emulator, { accessKeyId: t.emulator.credentials.accessKeyId, secretAccessKey: 'wrong' }).send(new ListThingsCommand({})));
    expectRefusal(err, 'InvalidSignatureException');
    expect(err.message).toMatch(/^The request signature we calculated does not match/);
  });

  it('an unknown access key: UnrecognizedClientException', async () => {
    const err = await sdkError(iotClient(t.emulator, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }).send(new ListThingsCommand({})));
    expectRefusal(err, 'UnrecognizedClientException');
    expect(err.message).toBe('The security token included in the request is invalid.');
  });

  it('the root key with a session token, or a temporary key with a wrong token: UnrecognizedClientException', async () => {
    const withToken = await sdkError(iotClient(t.emulator, { ...t.emulator.credentials, sessionToken: 'bogus' }).send(new ListThingsCommand({})));
    expectRefusal(withToken, 'UnrecognizedClientException');
    const temp = await temporaryCredentials();
    const wrongToken = await sdkError(iotClient(t.emulator, { ...temp, sessionToken: 'bogus' }).send(new ListThingsCommand({})));
    expectRefusal(wrongToken, 'UnrecognizedClientException');
  });

  it('expired temporary credentials: ExpiredTokenException (and valid ones work)', async () => {
    const temp = await temporaryCredentials();
    expect((await iotClient(t.emulator, temp).send(new ListThingsCommand({}))).$metadata.httpStatusCode).toBe(200);
    clock = 3601 * 1000;
    try {
      const err = await sdkError(iotClient(t.emulator, temp).send(new ListThingsCommand({})));
      expectRefusal(err, 'ExpiredTokenException');
      expect(err.message).toBe('The security token included in the request is expired');
    } finally {
      clock = 0;
    }
  });

  it('a clock skewed beyond 15 minutes: InvalidSignatureException (Signature expired / not yet current)', async () => {
    const past = await sdkError(iotClient(t.emulator, undefined, { systemClockOffset: -20 * 60 * 1000 }).send(new ListThingsCommand({})));
    expectRefusal(past, 'InvalidSignatureException');
    expect(past.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const future = await sdkError(iotClient(t.emulator, undefined, { systemClockOffset: 20 * 60 * 1000 }).send(new ListThingsCommand({})));
    expectRefusal(future, 'InvalidSignatureException');
    expect(future.message).toMatch(/^Signature not yet current/);
    // Within the window it passes.
    const near = await iotClient(t.emulator, undefined, { systemClockOffset: -10 * 60 * 1000 }).send(new ListThingsCommand({}));
    expect(near.$metadata.httpStatusCode).toBe(200);
  });

  it('the SDK corrects its clock from our Date header and retries, as against AWS', async () => {
    const out = await iotClient(t.emulator, undefined, { systemClockOffset: -30 * 60 * 1000, maxAttempts: 3 }).send(new ListThingsCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.attempts).toBe(2);
  });

  it('a credential scoped to another region: InvalidSignatureException', async () => {
    const client = iotClient(t.emulator, undefined, { region: 'eu-west-1' });
    const err = await sdkError(client.send(new ListThingsCommand({})));
    expectRefusal(err, 'InvalidSignatureException');
    expect(err.message).toContain('scoped to a valid region');
  });

  it('no signature at all: MissingAuthenticationTokenException', async () => {
    const res = await rawRequest(t.endpoint, '/things');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(res.json).toEqual({ message: 'Missing Authentication Token' });
  });

  it('an incomplete Authorization header: IncompleteSignatureException', async () => {
    const res = await rawRequest(t.endpoint, '/things', { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20200101/us-east-1/iot/aws4_request' } });
    expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([403, 'IncompleteSignatureException']);
  });

  it('Cognito signed operations refuse the same way, with __type', async () => {
    const err = await sdkError(
      cognitoClient(t.emulator, { accessKeyId: t.emulator.credentials.accessKeyId, secretAccessKey: 'wrong' }).send(
        new DescribeIdentityPoolCommand({ IdentityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' }),
      ),
    );
    expectRefusal(err, 'InvalidSignatureException');
  });
});

describe('SigV4 acceptance', () => {
  it('accepts the AWS CLI style: service execute-api, no x-amz-content-sha256 (the body is hashed here)', async () => {
    const res = await signedRequest(t.endpoint, {
      method: 'POST',
      path: '/things/cli-made',
      service: 'execute-api',
      cliStyle: true,
      credentials: t.emulator.credentials,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributePayload: { attributes: { by: 'cli' } } }),
    });
    expect(res.status).toBe(200);
    expect(res.json?.thingName).toBe('cli-made');
    expect((await t.iot.send(new DescribeThingCommand({ thingName: 'cli-made' }))).attributes).toEqual({ by: 'cli' });
  });

  it('refuses a body changed after signing', async () => {
    const url = new URL(t.endpoint);
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { Sha256 } = await import('@aws-crypto/sha256-js');
    const signer = new SignatureV4({ service: 'iot', region: 'us-east-1', credentials: t.emulator.credentials, sha256: Sha256, applyChecksum: false });
    const body = JSON.stringify({ attributePayload: { attributes: { a: '1' } } });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/things/tampered', query: {}, headers: { host: url.host }, body });
    const headers = { ...signed.headers };
    delete headers.host;
    const res = await rawRequest(t.endpoint, '/things/tampered', { method: 'POST', headers, body: body.replace('"1"', '"2"') });
    expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
  });

  it('verifies percent-encoded path labels and query strings as the SDK signs them', async () => {
    const cert = `arn:aws:iot:us-east-1:123456789012:cert/${'e'.repeat(64)}`;
    // %3A and %2F in the path, a query with an encoded colon: all double-encoded into the canonical request.
    const res = await signedRequest(t.endpoint, { method: 'POST', path: `/attached-policies/${encodeURIComponent(cert)}`, query: { pageSize: '5' }, credentials: t.emulator.credentials });
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    const endpoint = await signedRequest(t.endpoint, { path: '/endpoint', query: { endpointType: 'iot:Data-ATS' }, credentials: t.emulator.credentials });
    expect(endpoint.json).toEqual({ endpointAddress: '127.0.0.1' });
  });
});
