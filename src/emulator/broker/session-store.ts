/**
 * aedes's persistence, written for AWS IoT Core's semantics:
 * - retained messages come from RetainedStore and go only to a SUBSCRIBE whose
 *   filter equals the topic (never to wildcard filters);
 * - persistent sessions (clean session false) keep their subscriptions and
 *   queue QoS 1 messages while offline, up to `maxQueued` per session, and
 *   expire `sessionExpiryMs` after the client left (AWS default: 1 hour);
 * - matching uses AWS's rules (`a/#` does not match `a`).
 * Sessions live in memory: they end with the broker, as the docs say.
 */
import { Readable } from 'node:stream';
import { topicMatches } from '../../core/topic.js';
import type { RetainedStore } from './retained.js';

export const DEFAULT_MAX_QUEUED = 10_000;
export const DEFAULT_SESSION_EXPIRY_MS = 60 * 60 * 1000;

/** The fields of an aedes packet this store reads and keeps. */
interface Packet {
  cmd: string;
  brokerId: string;
  brokerCounter: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  clientId?: string;
}

interface ClientRef {
  id: string;
}

interface Session {
  /** filter → granted QoS. */
  subs: Map<string, number>;
  /** Queued outgoing QoS 1 messages by brokerCounter, in arrival order. */
  queue: Map<number, Packet>;
  /** messageId → brokerCounter of the queued message sent with it. */
  sent: Map<number, number>;
  /** When the client left; undefined while connected. */
  leftAt?: number;
  overflowing?: boolean;
}

export interface SessionStoreOptions {
  retained: RetainedStore;
  maxQueued?: number;
  sessionExpiryMs?: number;
  now?: () => number;
  /** A session's queue is full: newer messages are dropped until it drains. */
  onOverflow?: (clientId: string, maxQueued: number) => void;
  /** Resolves when the (broker's) client can take more: paces the backlog replayed at reconnection. */
  pace?: (client: ClientRef) => Promise<void> | undefined;
}

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#');

/** A copy for the queue: queued messages are live copies, so RETAIN is 0 when they go out. */
function queued(packet: Packet): Packet {
  return { cmd: 'publish', brokerId: packet.brokerId, brokerCounter: packet.brokerCounter, topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: false, dup: false };
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** Filters authorizeSubscribe allowed, per persistent client: aedes stores a SUBSCRIBE's whole list, denied filters included. */
  private readonly grants = new Map<string, Set<string>>();
  private readonly incoming = new Map<string, Map<number, Packet>>();
  private readonly wills = new Map<string, Packet>();
  private readonly maxQueued: number;
  private readonly expiryMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.expiryMs = options.sessionExpiryMs ?? DEFAULT_SESSION_EXPIRY_MS;
    this.now = options.now ?? Date.now;
  }

  async setup(_broker: unknown): Promise<void> {}

  async destroy(): Promise<void> {
    this.sessions.clear();
    this.grants.clear();
    this.incoming.clear();
    this.wills.clear();
  }

  // ------------------------------------------------------------ lifecycle

  /** The client is online again: its session does not expire meanwhile. */
  connected(clientId: string): void {
    const s = this.sessions.get(clientId);
    if (s) s.leftAt = undefined;
  }

  /** A persistent client left: its session now counts down. */
  disconnected(clientId: string): void {
    const s = this.sessions.get(clientId);
    if (s) s.leftAt = this.now();
  }

  /** Drops sessions whose client has been gone longer than the expiry; returns how many. */
  expire(): number {
    const cutoff = this.now() - this.expiryMs;
    let removed = 0;
    for (const [id, s] of this.sessions) {
      if (s.leftAt !== undefined && s.leftAt <= cutoff) {
        this.forget(id);
        removed++;
      }
    }
    return removed;
  }

  /** authorizeSubscribe allowed this filter for a persistent client: it may be stored in the session. */
  grant(clientId: string, filter: string): void {
    let set = this.grants.get(clientId);
    if (!set) this.grants.set(clientId, (set = new Set()));
    set.add(filter);
  }

  /** authorizeSubscribe denied it (now): a stored subscription to it ends, so nothing more is queued for it. */
  deny(clientId: string, filter: string): void {
    this.grants.get(clientId)?.delete(filter);
    this.sessions.get(clientId)?.subs.delete(filter);
  }

  private forget(clientId: string): void {
    this.sessions.delete(clientId);
    this.grants.delete(clientId);
  }

  /** Queued messages of a session (for tests and status). */
  queuedFor(clientId: string): number {
    return this.sessions.get(clientId)?.queue.size ?? 0;
  }

  private session(clientId: string): Session {
    let s = this.sessions.get(clientId);
    if (!s) this.sessions.set(clientId, (s = { subs: new Map(), queue: new Map(), sent: new Map() }));
    return s;
  }

  // ------------------------------------------------------------- retained

  async storeRetained(packet: Packet): Promise<void> {
    await this.options.retained.put(packet.topic, packet.payload, packet.qos, this.now());
  }

  /** AWS delivers a retained message only to a filter equal to its topic. */
  private retainedFor(patterns: string[]): Packet[] {
    const out: Packet[] = [];
    for (const p of patterns) {
      if (hasWildcard(p) || p.startsWith('$share/')) continue;
      const m = this.options.retained.get(p);
      if (m) out.push({ cmd: 'publish', brokerId: '', brokerCounter: 0, topic: m.topic, payload: m.payload, qos: m.qos, retain: true, dup: false });
    }
    return out;
  }

  createRetainedStream(pattern: string): Readable {
    return Readable.from(this.retainedFor([pattern]));
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(this.retainedFor(patterns));
  }

  // -------------------------------------------------------- subscriptions

  async addSubscriptions(client: ClientRef, subs: { topic: string; qos: number }[]): Promise<void> {
    const granted = this.grants.get(client.id);
    const s = this.session(client.id);
    for (const sub of subs) if (granted?.has(sub.topic)) s.subs.set(sub.topic, Math.min(sub.qos, 1));
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    const granted = this.grants.get(client.id);
    for (const t of topics) granted?.delete(t);
    const s = this.sessions.get(client.id);
    if (!s) return;
    for (const t of topics) s.subs.delete(t);
    if (s.subs.size === 0 && s.queue.size === 0) this.forget(client.id);
  }

  async subscriptionsByClient(client: ClientRef): Promise<{ topic: string; qos: number }[]> {
    const s = this.sessions.get(client.id);
    return s ? [...s.subs].map(([topic, qos]) => ({ topic, qos })) : [];
  }

  /** Persistent sessions with a QoS 1 subscription matching the topic: one entry per client, so each queues a message once. */
  async subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string; qos: number }[]> {
    if (this.sessions.size === 0) return [];
    const out: { clientId: string; topic: string; qos: number }[] = [];
    for (const [clientId, s] of this.sessions) {
      for (const [filter, qos] of s.subs) {
        if (qos > 0 && topicMatches(filter, topic)) {
          out.push({ clientId, topic: filter, qos });
          break;
        }
      }
    }
    return out;
  }

  /** A clean session starts: whatever the client id had before is gone. */
  async cleanSubscriptions(client: ClientRef): Promise<void> {
    this.forget(client.id);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    let subsCount = 0;
    for (const s of this.sessions.values()) subsCount += s.subs.size;
    return { subsCount, clientsCount: this.sessions.size };
  }

  getClientList(topic: string): Readable {
    return Readable.from([...this.sessions].filter(([, s]) => s.subs.has(topic)).map(([id]) => id));
  }

  // ------------------------------------------------------------- outgoing

  private enqueue(clientId: string, packet: Packet): void {
    const s = this.sessions.get(clientId);
    if (!s) return;
    if (s.queue.size >= this.maxQueued) {
      if (!s.overflowing) this.options.onOverflow?.(clientId, this.maxQueued);
      s.overflowing = true;
      return;
    }
    s.overflowing = false;
    s.queue.set(packet.brokerCounter, queued(packet));
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    this.enqueue(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void> {
    for (const sub of subs) this.enqueue(sub.clientId, packet);
  }

  /** A queued message is being sent with a packet id; a message that was not queued (queue full) is tracked from here. */
  async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    const s = this.session(client.id);
    let entry = s.queue.get(packet.brokerCounter);
    if (!entry) s.queue.set(packet.brokerCounter, (entry = queued(packet)));
    if (entry.messageId !== undefined) s.sent.delete(entry.messageId);
    entry.messageId = packet.messageId;
    if (packet.messageId !== undefined) s.sent.set(packet.messageId, packet.brokerCounter);
  }

  /** PUBACK (or a message not to deliver): it leaves the queue. */
  async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    const s = this.sessions.get(client.id);
    if (!s) return undefined;
    const key = packet.messageId !== undefined ? s.sent.get(packet.messageId) : packet.brokerCounter;
    if (key === undefined) return undefined;
    const entry = s.queue.get(key);
    s.queue.delete(key);
    if (entry?.messageId !== undefined) s.sent.delete(entry.messageId);
    return entry;
  }

  outgoingStream(client: ClientRef): Readable {
    const s = this.sessions.get(client.id);
    const backlog = s ? [...s.queue.values()] : [];
    const pace = this.options.pace;
    if (!pace) return Readable.from(backlog);
    return Readable.from(
      (async function* () {
        for (const packet of backlog) {
          await pace(client);
          yield packet;
        }
      })(),
    );
  }

  // ------------------------------------------- incoming (QoS 2: downgraded, kept for completeness)

  async incomingStorePacket(client: ClientRef, packet: Packet): Promise<void> {
    let store = this.incoming.get(client.id);
    if (!store) this.incoming.set(client.id, (store = new Map()));
    store.set(packet.messageId!, { ...packet });
  }

  async incomingGetPacket(client: ClientRef, packet: Packet): Promise<Packet> {
    const found = this.incoming.get(client.id)?.get(packet.messageId!);
    if (!found) throw new Error('no such packet');
    return found;
  }

  async incomingDelPacket(client: ClientRef, packet: Packet): Promise<void> {
    if (!this.incoming.get(client.id)?.delete(packet.messageId!)) throw new Error('no such packet');
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    this.incoming.delete(client.id);
  }

  // ---------------------------------------------------------------- wills

  async putWill(client: ClientRef, packet: Packet): Promise<void> {
    this.wills.set(client.id, { ...packet, clientId: client.id });
  }

  async getWill(client: ClientRef): Promise<Packet | undefined> {
    return this.wills.get(client.id);
  }

  async delWill(client: ClientRef): Promise<Packet | undefined> {
    const will = this.wills.get(client.id);
    this.wills.delete(client.id);
    return will;
  }

  /** Wills of other (dead) brokers in a cluster: there is none, a Will fires when its connection drops. */
  streamWill(): Readable {
    return Readable.from([]);
  }
}
