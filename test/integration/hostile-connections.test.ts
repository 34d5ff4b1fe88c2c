/**
 * Hostile clients against a spawned `iotctl local start`: sockets that never
 * start (or finish) TLS, WebSocket upgrades that never finish, and a flood of
 * connections that never authenticate. The process keeps a bounded number of
 * file descriptors and keeps serving.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListThingsCommand } from '@aws-sdk/client-iot';
import mqtt from 'mqtt';
import { ALLOW_ALL_MQTT, connected, createDevice, end, unique } from '../helpers/broker.js';
import { spawnLocal, until, type SpawnedLocal } from '../helpers/spawned-local.js';

let local: SpawnedLocal;
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
});
afterAll(() => local?.stop());

/** Opens a TCP connection that sends nothing; resolves once it is connected, with a promise of its close. */
function idleSocket(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('close', () => reject(new Error('closed before it connected')));
  });
}

async function stillServing(): Promise<void> {
  const out = await local.iot.send(new ListThingsCommand({ maxResults: 1 }));
  expect(out.$metadata.httpStatusCode).toBe(200);
}

describe('connection hygiene', () => {
  it('sockets that never start TLS are closed after 10 s on the MQTT, WebSocket and HTTPS ports, and their file descriptors come back', { timeout: 40_000 }, async () => {
    const baseline = local.fds();
    const ports = [local.mqttPort, local.wsPort, local.httpsPort];
    const idle = await Promise.all(ports.flatMap((port) => Array.from({ length: 300 }, () => idleSocket(port))));
    await until(() => local.fds() >= baseline + 900, 'the server to hold the 900 sockets');
    await stillServing();

    const closedAll = Promise.all(idle.map((s) => s.closed));
    await expect(Promise.race([closedAll.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 25 s'), 25_000))])).resolves.toBe('closed');
    await until(() => local.fds() <= baseline + 5, 'the file descriptors to be released');
    await local.stderrLine(/AUTH FAILED \(127\.0\.0\.1, mqtts\): the client did not finish the TLS handshake within 10 s → connection closed/);
    await local.stderrLine(/AUTH FAILED \(127\.0\.0\.1, wss\): the client did not finish the TLS handshake within 10 s → connection closed/);
    await local.stderrLine(/AUTH FAILED \(127\.0\.0\.1, https\): the client did not finish the TLS handshake within 10 s → connection closed/);
    await stillServing();
  });

  it('a WebSocket upgrade whose headers never finish is closed within 10 s of the handshake', { timeout: 30_000 }, async () => {
    const socket = tls.connect({ port: local.wsPort, host: '127.0.0.1', ca: local.ca, servername: 'localhost' });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => (received += d));
    const outcome = await Promise.race([
      new Promise<string>((r) => socket.once('close', () => r('closed'))),
      new Promise<string>((r) => setTimeout(() => r('still open after 20 s'), 20_000)),
    ]);
    socket.destroy();
    expect(outcome).toBe('closed');
    // The HTTP layer answers 408 when it notices first; otherwise the socket just closes.
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('past 1,000 connections waiting to authenticate on a port, more are closed at once; devices connect again once they are gone', { timeout: 40_000 }, async () => {
    const device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
    const waiting = await Promise.all(Array.from({ length: 1000 }, () => idleSocket(local.mqttPort)));
    await until(() => local.fds() >= 1000, 'the server to hold the 1,000 sockets');

    const extra = await Promise.all(Array.from({ length: 20 }, () => idleSocket(local.mqttPort)));
    const extraClosed = await Promise.race([Promise.all(extra.map((s) => s.closed)).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    expect(extraClosed).toBe(true);
    await local.stderrLine(/REFUSED .*1000 connections to the MQTT port are already waiting to authenticate.*connection closed at once/);
    await stillServing();

    for (const w of waiting) w.socket.destroy();
    await Promise.all(waiting.map((w) => w.closed));
    const client = await connected(
      mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, clientId: unique('dev'), reconnectPeriod: 0 }),
    );
    await end(client);
  });
});
