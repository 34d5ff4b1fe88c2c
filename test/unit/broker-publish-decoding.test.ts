import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readPlainPublishes, type Client } from '../../src/emulator/broker/engine.js';

/** mqtt-packet as aedes loads it: the parser whose packets ours must equal. */
const mqttPacket = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as {
  parser(settings: object): EventEmitter & { parse(chunk: Buffer): number };
  generate(packet: object, opts: object): Buffer;
};

/** What a parser emits for `chunks`: packets and errors, in order. */
function run(chunks: Buffer[], protocolVersion: number, fast: boolean): unknown[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const seen: unknown[] = [];
  // Payloads as hex: the same comparison, without walking Buffers byte by byte in the matcher.
  parser.on('packet', (p: { payload?: unknown }) => seen.push({ ...p, payload: Buffer.isBuffer(p.payload) ? p.payload.toString('hex') : p.payload }));
  parser.on('error', (e: Error) => seen.push({ error: e.message }));
  if (fast) expect(readPlainPublishes({ _parser: parser } as unknown as Client)).toBe(true);
  for (const c of chunks) parser.parse(c);
  return seen;
}

const frame = (packet: object, protocolVersion: number) => mqttPacket.generate(packet, { protocolVersion });

function stream(protocolVersion: number): Buffer {
  const frames: Buffer[] = [];
  const publish = (topic: string, payload: Buffer, extra: object = {}) => frames.push(frame({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false, ...extra }, protocolVersion));
  publish('a', Buffer.from('x'));
  publish('bench/line', Buffer.alloc(100, 0x78));
  publish('dévice/°C', Buffer.from('21.5'), { qos: 1, messageId: 7 });
  publish('r', Buffer.alloc(0), { retain: true, dup: true, qos: 1, messageId: 65535 });
  publish('big', Buffer.alloc(5000, 1)); // more than the 4 KiB of a cut frame kept between chunks
  frames.push(frame({ cmd: 'puback', messageId: 3 }, protocolVersion));
  publish('q2', Buffer.from('two'), { qos: 2, messageId: 9 });
  publish('after', Buffer.from('y'));
  frames.push(frame({ cmd: 'pingreq' }, protocolVersion));
  if (protocolVersion === 5) publish('props', Buffer.from('p'), { properties: { contentType: 'text/plain', userProperties: { k: 'v' } } });
  publish('last', Buffer.alloc(300, 2));
  return Buffer.concat(frames);
}

describe('readPlainPublishes', () => {
  for (const protocolVersion of [4, 5]) {
    const bytes = stream(protocolVersion);
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: the same packets as mqtt-packet alone, in the same order, whole or cut anywhere`, () => {
      const expected = run([bytes], protocolVersion, false);
      expect(expected.length).toBe(protocolVersion === 5 ? 11 : 10);
      expect(run([bytes], protocolVersion, true)).toEqual(expected);
      for (const size of [1, 3, 7, 64, 1000, 4097, 16_384]) {
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        expect(run(chunks, protocolVersion, true), `chunks of ${size}`).toEqual(expected);
      }
      // One cut at every position of the first 400 bytes.
      for (let cut = 1; cut < 400; cut++) expect(run([bytes.subarray(0, cut), bytes.subarray(cut)], protocolVersion, true), `cut at ${cut}`).toEqual(expected);
    });
  }

  it('leaves broken frames to mqtt-packet, which reports them as before', () => {
    const good = frame({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0 }, 4);
    const brokenTopic = Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61]); // topic longer than the packet
    const qos3 = Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]); // both QoS bits set, otherwise well formed
    for (const broken of [brokenTopic, qos3]) {
      const bytes = Buffer.concat([good, broken, good]);
      expect(run([bytes], 4, true)).toEqual(run([bytes], 4, false));
    }
  });
});
