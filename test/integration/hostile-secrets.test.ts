/**
 * No secret in any output: `pub`/`sub --auth sigv4` under --debug and -v
 * (the device SDK's own log included) never print a signature, a secret key or
 * a session token; mutual TLS never prints the private key; `local start`
 * prints the root secret only to a terminal or with --json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoIdentityClient, CreateIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ALLOW_ALL_MQTT, createDevice } from '../helpers/broker.js';
import { BIN, spawnCli, testEnv } from '../helpers/cli.js';
import { spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

let local: SpawnedLocal;
let temporary: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
  const config = { endpoint: local.ready.controlPlane, region: local.ready.region, credentials: { accessKeyId: local.ready.accessKeyId, secretAccessKey: local.ready.secretAccessKey }, maxAttempts: 1 };
  const iam = new IAMClient(config);
  const cognito = new CognitoIdentityClient(config);
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }] };
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'guest', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'guest', PolicyName: 'iot', PolicyDocument: JSON.stringify(ALLOW_ALL_MQTT) }));
  const pool = await cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'secrets', AllowUnauthenticatedIdentities: true }));
  await cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId!, Roles: { unauthenticated: role.Role!.Arn! } }));
  const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId! }));
  const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
  temporary = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! };
  iam.destroy();
  cognito.destroy();
});
afterAll(() => local?.stop());

/** What must never appear: secrets, and any 64-hex run (a SigV4 signature, the hashes that lead to it). */
function expectNoSecrets(output: string, secrets: string[]): void {
  for (const secret of secrets) expect(output.includes(secret), `output contains a secret:\n${output}`).toBe(false);
  expect(output).not.toMatch(/[0-9a-f]{64}/);
  expect(output).not.toMatch(/PRIVATE KEY/);
}

describe('secrets in --debug and -v', () => {
  it('pub --auth sigv4 with temporary credentials: no signature, secret key or session token on stdout or stderr', { timeout: 30_000 }, async () => {
    const env = { ...local.env, AWS_ACCESS_KEY_ID: temporary.accessKeyId, AWS_SECRET_ACCESS_KEY: temporary.secretAccessKey, AWS_SESSION_TOKEN: temporary.sessionToken };
    const r = await spawnCli(['--profile', 'local', 'pub', 'secrets/t', 'hello', '--auth', 'sigv4', '--debug', '-v'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/published/);
    expectNoSecrets(r.stdout + r.stderr, [temporary.secretAccessKey, temporary.sessionToken]);
  });

  it('sub --auth sigv4 with the root key: the same', { timeout: 30_000 }, async () => {
    const r = await spawnCli(['--profile', 'local', 'sub', 'secrets/#', '--auth', 'sigv4', '--timeout', '1s', '--debug', '-v'], { env: local.env });
    expect(r.code, r.stderr).toBe(6);
    expectNoSecrets(r.stdout + r.stderr, [local.ready.secretAccessKey]);
  });

  it('pub over mutual TLS under --debug: the SDK log is there, the private key is not', { timeout: 30_000 }, async () => {
    const device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-secrets-'));
    writeFileSync(path.join(dir, 'cert.pem'), device.cert);
    writeFileSync(path.join(dir, 'key.pem'), device.key, { mode: 0o600 });
    const r = await spawnCli(
      ['--profile', 'local', 'pub', 'secrets/m', 'hello', '--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem'), '--client-id', 'secrets-m', '--debug', '-v'],
      { env: local.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[INFO\]/);
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
  });
});

describe('local start and the root secret', () => {
  it('off a terminal, without --json, the secret is not printed; the command it prints instead gives it', { timeout: 30_000 }, async () => {
    const env = testEnv();
    const child = spawn(process.execPath, [BIN, 'local', 'start', '--ephemeral', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0'], { env });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('SDK v3:')) resolve();
      });
    });
    const secret = (await spawnCli(['--profile', 'local', 'config', 'get', 'secret-access-key'], { env })).stdout.trim();
    child.kill('SIGTERM');
    await exited;
    expect(secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(stdout.includes(secret)).toBe(false);
    expect(stdout).toContain('secret key      (not shown off a terminal: iotctl --profile local config get secret-access-key, or --json)');
  });
});
