/**
 * CONNECT, as AWS IoT Core answers it: protocol version, client id,
 * keep-alive, iot:Connect, and the Will's iot:Publish (and RetainPublish).
 * A refusal is answered the AWS way for the client's MQTT version:
 * - MQTT 3.1.1: the socket is closed, no CONNACK;
 * - MQTT 5: CONNACK with the reason code (0x87 not authorized, 0x85 invalid
 *   client id, 0x90 invalid Will topic, 0x9B Will QoS 2...) and a reason
 *   string, then the socket is closed.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Client, ConnectPacket } from 'aedes';
import { ReasonCode, reasonText } from '../../core/reason-codes.js';
import type { BrokerConnection, Resources } from './connection.js';
import { encode } from './engine.js';
import { clampKeepAlive, clampMessageExpiry, clientIdProblem, mayRetain, payloadProblem, publishTopicProblem, stripUsernameMetadata } from './limits.js';

export interface ConnectDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
  /** Will messages admitted at CONNECT: authorizePublish knows a Will when it fires by its packet. */
  wills: WeakSet<object>;
  /** The connection is admitted under its client id (an older one with the same id is taken over). */
  admitted(c: BrokerConnection): void;
}

/** MQTT 3.1 CONNACK return code 1: unacceptable protocol version. */
const MQTT31_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);
const CLOSED_NO_CONNACK = 'connection closed, no CONNACK';

/** Sends a last packet, then closes (destroying the socket if the peer does not). */
export function endWith(conn: Duplex, bytes: Buffer): void {
  conn.end(bytes);
  setTimeout(() => conn.destroy(), 2000).unref();
}

export const refusal = (reason: string) => Object.assign(new Error(reason), { refused: true });

/** An id AWS IoT Core assigns an MQTT 5 client that sent none (AWS reserves ids starting with $ for these). */
const assignedClientId = () => `$GEN/${randomUUID()}`;

type Done = (error: Error | null, success: boolean) => void;

export function createConnectHook(deps: ConnectDeps) {
  const { resources } = deps;

  return function preConnect(client: Client, packet: ConnectPacket, done: Done): void {
    const c = deps.connectionOf(client);
    if (!c) return done(refusal('unidentified connection'), false);
    const version = packet.protocolVersion ?? 4;
    c.protocolVersion = version;
    if (version !== 4 && version !== 5) {
      c.refuse(`MQTT protocol level ${version} (MQTT 3.1) is not supported; use MQTT 3.1.1 or 5`, 'CONNACK 0x01 (unacceptable protocol version), connection closed', { clientId: packet.clientId });
      endWith(c.conn, MQTT31_UNACCEPTABLE_PROTOCOL);
      return done(null, false);
    }
    const v5 = version === 5;
    /** What the client sees when CONNECT is refused with `code`. */
    const refusedOutcome = (code: number) => (v5 ? `CONNACK ${reasonText(code, 'CONNACK')}, connection closed` : CLOSED_NO_CONNACK);
    /** Refuses after the reason was logged: MQTT 5 gets a CONNACK with the code, 3.1.1 a closed socket. */
    const refused = (code: number, reasonString: string) => {
      if (!v5) return done(refusal(reasonString), false);
      endWith(c.conn, encode({ cmd: 'connack', reasonCode: code, sessionPresent: false, properties: { reasonString } }, 5));
      return done(null, false);
    };
    const refuse = (code: number, reason: string, extra = {}) => {
      c.refuse(reason, refusedOutcome(code), extra);
      return refused(code, reason);
    };

    let clientId = packet.clientId ?? '';
    if (v5 && clientId === '') {
      clientId = packet.clientId = c.assignedClientId = assignedClientId();
    }
    const idProblem = clientIdProblem(clientId);
    if (idProblem) return refuse(ReasonCode.ClientIdentifierNotValid, idProblem, { clientId });

    const requestedKeepAlive = packet.keepalive;
    packet.keepalive = clampKeepAlive(requestedKeepAlive);
    if (v5 && packet.keepalive !== requestedKeepAlive) c.serverKeepAlive = packet.keepalive;
    c.username = stripUsernameMetadata(packet.username);
    c.clientId = clientId;
    const persistent = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) > 0 : packet.clean === false;
    const attributes: string[] = [];
    if (persistent) attributes.push('PersistentConnect');
    if (packet.will) attributes.push('LastWill');
    c.authority.update({ clientId, connectAttributes: attributes });

    const connect = resources.client(clientId);
    if (!c.check('iot:Connect', connect, refusedOutcome(ReasonCode.NotAuthorized))) return refused(ReasonCode.NotAuthorized, c.whyDenied('iot:Connect', connect));

    const will = packet.will;
    if (will) {
      if (will.qos === 2) {
        if (v5) return refuse(ReasonCode.QosNotSupported, 'the Will asks for QoS 2; AWS IoT supports QoS 0 and 1', { action: 'iot:Publish', resource: resources.topic(will.topic) });
        will.qos = 1;
      }
      if (will.retain && !mayRetain(will.topic)) will.retain = false;
      const topicProblem = publishTopicProblem(will.topic);
      const problem = topicProblem ?? payloadProblem(will.payload);
      if (problem) return refuse(topicProblem ? ReasonCode.TopicNameInvalid : ReasonCode.PacketTooLarge, `the Will ${problem}`, { action: 'iot:Publish', resource: resources.topic(will.topic) });
      const expiry = will.properties?.messageExpiryInterval;
      if (expiry !== undefined) will.properties!.messageExpiryInterval = clampMessageExpiry(expiry);
      const topic = resources.topic(will.topic);
      const willOutcome = `${refusedOutcome(ReasonCode.NotAuthorized)} (Will topic)`;
      if (!c.check('iot:Publish', topic, willOutcome)) return refused(ReasonCode.NotAuthorized, `the Will: ${c.whyDenied('iot:Publish', topic)}`);
      if (will.retain && !c.check('iot:RetainPublish', topic, willOutcome)) return refused(ReasonCode.NotAuthorized, `the retained Will: ${c.whyDenied('iot:RetainPublish', topic)}`);
      deps.wills.add(will);
    }
    deps.admitted(c);
    done(null, true);
  };
}
