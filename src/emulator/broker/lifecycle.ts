/**
 * AWS IoT Core's lifecycle events, published by the broker on reserved
 * topics that clients may subscribe to (iot:Subscribe and iot:Receive apply
 * as to any topic):
 * - `$aws/events/presence/connected/<clientId>` once CONNACK was sent;
 * - `$aws/events/presence/disconnected/<clientId>` when that connection ends;
 * - `$aws/events/subscriptions/subscribed|unsubscribed/<clientId>` for the
 *   filters a SUBSCRIBE was granted, or an UNSUBSCRIBE removed.
 * The payloads carry AWS's fields. They are published at QoS 0 (AWS does not
 * say which QoS it uses), and not for a client id that cannot be a topic
 * level (one with + or #).
 */
import { randomUUID } from 'node:crypto';
import type { BrokerConnection } from './connection.js';
import { EVENTS_PREFIX } from './limits.js';

export type PublishEvent = (topic: string, payload: Buffer) => void;

/** Client ids whose connection count is remembered; past it the least recently connected is forgotten (and counts from 0 again). */
const MAX_REMEMBERED_CLIENT_IDS = 10_000;

interface Session {
  sessionIdentifier: string;
  versionNumber: number;
}

export class LifecycleEvents {
  private readonly sessions = new WeakMap<BrokerConnection, Session>();
  /** Connections per client id so far: versionNumber grows with each (the same for its connect and disconnect). */
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly publish: PublishEvent,
    private readonly now: () => number,
  ) {}

  connected(c: BrokerConnection): void {
    const clientId = c.clientId;
    if (clientId === undefined) return;
    const versionNumber = this.versions.get(clientId) ?? 0;
    // Re-inserted, so the map's order is least recently connected first.
    this.versions.delete(clientId);
    this.versions.set(clientId, versionNumber + 1);
    if (this.versions.size > MAX_REMEMBERED_CLIENT_IDS) this.versions.delete(this.versions.keys().next().value!);
    const session = { sessionIdentifier: randomUUID(), versionNumber };
    this.sessions.set(c, session);
    this.emit(c, `presence/connected/${clientId}`, {
      clientId,
      timestamp: this.now(),
      eventType: 'connected',
      sessionIdentifier: session.sessionIdentifier,
      principalIdentifier: principalIdentifier(c),
      ...(c.sourceIp === undefined ? {} : { ipAddress: c.sourceIp }),
      versionNumber,
    });
  }

  disconnected(c: BrokerConnection): void {
    const session = this.sessions.get(c);
    if (!session || c.clientId === undefined) return;
    this.sessions.delete(c);
    const reason = c.endReason ?? 'CONNECTION_LOST';
    this.emit(c, `presence/disconnected/${c.clientId}`, {
      clientId: c.clientId,
      timestamp: this.now(),
      eventType: 'disconnected',
      clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      sessionIdentifier: session.sessionIdentifier,
      principalIdentifier: principalIdentifier(c),
      disconnectReason: reason,
      versionNumber: session.versionNumber,
    });
  }

  /** `filters` as the client sent them. */
  subscriptions(c: BrokerConnection, eventType: 'subscribed' | 'unsubscribed', filters: string[]): void {
    const session = this.sessions.get(c);
    if (!session || c.clientId === undefined || filters.length === 0) return;
    this.emit(c, `subscriptions/${eventType}/${c.clientId}`, {
      clientId: c.clientId,
      timestamp: this.now(),
      eventType,
      sessionIdentifier: session.sessionIdentifier,
      principalIdentifier: principalIdentifier(c),
      topics: filters,
    });
  }

  private emit(c: BrokerConnection, suffix: string, event: object): void {
    if (/[+#]/.test(c.clientId ?? '')) return;
    this.publish(EVENTS_PREFIX + suffix, Buffer.from(JSON.stringify(event)));
  }
}

/** The credential the client authenticated with: a certificate's id, a Cognito identity, or the access key. */
function principalIdentifier(c: BrokerConnection): string {
  const p = c.principal;
  if (p.kind === 'certificate') return p.certificateId;
  if (p.kind === 'cognito') return p.identityId;
  return p.accessKeyId;
}
