import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { runCli } from '../helpers/cli.js';
import { iamClient } from '../helpers/emulator.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
let poolId: string;
const cli = (argv: string[], tty = false) => runCli(argv, { env: local.env, tty });

beforeAll(async () => {
  local = await startLocalIot();
  const created = await cli(['--json', 'cognito', 'pool', 'create', 'demo pool', '--allow-unauthenticated']);
  expect(created.code, created.stderr).toBe(0);
  poolId = (JSON.parse(created.stdout) as { identityPoolId: string }).identityPoolId;
});
afterAll(async () => local?.close());

describe('iotctl cognito', () => {
  it('pool create makes the pool and, locally, its roles from templates; describe and list show them', async () => {
    const described = JSON.parse((await cli(['--json', 'cognito', 'pool', 'describe', poolId])).stdout) as {
      AllowUnauthenticatedIdentities: boolean;
      Roles: Record<string, string>;
      CognitoIdentityProviders: { ProviderName: string }[];
    };
    expect(described.AllowUnauthenticatedIdentities).toBe(true);
    const suffix = poolId.split(':')[1]!.replace(/-/g, '').slice(0, 8);
    expect(described.Roles).toEqual({
      authenticated: `arn:aws:iam::123456789012:role/demo_pool-auth-${suffix}`,
      unauthenticated: `arn:aws:iam::123456789012:role/demo_pool-unauth-${suffix}`,
    });
    expect(described.CognitoIdentityProviders[0]?.ProviderName).toBe('cognito-idp.us-east-1.amazonaws.com/us-east-1_iotctlLocal');
    // The roles were made with IAM: a trust policy for this pool only, and the template as the inline policy.
    const iam = iamClient(local.emulator);
    const guestRole = (await iam.send(new GetRoleCommand({ RoleName: `demo_pool-unauth-${suffix}` }))).Role!;
    expect(JSON.parse(decodeURIComponent(guestRole.AssumeRolePolicyDocument!)).Statement[0].Condition.StringEquals).toEqual({ 'cognito-identity.amazonaws.com:aud': poolId });
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: `demo_pool-unauth-${suffix}`, PolicyName: 'iotctl' }));
    expect(decodeURIComponent(inline.PolicyDocument!)).toContain('GuestReceivesPublicTopics');
    iam.destroy();
    const list = JSON.parse((await cli(['--json', 'cognito', 'pool', 'list'])).stdout) as { pools: { identityPoolId: string }[] };
    expect(list.pools.map((p) => p.identityPoolId)).toContain(poolId);
  });

  it('credentials for a guest: the same identity on every call (cached), temporary keys that expire', async () => {
    const first = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId])).stdout) as { identityId: string; accessKeyId: string; authenticated: boolean; expiration: string };
    const second = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId])).stdout) as { identityId: string; accessKeyId: string };
    expect(first.identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(second.identityId).toBe(first.identityId);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(first.accessKeyId).toMatch(/^ASIA/);
    expect(first.authenticated).toBe(false);
    expect(new Date(first.expiration).getTime()).toBeGreaterThan(Date.now());
    const cache = path.join(local.env.IOTCTL_CONFIG_DIR!, 'cognito-identities.json');
    expect(statSync(cache).mode & 0o777).toBe(0o600);
  });

  it('signed-in users get their own identity; secrets are masked on a terminal unless --show-secrets', async () => {
    const alice = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=alice'])).stdout) as { identityId: string; authenticated: boolean };
    const bob = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=bob'])).stdout) as { identityId: string };
    const aliceAgain = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=alice'])).stdout) as { identityId: string };
    expect(alice.authenticated).toBe(true);
    expect(bob.identityId).not.toBe(alice.identityId);
    expect(aliceAgain.identityId).toBe(alice.identityId);
    const onTty = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=alice'], true);
    expect(onTty.stdout).toMatch(/hidden on a terminal/);
    expect(onTty.stdout).not.toMatch(/secret key:\s+[A-Za-z0-9+/]{40}\n/);
    const shown = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--show-secrets'], true);
    expect(shown.stdout).not.toMatch(/hidden/);
  });

  it('--format env and --format process print what shells and the AWS SDKs read', async () => {
    const env = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--format', 'env']);
    expect(env.stdout).toMatch(/^export AWS_ACCESS_KEY_ID=ASIA\w+\nexport AWS_SECRET_ACCESS_KEY=\S+\nexport AWS_SESSION_TOKEN=\S+\nexport IOTCTL_COGNITO_IDENTITY_ID=us-east-1:/);
    const processDoc = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--format', 'process'])).stdout) as Record<string, unknown>;
    expect(Object.keys(processDoc)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(processDoc.Version).toBe(1);
  });


  it('register attaches the IoT policy to the identity, idempotently', async () => {
    const { identityId } = JSON.parse((await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=carol'])).stdout) as { identityId: string };
    const first = JSON.parse((await cli(['--json', 'cognito', 'register', '--identity-id', identityId])).stdout) as Record<string, unknown>;
    expect(first).toMatchObject({ policyName: 'iotctl-cognito-user', attached: true });
    const again = JSON.parse((await cli(['--json', 'cognito', 'register', '--identity-id', identityId])).stdout) as Record<string, unknown>;
    expect(again).toMatchObject({ attached: false, alreadyRegistered: true, policyCreated: false });
    const targets = JSON.parse((await cli(['--json', 'policy', 'targets', 'iotctl-cognito-user'])).stdout) as { targets: string[] };
    expect(targets.targets).toContain(identityId);
    const test = await cli(['policy', 'test', '--principal', identityId, '--action', 'iot:Publish', '--resource', `users/${identityId}/hello`]);
    expect(test.code, test.stdout).toBe(0);
  });

  it('local login issues an ID token the pool accepts', async () => {
    const login = JSON.parse((await cli(['--json', 'local', 'login', 'dave'])).stdout) as { provider: string; idToken: string; subject: string };
    expect(login.idToken.split('.')).toHaveLength(3);
    const asLogin = (await cli(['local', 'login', 'dave', '--as-login'])).stdout.trim();
    expect(asLogin.startsWith(`${login.provider}=`)).toBe(true);
    const creds = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', asLogin]);
    expect(creds.code, creds.stderr).toBe(0);
  });

  it.each([
    [['cognito', 'credentials', '--identity-pool-id', 'nope'], 2, /is not an identity pool id/],
    [['cognito', 'credentials', '--identity-pool-id', 'us-east-1:00000000-0000-4000-8000-000000000000'], 4, /not found/i],
    [['cognito', 'credentials', '--identity-pool-id', 'x:1', '--format', 'yaml'], 2, /--format must be/],
    [['cognito', 'credentials', '--identity-pool-id', 'us-east-1:0', '--login', 'novalue'], 2, /--login expects key=value/],
    [['cognito', 'register', '--identity-id', 'bob'], 2, /not a Cognito identity id/],
    [['cognito', 'pool', 'create', 'bad/name'], 2, /not a valid identity pool name/],
    [['cognito', 'pool', 'create', 'x', '--auth-role-arn', 'arn:nope'], 2, /not an IAM role ARN/],
  ])('%j fails with exit %i', async (argv, code, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('a forged or foreign login is refused as Cognito would', async () => {
    const provider = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_iotctlLocal';
    const r = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', `${provider}=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/NotAuthorized|Invalid login token/);
  });

  it('keeps the identity cache valid JSON', () => {
    JSON.parse(readFileSync(path.join(local.env.IOTCTL_CONFIG_DIR!, 'cognito-identities.json'), 'utf8'));
  });
});
