import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodePublish, plainPublishSize, writePlainPublish, type PublishFields } from '../../src/emulator/broker/publish-encoding.js';

/** mqtt-packet as aedes loads it: the encoder whose bytes ours must equal. */
const mqttPacket = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as { generate(packet: object, opts: object): Buffer };
const reference = (packet: PublishFields, protocolVersion: number) => mqttPacket.generate({ cmd: 'publish', ...packet }, { protocolVersion });

describe('encodePublish', () => {
  const topics = ['a', 'bench/line', 'dévice/temp/°C', '$aws/things/lamp/shadow/update', 't'.repeat(300)];
  // Remaining lengths across the one-, two-, three- and four-byte encodings.
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(100, 0x78), Buffer.alloc(127), Buffer.alloc(16_380), Buffer.alloc(16_384), Buffer.alloc(2_097_152)];

  it('writes what mqtt-packet writes, on MQTT 3.1.1 and 5, for every QoS and flag', () => {
    let compared = 0;
    for (const protocolVersion of [3, 4, 5])
      for (const topic of topics)
        for (const payload of payloads)
          for (const qos of [0, 1, 2])
            for (const flags of [{}, { dup: true }, { retain: true }, { dup: true, retain: true }]) {
              const packet = { topic, payload, qos, ...flags, ...(qos > 0 ? { messageId: 0x1234 + qos } : {}) };
              expect(encodePublish(packet, protocolVersion)?.equals(reference(packet, protocolVersion)), JSON.stringify({ protocolVersion, topic, length: payload.length, qos, flags })).toBe(true);
              compared++;
            }
    expect(compared).toBe(3 * topics.length * payloads.length * 3 * 4);
  });

  it('writes several packets one after the other into one buffer sized by plainPublishSize', () => {
    const packets = [
      { topic: 'a', payload: Buffer.from('one') },
      { topic: 'dévice/b', payload: Buffer.alloc(200, 1), qos: 1, messageId: 9 },
      { topic: 'c', payload: Buffer.alloc(0), retain: true },
    ];
    for (const version of [4, 5]) {
      const sizes = packets.map((p) => plainPublishSize(p, version)!);
      const out = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
      let at = 0;
      for (const p of packets) at = writePlainPublish(p, version, out, at);
      expect(at).toBe(out.length);
      expect(out.equals(Buffer.concat(packets.map((p) => reference(p, version))))).toBe(true);
    }
  });

  it('writes an MQTT 5 PUBLISH with an empty properties object like one without', () => {
    const packet = { topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 7, properties: {} };
    expect(encodePublish(packet, 5)?.equals(reference(packet, 5))).toBe(true);
  });

  it('leaves to mqtt-packet what it does not encode: MQTT 5 properties, string payloads, a missing or impossible packet id', () => {
    expect(encodePublish({ topic: 'a', payload: Buffer.from('x'), properties: { contentType: 'text/plain' } }, 5)).toBeUndefined();
    expect(encodePublish({ topic: 'a', payload: 'text' }, 4)).toBeUndefined();
    expect(encodePublish({ topic: 'a', payload: Buffer.from('x'), qos: 1 }, 4)).toBeUndefined();
    expect(encodePublish({ topic: 'a', payload: Buffer.from('x'), qos: 1, messageId: 70_000 }, 4)).toBeUndefined();
    expect(encodePublish({ topic: Buffer.from('a'), payload: Buffer.from('x') }, 4)).toBeUndefined();
  });

  it('keeps the MQTT 5 properties of a 3.1.1 delivery out of the bytes, as mqtt-packet does', () => {
    const packet = { topic: 'a', payload: Buffer.from('x'), properties: { contentType: 'text/plain' } };
    expect(encodePublish(packet, 4)?.equals(reference(packet, 4))).toBe(true);
  });
});
