/**
 * `iotctl pub --http` and `iotctl retained get|list` against the local IoT
 * Core's HTTPS data plane, as a user runs them: device folders from
 * `iotctl provision`, SigV4 with the local profile's key, Cognito guests and
 * signed-in users; exit codes and stdout/stderr checked on spawned processes
 * where the process is the point (pipes, --lines, exit codes).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, runCli, spawnCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
let env: NodeJS.ProcessEnv;
let dir: string;
/** Provisioned with the default device template: its policy names topics by thing name. */
let pi01: string;
/** Provisioned with the http-device template: its policy names topics by certificate common name. */
let pi02: string;

const cli = (argv: string[], stdin?: string) => runCli(argv, { env, stdin });

/** An MQTT subscriber with a device folder's certificate, subscribed before it resolves. */
async function subscriber(folder: string, filter: string): Promise<{ client: MqttClient; messages: { topic: string; payload: string; retain: boolean }[]; next(): Promise<void> }> {
  const manifest = JSON.parse(readFileSync(path.join(folder, 'device.json'), 'utf8')) as { clientId: string; port: number };
  const client = await mqtt.connectAsync({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: manifest.port,
    ca: readFileSync(path.join(folder, 'root-ca.pem')),
    cert: readFileSync(path.join(folder, 'certificate.pem')),
    key: readFileSync(path.join(folder, 'private.key')),
    clientId: `${manifest.clientId}-watch`,
    reconnectPeriod: 0,
  });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  const waiters: (() => void)[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain });
    waiters.shift()?.();
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages, next: () => new Promise((resolve) => waiters.push(resolve)) };
}

interface Relay {
  port: number;
  /** Connections clients opened through it. */
  connections(): number;
  /** Resolves when the next relayed connection closes (either side may close an idle one). */
  connectionClosed(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP relay in front of the HTTPS port that counts the connections clients open through it. */
async function countingRelay(targetPort: number): Promise<Relay> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const closed: (() => void)[] = [];
  const server = net.createServer((inbound) => {
    count++;
    const outbound = net.connect(targetPort, '127.0.0.1');
    inbound.once('close', () => closed.shift()?.());
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    connectionClosed: () => new Promise((resolve) => closed.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  local = await startLocalIot();
  env = local.env;
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-http-'));
  pi01 = path.join(dir, 'pi01');
  pi02 = path.join(dir, 'pi02');
  for (const [name, folder, extra] of [
    ['pi01', pi01, []],
    ['pi02', pi02, ['--template', 'http-device']],
  ] as const) {
    const r = await cli(['provision', name, '--yes', '--out-dir', folder, ...extra]);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(async () => local?.close());

describe('iotctl pub --http', () => {
  it('publishes with a device folder (mutual TLS); an MQTT subscriber receives it', async () => {
    const sub = await subscriber(pi02, 'things/pi02/#');
    const arrived = sub.next();
    const r = await cli(['pub', '--http', '--device', pi02, 'things/pi02/temp', '{"t": 21.5}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ topic: 'things/pi02/temp', qos: 1, published: 1, acknowledged: 1, unacknowledged: 0 });
    await arrived;
    expect(sub.messages).toEqual([{ topic: 'things/pi02/temp', payload: '{"t": 21.5}', retain: false }]);
    await sub.client.endAsync();
  });

  it('every payload source of pub: --file, --stdin, --repeat with a template, at QoS 0 and 1', async () => {
    const sub = await subscriber(pi02, 'things/pi02/src/#');
    const file = path.join(dir, 'reading.json');
    writeFileSync(file, '{"from": "file"}');
    const runs: [string[], string | undefined][] = [
      [['--file', file, 'things/pi02/src/file'], undefined],
      [['--stdin', '--qos', '0', 'things/pi02/src/stdin'], 'from stdin'],
      [['--repeat', '2', 'things/pi02/src/repeat', 'n={{seq}}'], undefined],
    ];
    for (const [argv, stdin] of runs) {
      const r = await cli(['pub', '--http', '--device', pi02, ...argv], stdin);
      expect(r.code, r.stderr).toBe(0);
    }
    while (sub.messages.length < 4) await sub.next();
    expect(sub.messages.map((m) => [m.topic, m.payload])).toEqual([
      ['things/pi02/src/file', '{"from": "file"}'],
      ['things/pi02/src/stdin', 'from stdin'],
      ['things/pi02/src/repeat', 'n=1'],
      ['things/pi02/src/repeat', 'n=2'],
    ]);
    await sub.client.endAsync();
  });

  it('a denied topic exits 3 with the server\'s reason; a device policy keyed on its thing name is denied over HTTPS, with the way out', async () => {
    const other = await cli(['pub', '--http', '--device', pi02, 'things/pi01/temp', 'x']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/^error: Publish to "things\/pi01\/temp" failed: HTTP 403 ForbiddenException: Forbidden: no statement of the certificate's policies \(iotctl-http-device\) allows it\./m);
    expect(other.stderr).toMatch(/^hint: check the policy with: iotctl policy test --device .*pi02 --action iot:Publish --resource things\/pi01\/temp$/m);

    const byThing = await cli(['pub', '--http', '--device', pi01, 'things/pi01/temp', 'x']);
    expect(byThing.code).toBe(3);
    expect(byThing.stderr).toMatch(/over HTTPS a request has no client id and no thing/);
    expect(byThing.stderr).toMatch(/^hint: .*the http-device template: iotctl provision <thing> --template http-device/m);
  });

  it('--retain keeps a message that retained get prints and retained list shows; an empty retained message clears it', async () => {
    expect((await cli(['pub', '--http', '--auth', 'sigv4', '--retain', 'config/lamp', '{"interval": 60}'])).code).toBe(0);
    const get = await cli(['retained', 'get', '--auth', 'sigv4', 'config/lamp']);
    expect(get).toMatchObject({ code: 0, stdout: '{"interval": 60}\n' });
    const json = await cli(['--json', 'retained', 'get', '--auth', 'sigv4', 'config/lamp']);
    expect(JSON.parse(json.stdout)).toMatchObject({ topic: 'config/lamp', qos: 1, payload: { interval: 60 }, encoding: 'json' });
    const list = await cli(['--json', 'retained', 'list', '--auth', 'sigv4']);
    expect(JSON.parse(list.stdout).retainedTopics).toContainEqual(expect.objectContaining({ topic: 'config/lamp', payloadSize: 16, qos: 1 }));

    expect((await cli(['pub', '--http', '--auth', 'sigv4', '--retain', 'config/lamp', ''])).code).toBe(0);
    const gone = await cli(['retained', 'get', '--auth', 'sigv4', 'config/lamp']);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/HTTP 404 ResourceNotFoundException/);
  });

  it('MQTT 5 properties travel as the HTTP API\'s headers and query (no --mqtt 5 needed)', async () => {
    const r = await cli(['pub', '--http', '--auth', 'sigv4', 'props/a', 'x', '--user-property', 'source=cli', '--content-type', 'application/json', '--correlation-data', 'c1', '--message-expiry', '60s']);
    expect(r.code, r.stderr).toBe(0);
    const mqtt3 = await cli(['pub', '--auth', 'sigv4', 'props/a', 'x', '--user-property', 'source=cli', '--mqtt', '3']);
    expect(mqtt3.code).toBe(2);
    expect(mqtt3.stderr).toMatch(/hint: leave out --mqtt 3 \(MQTT 5 is the default\), or use --http/);
  });

  it.each([
    [['--client-id', 'x'], /--client-id does not apply to --http/],
    [['--mqtt', '5'], /--mqtt does not apply to --http/],
  ])('%j is a usage error', async (extra, message) => {
    const r = await cli(['pub', '--http', '--auth', 'sigv4', 'a/b', 'x', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('Cognito: a guest is denied what its role does not allow; a signed-in user is denied until an IoT policy is attached to its identity', async () => {
    const pool = await cli(['--json', 'cognito', 'pool', 'create', 'http-app', '--allow-unauthenticated']);
    expect(pool.code, pool.stderr).toBe(0);
    const poolId = (JSON.parse(pool.stdout) as { identityPoolId: string }).identityPoolId;
    const cognito = (...extra: string[]) => ['--auth', 'cognito', '--identity-pool-id', poolId, ...extra];

    const guest = await cli(['pub', '--http', 'public/news', 'hi', ...cognito()]);
    expect(guest.code).toBe(3);
    expect(guest.stderr).toMatch(/HTTP 403 ForbiddenException: Forbidden: .*role/);

    const who = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, '--login', 'local=erin']);
    const identity = (JSON.parse(who.stdout) as { identityId: string }).identityId;
    const before = await cli(['pub', '--http', `users/${identity}/hello`, 'hi', ...cognito('--login', 'local=erin')]);
    expect(before.code).toBe(3);
    expect(before.stderr).toMatch(/HTTP 403 ForbiddenException/);
    expect((await cli(['cognito', 'register', '--identity-id', identity])).code).toBe(0);
    const after = await cli(['pub', '--http', `users/${identity}/hello`, 'hi', ...cognito('--login', 'local=erin')]);
    expect(after.code, after.stderr).toBe(0);
  });
});

describe('as a process', () => {
  it('--lines sends every line over one kept-alive connection, in order', async () => {
    const relay = await countingRelay(local.emulator.endpoints.https.port);
    const sub = await subscriber(pi02, 'things/pi02/seq');
    const lines = Array.from({ length: 50 }, (_, i) => `${i + 1}`);
    let all!: () => void;
    const done = new Promise<void>((resolve) => (all = resolve));
    sub.client.on('message', () => sub.messages.length === lines.length && all());
    const r = await spawnCli(['pub', '--http', '--device', pi02, '--port', String(relay.port), '--lines', 'things/pi02/seq', '--json'], { env, stdin: lines.join('\n') + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ published: 50, acknowledged: 50 });
    await done;
    expect(sub.messages.map((m) => m.payload)).toEqual(lines);
    expect(relay.connections()).toBe(1);
    await sub.client.endAsync();
    await relay.close();
  });

  it('--lines carries on when the idle kept-alive connection is closed during a pause in the input', async () => {
    const quick = await startLocalIot({ limits: { keepAliveTimeoutMs: 300 } });
    const relay = await countingRelay(quick.emulator.endpoints.https.port);
    const child = spawn(process.execPath, [BIN, 'pub', '--http', '--auth', 'sigv4', '--port', String(relay.port), '--lines', 'pause/seq', '--json'], { env: quick.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const idleClose = relay.connectionClosed();
    child.stdin.write('1\n');
    await idleClose;
    child.stdin.end('2\n');
    expect(await exited, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ published: 2, acknowledged: 2 });
    expect(relay.connections()).toBe(2);
    await relay.close();
    await quick.close();
  });

  it.each<[string, string[], string | undefined, number, RegExp]>([
    ['a denied publish exits 3', ['pub', '--http', '--device', '<pi02>', 'things/other/x', 'x'], undefined, 3, /HTTP 403 ForbiddenException/],
    ['an oversize message exits 2 before connecting (nothing listens on port 9)', ['pub', '--http', '--device', '<pi02>', '--port', '9', '--stdin', 'things/pi02/big'], 'a'.repeat(128 * 1024 + 1), 2, /AWS IoT accepts messages of at most 131072 bytes/],
    ['nothing listening exits 5', ['pub', '--http', '--device', '<pi02>', '--port', '9', 'things/pi02/x', 'x'], undefined, 5, /Connection refused by 127\.0\.0\.1:9\./],
    ['no retained message exits 4', ['retained', 'get', '--auth', 'sigv4', 'nothing/here'], undefined, 4, /HTTP 404 ResourceNotFoundException/],
  ])('%s', async (_name, argv, stdin, code, stderr) => {
    const r = await spawnCli(argv.map((a) => (a === '<pi02>' ? pi02 : a)), { env, stdin, timeoutMs: 20_000 });
    expect(r.stderr).toMatch(stderr);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });
});
