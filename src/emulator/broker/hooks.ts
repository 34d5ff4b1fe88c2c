/**
 * The aedes hooks that make it behave like AWS IoT Core on MQTT 3.1.1:
 * every CONNECT, PUBLISH (and Will), SUBSCRIBE and delivery is checked against
 * the limits and the policies, and denied the AWS way:
 * - CONNECT denied: the socket is closed, no CONNACK;
 * - PUBLISH denied: the connection is closed (a Will is just not published);
 * - SUBSCRIBE denied: SUBACK 0x80 for that filter, or a close (`subscribeDenied`);
 * - delivery denied (iot:Receive): silently not delivered.
 */
import type { Duplex } from 'node:stream';
import type { AedesPublishPacket, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { BrokerConnection, Resources } from './connection.js';
import { publishBytes } from './outbound.js';
import { clampKeepAlive, clientIdProblem, isUndeliverable, mayRetain, payloadProblem, publishTopicProblem, stripUsernameMetadata, subscribeFilterProblem } from './limits.js';

export type SubscribeDeniedMode = 'suback' | 'close';

export interface HookDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
  subscribeDenied: SubscribeDeniedMode;
  /** Persistent sessions keep only the filters allowed now, and queue a QoS 1 message (on disk) before its PUBACK. */
  sessions: {
    grant(clientId: string, filter: string): void;
    deny(clientId: string, filter: string): void;
    prepare(packet: { topic: string; payload: Buffer; qos: number }): Promise<void>;
  };
  /** Holds an authorized PUBLISH while the router's queue is long. */
  flow?: { admit(proceed: () => void): void };
}

/** MQTT 5 CONNACK: reason 0x84 Unsupported Protocol Version, no properties (what an MQTT 5 client can parse). */
const MQTT5_UNSUPPORTED_PROTOCOL = Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00]);
/** MQTT 3.1 CONNACK return code 1: unacceptable protocol version. */
const MQTT3_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);
const CLOSED = 'connection closed';
const CLOSED_NO_CONNACK = 'connection closed, no CONNACK';

/** Sends a last packet, then closes (destroying the socket if the peer does not). */
function endWith(conn: Duplex, bytes: Buffer): void {
  conn.end(bytes);
  setTimeout(() => conn.destroy(), 2000).unref();
}

const refusal = (reason: string) => Object.assign(new Error(reason), { refused: true });

export function createHooks(deps: HookDeps) {
  const { resources } = deps;

  /** CONNECT: protocol version, client id, keep-alive, iot:Connect, and the Will's iot:Publish. */
  function preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void): void {
    const c = deps.connectionOf(client);
    if (!c) return done(refusal('unidentified connection'), false);
    const version = packet.protocolVersion ?? 4;
    if (version !== 4) {
      const v5 = version === 5;
      c.refuse(
        v5 ? 'MQTT 5 is not supported by the local IoT Core (it speaks MQTT 3.1.1); connect with MQTT 3.1.1' : `MQTT protocol level ${version} (MQTT 3.1) is not supported; use MQTT 3.1.1`,
        v5 ? 'CONNACK 0x84 (unsupported protocol version), connection closed' : 'CONNACK 0x01 (unacceptable protocol version), connection closed',
        { clientId: packet.clientId },
      );
      endWith(client.conn as Duplex, v5 ? MQTT5_UNSUPPORTED_PROTOCOL : MQTT3_UNACCEPTABLE_PROTOCOL);
      return done(null, false);
    }
    const clientId = packet.clientId ?? '';
    const idProblem = clientIdProblem(clientId);
    if (idProblem) {
      c.refuse(idProblem, CLOSED_NO_CONNACK, { clientId });
      return done(refusal(idProblem), false);
    }
    packet.keepalive = clampKeepAlive(packet.keepalive);
    c.username = stripUsernameMetadata(packet.username);
    c.clientId = clientId;
    const attributes: string[] = [];
    if (packet.clean === false) attributes.push('PersistentConnect');
    if (packet.will) attributes.push('LastWill');
    c.authority.update({ clientId, connectAttributes: attributes });

    if (!c.check('iot:Connect', resources.client(clientId), CLOSED_NO_CONNACK)) return done(refusal('not authorized'), false);
    const will = packet.will;
    if (will) {
      if (will.qos === 2) will.qos = 1;
      if (will.retain && !mayRetain(will.topic)) will.retain = false;
      const problem = publishTopicProblem(will.topic) ?? payloadProblem(will.payload);
      if (problem) {
        c.refuse(`the Will ${problem}`, CLOSED_NO_CONNACK, { action: 'iot:Publish', resource: resources.topic(will.topic) });
        return done(refusal(problem), false);
      }
      const topic = resources.topic(will.topic);
      if (!c.check('iot:Publish', topic, `${CLOSED_NO_CONNACK} (Will topic)`)) return done(refusal('Will not authorized'), false);
      if (will.retain && !c.check('iot:RetainPublish', topic, `${CLOSED_NO_CONNACK} (retained Will)`)) return done(refusal('Will not authorized'), false);
    }
    done(null, true);
  }

  /** Identity was settled before MQTT started (certificate or SigV4); the username carries no credentials here. */
  function authenticate(_client: Client, _username: unknown, _password: unknown, done: (error: null, success: boolean) => void): void {
    done(null, true);
  }

  /** PUBLISH and the Will when it fires: limits, iot:Publish, and iot:RetainPublish for retained messages. */
  function authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const c = client ? deps.connectionOf(client) : undefined;
    if (!c || !client) return done(refusal('no connection'));
    const isWill = packet === (client as unknown as { will?: unknown }).will;
    const outcome = isWill ? 'Will not published' : CLOSED;
    const problem = publishTopicProblem(packet.topic) ?? payloadProblem(packet.payload);
    if (problem) {
      c.refuse(problem, outcome, { action: 'iot:Publish', resource: resources.topic(packet.topic) });
      return done(refusal(problem));
    }
    if (packet.qos === 2) packet.qos = 1;
    if (packet.retain && !mayRetain(packet.topic)) packet.retain = false;
    const topic = resources.topic(packet.topic);
    if (!c.check('iot:Publish', topic, outcome)) return done(refusal('not authorized'));
    if (packet.retain && !c.check('iot:RetainPublish', topic, outcome)) return done(refusal('not authorized'));
    if (isWill) return done(null);
    const proceed = () => (deps.flow ? deps.flow.admit(() => done(null)) : done(null));
    if (packet.qos === 0) return proceed();
    deps.sessions.prepare(packet as { topic: string; payload: Buffer; qos: number }).then(proceed, (err: unknown) => done(err as Error));
  }

  /** SUBSCRIBE (and a persistent session's subscriptions when it resumes): limits and iot:Subscribe on the filter as sent. */
  function authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const c = deps.connectionOf(client);
    if (!c) return done(refusal('no connection'));
    const close = deps.subscribeDenied === 'close';
    const outcome = close ? CLOSED : 'SUBACK 0x80 for this filter';
    const denied = (reason: string) => {
      if (!client.clean) deps.sessions.deny(client.id, sub.topic);
      return close ? done(refusal(reason)) : done(null, null);
    };
    const problem = subscribeFilterProblem(sub.topic);
    if (problem) {
      c.refuse(problem, outcome, { action: 'iot:Subscribe', resource: resources.topicFilter(sub.topic) });
      return denied(problem);
    }
    if (!c.check('iot:Subscribe', resources.topicFilter(sub.topic), outcome)) return denied('not authorized');
    if (sub.qos > 1) sub.qos = 1;
    c.granted(sub.topic);
    if (!client.clean) deps.sessions.grant(client.id, sub.topic);
    done(null, sub);
  }

  /** Every delivery: iot:Receive, AWS's `a/#` does not match `a`, nothing from $SYS, and room in the subscriber's outbound budget. Synchronous. */
  function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const topic = packet.topic;
    if (isUndeliverable(topic)) return null;
    const c = deps.connectionOf(client);
    if (!c || !c.coveredByFilters(topic)) return null;
    if (!c.check('iot:Receive', resources.topic(topic), 'not delivered', true)) return null;
    return !c.outbound || c.outbound.admit(packet.qos, publishBytes(packet)) ? packet : null;
  }

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe, authorizeForward };
}

/**
 * AWS grants at most QoS 1: a SUBSCRIBE asking for QoS 2 is granted QoS 1
 * (SUBACK says 1) and a QoS 2 PUBLISH is handled as QoS 1 (PUBACK). aedes
 * records the granted QoS before authorizeSubscribe runs, so the packet is
 * rewritten as it leaves the parser, before aedes sees it.
 */
export function downgradeQos2(client: Client): boolean {
  const parser = (client as unknown as { _parser?: { prependListener?: (event: string, fn: (packet: Record<string, unknown>) => void) => void } })._parser;
  if (typeof parser?.prependListener !== 'function') return false;
  parser.prependListener('packet', (packet) => {
    if (packet.cmd === 'subscribe') {
      for (const s of packet.subscriptions as { qos: number }[]) if (s.qos > 1) s.qos = 1;
    } else if (packet.cmd === 'publish' && packet.qos === 2) packet.qos = 1;
  });
  return true;
}
