/**
 * PUBLISH (and a Will when it fires): limits, iot:Publish, and
 * iot:RetainPublish for retained messages. A refusal is answered the AWS way
 * for the client's MQTT version:
 * - MQTT 3.1.1: the connection is closed;
 * - MQTT 5: PUBACK with the reason code (0x87 not authorized, 0x90 invalid
 *   topic, 0x97 payload over 128 KB) and a reason string for QoS 1; a QoS 0
 *   message is dropped; the connection stays.
 * A Will that may not be published is just not published.
 *
 * Also `publishAs`: the same path for a message another entry point (the
 * HTTPS data plane) has already checked and authorized.
 */
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { Principal } from '../authorization/principal.js';
import { ReasonCode, reasonText } from '../../core/reason-codes.js';
import type { BrokerConnection, Resources } from './connection.js';
import { refusal } from './connect.js';
import { clampMessageExpiry, mayRetain, payloadProblem, publishTopicProblem } from './limits.js';

export interface PublishDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
  /** Will messages admitted at CONNECT. */
  wills: WeakSet<object>;
  /** Persistent sessions queue a QoS 1 message (on disk) before its PUBACK. */
  sessions: { prepare(packet: { topic: string; payload: Buffer; qos: number; properties?: object }): Promise<void> };
  /** Holds an authorized PUBLISH while the router's queue is long. */
  flow?: { admit(proceed: () => void): void };
}

const CLOSED = 'connection closed';

/** Who published a message that did not arrive over MQTT (the HTTPS data plane, or a service such as the Device Shadow): for attribution only. */
export type PublisherFacts = { principal: Principal; transport: 'https'; sourceIp?: string } | { transport: 'service'; service: 'shadow' };

/** MQTT 5 PUBLISH properties, as the HTTPS data plane reads them from its headers and query. */
export interface MessageProperties {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** true: the payload is UTF-8 (UTF8_DATA). */
  payloadFormatUtf8?: boolean;
  messageExpirySeconds?: number;
  userProperties?: [name: string, value: string][];
}

/** A message for publishAs. */
export interface PublishedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  properties?: MessageProperties;
}

/** The limit a message breaks, with the MQTT 5 code that says so; undefined when it breaks none. */
export function messageProblem(message: { topic: string; payload: Buffer | string | undefined }): { reason: string; code: number } | undefined {
  const topic = publishTopicProblem(message.topic);
  if (topic) return { reason: topic, code: ReasonCode.TopicNameInvalid };
  const payload = payloadProblem(message.payload);
  if (payload) return { reason: payload, code: ReasonCode.QuotaExceeded };
  return undefined;
}

/** What AWS changes in a message it accepts: QoS 2 is QoS 1, no RETAIN on `$` topics, message expiry within 1 s..7 days. */
export function normalize(packet: { topic: string; qos: number; retain: boolean; properties?: { messageExpiryInterval?: number } }): void {
  if (packet.qos > 1) packet.qos = 1;
  if (packet.retain && !mayRetain(packet.topic)) packet.retain = false;
  const expiry = packet.properties?.messageExpiryInterval;
  if (expiry !== undefined) packet.properties!.messageExpiryInterval = clampMessageExpiry(expiry);
}

/** What a client sees when its PUBLISH (or Will) is refused with `code`. */
function refusalOutcome(c: BrokerConnection, packet: PublishPacket, isWill: boolean, code: number): string {
  if (isWill) return 'Will not published';
  if (!c.isMqtt5) return CLOSED;
  return packet.qos > 0 ? `PUBACK ${reasonText(code, 'PUBACK')}` : 'QoS 0 message dropped';
}

export function createPublishHook(deps: PublishDeps) {
  const { resources } = deps;

  /** Refuses after the reason was logged. aedes answers MQTT 5 with PUBACK 0x87; another code is put in by the outgoing rewrite (protocol.ts). */
  function refused(c: BrokerConnection, packet: PublishPacket, code: number, reason: string, done: (error?: Error | null) => void): void {
    if (c.isMqtt5 && packet.qos > 0 && code !== ReasonCode.NotAuthorized && packet.messageId !== undefined) c.pubackCodes.set(packet.messageId, code);
    done(refusal(reason));
  }

  /** Whether `action` is allowed; a denial is logged and refused. Only a denial builds its texts: this runs for every message. */
  function allowed(c: BrokerConnection, packet: PublishPacket, isWill: boolean, action: string, topic: string, done: (error?: Error | null) => void): boolean {
    if (c.authority.allowed(action, topic)) return true;
    c.check(action, topic, refusalOutcome(c, packet, isWill, ReasonCode.NotAuthorized));
    refused(c, packet, ReasonCode.NotAuthorized, c.whyDenied(action, topic), done);
    return false;
  }

  return function authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const c = client ? deps.connectionOf(client) : undefined;
    if (!c || !client) return done(refusal('no connection'));
    const isWill = deps.wills.has(packet);
    const problem = messageProblem(packet);
    if (problem) {
      c.refuse(problem.reason, refusalOutcome(c, packet, isWill, problem.code), { action: 'iot:Publish', resource: resources.topic(packet.topic) });
      return refused(c, packet, problem.code, problem.reason, done);
    }
    normalize(packet);
    const topic = resources.topic(packet.topic);
    if (!allowed(c, packet, isWill, 'iot:Publish', topic, done)) return;
    if (packet.retain && !allowed(c, packet, isWill, 'iot:RetainPublish', topic, done)) return;
    if (isWill) return done(null);
    // done() without an argument is aedes's "go on".
    const proceed = (): void => (deps.flow ? deps.flow.admit(done) : done());
    if (packet.qos === 0) return proceed();
    deps.sessions.prepare(packet as { topic: string; payload: Buffer; qos: number }).then(proceed, (err: unknown) => done(err as Error));
  };
}

/** mqtt-packet's names for the properties (MQTT 3.1.1 subscribers never see them). */
function packetProperties(p: MessageProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.payloadFormatUtf8 !== undefined) out.payloadFormatIndicator = p.payloadFormatUtf8;
  if (p.messageExpirySeconds !== undefined) out.messageExpiryInterval = p.messageExpirySeconds;
  if (p.userProperties?.length) {
    const props: Record<string, string | string[]> = Object.create(null);
    for (const [name, value] of p.userProperties) {
      const prev = props[name];
      props[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    out.userProperties = props;
  }
  return out;
}

/**
 * Routes a message another entry point has checked (topic, payload size:
 * messageProblem) and authorized (iot:Publish, and iot:RetainPublish when
 * retained) exactly as an authorized MQTT PUBLISH goes on: the retained
 * store, persistent sessions (on disk first, at QoS 1), every subscriber's own
 * iot:Receive, and the MQTT 5 properties. Resolves once the broker has taken
 * the message (what a PUBACK would say).
 */
export async function publishAs(
  aedes: Aedes,
  flow: { admit(proceed: () => void): void },
  sessions: PublishDeps['sessions'],
  _publisher: PublisherFacts,
  message: PublishedMessage,
): Promise<void> {
  const packet = {
    cmd: 'publish' as const,
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    dup: false,
    ...(message.properties ? { properties: packetProperties(message.properties) } : {}),
  };
  normalize(packet);
  if (packet.qos === 1) await sessions.prepare(packet);
  await new Promise<void>((resolve, reject) => flow.admit(() => aedes.publish(packet as PublishPacket, (err?: Error | null) => (err ? reject(err) : resolve()))));
}
