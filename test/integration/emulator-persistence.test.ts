import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import { CreateIdentityPoolCommand, DescribeIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createCsr, generateKeyPair } from '../../src/pki/index.js';
import { ROOT } from '../helpers/cli.js';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { ALLOW_ALL, cognitoClient, iamClient, iotClient, sdkError } from '../helpers/emulator.js';

const open: Emulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'iotctl-emulator-data-'));

async function start(dataDir: string, extra: Parameters<typeof createEmulator>[0] = {}): Promise<Emulator> {
  const emulator = await createEmulator({ dataDir, ports: { http: 0, mqtt: 0, ws: 0, https: 0 }, ...extra });
  open.push(emulator);
  return emulator;
}

async function stop(emulator: Emulator): Promise<void> {
  open.splice(open.indexOf(emulator), 1);
  await emulator.close();
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('restart persistence', () => {
  it('keeps every resource, the root key, the CA and live temporary credentials across a restart', async () => {
    const dir = tempDir();
    const first = await start(dir, { roles: { guest: ALLOW_ALL } });
    const iot = iotClient(first);
    const cognito = cognitoClient(first);
    const csr = await createCsr({ keyPair: await generateKeyPair(), subject: 'CN=persist' });
    const cert = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true }));
    await iot.send(new CreateThingCommand({ thingName: 'kept', attributePayload: { attributes: { a: '1' } } }));
    await iot.send(new CreatePolicyCommand({ policyName: 'kept-policy', policyDocument: ALLOW_ALL }));
    const v2 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:*', Resource: '*' }] });
    await iot.send(new CreatePolicyVersionCommand({ policyName: 'kept-policy', policyDocument: v2, setAsDefault: true }));
    await iot.send(new AttachPolicyCommand({ policyName: 'kept-policy', target: cert.certificateArn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'kept', principal: cert.certificateArn }));
    const pool = await cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'kept', AllowUnauthenticatedIdentities: true }));
    await cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId, Roles: { unauthenticated: 'arn:aws:iam::123456789012:role/guest' } }));
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId }));
    const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    const credentials = { accessKeyId: first.credentials.accessKeyId, secretAccessKey: first.credentials.secretAccessKey };
    const { endpoints } = first;
    const caPem = readFileSync(first.endpoints.caFile, 'utf8');
    expect(existsSync(path.join(dir, 'server.json'))).toBe(true);
    iot.destroy();
    cognito.destroy();
    await stop(first);
    expect(existsSync(path.join(dir, 'server.json'))).toBe(false);

    // Secrets are private.
    for (const f of ['state.json', 'secrets.json', 'ca-key.pem', 'server-key.pem']) expect(mode(path.join(dir, f))).toBe(0o600);
    expect(mode(dir)).toBe(0o700);

    const second = await start(dir, { authorize: () => true });
    expect(second.credentials).toMatchObject(credentials);
    expect(readFileSync(second.endpoints.caFile, 'utf8')).toBe(caPem);
    expect(second.endpoints.caFile).toBe(endpoints.caFile);
    const iot2 = iotClient(second);
    expect((await iot2.send(new DescribeThingCommand({ thingName: 'kept' }))).attributes).toEqual({ a: '1' });
    expect((await iot2.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status).toBe('ACTIVE');
    const policy = await iot2.send(new GetPolicyCommand({ policyName: 'kept-policy' }));
    expect([policy.defaultVersionId, policy.policyDocument]).toEqual(['2', v2]);
    expect((await iot2.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }))).policies?.map((p) => p.policyName)).toEqual(['kept-policy']);
    expect((await iot2.send(new ListPrincipalThingsCommand({ principal: cert.certificateArn }))).things).toEqual(['kept']);
    const cognito2 = cognitoClient(second);
    expect((await cognito2.send(new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId }))).IdentityPoolName).toBe('kept');
    // The temporary credentials minted before the restart still sign.
    const temp = iotClient(second, { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! });
    expect((await temp.send(new ListThingsCommand({}))).things?.map((t) => t.thingName)).toEqual(['kept']);
    const inline = await iamClient(second).send(new GetRolePolicyCommand({ RoleName: 'guest', PolicyName: 'iotctl' }));
    expect(decodeURIComponent(inline.PolicyDocument!)).toBe(ALLOW_ALL);
    iot2.destroy();
    cognito2.destroy();
    temp.destroy();
  });

  it('refuses a second instance on a data directory in use, and takes over a stale server.json', async () => {
    const dir = tempDir();
    const running = await start(dir);
    await expect(createEmulator({ dataDir: dir, ports: { http: 0, mqtt: 0, ws: 0, https: 0 } })).rejects.toMatchObject({ code: 'LOCAL_ALREADY_RUNNING' });
    await stop(running);
    // A crashed instance leaves server.json behind with a dead pid.
    await fs.writeFile(path.join(dir, 'server.json'), JSON.stringify({ pid: 2 ** 22 + 7, controlPlane: 'http://127.0.0.1:1', caFile: '', endpoints: {} }));
    const next = await start(dir);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'server.json'), 'utf8')).pid).toBe(process.pid);
    await stop(next);
  });

  it('says clearly when state.json is corrupt instead of starting empty', async () => {
    const dir = tempDir();
    await stop(await start(dir));
    await fs.writeFile(path.join(dir, 'state.json'), '{"format": 1, "things": [');
    await expect(createEmulator({ dataDir: dir, ports: { http: 0, mqtt: 0, ws: 0, https: 0 } })).rejects.toThrow(/state\.json is not valid JSON/);
  });
});

describe('kill -9 during writes', () => {
  it('restarts with consistent state holding every acknowledged write', async () => {
    const dist = path.join(ROOT, 'dist', 'emulator', 'index.js');
    expect(existsSync(dist), 'build first: npx tsc -p .').toBe(true);
    const dir = tempDir();
    const child = spawn(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'emulator-writer.mjs'), dir], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the writer made too little progress: ${out.split('\n').length} lines; stderr: ${err}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += d;
        // Kill it in the middle of a burst, well after the start.
        if (out.split('\n').length > 300) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');
    const acknowledged = out.split('\n').filter((l) => l.startsWith('thing ') || l.startsWith('policy '));
    expect(acknowledged.length).toBeGreaterThan(250);

    // The file on disk is always a whole snapshot.
    const snapshot = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8'));
    expect(snapshot.format).toBe(1);

    const restarted = await start(dir);
    const sdk = iotClient(restarted);
    for (const line of acknowledged) {
      const [kind, name] = line.split(' ') as [string, string];
      if (kind === 'thing') expect((await sdk.send(new DescribeThingCommand({ thingName: name }))).thingName, `${name} was acknowledged`).toBe(name);
      else {
        expect((await sdk.send(new GetPolicyCommand({ policyName: name }))).policyName, `${name} was acknowledged`).toBe(name);
        const n = Number(name.slice(2));
        const attached = await sdk.send(new ListAttachedPoliciesCommand({ target: `us-east-1:${n.toString(16).padStart(8, '0')}` }));
        expect(attached.policies?.map((p) => p.policyName)).toEqual([name]);
      }
    }
    sdk.destroy();
    // Leftover temp files of the interrupted write are gone.
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // And it keeps working.
    const iot = iotClient(restarted);
    await iot.send(new CreateThingCommand({ thingName: 'after-crash' }));
    const refused = await sdkError(iot.send(new DescribeThingCommand({ thingName: 'never-written' })));
    expect(refused.name).toBe('ResourceNotFoundException');
    iot.destroy();
  });
});
