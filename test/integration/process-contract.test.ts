/**
 * The process contract, as a user sees it: bin/iotctl.js spawned, its exit code
 * and streams read, each with a generous time bound as a hang guard (the point
 * is that nothing hangs, not how fast it is).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, spawnCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
let dir: string;
const cli = (argv: string[], timeoutMs = 20_000) => spawnCli(argv, { env: { ...local.env }, timeoutMs, cwd: dir });

beforeAll(async () => {
  local = await startLocalIot();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-process-'));
  const provisioned = await cli(['provision', 'pi01', '--yes']);
  expect(provisioned.code, provisioned.stderr).toBe(0);
});
afterAll(async () => local?.close());

/** Milliseconds a spawned command took, and its result. */
async function timed(argv: string[], timeoutMs?: number) {
  const started = performance.now();
  const r = await cli(argv, timeoutMs);
  return { ...r, ms: performance.now() - started };
}

describe('a decided command ends its process', () => {
  it("the README's deny step exits 3 at once, whatever the device SDK still holds", async () => {
    const r = await timed(['pub', 'things/pi02/temp', 'x', '--device', 'pi01']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Publish to "things\/pi02\/temp" refused \(client id "pi01-pub-[0-9a-f]{4}"\): not authorized \(0x87\)/);
    expect(r.ms).toBeLessThan(15_000); // hang guard: it used to take about 120 s
  });

  it('on MQTT 3.1.1, five denied QoS 0 publishes in a row each exit 3 (a round trip after the last message reads the hang-up)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await cli(['pub', 'things/pi02/temp', 'x', '--qos', '0', '--device', 'pi01', '--mqtt', '3'])).code);
    expect(codes).toEqual([3, 3, 3, 3, 3]);
    // And an allowed QoS 0 publish still exits 0.
    expect((await cli(['pub', 'things/pi01/temp', 'x', '--qos', '0', '--device', 'pi01'])).code).toBe(0);
  });

  it('pub beside a running device uses its own client id, so the device is not knocked off; -v names it', async () => {
    const r = await cli(['pub', 'things/pi01/temp', '{"c":21}', '--device', 'pi01', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/connecting to .* as pi01-pub-[0-9a-f]{4}\n/);
  });
});

describe('control-plane calls are bounded', () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    // Accepts connections and never answers.
    server = net.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => server?.close());

  const keys = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

  it('--request-timeout: an endpoint that never answers is exit 6, naming the endpoint and the flag', async () => {
    const r = await spawnCli(['--request-timeout', '2s', '--endpoint-url', `http://127.0.0.1:${port}`, '--region', 'us-east-1', 'thing', 'list'], {
      env: { ...local.env, IOTCTL_ENDPOINT_URL: '', ...keys },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toBe(
      `error: No answer from http://127.0.0.1:${port} within 2s (--request-timeout).\nhint: check the endpoint; on a slow network raise --request-timeout (e.g. --request-timeout 2m)\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('IOTCTL_REQUEST_TIMEOUT does the same; a bad value is a usage error', async () => {
    const env = { ...local.env, IOTCTL_ENDPOINT_URL: `http://127.0.0.1:${port}`, IOTCTL_REQUEST_TIMEOUT: '1s', ...keys };
    expect((await spawnCli(['thing', 'list'], { env, timeoutMs: 30_000 })).code).toBe(6);
    const bad = await spawnCli(['thing', 'list'], { env: { ...env, IOTCTL_REQUEST_TIMEOUT: 'soon' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`error: IOTCTL_REQUEST_TIMEOUT "soon" must be a duration such as 30s, 2m or 500ms.\n`);
  });

  it('an endpoint that answers something other than AWS (an HTML error page) is one line saying so, not a SyntaxError', async () => {
    const html = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad Gateway</body></html>');
      });
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(html.address() as net.AddressInfo).port}`;
    try {
      const r = await spawnCli(['thing', 'list'], { env: { ...local.env, IOTCTL_ENDPOINT_URL: url } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: The endpoint ${url} answered HTTP 502 with a body that is not an AWS response.\nhint: check --endpoint-url / the profile: it should name an AWS IoT control plane (or iotctl local start)\n`);
    } finally {
      html.close();
    }
  });

  it('connection refused is exit 5, naming the endpoint', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await spawnCli(['thing', 'list'], { env: { ...local.env, IOTCTL_ENDPOINT_URL: `http://127.0.0.1:${free}` } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`^error: Cannot reach http://127\\.0\\.0\\.1:${free}: connection refused\\.\\nhint: `));
  });
});

/**
 * Runs `iotctl <args>` on a terminal (`script` gives it one) and types `keys`
 * once the screen shows `when`: a prompt reads them itself (Ctrl-C is a
 * keypress then, not a SIGINT).
 */
async function onTerminal(args: string, when: string, keys: string): Promise<{ code: number | null; screen: string }> {
  const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], { env: { ...local.env, TERM: 'dumb' }, cwd: dir });
  let screen = '';
  let typed = false;
  child.stdin.on('error', () => {}); // the pipe closes when the command ends
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
    if (!typed && screen.includes(when)) {
      typed = true;
      child.stdin.write(keys);
    }
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(guard);
  return { code, screen };
}

describe('Ctrl-C at a prompt', () => {
  it('exits 130 with one line, no "Internal error", nothing created', async () => {
    const { code, screen } = await onTerminal('provision', 'Thing name', '\u0003');
    expect(screen).toContain('Thing name');
    expect(code).toBe(130);
    expect(screen).toMatch(/error:.* Interrupted; nothing was changed by this prompt\./);
    expect(screen).not.toMatch(/Internal error/);
  });
});

describe('a confirmation on a terminal', () => {
  it('provision shows its plan before asking; "n" cancels: one line, exit 1, nothing created', async () => {
    const { code, screen } = await onTerminal('provision pi-cancel --template device', 'Provision pi-cancel?', 'n\r');
    expect(screen).toMatch(/Plan: provision pi-cancel[\s\S]*activate the certificate \(UpdateCertificate ACTIVE\)[\s\S]*Provision pi-cancel\?/);
    expect(screen).toContain('Cancelled; nothing was created.');
    expect(code).toBe(1);
    expect((await cli(['thing', 'describe', 'pi-cancel'])).code).toBe(4);
  });
});

describe('--version', () => {
  it("is the tool's only before a command; after one it is the command's own", async () => {
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')) as { version: string };
    expect((await cli(['--version'])).stdout).toBe(`${pkg.version}\n`);
    expect(JSON.parse((await cli(['--version', '--json'])).stdout)).toEqual({ version: pkg.version });
    const v1 = await cli(['policy', 'get', 'iotctl-device', '--version', '1', '--json']);
    expect(v1.code, v1.stderr).toBe(0);
    expect(JSON.parse(v1.stdout)).toMatchObject({ policyName: 'iotctl-device', versionId: '1' });
    const unknown = await cli(['thing', 'list', '--version']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--version'/);
  });
});

/** The command a hint prints, as argv (drops `iotctl`; single-quoted words unquoted). */
function hintCommand(stderr: string): string[] {
  const line = /hint: .*?: iotctl (.*)$/m.exec(stderr)?.[1];
  expect(line, stderr).toBeDefined();
  return [...line!.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('the same kind of conflict, the same exit code and a hint that runs as printed', () => {
  it('an ACTIVE certificate, an attached thing, a policy with attachments: exit 1 and the --force command, which then works', async () => {
    const device = JSON.parse(readFileSync(path.join(dir, 'pi01', 'device.json'), 'utf8')) as { certificateId: string };
    await cli(['provision', 'pi09', '--yes', '--template', 'home', '--param', 'homeId=h9']);
    for (const argv of [
      ['thing', 'delete', 'pi09'],
      ['policy', 'delete', 'iotctl-home-h9'],
      ['cert', 'delete', JSON.parse(readFileSync(path.join(dir, 'pi09', 'device.json'), 'utf8')).certificateId],
    ]) {
      const refused = await cli(argv);
      expect([refused.code, refused.stdout], refused.stderr).toEqual([1, '']);
      const fix = hintCommand(refused.stderr);
      expect(fix).toEqual([...argv, '--force']);
      expect((await cli(fix)).code).toBe(0);
    }
    expect(device.certificateId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a missing resource: exit 4 and the list command of its kind', async () => {
    const r = await cli(['thing', 'describe', 'nope']);
    expect(r.code).toBe(4);
    const list = hintCommand(r.stderr);
    expect(list).toEqual(['thing', 'list']);
    expect((await cli(list)).code).toBe(0);
  });
});

describe('newcomer papercuts', () => {
  it('a private key others can read is used, with a warning as ssh gives (none with --quiet)', async () => {
    const key = path.join(dir, 'pi01', 'private.key');
    chmodSync(key, 0o644);
    try {
      const r = await cli(['pub', 'things/pi01/temp', '1', '--device', 'pi01']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(`warning: the private key ${key} can be read by others (mode 0644); make it private: chmod 600 ${key}\n`);
      expect((await cli(['--quiet', 'pub', 'things/pi01/temp', '1', '--device', 'pi01'])).stderr).toBe('');
    } finally {
      chmodSync(key, 0o600);
    }
    expect((await cli(['pub', 'things/pi01/temp', '1', '--device', 'pi01'])).stderr).toBe('');
  });

  it('cognito credentials: the pool may come from the profile; --json with --format env is a usage error, not ignored', async () => {
    const pool = JSON.parse((await cli(['--json', 'cognito', 'pool', 'create', 'papercuts', '--allow-unauthenticated'])).stdout) as { identityPoolId: string };
    const fromSetting = await spawnCli(['cognito', 'credentials'], { env: { ...local.env, IOTCTL_IDENTITY_POOL_ID: pool.identityPoolId }, cwd: dir });
    expect(fromSetting.code, fromSetting.stderr).toBe(0);
    expect(JSON.parse(fromSetting.stdout)).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    const none = await cli(['cognito', 'credentials']);
    expect([none.code, none.stderr]).toEqual([2, 'error: Which identity pool?\nhint: pass --identity-pool-id <region:uuid>, or: iotctl config set identity-pool-id <id>\n']);
    const both = await cli(['--json', 'cognito', 'credentials', '--identity-pool-id', pool.identityPoolId, '--format', 'env']);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stderr).error.code).toBe('JSON_AND_FORMAT');
  });
});

describe('the local profile tells the truth', () => {
  it('an --ephemeral local IoT Core takes its profile with it when it stops; status then says not running', async () => {
    const env = { ...local.env, IOTCTL_ENDPOINT_URL: '', IOTCTL_ACCESS_KEY_ID: '', IOTCTL_SECRET_ACCESS_KEY: '', IOTCTL_CA_FILE: '', IOTCTL_MQTT_PORT: '', IOTCTL_WS_PORT: '', IOTCTL_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'iotctl-eph-')) };
    const child = spawn(process.execPath, [BIN, 'local', 'start', '--ephemeral', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0', '--json'], { env, cwd: dir });
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const ready = await new Promise<{ controlPlane: string }>((resolve) => {
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
      });
    });
    const running = await spawnCli(['local', 'status', '--json'], { env, cwd: dir });
    expect(running.code).toBe(0);
    expect(JSON.parse(running.stdout)).toMatchObject({ running: true, ephemeral: true, controlPlane: ready.controlPlane });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    expect(code).toBe(130);
    const after = await spawnCli(['local', 'status', '--json'], { env, cwd: dir });
    expect([after.code, JSON.parse(after.stdout).running]).toEqual([1, false]);
    const list = JSON.parse((await spawnCli(['config', 'list', '--json'], { env, cwd: dir })).stdout) as { profiles: Record<string, unknown> };
    expect(Object.keys(list.profiles)).not.toContain('local');
  });
});

describe('whose keys sign', () => {
  it('keys exported by cognito credentials --format env beat the profile\'s stored root key, and -v names them', async () => {
    const pool = JSON.parse((await cli(['--json', 'cognito', 'pool', 'create', 'env-keys', '--allow-unauthenticated'])).stdout) as { identityPoolId: string };
    const exported = await cli(['cognito', 'credentials', '--identity-pool-id', pool.identityPoolId, '--format', 'env']);
    const vars = Object.fromEntries([...exported.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(vars)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'IOTCTL_COGNITO_IDENTITY_ID']);
    const guest = { ...local.env, IOTCTL_DATA_ENDPOINT: '127.0.0.1', ...vars };
    // A guest may not publish: with the root key (what the profile stores) it would have been allowed.
    const r = await spawnCli(['pub', 'public/x', 'hi', '--auth', 'sigv4', '-v'], { env: guest, cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`signing with AWS_ACCESS_KEY_ID ${vars.AWS_ACCESS_KEY_ID} (temporary, with AWS_SESSION_TOKEN) from the environment\n`);
    expect(r.stderr).toContain(`as ${vars.IOTCTL_COGNITO_IDENTITY_ID}-pub-`);
    expect(r.stderr).toMatch(/unauthenticated identity's role .* allows it/);
    const root = await cli(['pub', 'public/x', 'hi', '--auth', 'sigv4', '-v']);
    expect(root.code, root.stderr).toBe(0);
    expect(root.stderr).toMatch(/signing with the profile's stored key AKIA/);
  });
});
