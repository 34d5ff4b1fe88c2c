import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateKeysAndCertificateCommand,
  DescribeCertificateCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
let iot: IoTClient;
const work = () => mkdtempSync(path.join(os.tmpdir(), 'iotctl-prov-'));

beforeAll(async () => {
  local = await startLocalIot();
  iot = new IoTClient({ endpoint: local.emulator.endpoints.controlPlane, region: 'us-east-1', credentials: local.emulator.credentials });
});
afterAll(async () => {
  iot?.destroy();
  await local?.close();
});

const cli = (argv: string[]) => runCli(argv, { env: local.env });

async function certificateCount(): Promise<{ total: number; active: number }> {
  const list = await iot.send(new ListCertificatesCommand({ pageSize: 250 }));
  const certs = list.certificates ?? [];
  return { total: certs.length, active: certs.filter((c) => c.status === 'ACTIVE').length };
}

describe('iotctl provision', () => {
  it('leaves a device folder that works: ACTIVE certificate, attached to the policy and the thing, openssl-verifiable', async () => {
    const dir = path.join(work(), 'pi01');
    const r = await cli(['--json', 'provision', 'pi01', '--out-dir', dir, '--attr', 'room=kitchen', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { certificateId: string; certificateArn: string; policyName: string; created: { thing: boolean; policy: boolean } };
    expect(result.created).toEqual({ thing: true, policy: true });
    expect(result.policyName).toBe('iotctl-device');

    const described = await iot.send(new DescribeCertificateCommand({ certificateId: result.certificateId }));
    expect(described.certificateDescription?.status).toBe('ACTIVE');
    const policies = await iot.send(new ListAttachedPoliciesCommand({ target: result.certificateArn }));
    expect(policies.policies?.map((p) => p.policyName)).toEqual(['iotctl-device']);
    const things = await iot.send(new ListPrincipalThingsCommand({ principal: result.certificateArn }));
    expect(things.things).toEqual(['pi01']);

    expect(readdirSync(dir).sort()).toEqual(['certificate.pem', 'device.json', 'private.key', 'root-ca.pem']);
    expect(statSync(path.join(dir, 'private.key')).mode & 0o777).toBe(0o600);
    const verify = execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'root-ca.pem'), path.join(dir, 'certificate.pem')], { encoding: 'utf8' });
    expect(verify).toContain(': OK');
    const cert = new X509Certificate(readFileSync(path.join(dir, 'certificate.pem')));
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, 'private.key'))))).toBe(true);
    expect(cert.subject).toContain('CN=pi01');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'device.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ thingName: 'pi01', clientId: 'pi01', endpoint: local.emulator.endpoints.dataHost, region: 'us-east-1', certificateId: result.certificateId });
    // The private key never left this process: AWS (the emulator) only ever saw the public key.
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(createPublicKey(readFileSync(path.join(dir, 'private.key'))).export({ type: 'spki', format: 'pem' }));
  });

  it('is idempotent: a re-run with the folder changes nothing; without it, it refuses rather than make a second active certificate', async () => {
    const dir = path.join(work(), 'pi02');
    expect((await cli(['provision', 'pi02', '--out-dir', dir, '--yes'])).code).toBe(0);
    const before = await certificateCount();
    const again = await cli(['--json', 'provision', 'pi02', '--out-dir', dir, '--yes']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ unchanged: true });
    const elsewhere = await cli(['provision', 'pi02', '--out-dir', path.join(work(), 'pi02'), '--yes']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/already has an ACTIVE certificate .* would create a second one/);
    expect(await certificateCount()).toEqual(before);
  });

  it('rolls back everything when a step fails halfway, and says so', async () => {
    const before = await certificateCount();
    const blocker = path.join(work(), 'not-a-folder');
    writeFileSync(blocker, 'x');
    // Writing the device folder fails after every AWS step but the activation.
    const r = await cli(['provision', 'pi-rollback', '--template', 'home', '--param', 'homeId=999_rollback_rd', '--out-dir', path.join(blocker, 'pi'), '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: Provisioning failed: Cannot write the device folder .*: a part of the path is a file, not a folder\. Rolled back: files in .* removed; certificate detached from pi-rollback; policy iotctl-home-999_rollback_rd detached; policy iotctl-home-999_rollback_rd deleted; thing pi-rollback deleted; certificate [0-9a-f]{64} deactivated and deleted\./);
    expect(await certificateCount()).toEqual(before);
    const things = await iot.send(new ListThingsCommand({}));
    expect(things.things?.map((t) => t.thingName)).not.toContain('pi-rollback');
    const policies = await iot.send(new ListPoliciesCommand({}));
    expect(policies.policies?.map((p) => p.policyName)).not.toContain('iotctl-home-999_rollback_rd');
  });

  it('a failure right after the certificate is registered leaves no certificate', async () => {
    const before = await certificateCount();
    const dir = path.join(work(), 'pi-type');
    const r = await cli(['provision', 'pi-type', '--thing-type', 'no-such-type', '--out-dir', dir, '--yes']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Rolled back: certificate [0-9a-f]{64} deactivated and deleted\./);
    expect(await certificateCount()).toEqual(before);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    [['provision', 'bad name', '--yes'], 2, /thing name "bad name" has characters/],
    [['provision', '--yes'], 2, /Thing name is required\.\nhint: pass <thing>/],
    [['provision', 'pi09', '--template', 'home', '--yes'], 2, /needs the parameter "homeId"/],
    [['provision', 'pi09', '--template', 'nope', '--yes'], 2, /no policy template "nope"/],
    [['provision', 'pi09', '--policy', 'does-not-exist', '--yes'], 4, /The policy does-not-exist does not exist/],
    [['provision', 'pi09', '--attr', 'bad attr=1', '--yes'], 2, /attribute name/],
    [['provision', 'pi09', '--count', '2'], 2, /not both/],
  ])('%j refuses before anything is created', async (argv, code, message) => {
    const before = await certificateCount();
    const cwd = work();
    const r = await cli(argv.map((a) => a));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(await certificateCount()).toEqual(before);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses to write into a folder that already holds files', async () => {
    const dir = work();
    writeFileSync(path.join(dir, 'private.key'), 'precious');
    const r = await cli(['provision', 'pi10', '--out-dir', dir, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds files.*\nhint: pass --force/);
    expect(readFileSync(path.join(dir, 'private.key'), 'utf8')).toBe('precious');
  });

  it('--dry-run prints the plan and calls nothing', async () => {
    const before = await certificateCount();
    const r = await cli(['--json', 'provision', 'pi11', '--dry-run', '--template', 'home', '--param', 'homeId=123_aws_ave']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { policy: { name: string }; steps: string[] };
    expect(plan.policy.name).toBe('iotctl-home-123_aws_ave');
    expect(plan.steps.at(-1)).toMatch(/activate the certificate/);
    expect(await certificateCount()).toEqual(before);
  });

  it('provisions a fleet with bounded concurrency, one JSON line per thing and a summary; one failure does not stop the others', async () => {
    const parent = work();
    writeFileSync(path.join(parent, 'things.csv'), 'thingName,room\nfleet-a,kitchen\nfleet-b,hall\nfleet-c,attic\n');
    // fleet-b already has an active certificate: it must fail alone.
    expect((await cli(['provision', 'fleet-b', '--out-dir', path.join(work(), 'fleet-b'), '--yes'])).code).toBe(0);
    const r = await cli(['--json', 'provision', '--from-file', path.join(parent, 'things.csv'), '--out-dir', parent, '--concurrency', '2', '--yes']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { thingName?: string; ok?: boolean; summary?: Record<string, number> });
    expect(lines).toHaveLength(4);
    expect(lines.filter((l) => l.ok).map((l) => l.thingName).sort()).toEqual(['fleet-a', 'fleet-c']);
    expect(lines.find((l) => l.thingName === 'fleet-b')?.ok).toBe(false);
    expect(lines.at(-1)?.summary).toMatchObject({ total: 3, provisioned: 2, failed: 1 });
    expect(JSON.parse(readFileSync(path.join(parent, 'fleet-a', 'device.json'), 'utf8'))).toMatchObject({ thingName: 'fleet-a' });
  });

  it('--count N --prefix provisions numbered things', async () => {
    const parent = work();
    const r = await cli(['provision', '--count', '3', '--prefix', 'num-', '--out-dir', parent, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 provisioned, 0 failed/);
    expect(readdirSync(parent).sort()).toEqual(['num-01', 'num-02', 'num-03']);
  });

  it('a re-run after a killed provision removes the certificate the killed run left, so the thing ends with one', async () => {
    // A proxy before the local IoT Core that holds the first activation (UpdateCertificate ACTIVE) unanswered.
    const target = new URL(local.emulator.endpoints.controlPlane);
    let held = false;
    let sawActivation!: () => void;
    const activation = new Promise<void>((resolve) => (sawActivation = resolve));
    const proxy = http.createServer((req, res) => {
      if (!held && req.method === 'PUT' && /newStatus=ACTIVE/.test(req.url ?? '')) {
        held = true;
        sawActivation();
        return; // never answered: the run is killed while it waits
      }
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const env = { ...local.env, IOTCTL_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    const dir = path.join(work(), 'killed');
    try {
      const child = spawn(process.execPath, [BIN, 'provision', 'killed', '--yes', '--out-dir', dir], { env, stdio: 'ignore' });
      await activation;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      const left = (await iot.send(new ListThingPrincipalsCommand({ thingName: 'killed' }))).principals ?? [];
      expect(left).toHaveLength(1); // the killed run's INACTIVE certificate
      // No --force: the folder the killed run wrote is recognised as its own.
      const again = await runCli(['provision', 'killed', '--yes', '--out-dir', dir], { env });
      expect(again.code, again.stderr).toBe(0);
      const principals = (await iot.send(new ListThingPrincipalsCommand({ thingName: 'killed' }))).principals ?? [];
      expect(principals).toHaveLength(1);
      expect(principals[0]).not.toBe(left[0]);
      const leftover = await iot.send(new DescribeCertificateCommand({ certificateId: left[0]!.split('/').pop()! })).catch((e: Error) => e.name);
      expect(leftover).toBe('ResourceNotFoundException');
    } finally {
      proxy.close();
    }
  });

  it('refuses and rolls back a certificate that does not hold the key of its CSR (a server that ignores the CSR)', async () => {
    // A proxy before the local IoT Core that answers CreateCertificateFromCsr with a certificate of another key.
    const { certificatePem: foreign } = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
    const target = new URL(local.emulator.endpoints.controlPlane);
    const proxy = http.createServer((req, res) => {
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (req.method === 'POST' && req.url?.startsWith('/certificates?') && answer.statusCode === 200) {
            body = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString()), certificatePem: foreign }));
          }
          res.writeHead(answer.statusCode ?? 500, { ...answer.headers, 'content-length': String(body.length) });
          res.end(body);
        });
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const before = await certificateCount();
    const dir = path.join(work(), 'swapped');
    try {
      const r = await runCli(['provision', 'swapped', '--yes', '--out-dir', dir], { env: { ...local.env, IOTCTL_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: Provisioning failed: The certificate the service issued \([0-9a-f]{64}\) does not hold the public key of the CSR\. Rolled back: .*certificate [0-9a-f]{64} deactivated and deleted/);
    } finally {
      proxy.close();
    }
    expect(await certificateCount()).toEqual(before);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('thing, cert and ca commands', () => {
  it('create, describe, list, attach, detach and delete things', async () => {
    expect((await cli(['thing', 'create', 'lamp1', '--attr', 'room=den'])).code).toBe(0);
    const listed = JSON.parse((await cli(['--json', 'thing', 'list', '--attr', 'room=den'])).stdout) as { things: { thingName: string }[] };
    expect(listed.things.map((t) => t.thingName)).toEqual(['lamp1']);
    const created = JSON.parse((await cli(['--json', 'cert', 'create', '--aws-keys', '--key-out', path.join(work(), 'k.pem')])).stdout) as { certificateArn: string; certificateId: string };
    expect((await cli(['thing', 'attach', 'lamp1', '--principal', created.certificateId])).code).toBe(0);
    const described = JSON.parse((await cli(['--json', 'thing', 'describe', 'lamp1'])).stdout) as { principals: string[]; attributes: Record<string, string> };
    expect(described).toMatchObject({ principals: [created.certificateArn], attributes: { room: 'den' } });
    const refused = await cli(['thing', 'delete', 'lamp1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/still attached .*\nhint: --force would detach its principals \(certificates\) first: iotctl thing delete lamp1 --force\n/);
    expect((await cli(['thing', 'delete', 'lamp1', '--force'])).code).toBe(0);
    expect((await cli(['thing', 'describe', 'lamp1'])).code).toBe(4);
    expect((await cli(['thing', 'delete', 'never-existed'])).code).toBe(0); // as on AWS
  });

  it('registers a certificate from a CSR and walks its lifecycle to a forced delete', async () => {
    const dir = work();
    expect((await cli(['csr', 'create', '--cn', 'cam1', '--new-key', path.join(dir, 'cam1.key'), '--out', path.join(dir, 'cam1.csr')])).code).toBe(0);
    const created = await cli(['--json', 'cert', 'create', '--csr', path.join(dir, 'cam1.csr'), '--out', path.join(dir, 'cam1.pem')]);
    expect(created.code, created.stderr).toBe(0);
    const { certificateId, certificateArn } = JSON.parse(created.stdout) as { certificateId: string; certificateArn: string };
    expect(new X509Certificate(readFileSync(path.join(dir, 'cam1.pem'))).checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, 'cam1.key'))))).toBe(true);
    expect((await cli(['thing', 'create', 'cam1'])).code).toBe(0);
    expect((await cli(['thing', 'attach', 'cam1', '--principal', certificateArn])).code).toBe(0);
    for (const [verb, status] of [['deactivate', 'INACTIVE'], ['activate', 'ACTIVE'], ['revoke', 'REVOKED']] as const) {
      expect((await cli([`cert`, verb, certificateId])).code).toBe(0);
      const d = JSON.parse((await cli(['--json', 'cert', 'describe', certificateId])).stdout) as { status: string; things: string[] };
      expect(d.status).toBe(status);
      expect(d.things).toEqual(['cam1']);
    }
    const plain = await cli(['cert', 'delete', certificateId]);
    expect(plain.code).not.toBe(0);
    const forced = JSON.parse((await cli(['--json', 'cert', 'delete', certificateId, '--force'])).stdout) as { detachedThings: string[] };
    expect(forced.detachedThings).toEqual(['cam1']);
    expect((await cli(['cert', 'describe', certificateId])).code).toBe(4);
  });

  it('warns that --aws-keys sends the key over the network, writes it 0600 and never prints it', async () => {
    const key = path.join(work(), 'aws.key');
    const r = await cli(['cert', 'create', '--aws-keys', '--key-out', key]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*private key .*network/);
    expect(r.stdout).not.toContain('PRIVATE KEY');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
  });

  it.each([
    [['cert', 'create'], /exactly one of --csr/],
    [['cert', 'create', '--aws-keys'], /needs --key-out/],
    [['cert', 'describe', 'xyz'], /neither a certificate id/],
    [['cert', 'list', '--status', 'SLEEPY'], /Unknown status/],
    [['thing', 'create', 'a b'], /characters AWS IoT does not allow/],
    [['thing', 'create', 'x', '--attr', 'novalue'], /--attr expects key=value/],
  ])('%j is a usage error', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('ca fetch writes the local CA for the local IoT Core, and Amazon Root CA 1 otherwise', async () => {
    const out = path.join(work(), 'ca.pem');
    expect((await cli(['ca', 'fetch', '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(local.emulator.endpoints.caFile, 'utf8'));
    const aws = await runCli(['ca', 'fetch']);
    expect(new X509Certificate(aws.stdout).subject).toContain('CN=Amazon Root CA 1');
    const ec = await runCli(['ca', 'fetch', '--key', 'ec']);
    expect(new X509Certificate(ec.stdout).subject).toContain('CN=Amazon Root CA 3');
  });

  it('an unreachable control plane is a connection error (exit 5) with a hint', async () => {
    const r = await runCli(['thing', 'list'], { env: { ...local.env, IOTCTL_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9: connection refused\.\nhint: /);
  });
});
