/**
 * Packets whose fixed header declares more than AWS accepts are refused as
 * soon as the header is read, before the body is buffered: every packet type,
 * over mutual TLS and over WebSockets, against a spawned `iotctl local start`.
 */
import tls from 'node:tls';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { ALLOW_ALL_MQTT, connected, createDevice, end, nextMessage, subscribe, unique, type Device } from '../helpers/broker.js';
import { closedWithin, connectFrame, fixedHeader, publishStart, rawMqtt } from '../helpers/raw-mqtt.js';
import { spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

const MB = 1024 * 1024;

let local: SpawnedLocal;
let device: Device;
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
  device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => local?.stop());

/** Writes `total` bytes of zeros as fast as the socket takes them, until done or the server hangs up. */
async function stream(socket: NodeJS.WritableStream & { destroyed: boolean }, total: number): Promise<number> {
  const chunk = Buffer.alloc(MB);
  let sent = 0;
  while (sent < total && !socket.destroyed) {
    const ok = socket.write(chunk);
    sent += chunk.length;
    if (!ok) await new Promise<void>((r) => { socket.once('drain', () => r()); (socket as unknown as NodeJS.EventEmitter).once('close', () => r()); });
  }
  return sent;
}

describe('packet size limits at the fixed header', () => {
  it('four clients announcing 100 MB PUBLISHes are cut off at the header: peak memory grows by a few MB, not hundreds', { timeout: 60_000 }, async () => {
    const before = Math.max(local.peakRss(), local.rss());
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawMqtt(local.mqttPort, local.ca, device, unique('big'))));
    await Promise.all(
      clients.map(async (c) => {
        c.socket.write(publishStart('big/payload', 100 * MB));
        void stream(c.socket, 100 * MB);
        expect(await closedWithin(c.closed, 10_000)).toBe('closed');
      }),
    );
    const grown = local.peakRss() - before;
    expect(grown).toBeLessThan(12 * MB);
    await local.stderrLine(/REFUSED \(client big-.*\): the PUBLISH packet declares 1048576\d\d bytes; AWS IoT accepts at most 149504 bytes per packet .* → connection closed as soon as the header was read/);
  });

  it('every packet type is checked: a header declaring 100 MB closes the connection without waiting for the body', { timeout: 30_000 }, async () => {
    // CONNECT as the first packet: the TLS handshake authenticated the device; MQTT had not started.
    const first = tls.connect({ port: local.mqttPort, host: '127.0.0.1', ca: local.ca, cert: device.cert, key: device.key, servername: 'localhost' });
    first.on('error', () => {});
    const firstClosed = new Promise<void>((r) => first.once('close', () => r()));
    first.once('secureConnect', () => first.write(Buffer.concat([fixedHeader(1, 0, 100 * MB), connectFrame('x').subarray(2, 40)])));
    expect(await closedWithin(firstClosed, 5000)).toBe('closed');

    // After CONNECT: SUBSCRIBE, UNSUBSCRIBE, PINGREQ, PUBACK, DISCONNECT and the reserved types 0 and 15.
    for (const [type, flags] of [[8, 2], [10, 2], [12, 0], [4, 0], [14, 0], [0, 0], [15, 0]] as const) {
      const c = await rawMqtt(local.mqttPort, local.ca, device, unique(`type${type}`));
      c.socket.write(Buffer.concat([fixedHeader(type, flags, 100 * MB), Buffer.alloc(16)]));
      expect([type, await closedWithin(c.closed, 5000)]).toEqual([type, 'closed']);
    }
  });

  it('a PUBLISH of exactly 128 KB of payload still goes through', async () => {
    const opts = { protocol: 'mqtts' as const, host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, reconnectPeriod: 0 };
    const sub = await connected(mqtt.connect({ ...opts, clientId: unique('sub') }));
    const pub = await connected(mqtt.connect({ ...opts, clientId: unique('pub') }));
    await subscribe(sub, 'big/ok', 1);
    const message = nextMessage(sub, 'big/ok');
    await pub.publishAsync('big/ok', Buffer.alloc(128 * 1024, 0x61), { qos: 1 });
    expect((await message).payload.length).toBe(128 * 1024);
    await end(sub, pub);
  });

  it('over WebSockets too: an MQTT packet announced across WebSocket frames is refused at its header', { timeout: 30_000 }, async () => {
    const signer = new SignatureV4({ service: 'iotdevicegateway', region: local.ready.region, credentials: { accessKeyId: local.ready.accessKeyId, secretAccessKey: local.ready.secretAccessKey }, sha256: Sha256 });
    const signed = await signer.presign({ method: 'GET', protocol: 'wss:', hostname: '127.0.0.1', port: local.wsPort, path: '/mqtt', query: {}, headers: { host: `127.0.0.1:${local.wsPort}` } }, { expiresIn: 300 });
    const url = `wss://127.0.0.1:${local.wsPort}/mqtt?${new URLSearchParams(signed.query as Record<string, string>)}`;
    const ws = new WebSocket(url, 'mqtt', { ca: local.ca });
    ws.on('error', () => {});
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(connectFrame(unique('ws-big'))));
      let got = Buffer.alloc(0);
      // A packet may come in several WebSocket messages.
      ws.on('message', (data: Buffer) => {
        got = Buffer.concat([got, data]);
        if (got.length >= 4) (got[0] === 0x20 && got[3] === 0 ? resolve() : reject(new Error(`no CONNACK: ${got.toString('hex')}`)));
      });
      void closed.then(() => reject(new Error('closed before CONNACK')));
    });
    ws.send(publishStart('big/ws', 100 * MB));
    // The body follows in 64 KB frames, each well under the WebSocket frame limit.
    for (let i = 0; i < 32 && ws.readyState === WebSocket.OPEN; i++) ws.send(Buffer.alloc(64 * 1024));
    expect(await closedWithin(closed, 5000)).toBe('closed');
  });
});
