/**
 * Whole, plain PUBLISH frames read straight from a received chunk. aedes's
 * parser (mqtt-packet) copies every chunk into a buffer list and walks each
 * packet through four states with a debug call at every step: for a stream of
 * 100-byte messages, the parsing cost more than routing them. Only frames
 * that hold nothing to check are read here (QoS 0 or 1, the whole frame in
 * the chunk, for MQTT 5 no properties); at the first other one (or a broken
 * one) this stops, and mqtt-packet reads the rest. The packets are the ones
 * mqtt-packet emits (test/unit/broker-publish-decoding.test.ts compares).
 */

/** A PUBLISH as mqtt-packet's parser emits it (same fields, same order). */
export interface DecodedPublish {
  cmd: 'publish';
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string;
  payload: Buffer;
  messageId?: number;
}

/** Where reading stopped: `at` is the first byte not read; `partial` when that is a plain frame that is not all there yet. */
export interface DecodeStop {
  at: number;
  partial: boolean;
}

/**
 * Reads plain PUBLISH frames from `chunk` starting at `from`, handing each to
 * `emit` in order, and says where it stopped.
 */
export function decodePlainPublishes(chunk: Buffer, from: number, mqtt5: boolean, emit: (packet: DecodedPublish) => void): DecodeStop {
  let at = from;
  const end = chunk.length;
  while (at < end) {
    const first = chunk[at]!;
    const qos = (first >> 1) & 3;
    if (first >> 4 !== 3 || qos > 1) return { at, partial: false };
    // Remaining Length: up to four bytes, seven bits each.
    let length = 0;
    let multiplier = 1;
    let p = at + 1;
    for (;;) {
      if (p >= end) return { at, partial: true };
      const byte = chunk[p++]!;
      length += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) break;
      multiplier *= 128;
      if (p - at > 4) return { at, partial: false };
    }
    const frameEnd = p + length;
    if (frameEnd > end) return { at, partial: true };
    if (length < 2) return { at, partial: false };
    const topicLength = (chunk[p]! << 8) | chunk[p + 1]!;
    let q = p + 2 + topicLength;
    if (q + (qos > 0 ? 2 : 0) + (mqtt5 ? 1 : 0) > frameEnd) return { at, partial: false };
    const topic = chunk.toString('utf8', p + 2, q);
    let messageId: number | undefined;
    if (qos > 0) {
      messageId = (chunk[q]! << 8) | chunk[q + 1]!;
      q += 2;
    }
    // MQTT 5: a Property Length of 0 (one byte); any property is mqtt-packet's to read.
    if (mqtt5 && chunk[q++] !== 0) return { at, partial: false };
    const packet: DecodedPublish = { cmd: 'publish', retain: (first & 1) !== 0, qos, dup: (first & 8) !== 0, length, topic, payload: chunk.subarray(q, frameEnd) };
    if (messageId !== undefined) packet.messageId = messageId;
    at = frameEnd;
    emit(packet);
  }
  return { at, partial: false };
}
