/**
 * `iotctl pub --lines --spool` as a user sees it, with real processes: the
 * broker down at start, kill -9 of the publisher, a broker restart in the
 * middle of a stream, a full spool, a damaged spool. Every line must reach a
 * subscriber (counted distinct: at-least-once may repeat one), in order for
 * each topic. The local IoT Core runs in this process on a data directory, so
 * it can be stopped and started again on the same ports; a "gate" (a TCP
 * relay the test opens and closes) stands between a publisher and the broker
 * where the test must decide when the publisher gets through.
 * The vitest project integration-js runs this file again on the MQTT.js driver.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { encodeRecords } from '../../src/messaging/spool-record.js';
import { BIN, runCli, testEnv } from '../helpers/cli.js';

let emulator: Emulator | undefined;
let dataDir: string;
let ports: { http: number; mqtt: number; ws: number; https: number };
let env: NodeJS.ProcessEnv;
let device: string;

async function startIot(): Promise<void> {
  emulator = await createEmulator({ dataDir, ports: ports ?? { http: 0, mqtt: 0, ws: 0, https: 0 } });
  const e = emulator.endpoints;
  ports = { http: e.http.port, mqtt: e.mqtt.port, ws: e.ws.port, https: e.https.port };
  env = testEnv({
    IOTCTL_ENDPOINT_URL: e.controlPlane,
    IOTCTL_REGION: e.region,
    IOTCTL_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
    IOTCTL_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
    IOTCTL_CA_FILE: e.caFile,
    IOTCTL_MQTT_PORT: String(e.mqtt.port),
    IOTCTL_WS_PORT: String(e.ws.port),
  });
}

async function stopIot(): Promise<void> {
  await emulator?.close();
  emulator = undefined;
}

/** A TCP relay to the broker: closed, a connection is refused (the broker looks down). */
class Gate {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(ports.mqtt, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Refuses new connections; `cut` also breaks the ones through it. */
  async close(cut = false): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // close() stops listening at once; its callback waits for the relayed connections to end.
    const closed = new Promise((r) => server.close(r));
    if (cut) {
      for (const s of this.sockets) s.destroy();
      await closed;
    }
  }
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(argv: string[], hangGuardMs = 60_000): Running {
  const child = spawn(process.execPath, [BIN, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), hangGuardMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  const running = { child, stdout: () => stdout, stderr: () => stderr, done };
  watched.push(running);
  return running;
}

/** Running processes, whose stderr a timeout shows. */
const watched: Running[] = [];

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr so far:\n${watched.map((r) => r.stderr().slice(-1500)).join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `iotctl tail` on a device's topics, printing "<topic> <payload>": it reconnects across broker restarts. */
function subscriber(): Running & { lines(): string[]; subscriptions(): number } {
  const r = start(['--verbose', 'tail', 'things/pi01/#', '--qos', '1', '--auth', 'sigv4', '--endpoint', '127.0.0.1', '--format', 'template', '--template', '{{topic}} {{payload}}']);
  return { ...r, lines: () => r.stdout().split('\n').filter(Boolean), subscriptions: () => (r.stderr().match(/subscribed to/g) ?? []).length };
}

/** Distinct lines in order of first arrival, per topic. */
function firstArrivals(lines: string[]): Map<string, string[]> {
  const seen = new Set<string>();
  const byTopic = new Map<string, string[]>();
  for (const line of lines) {
    if (seen.has(line)) continue;
    seen.add(line);
    const [topic, payload] = line.split(' ');
    byTopic.set(topic!, [...(byTopic.get(topic!) ?? []), payload!]);
  }
  return byTopic;
}

const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
/** Bytes of the spool's segment files (the publisher may delete one between the listing and its stat). */
const spoolBytes = (dir: string) =>
  (existsSync(dir) ? readdirSync(dir) : []).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + (statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
const recordBytes = (entries: { topic: string; payload: string }[]) => encodeRecords(entries.map((e) => ({ topic: e.topic, payload: Buffer.from(e.payload) }))).length;
const freshSpool = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-spool-it-')), 'spool');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-spool-iot-'));
  await startIot();
  device = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-device-')), 'pi01');
  const r = await runCli(['provision', 'pi01', '--yes', '--out-dir', device], { env });
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await stopIot();
});

describe('pub --lines --spool', { timeout: 60_000 }, () => {
  it('broker down at start: lines are spooled; after kill -9 and the broker back, a run with empty stdin delivers every line in order and exits 0', async () => {
    const spool = freshSpool();
    await stopIot();
    // Two topics in one stream (tsv), and a line that is not topic<TAB>payload, last.
    const entries = numbers(1, 1000).flatMap((n) => [
      { topic: 'things/pi01/a', payload: n },
      { topic: 'things/pi01/b', payload: n },
    ]);
    const input = entries.map((e) => `${e.topic}\t${e.payload}`).join('\n') + '\nno tab here\n';
    const first = start(['pub', '--lines', '--line-format', 'tsv', '--device', device, '--spool', spool]);
    first.child.stdin.end(input);
    await until('the refused line and a refused connection', () => /line 2001 skipped: no tab/.test(first.stderr()) && /Connection refused/.test(first.stderr()));
    await until('every line on disk', () => spoolBytes(spool) === recordBytes(entries));
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    await startIot();
    const sub = subscriber();
    await until('the subscriber', () => sub.subscriptions() === 1);
    const drain = start(['--json', 'pub', '--lines', '--line-format', 'tsv', '--device', device, '--spool', spool]);
    drain.child.stdin.end();
    const exit = await drain.done;
    expect(exit.code, drain.stderr()).toBe(0);
    expect(JSON.parse(drain.stdout())).toMatchObject({ recovered: 2000, spooled: 0, acknowledged: 2000, pending: 0, dropped: 0 });
    await until('2,000 distinct lines', () => new Set(sub.lines()).size === 2000);
    sub.child.kill('SIGINT');
    await sub.done;
    const got = firstArrivals(sub.lines());
    expect(got.get('things/pi01/a')).toEqual(numbers(1, 1000));
    expect(got.get('things/pi01/b')).toEqual(numbers(1, 1000));
    expect(readdirSync(spool)).toEqual(['cursor']);
  });

  it('a broker restart in the middle of a stream: the publisher reconnects and every line arrives, in order', async () => {
    const spool = freshSpool();
    const gate = new Gate();
    await gate.open();
    const sub = subscriber();
    await until('the subscriber', () => sub.subscriptions() === 1);
    const pub = start(['--verbose', 'pub', 'things/pi01/stream', '--lines', '--device', device, '--port', String(gate.port), '--spool', spool]);
    pub.child.stdin.write(numbers(1, 500).join('\n') + '\n');
    await until('the first 500 lines', () => new Set(sub.lines()).size === 500);

    // The broker stops: every connection drops; the publisher finds the door shut until the subscriber is back.
    await gate.close();
    await stopIot();
    pub.child.stdin.write(numbers(501, 1000).join('\n') + '\n');
    await until('the publisher to notice', () => /Reconnecting in/.test(pub.stderr()));
    await startIot();
    await until('the subscriber to subscribe again', () => sub.subscriptions() === 2);
    await gate.open();
    pub.child.stdin.end();
    const exit = await pub.done;
    expect(exit.code, pub.stderr()).toBe(0);
    await until('1,000 distinct lines', () => new Set(sub.lines()).size === 1000);
    sub.child.kill('SIGINT');
    await sub.done;
    await gate.close(true);
    expect(firstArrivals(sub.lines()).get('things/pi01/stream')).toEqual(numbers(1, 1000));
  });

  it('a full spool drops the oldest lines, says so and counts them; SIGTERM keeps the rest for the next run', async () => {
    const spool = freshSpool();
    const gate = new Gate();
    await gate.open();
    await gate.close(); // the broker looks down
    const padding = 'x'.repeat(500);
    const pub = start(['--verbose', 'pub', 'things/pi01/full', '--lines', '--device', device, '--port', String(gate.port), '--spool', spool, '--spool-max', '1MB']);
    pub.child.stdin.end(numbers(1, 5000).map((n) => `${n} ${padding}`).join('\n') + '\n');
    await until('the full spool', () => /spool .* is full \(1 MB\): dropped the oldest/.test(pub.stderr()));
    await until('every line read', () => /the input ended: 5,000 lines spooled/.test(pub.stderr()));
    expect(pub.stderr()).toMatch(/dropped the oldest [\d,]+ lines \(\d,\d{3} so far\)/);
    expect(spoolBytes(spool)).toBeGreaterThan(900_000);
    pub.child.kill('SIGTERM');
    const exit = await pub.done;
    expect(exit.code).toBe(130);
    const left = Number(/interrupted: ([\d,]+) lines stay in the spool/.exec(pub.stderr())![1]!.replace(/,/g, ''));
    const dropped = Number([...pub.stderr().matchAll(/\(([\d,]+) so far\)/g)].at(-1)![1]!.replace(/,/g, ''));
    expect(left + dropped).toBe(5000);
    expect(spoolBytes(spool)).toBeLessThanOrEqual(1024 * 1024);

    const sub = subscriber();
    await until('the subscriber', () => sub.subscriptions() === 1);
    await gate.open();
    const drain = start(['--json', 'pub', 'things/pi01/full', '--lines', '--device', device, '--port', String(gate.port), '--spool', spool, '--spool-max', '1MB']);
    drain.child.stdin.end();
    expect((await drain.done).code, drain.stderr()).toBe(0);
    await until(`${left} distinct lines`, () => new Set(sub.lines()).size === left);
    sub.child.kill('SIGINT');
    await sub.done;
    await gate.close(true);
    // The newest lines, in order.
    const got = firstArrivals(sub.lines()).get('things/pi01/full')!.map(Number);
    expect(got).toEqual(numbers(dropped + 1, 5000).map(Number));
  });

  it('a torn record at the end of the spool (kill -9 in the middle of a write) is dropped with a warning; the rest is delivered', async () => {
    const spool = freshSpool();
    const gate = new Gate();
    await gate.open();
    await gate.close();
    const pub = start(['pub', 'things/pi01/torn', '--lines', '--device', device, '--port', String(gate.port), '--spool', spool, '--heartbeat', '1s', '--heartbeat-topic', 'things/pi01/status']);
    pub.child.stdin.end(numbers(1, 100).join('\n') + '\n');
    const entries = numbers(1, 100).map((n) => ({ topic: 'things/pi01/torn', payload: n }));
    await until('100 lines on disk', () => spoolBytes(spool) === recordBytes(entries));
    pub.child.kill('SIGKILL');
    await pub.done;
    const segment = path.join(spool, readdirSync(spool).find((f) => f.endsWith('.seg'))!);
    appendFileSync(segment, encodeRecords([{ topic: 'things/pi01/torn', payload: Buffer.from('half a record') }]).subarray(0, 20));

    const sub = subscriber();
    await until('the subscriber', () => sub.subscriptions() === 1);
    await gate.open();
    const drain = start(['--json', 'pub', 'things/pi01/torn', '--lines', '--device', device, '--port', String(gate.port), '--spool', spool, '--heartbeat', '1s', '--heartbeat-topic', 'things/pi01/status']);
    drain.child.stdin.end();
    expect((await drain.done).code, drain.stderr()).toBe(0);
    expect(drain.stderr()).toMatch(/warning: spool .*: 0000000000000000\.seg ends with a record cut short; dropped its last 20 B/);
    await until('100 distinct lines and a heartbeat', () => sub.lines().filter((l) => l.startsWith('things/pi01/torn ')).length >= 100 && sub.lines().some((l) => l.startsWith('things/pi01/status ')));
    sub.child.kill('SIGINT');
    await sub.done;
    await gate.close(true);
    expect(firstArrivals(sub.lines()).get('things/pi01/torn')).toEqual(numbers(1, 100));
    const beat = JSON.parse(sub.lines().find((l) => l.startsWith('things/pi01/status '))!.slice('things/pi01/status '.length)) as Record<string, unknown>;
    expect(beat).toMatchObject({ clientId: expect.stringMatching(/^pi01/), spool: { lines: expect.any(Number), bytes: expect.any(Number) }, sent: expect.any(Number), dropped: 0, uptime: expect.any(Number) });
  });
});
