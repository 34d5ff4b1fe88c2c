/**
 * The Debian AWS CLI v2 (/usr/bin/aws, not a pip `aws` on PATH) against the
 * local IoT Core, and openssl checking the certificates it issues.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type TestEmulator } from '../helpers/emulator.js';

const AWS = '/usr/bin/aws';
const OPENSSL = '/usr/bin/openssl';
const run = promisify(execFile);
const available = existsSync(AWS) && existsSync(OPENSSL);
if (!available) console.warn(`skipping the AWS CLI interop tests: ${AWS} or ${OPENSSL} is missing (CI installs them: apt-get install -y awscli openssl)`);

let t: TestEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!available) return;
  t = await startEmulator();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-awscli-'));
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: t.emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.emulator.credentials.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});
afterAll(async () => {
  if (available) await t.close();
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the AWS CLI asynchronously (the emulator shares this event loop). */
async function aws(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(AWS, ['--endpoint-url', t.endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: { ...env, ...extraEnv } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function awsJson(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<Record<string, any>> {
  const r = await aws(args, extraEnv);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

/** `openssl verify -CAfile <local CA>` of a certificate, and its subject as openssl prints it. */
async function openssl(certPem: string): Promise<{ verify: string; subject: string }> {
  const file = path.join(dir, `cert-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(file, certPem);
  const verify = await run(OPENSSL, ['verify', '-CAfile', t.emulator.endpoints.caFile, file]);
  const subject = await run(OPENSSL, ['x509', '-in', file, '-noout', '-subject']);
  return { verify: verify.stdout.trim(), subject: subject.stdout.trim() };
}

describe.skipIf(!available)('AWS CLI v2 against the local IoT Core', () => {
  let certArn: string;

  it('create-keys-and-certificate: a certificate openssl verifies against the local CA', async () => {
    const out = await awsJson(['iot', 'create-keys-and-certificate', '--set-as-active']);
    expect(out.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(out.keyPair.PrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const checked = await openssl(out.certificatePem);
    expect(checked.verify).toMatch(/: OK$/);
    expect(checked.subject).toBe('subject=CN = AWS IoT Certificate');
    certArn = out.certificateArn;
  });

  it.each([
    ['EC P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']],
    ['RSA-2048', ['-newkey', 'rsa:2048']],
  ])('create-certificate-from-csr with an openssl %s CSR', async (name, keyArgs) => {
    const csr = path.join(dir, `${name.replace(/\W/g, '')}.csr`);
    await run(OPENSSL, ['req', '-new', ...keyArgs, '-nodes', '-keyout', `${csr}.key`, '-subj', '/CN=dev1/O=Acme', '-out', csr]);
    const out = await awsJson(['iot', 'create-certificate-from-csr', '--certificate-signing-request', `file://${csr}`, '--set-as-active']);
    expect(out.certificateArn).toBe(`arn:aws:iot:us-east-1:123456789012:cert/${out.certificateId}`);
    const checked = await openssl(out.certificatePem);
    expect(checked.verify).toMatch(/: OK$/);
    expect(checked.subject).toBe('subject=CN = dev1, O = Acme');
  });

  it('create-policy, attach-policy, list-attached-policies', async () => {
    const policy = path.join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }, null, 2));
    const created = await awsJson(['iot', 'create-policy', '--policy-name', 'cli-policy', '--policy-document', `file://${policy}`]);
    expect(created).toMatchObject({ policyName: 'cli-policy', policyVersionId: '1' });
    await awsJson(['iot', 'attach-policy', '--policy-name', 'cli-policy', '--target', certArn]);
    const listed = await awsJson(['iot', 'list-attached-policies', '--target', certArn]);
    expect(listed.policies).toEqual([{ policyName: 'cli-policy', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/cli-policy' }]);
  });

  it('create-thing, attach-thing-principal, list-thing-principals', async () => {
    const thing = await awsJson(['iot', 'create-thing', '--thing-name', 'cli-thing', '--attribute-payload', '{"attributes":{"room":"lab"}}']);
    expect(thing.thingArn).toBe('arn:aws:iot:us-east-1:123456789012:thing/cli-thing');
    await awsJson(['iot', 'attach-thing-principal', '--thing-name', 'cli-thing', '--principal', certArn]);
    const principals = await awsJson(['iot', 'list-thing-principals', '--thing-name', 'cli-thing']);
    expect(principals.principals).toEqual([certArn]);
  });

  it('describe-endpoint answers the local host', async () => {
    expect(await awsJson(['iot', 'describe-endpoint', '--endpoint-type', 'iot:Data-ATS'])).toEqual({ endpointAddress: '127.0.0.1' });
  });

  it('prints AWS errors by name', async () => {
    const r = await aws(['iot', 'describe-thing', '--thing-name', 'nope']);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('An error occurred (ResourceNotFoundException) when calling the DescribeThing operation');
    const wrong = await aws(['iot', 'list-things'], { AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(wrong.stderr).toContain('(InvalidSignatureException)');
  });

  it('cognito-identity: get-id and get-credentials-for-identity (unsigned), and the temporary credentials sign', async () => {
    const pool = await awsJson(['cognito-identity', 'create-identity-pool', '--identity-pool-name', 'cli', '--allow-unauthenticated-identities']);
    await awsJson(['cognito-identity', 'set-identity-pool-roles', '--identity-pool-id', pool.IdentityPoolId, '--roles', 'unauthenticated=arn:aws:iam::123456789012:role/guest']);
    const id = await awsJson(['cognito-identity', 'get-id', '--identity-pool-id', pool.IdentityPoolId]);
    expect(id.IdentityId).toMatch(/^us-east-1:/);
    const creds = await awsJson(['cognito-identity', 'get-credentials-for-identity', '--identity-id', id.IdentityId]);
    expect(creds.Credentials.AccessKeyId).toMatch(/^ASIA/);
    // The CLI signs x-amz-security-token; the signature verifies and the (default) authorizer refuses.
    const r = await aws(['iot', 'list-things'], {
      AWS_ACCESS_KEY_ID: creds.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.Credentials.SecretKey,
      AWS_SESSION_TOKEN: creds.Credentials.SessionToken,
    });
    expect(r.stderr).toContain('(UnauthorizedException)');
    const noGuests = await awsJson(['cognito-identity', 'create-identity-pool', '--identity-pool-name', 'closed', '--no-allow-unauthenticated-identities']);
    const refused = await aws(['cognito-identity', 'get-id', '--identity-pool-id', noGuests.IdentityPoolId]);
    expect(refused.stderr).toContain('(NotAuthorizedException)');
    expect(refused.stderr).toContain('Unauthenticated access is not supported for this identity pool.');
  });

  it('iam: create-role, put-role-policy, get-role-policy, list-roles; errors print by name', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
    const created = await awsJson(['iam', 'create-role', '--role-name', 'cli-role', '--assume-role-policy-document', trust]);
    expect(created.Role.Arn).toBe('arn:aws:iam::123456789012:role/cli-role');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
    expect((await aws(['iam', 'put-role-policy', '--role-name', 'cli-role', '--policy-name', 'p', '--policy-document', policy])).code).toBe(0);
    // The CLI decodes the URL-encoded document IAM returns.
    expect((await awsJson(['iam', 'get-role-policy', '--role-name', 'cli-role', '--policy-name', 'p'])).PolicyDocument).toEqual(JSON.parse(policy));
    expect((await awsJson(['iam', 'list-roles'])).Roles.map((r: { RoleName: string }) => r.RoleName)).toContain('cli-role');
    const missing = await aws(['iam', 'get-role', '--role-name', 'nope']);
    expect(missing.stderr).toContain('(NoSuchEntity)');
    const conflict = await aws(['iam', 'delete-role', '--role-name', 'cli-role']);
    expect(conflict.stderr).toContain('(DeleteConflict)');
  });

  it('sts get-caller-identity says whose keys these are; other STS calls are refused in words the CLI prints', async () => {
    expect(await awsJson(['sts', 'get-caller-identity'])).toEqual({ UserId: '123456789012', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:root' });
    const other = await aws(['sts', 'get-session-token']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('(InvalidAction)');
  });
});
