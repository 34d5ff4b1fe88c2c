import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateIdentityPoolCommand,
  DeleteIdentityPoolCommand,
  DescribeIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetIdentityPoolRolesCommand,
  GetOpenIdTokenCommand,
  ListIdentityPoolsCommand,
  SetIdentityPoolRolesCommand,
  UpdateIdentityPoolCommand,
} from '@aws-sdk/client-cognito-identity';
import { GetRolePolicyCommand, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ListThingsCommand } from '@aws-sdk/client-iot';
import type { LoginValidators } from '../../src/emulator/index.js';
import { cognitoClient, iamClient, iotClient, rawRequest, sdkError, startEmulator, type TestEmulator } from '../helpers/emulator.js';

const PROVIDER = 'login.iotctl.local';
/** A stand-in for the local login provider of a later issue: tokens are `token-for-<user>`. */
const loginValidators: LoginValidators = {
  [PROVIDER]: async (token) => {
    const m = /^token-for-(\w+)$/.exec(token);
    if (!m) throw new Error('not a token of this provider');
    return { subject: m[1]! };
  },
};

let t: TestEmulator;
const authorized: string[] = [];
beforeAll(async () => {
  t = await startEmulator({
    loginValidators,
    roles: { unauth: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] } },
    // Stands in for the policy evaluator: lets temporary credentials list things when the role says iot:ListThings.
    authorize: ({ action, rolePolicies }) => {
      authorized.push(action);
      return rolePolicies?.some((p) => p.document.includes(action)) ?? false;
    },
  });
});
afterAll(() => t.close());

const ROLE = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

async function guestPool(extra: Record<string, unknown> = {}) {
  const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'guests', AllowUnauthenticatedIdentities: true, ...extra }));
  await t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId, Roles: { unauthenticated: ROLE('unauth'), authenticated: ROLE('auth') } }));
  return pool.IdentityPoolId!;
}

describe('identity pools', () => {
  it('creates, describes, updates, lists and deletes pools', async () => {
    const pool = await t.cognito.send(
      new CreateIdentityPoolCommand({ IdentityPoolName: 'my pool', AllowUnauthenticatedIdentities: false, SupportedLoginProviders: { [PROVIDER]: 'app' }, IdentityPoolTags: { env: 'dev' } }),
    );
    expect(pool.IdentityPoolId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    const described = await t.cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId }));
    expect(described).toMatchObject({ IdentityPoolName: 'my pool', AllowUnauthenticatedIdentities: false, SupportedLoginProviders: { [PROVIDER]: 'app' }, IdentityPoolTags: { env: 'dev' } });
    const updated = await t.cognito.send(new UpdateIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId, IdentityPoolName: 'renamed', AllowUnauthenticatedIdentities: true }));
    expect(updated).toMatchObject({ IdentityPoolName: 'renamed', AllowUnauthenticatedIdentities: true });
    const listed = await t.cognito.send(new ListIdentityPoolsCommand({ MaxResults: 60 }));
    expect(listed.IdentityPools).toContainEqual({ IdentityPoolId: pool.IdentityPoolId, IdentityPoolName: 'renamed' });
    await t.cognito.send(new DeleteIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId }));
    const err = await sdkError(t.cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 400]);
    expect(err.message).toBe(`IdentityPool '${pool.IdentityPoolId}' not found.`);
  });

  it('pages ListIdentityPools with MaxResults/NextToken', async () => {
    const fresh = await startEmulator();
    try {
      for (let i = 0; i < 5; i++) await fresh.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: `p${i}`, AllowUnauthenticatedIdentities: true }));
      const a = await fresh.cognito.send(new ListIdentityPoolsCommand({ MaxResults: 3 }));
      const b = await fresh.cognito.send(new ListIdentityPoolsCommand({ MaxResults: 3, NextToken: a.NextToken }));
      expect([...a.IdentityPools!, ...b.IdentityPools!].map((p) => p.IdentityPoolName)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
      expect(b.NextToken).toBeUndefined();
      const err = await sdkError(fresh.cognito.send(new ListIdentityPoolsCommand({ MaxResults: 61 })));
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidParameterException', 400]);
    } finally {
      await fresh.close();
    }
  });

  it('validates input with InvalidParameterException', async () => {
    const badName = await sdkError(t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'bad/name', AllowUnauthenticatedIdentities: true })));
    expect([badName.name, badName.$metadata.httpStatusCode]).toEqual(['InvalidParameterException', 400]);
    const badId = await sdkError(t.cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: 'not-an-id' })));
    expect(badId.name).toBe('InvalidParameterException');
  });

  it('sets and gets roles; refuses bad role keys and ARNs', async () => {
    const id = await guestPool();
    const roles = await t.cognito.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: id }));
    expect(roles.Roles).toEqual({ unauthenticated: ROLE('unauth'), authenticated: ROLE('auth') });
    const badKey = await sdkError(t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: id, Roles: { admin: ROLE('x') } })));
    expect(badKey.name).toBe('InvalidParameterException');
    const badArn = await sdkError(t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: id, Roles: { authenticated: 'arn:aws:s3:::bucket' } })));
    expect(badArn.name).toBe('InvalidParameterException');
  });
});

describe('the unauthenticated flow', () => {
  it('GetId then GetCredentialsForIdentity: ASIA credentials for one hour, usable to sign', async () => {
    const poolId = await guestPool();
    const anonymous = cognitoClient(t.emulator, { accessKeyId: 'unused', secretAccessKey: 'unused' });
    const { IdentityId } = await anonymous.send(new GetIdCommand({ IdentityPoolId: poolId }));
    expect(IdentityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    const started = Date.now();
    const { Credentials } = await anonymous.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    expect(Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(Credentials!.SecretKey).toBeTruthy();
    expect(Credentials!.SessionToken).toBeTruthy();
    const lifetime = Credentials!.Expiration!.getTime() - started;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);

    const session = t.emulator.testHooks.session(Credentials!.AccessKeyId!);
    expect(session).toMatchObject({ identityId: IdentityId, poolId, authenticated: false, roleArn: ROLE('unauth') });
    const inline = await iamClient(t.emulator).send(new GetRolePolicyCommand({ RoleName: 'unauth', PolicyName: 'iotctl' }));
    expect(decodeURIComponent(inline.PolicyDocument!)).toContain('iot:Connect');

    // Signed with the temporary credentials: verified, then the authorizer decides (the role allows only iot:Connect).
    const creds = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! };
    const err = await sdkError(iotClient(t.emulator, creds).send(new ListThingsCommand({})));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['UnauthorizedException', 401]);
    expect(authorized).toContain('iot:ListThings');

    // Grant iot:ListThings to the role with IAM's PutRolePolicy: now it passes.
    await iamClient(t.emulator).send(
      new PutRolePolicyCommand({
        RoleName: 'unauth',
        PolicyName: 'iotctl',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:ListThings'], Resource: '*' }] }),
      }),
    );
    const ok = await iotClient(t.emulator, creds).send(new ListThingsCommand({}));
    expect(ok.$metadata.httpStatusCode).toBe(200);

    // Temporary credentials cannot call IAM.
    const denied = await sdkError(iamClient(t.emulator, creds).send(new ListRolesCommand({})));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
  });

  it('NotAuthorizedException when the pool allows no guests; ResourceNotFoundException for an unknown pool', async () => {
    const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'members', AllowUnauthenticatedIdentities: false }));
    const err = await sdkError(t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['NotAuthorizedException', 400]);
    expect(err.message).toBe('Unauthenticated access is not supported for this identity pool.');
    const missing = await sdkError(t.cognito.send(new GetIdCommand({ IdentityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 400]);
  });

  it('InvalidIdentityPoolConfigurationException when the pool has no role for the flow', async () => {
    const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'roleless', AllowUnauthenticatedIdentities: true }));
    const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId }));
    const err = await sdkError(t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidIdentityPoolConfigurationException', 400]);
  });

  it('ResourceNotFoundException for an unknown identity', async () => {
    const err = await sdkError(t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId: 'us-east-1:00000000-0000-0000-0000-000000000001' })));
    expect(err.name).toBe('ResourceNotFoundException');
  });

  it('GetId, GetCredentialsForIdentity and GetOpenIdToken need no signature', async () => {
    const poolId = await guestPool();
    const call = (target: string, body: unknown) =>
      rawRequest(t.endpoint, '/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${target}` }, body: JSON.stringify(body) });
    const id = await call('GetId', { IdentityPoolId: poolId });
    expect(id.status).toBe(200);
    const creds = await call('GetCredentialsForIdentity', { IdentityId: id.json!.IdentityId });
    expect(creds.status).toBe(200);
    expect(creds.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const token = await call('GetOpenIdToken', { IdentityId: id.json!.IdentityId });
    expect(token.status).toBe(200);
    const [, payload] = String(token.json!.Token).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: id.json!.IdentityId, aud: poolId, amr: ['unauthenticated'], iss: 'https://cognito-identity.amazonaws.com' });
    expect(claims.exp - claims.iat).toBe(600);
    // A signed operation without a signature is refused the AWS way (header + __type).
    const unsigned = await call('DescribeIdentityPool', { IdentityPoolId: poolId });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(unsigned.json).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const unknown = await call('NoSuchOperation', {});
    expect([unknown.status, unknown.json?.__type]).toEqual([400, 'UnknownOperationException']);
  });
});

describe('logins', () => {
  it('refuses a provider the pool does not list, and one the emulator cannot validate', async () => {
    const poolId = await guestPool({ SupportedLoginProviders: { 'accounts.google.com': 'client' } });
    const unsupported = await sdkError(t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { 'graph.facebook.com': 'x' } })));
    expect([unsupported.name, unsupported.$metadata.httpStatusCode]).toEqual(['NotAuthorizedException', 400]);
    expect(unsupported.message).toBe('Token is not from a supported provider of this identity pool.');
    const unvalidated = await sdkError(t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { 'accounts.google.com': 'x' } })));
    expect(unvalidated.name).toBe('NotAuthorizedException');
    expect(unvalidated.message).toMatch(/^Invalid login token/);
  });

  it('with a plugged-in validator: one identity per user, authenticated credentials, and "Logins don\'t match" without them', async () => {
    const poolId = await guestPool({ SupportedLoginProviders: { [PROVIDER]: 'iotctl' } });
    const logins = { [PROVIDER]: 'token-for-alice' };
    const a = await t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: logins }));
    const again = await t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: logins }));
    expect(again.IdentityId).toBe(a.IdentityId);
    const bob = await t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [PROVIDER]: 'token-for-bob' } }));
    expect(bob.IdentityId).not.toBe(a.IdentityId);

    const creds = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId: a.IdentityId, Logins: logins }));
    expect(t.emulator.testHooks.session(creds.Credentials!.AccessKeyId!)).toMatchObject({ authenticated: true, roleArn: ROLE('auth') });

    const noLogins = await sdkError(t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId: a.IdentityId })));
    expect(noLogins.name).toBe('NotAuthorizedException');
    expect(noLogins.message).toBe("Logins don't match. Please include at least one valid login for this identity or identity pool.");
    const forged = await sdkError(t.cognito.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [PROVIDER]: 'forged' } })));
    expect([forged.name, forged.$metadata.httpStatusCode]).toEqual(['NotAuthorizedException', 400]);
    const wrongUser = await sdkError(t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId: a.IdentityId, Logins: { [PROVIDER]: 'token-for-bob' } })));
    expect(wrongUser.name).toBe('NotAuthorizedException');

    const token = await t.cognito.send(new GetOpenIdTokenCommand({ IdentityId: a.IdentityId, Logins: logins }));
    const claims = JSON.parse(Buffer.from(token.Token!.split('.')[1]!, 'base64url').toString());
    expect(claims.amr).toEqual(['authenticated', PROVIDER]);
  });
});
