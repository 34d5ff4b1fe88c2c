/**
 * Where AWS IoT Core's MQTT differs from what aedes answers, per connection:
 * a gate in front of aedes for what it receives, and a rewrite of the control
 * packets it sends (engine.ts has the two seams).
 *
 * In:
 * - a QoS 2 PUBLISH: MQTT 5, DISCONNECT 0x9B; 3.1.1, handled as QoS 1;
 * - MQTT 5, more than 100 unacknowledged QoS 1 PUBLISHes: DISCONNECT 0x93;
 * - MQTT 5, a SUBSCRIBE with a Subscription Identifier: DISCONNECT 0xA1;
 * - SUBSCRIBE at QoS 2 is granted QoS 1; an MQTT 5 filter AWS finds invalid
 *   is answered 0x8F without reaching aedes; `$share/...` goes to aedes
 *   under its private name (shared.ts).
 * Out:
 * - MQTT 5 CONNACK: AWS's properties (Maximum QoS 1, no Subscription
 *   Identifiers, shared subscriptions available, Maximum Packet Size 146
 *   KiB, an assigned client id and a changed keep-alive when there are);
 * - SUBACK: one reason code per filter as sent, in order (aedes drops
 *   duplicate filters from its answer and may reorder them);
 * - PUBACK: AWS's reason code where it is not aedes's 0x87.
 */
import type { Client } from 'aedes';
import { ReasonCode, SUBACK_FAILURE_311, reasonText } from '../../core/reason-codes.js';
import { checkTopicFilter, parseSharedFilter } from '../../core/topic.js';
import type { AuthLogEvent } from './auth-log.js';
import type { BrokerConnection, Resources } from './connection.js';
import { gateInbound, rewriteOutgoing, type AnyPacket } from './engine.js';
import { MQTT5_MAXIMUM_PACKET_SIZE, MQTT5_RECEIVE_MAXIMUM, subscribeFilterProblem } from './limits.js';
import { sharedKey } from './shared.js';

/** Installs the gate and the rewrite on a connection; false when aedes's internals no longer allow the gate. */
export function speakAwsMqtt(c: BrokerConnection, client: Client, resources: Resources): boolean {
  rewriteOutgoing(c.conn, (packet) => outgoing(c, packet));
  return gateInbound(client, (packet) => inbound(c, client, resources, packet));
}

// ------------------------------------------------------------------------ in

function inbound(c: BrokerConnection, client: Client, resources: Resources, packet: AnyPacket): boolean {
  // Packets that arrive after the broker sent DISCONNECT are not read.
  if (c.disconnecting) return false;
  switch (packet.cmd) {
    case 'connect':
      c.protocolVersion = packet.protocolVersion as number;
      return true;
    case 'publish':
      return inboundPublish(c, client, resources, packet as AnyPacket & { topic: string; qos: number });
    case 'subscribe':
      return inboundSubscribe(c, client, resources, packet as AnyPacket & Subscribe);
    case 'unsubscribe': {
      const p = packet as AnyPacket & { unsubscriptions: string[] };
      p.unsubscriptions = p.unsubscriptions.map(privateName);
      return true;
    }
    case 'disconnect':
      c.ending('CLIENT_INITIATED_DISCONNECT');
      return true;
    default:
      return true;
  }
}

/** Ends an MQTT 5 connection with DISCONNECT and the reason, logged. */
function disconnect(c: BrokerConnection, client: Client, code: number, reason: string, extra: Partial<AuthLogEvent> = {}): false {
  c.refuse(reason, `DISCONNECT ${reasonText(code, 'DISCONNECT')}, connection closed`, extra);
  c.ending('CLIENT_ERROR');
  c.disconnecting = true;
  client.disconnect({ reasonCode: code, properties: { reasonString: reason } });
  return false;
}

function inboundPublish(c: BrokerConnection, client: Client, resources: Resources, packet: { topic: string; qos: number }): boolean {
  if (packet.qos === 2) {
    if (c.isMqtt5) return disconnect(c, client, ReasonCode.QosNotSupported, 'a PUBLISH at QoS 2; AWS IoT supports QoS 0 and 1', { action: 'iot:Publish', resource: resources.topic(packet.topic) });
    packet.qos = 1;
  }
  if (c.isMqtt5 && packet.qos === 1 && ++c.inflight > MQTT5_RECEIVE_MAXIMUM) {
    return disconnect(c, client, ReasonCode.ReceiveMaximumExceeded, `more than ${MQTT5_RECEIVE_MAXIMUM} QoS 1 PUBLISHes await their PUBACK (Receive Maximum ${MQTT5_RECEIVE_MAXIMUM})`);
  }
  return true;
}

interface Subscribe {
  messageId: number;
  subscriptions: { topic: string; qos: number }[];
  properties?: { subscriptionIdentifier?: number | number[] };
}

/** `$share/<group>/<filter>` as aedes is to know it; any other filter unchanged. */
function privateName(filter: string): string {
  return parseSharedFilter(filter) && !checkTopicFilter(filter) ? sharedKey(filter) : filter;
}

function inboundSubscribe(c: BrokerConnection, client: Client, resources: Resources, packet: Subscribe): boolean {
  if (c.isMqtt5 && packet.properties?.subscriptionIdentifier !== undefined) {
    return disconnect(c, client, ReasonCode.SubscriptionIdentifiersNotSupported, 'a SUBSCRIBE with a Subscription Identifier; AWS IoT does not support them (CONNACK said so)');
  }
  const plan: ({ code: number } | { filter: string })[] = [];
  const kept: Subscribe['subscriptions'] = [];
  for (const sub of packet.subscriptions) {
    if (sub.qos > 1) sub.qos = 1;
    const problem = c.isMqtt5 ? subscribeFilterProblem(sub.topic) : undefined;
    if (problem) {
      c.refuse(problem, `SUBACK ${reasonText(ReasonCode.TopicFilterInvalid, 'SUBACK')} for this filter`, { action: 'iot:Subscribe', resource: resources.topicFilter(sub.topic) });
      plan.push({ code: ReasonCode.TopicFilterInvalid });
      continue;
    }
    sub.topic = privateName(sub.topic);
    plan.push({ filter: sub.topic });
    kept.push(sub);
  }
  packet.subscriptions = kept;
  if (kept.length !== plan.length || kept.length > 1) c.subacks.set(packet.messageId, plan);
  return true;
}

// ----------------------------------------------------------------------- out

function outgoing(c: BrokerConnection, packet: AnyPacket): AnyPacket {
  switch (packet.cmd) {
    case 'publish':
      return packet;
    case 'puback':
      return puback(c, packet);
    case 'suback':
      return suback(c, packet as AnyPacket & { messageId: number; granted: number[] });
    case 'connack':
      return c.isMqtt5 && packet.reasonCode === ReasonCode.Success ? connack(c, packet) : packet;
    default:
      return packet;
  }
}

function connack(c: BrokerConnection, packet: AnyPacket): AnyPacket {
  const properties: Record<string, unknown> = { ...(packet.properties as object | undefined) };
  // aedes says shared subscriptions are not available; they are (absent means available).
  delete properties.sharedSubscriptionAvailable;
  properties.maximumQoS = 1;
  properties.subscriptionIdentifiersAvailable = false;
  properties.maximumPacketSize = MQTT5_MAXIMUM_PACKET_SIZE;
  if (c.assignedClientId !== undefined) properties.assignedClientIdentifier = c.assignedClientId;
  if (c.serverKeepAlive !== undefined) properties.serverKeepAlive = c.serverKeepAlive;
  return { ...packet, properties } as AnyPacket;
}

function puback(c: BrokerConnection, packet: AnyPacket): AnyPacket {
  if (c.inflight > 0) c.inflight--;
  const id = packet.messageId as number;
  const code = c.pubackCodes.get(id);
  if (code === undefined) return packet;
  c.pubackCodes.delete(id);
  return { ...packet, reasonCode: code } as AnyPacket;
}

/** The order aedes answers a SUBSCRIBE's filters in: duplicates once, in the key order of a plain object. */
function aedesOrder(filters: string[]): string[] {
  if (filters.length === 1) return filters;
  const seen: Record<string, true> = {};
  for (const f of filters) seen[f] = true;
  return Object.keys(seen);
}

function suback(c: BrokerConnection, packet: AnyPacket & { messageId: number; granted: number[] }): AnyPacket {
  const plan = c.subacks.get(packet.messageId);
  if (!plan) return packet;
  c.subacks.delete(packet.messageId);
  const order = aedesOrder(plan.flatMap((p) => ('filter' in p ? [p.filter] : [])));
  const failure = c.isMqtt5 ? ReasonCode.UnspecifiedError : SUBACK_FAILURE_311;
  const granted = plan.map((p) => ('code' in p ? p.code : (packet.granted[order.indexOf(p.filter)] ?? failure)));
  return { ...packet, granted } as AnyPacket;
}
