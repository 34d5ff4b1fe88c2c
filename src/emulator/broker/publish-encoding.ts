/**
 * PUBLISHes serialized in one Buffer. mqtt-packet writes a PUBLISH to the
 * socket in five or six writes (header, length, topic length, topic, packet
 * id, payload) and corks the socket with an uncork scheduled per packet: for
 * a 100-byte QoS 0 delivery, that machinery cost more than the message. The
 * common case (no MQTT 5 properties) is encoded here with one allocation and
 * written once (a turn's QoS 0 deliveries to a client, all in one buffer);
 * anything else is left to mqtt-packet. The bytes are the ones
 * mqtt-packet writes (test/unit/broker-publish-encoding.test.ts compares).
 */

export interface PublishFields {
  topic: unknown;
  payload?: unknown;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  messageId?: unknown;
  properties?: object;
}

/** The largest Remaining Length MQTT can express (four length bytes). */
const MAX_REMAINING_LENGTH = 268_435_455;
const EMPTY = Buffer.alloc(0);

function hasProperties(properties: object | undefined): boolean {
  if (properties === undefined || properties === null) return false;
  for (const _ in properties) return true;
  return false;
}

/**
 * The bytes the packet takes on `protocolVersion` (3, 4 or 5), or undefined
 * when it is not the plain case (MQTT 5 properties, a string payload, a
 * missing packet id: mqtt-packet encodes or rejects those).
 */
export function plainPublishSize(packet: PublishFields, protocolVersion: number): number | undefined {
  const { topic, qos = 0 } = packet;
  const payload = packet.payload ?? EMPTY;
  if (typeof topic !== 'string' || !Buffer.isBuffer(payload) || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  if (qos > 0 && !(typeof packet.messageId === 'number' && Number.isInteger(packet.messageId) && packet.messageId >= 0 && packet.messageId <= 0xffff)) return undefined;
  const v5 = protocolVersion === 5;
  if (v5 && hasProperties(packet.properties)) return undefined;
  const remaining = remainingLength(packet, Buffer.byteLength(topic), v5);
  if (remaining > MAX_REMAINING_LENGTH) return undefined;
  return 1 + lengthBytes(remaining) + remaining;
}

function remainingLength(packet: PublishFields, topicBytes: number, v5: boolean): number {
  return 2 + topicBytes + ((packet.qos ?? 0) > 0 ? 2 : 0) + (v5 ? 1 : 0) + ((packet.payload as Buffer | undefined) ?? EMPTY).length;
}

function lengthBytes(remaining: number): number {
  return remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
}

/** Writes a packet plainPublishSize accepted into `out` at `at`, which has room for it; returns where it ends. */
export function writePlainPublish(packet: PublishFields, protocolVersion: number, out: Buffer, at: number): number {
  const topic = packet.topic as string;
  const payload = (packet.payload as Buffer | undefined) ?? EMPTY;
  const qos = packet.qos ?? 0;
  const v5 = protocolVersion === 5;
  const topicBytes = Buffer.byteLength(topic);
  out[at++] = 0x30 | (packet.dup ? 0x08 : 0) | (qos << 1) | (packet.retain ? 0x01 : 0);
  let n = remainingLength(packet, topicBytes, v5);
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[at++] = byte;
  } while (n > 0);
  out[at++] = topicBytes >> 8;
  out[at++] = topicBytes & 0xff;
  at += out.write(topic, at, 'utf8');
  if (qos > 0) {
    const id = packet.messageId as number;
    out[at++] = (id >> 8) & 0xff;
    out[at++] = id & 0xff;
  }
  if (v5) out[at++] = 0; // no properties
  return at + payload.copy(out, at);
}

/** The packet's bytes, or undefined when it is not the plain case (see plainPublishSize). */
export function encodePublish(packet: PublishFields, protocolVersion: number): Buffer | undefined {
  const size = plainPublishSize(packet, protocolVersion);
  if (size === undefined) return undefined;
  const out = Buffer.allocUnsafe(size);
  writePlainPublish(packet, protocolVersion, out, 0);
  return out;
}
