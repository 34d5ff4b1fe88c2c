/**
 * Hand-written MQTT 3.1.1 frames and a raw mutual-TLS connection, for tests
 * that send what no well-behaved client library would (huge declared
 * lengths, packets that never finish, readers that never read).
 */
import tls from 'node:tls';
import type { Device } from './broker.js';

/** MQTT's variable byte integer (the remaining length). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

/** A fixed header: type (1-15), flags, declared remaining length. */
export const fixedHeader = (type: number, flags: number, length: number) => Buffer.concat([Buffer.from([(type << 4) | flags]), varint(length)]);

export function connectFrame(clientId: string, options: { clean?: boolean; keepalive?: number } = {}): Buffer {
  const flags = options.clean === false ? 0x00 : 0x02;
  const keepalive = options.keepalive ?? 60;
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff]), str(clientId)]);
  return Buffer.concat([fixedHeader(1, 0, body.length), body]);
}

export function subscribeFrame(packetId: number, filter: string, qos = 0): Buffer {
  const body = Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), str(filter), Buffer.from([qos])]);
  return Buffer.concat([fixedHeader(8, 2, body.length), body]);
}

/** The start of a QoS 0 PUBLISH whose header declares `payloadBytes` of payload (send the payload, or not, yourself). */
export function publishStart(topic: string, payloadBytes: number): Buffer {
  const t = str(topic);
  return Buffer.concat([fixedHeader(3, 0, t.length + payloadBytes), t]);
}

export interface RawMqtt {
  socket: tls.TLSSocket;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  /** Everything received so far. */
  received(): Buffer;
}

/**
 * A mutual-TLS connection with a device certificate, after CONNECT and its
 * CONNACK (return code 0), and SUBSCRIBE and its SUBACK when `subscribe` is
 * given. With `read: false` it then stops reading, and the kernel's buffers fill up.
 */
export async function rawMqtt(
  port: number,
  ca: Buffer,
  device: Pick<Device, 'cert' | 'key'>,
  clientId: string,
  options: { clean?: boolean; read?: boolean; subscribe?: { filter: string; qos: number } } = {},
): Promise<RawMqtt> {
  const socket = tls.connect({ port, host: '127.0.0.1', ca, cert: device.cert, key: device.key, servername: 'localhost' });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let received = Buffer.alloc(0);
  /** Sends `frame` and resolves with the first `size` bytes of the answer, whose first byte must be `type`. */
  const exchange = (frame: Buffer | undefined, type: number, size: number) =>
    new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (received.length < size) return;
        socket.off('data', onData);
        const answer = received.subarray(0, size);
        received = received.subarray(size);
        if (answer[0] !== type || (type === 0x20 && answer[3] !== 0)) reject(new Error(`unexpected answer: ${answer.toString('hex')}`));
        else resolve();
      };
      socket.on('data', onData);
      if (frame) socket.write(frame);
      void closed.then(() => reject(new Error('closed before the answer')));
    });
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  await exchange(connectFrame(clientId, { clean: options.clean }), 0x20, 4);
  if (options.subscribe) await exchange(subscribeFrame(1, options.subscribe.filter, options.subscribe.qos), 0x90, 5);
  if (options.read === false) socket.pause();
  else socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  return { socket, closed, received: () => received };
}

/** Resolves with 'closed', or with `otherwise` after `ms`. */
export function closedWithin(closed: Promise<void>, ms: number, otherwise = `still open after ${ms} ms`): Promise<string> {
  let timer: NodeJS.Timeout;
  return Promise.race([closed.then(() => 'closed'), new Promise<string>((r) => (timer = setTimeout(() => r(otherwise), ms)))]).finally(() => clearTimeout(timer));
}
