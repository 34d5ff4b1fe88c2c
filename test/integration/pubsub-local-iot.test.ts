/**
 * pub, sub and tail against the local IoT Core (createEmulator): a device
 * provisioned with `iotctl provision`, its policy enforced by the broker
 * (MQTT 5 by default, which refuses with reason codes; MQTT 3.1.1, which
 * answers a denied PUBLISH or CONNECT by closing the connection, as AWS does),
 * SigV4 WebSockets, and DescribeEndpoint discovery. Each denial's hint names
 * an `iotctl policy test` command; running it must say "denied" too.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnWatched } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
let env: NodeJS.ProcessEnv;
let device: string;

/** The `iotctl policy test ...` command a hint names, as argv. */
function policyTestArgv(stderr: string): string[] {
  const m = /(iotctl policy test .*)$/m.exec(stderr);
  if (!m) throw new Error(`no policy test command in:\n${stderr}`);
  // The command quotes with single quotes only.
  return [...m[1]!.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((x) => (x[1] !== undefined ? x[1].replace(/'\\''/g, "'") : x[2]!)).slice(1);
}

/** A subscriber as a process of its own (--verbose: it says when it has subscribed). */
const background = (argv: string[]) => spawnWatched(['--verbose', ...argv], { env, timeoutMs: 25_000 });

const records = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  local = await startLocalIot();
  env = { ...local.env, IOTCTL_WS_PORT: String(local.emulator.endpoints.ws.port) };
  device = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-device-')), 'pi01');
  const r = await runCli(['provision', 'pi01', '--yes', '--json', '--out-dir', device], { env });
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await local?.close();
});

describe('a provisioned device on the local IoT Core', () => {
  it('publishes on its own topics (MQTT 5 by default, the thing name as client id), and a SigV4 subscriber receives', async () => {
    const sub = background(['sub', 'things/pi01/#', '--count', '2', '--qos', '1', '--auth', 'sigv4', '--endpoint', '127.0.0.1']);
    await sub.subscribed();
    const pub = await runCli(['--verbose', '--json', 'pub', 'things/pi01/temp', '{"t": {{seq}}}', '--repeat', '2', '--device', device], { env });
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stderr).toMatch(/connecting to 127\.0\.0\.1:\d+ \(MQTT 5, mtls\) as pi01/);
    expect(JSON.parse(pub.stdout)).toMatchObject({ published: 2, acknowledged: 2 });
    const r = await sub.done;
    expect(r.code, r.stderr).toBe(0);
    expect(records(r.stdout).map((m) => m.payload)).toEqual([{ t: 1 }, { t: 2 }]);
  });
});

describe('denials on the local IoT Core, MQTT 5 (the default): the reason code says it', () => {
  it('a PUBLISH outside the policy: PUBACK 0x87, and iotctl names iot:Publish on that topic', async () => {
    const r = await runCli(['pub', 'other/topic', 'x', '--device', device], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: Publish to "other\/topic" refused \(client id "pi01-pub-[0-9a-f]{4}"\): not authorized \(0x87\): .*\. 1 of 1 message was not acknowledged\./);
    const check = policyTestArgv(r.stderr);
    expect(check).toEqual(['policy', 'test', '--device', device, '--action', 'iot:Publish', '--resource', 'other/topic', '--client-id', expect.stringMatching(/^pi01-pub-[0-9a-f]{4}$/)]);
    expect((await runCli(check, { env })).code).toBe(3);
  });

  it('a SUBSCRIBE outside the policy: SUBACK 0x87', async () => {
    const r = await runCli(['sub', 'things/pi01/#', 'secret/#', '--device', device], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: Subscription refused for "secret\/#" \(client id "pi01-sub-[0-9a-f]{4}"\): not authorized \(0x87\)\./);
    expect((await runCli(policyTestArgv(r.stderr), { env })).code).toBe(3);
  });

  it('a CONNECT with a client id the policy does not allow: CONNACK 0x87, stated, not guessed', async () => {
    const r = await runCli(['pub', 'things/pi01/x', 'x', '--device', device, '--client-id', 'not-pi01'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: The server refused the connection for client id "not-pi01": not authorized \(0x87\)/);
    expect(r.stderr).not.toMatch(/most likely/);
    const check = policyTestArgv(r.stderr);
    expect(check).toContain('iot:Connect');
    expect((await runCli(check, { env })).code).toBe(3);
  });

  it('sub prints the MQTT 5 properties a message came with in NDJSON', async () => {
    const sub = background(['sub', 'things/pi01/props', '--count', '1', '--auth', 'sigv4', '--endpoint', '127.0.0.1']);
    await sub.subscribed();
    const pub = await runCli(['pub', 'things/pi01/props', '{"a":1}', '--device', device, '--user-property', 'site=lab', '--content-type', 'application/json', '--message-expiry', '60s'], { env });
    expect(pub.code, pub.stderr).toBe(0);
    const r = await sub.done;
    expect(r.code, r.stderr).toBe(0);
    const [m] = records(r.stdout);
    expect(m).toMatchObject({ topic: 'things/pi01/props', payload: { a: 1 }, contentType: 'application/json', userProperties: [{ name: 'site', value: 'lab' }] });
    expect(m!.messageExpirySeconds).toBeLessThanOrEqual(60);
  });
});

describe('denials on the local IoT Core, MQTT 3.1.1 (--mqtt 3): the broker hangs up, as AWS does', () => {
  it('a PUBLISH outside the policy: the broker hangs up, and iotctl names iot:Publish on that topic', async () => {
    const r = await runCli(['pub', 'other/topic', 'x', '--device', device, '--mqtt', '3'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: The server closed the connection in answer to PUBLISH to "other\/topic" \(\d+ ms later\) instead of acknowledging it: on MQTT 3\.1\.1 that is how AWS IoT refuses it, so iot:Publish on "other\/topic" for client id "pi01-pub-[0-9a-f]{4}" was denied\. 1 of 1 message was not acknowledged\./);
    const check = policyTestArgv(r.stderr);
    expect(check).toEqual(['policy', 'test', '--device', device, '--action', 'iot:Publish', '--resource', 'other/topic', '--client-id', expect.stringMatching(/^pi01-pub-[0-9a-f]{4}$/)]);
    const decided = await runCli(check, { env });
    expect(decided.code, decided.stderr + decided.stdout).toBe(3);
  });

  it('a retained PUBLISH without iot:RetainPublish: named, with the RetainPublish check', async () => {
    const r = await runCli(['pub', 'things/pi01/state', 'on', '--retain', '--device', device, '--mqtt', '3'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/so iot:Publish \(and iot:RetainPublish\) on "things\/pi01\/state" for client id "pi01-pub-[0-9a-f]{4}" was denied/);
    const check = policyTestArgv(r.stderr);
    expect(check).toContain('iot:RetainPublish');
    expect((await runCli(check, { env })).code).toBe(3);
  });

  it('a SUBSCRIBE outside the policy: "subscription refused" (SUBACK 0x80), never QoS 128', async () => {
    const r = await runCli(['sub', 'things/pi01/#', 'secret/#', '--device', device, '--mqtt', '3'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: Subscription refused for "secret\/#" \(client id "pi01-sub-[0-9a-f]{4}"\): the broker returned failure \(0x80\)\./);
    expect(r.stderr).not.toMatch(/128/);
    const decided = await runCli(policyTestArgv(r.stderr), { env });
    expect(decided.code).toBe(3);
  });

  it('a CONNECT with a client id the policy does not allow: "right after CONNECT"', async () => {
    const r = await runCli(['pub', 'things/pi01/x', 'x', '--device', device, '--client-id', 'not-pi01', '--mqtt', '3'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: The server closed the connection in answer to CONNECT: most likely iot:Connect for client id "not-pi01" was denied\./);
    const check = policyTestArgv(r.stderr);
    expect(check).toContain('iot:Connect');
    expect((await runCli(check, { env })).code).toBe(3);
  });

});

describe('connections from the profile', () => {
  it('finds the data endpoint with DescribeEndpoint and caches it in the profile', async () => {
    const e = { ...env };
    const r = await runCli(['pub', 'things/pi01/discovered', 'x', '--cert', path.join(device, 'certificate.pem'), '--key', path.join(device, 'private.key'), '--client-id', 'pi01'], { env: e });
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(path.join(e.IOTCTL_CONFIG_DIR!, 'config.json'), 'utf8')) as { profiles: Record<string, Record<string, string>> };
    expect(config.profiles.default?.['data-endpoint']).toBe('127.0.0.1');
  });

  it('SigV4 over WebSockets with the profile\'s keys', async () => {
    const topic = `wss/${process.pid}`;
    const ws = ['--auth', 'sigv4', '--endpoint', '127.0.0.1'];
    const pub = await runCli(['pub', topic, 'signed', '--retain', ...ws], { env });
    expect(pub.code, pub.stderr).toBe(0);
    const sub = await runCli(['sub', topic, '--count', '1', '--timeout', '5s', ...ws], { env });
    expect(sub.code, sub.stderr).toBe(0);
    expect(records(sub.stdout)[0]).toMatchObject({ topic, payload: 'signed', retain: true });
  });

  it('SigV4 asks for credentials at every connection, so rotated or expiring credentials are picked up', async () => {
    const { connectSession } = await import('../../src/mqtt/session.js');
    const good = local.emulator.credentials;
    let calls = 0;
    const spec = {
      endpoint: '127.0.0.1',
      port: local.emulator.endpoints.ws.port,
      auth: 'sigv4' as const,
      mqtt: 3 as const,
      clientId: 'credentials-test',
      caFile: local.emulator.endpoints.caFile,
      region: local.emulator.endpoints.region,
      connectTimeoutMs: 5000,
      credentials: async () => (++calls === 1 ? good : { ...good, secretAccessKey: 'rotated-away' }),
    };
    const first = await connectSession(spec);
    await first.disconnect();
    expect(calls).toBe(1);
    await expect(connectSession(spec)).rejects.toMatchObject({ code: 'WEBSOCKET_REFUSED', exitCode: 3 });
    expect(calls).toBe(2);
  });

  it('SigV4 with wrong keys: the WebSocket upgrade is refused (exit 3)', async () => {
    const r = await runCli(['pub', 't', 'x', '--auth', 'sigv4', '--endpoint', '127.0.0.1'], { env: { ...env, IOTCTL_SECRET_ACCESS_KEY: 'wrong' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused the WebSocket upgrade/);
  });
});

describe('streams and follow', () => {
  it('pub --lines at QoS 1: every line acknowledged', async () => {
    const input = Array.from({ length: 1000 }, (_, i) => `{"n": ${i}}`).join('\n');
    const r = await runCli(['--json', 'pub', 'things/pi01/lines', '--lines', '--device', device], { env, stdin: input });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ published: 1000, acknowledged: 1000, unacknowledged: 0 });
  });

  it('pub --lines at QoS 0: flushed through UNSUBSCRIBE round trips, all received', async () => {
    const sub = background(['sub', 'things/pi01/q0', '--count', '3000', '--auth', 'sigv4', '--endpoint', '127.0.0.1']);
    await sub.subscribed();
    const input = Array.from({ length: 3000 }, (_, i) => `m${i}`).join('\n');
    const r = await runCli(['--json', 'pub', 'things/pi01/q0', '--lines', '--qos', '0', '--device', device], { env, stdin: input });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ published: 3000, acknowledged: 3000 });
    const got = await sub.done;
    expect(got.code, got.stderr).toBe(0);
    expect(records(got.stdout)).toHaveLength(3000);
  });

  it('pub --lines --line-format json: each line names its topic; a line that is not JSON stops the run (exit 2)', async () => {
    const sub = background(['sub', 'things/pi01/#', '--count', '2', '--auth', 'sigv4', '--endpoint', '127.0.0.1', '--format', 'template', '--template', '{{topic}} {{payload}}']);
    await sub.subscribed();
    const input = '{"topic": "things/pi01/a", "payload": "one"}\n{"topic": "things/pi01/b", "payload": {"t": 2}}\n';
    const r = await runCli(['--json', 'pub', '--lines', '--line-format', 'json', '--device', device], { env, stdin: input });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ published: 2, acknowledged: 2 });
    expect((await sub.done).stdout.trim().split('\n')).toEqual(['things/pi01/a one', 'things/pi01/b {"t":2}']);
    const bad = await runCli(['pub', '--lines', '--line-format', 'json', '--device', device], { env, stdin: '{"topic": "things/pi01/a", "payload": 1}\nnot json\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: Line 2 of the input: not JSON \(.*\)\. 1 message published before that was acknowledged\./);
  });

  it('tail follows until Ctrl-C: it prints each message published while it runs, and exits 130', async () => {
    const tail = background(['tail', 'things/pi01/#', '--device', device, '--json']);
    await tail.subscribed();
    for (const [n, payload] of ['first', 'second'].entries()) {
      expect((await runCli(['pub', '--device', device, `things/pi01/t${n}`, payload], { env })).code).toBe(0);
      await tail.printed(n + 1);
    }
    tail.signal('SIGINT');
    const r = await tail.done;
    expect(r.code).toBe(130);
    expect(records(r.stdout).map((m) => [m.topic, m.payload])).toEqual([
      ['things/pi01/t0', 'first'],
      ['things/pi01/t1', 'second'],
    ]);
    expect(r.stderr).toMatch(/subscribed to things\/pi01\/#/);
  });
});

describe('a local IoT Core that closes the connection on a denied SUBSCRIBE (as AWS has been seen to do)', () => {
  let closing: LocalIot;
  let folder: string;
  beforeAll(async () => {
    closing = await startLocalIot({ subscribeDenied: 'close' });
    folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-device-')), 'pi02');
    expect((await runCli(['provision', 'pi02', '--yes', '--out-dir', folder], { env: closing.env })).code).toBe(0);
  });
  afterAll(async () => {
    await closing?.close();
  });

  it('says iot:Subscribe on that filter was denied', async () => {
    const r = await runCli(['sub', 'things/pi02/#', 'secret/#', '--device', folder, '--mqtt', '3'], { env: closing.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: The server closed the connection in answer to SUBSCRIBE to "secret\/#" instead of acknowledging it: on MQTT 3\.1\.1 that is how AWS IoT refuses it, so iot:Subscribe on "secret\/#" for client id "pi02-sub-[0-9a-f]{4}" was denied\./);
    expect((await runCli(policyTestArgv(r.stderr), { env: closing.env })).code).toBe(3);
  });
});
