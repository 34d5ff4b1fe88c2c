/**
 * aedes's persistence, written for AWS IoT Core's semantics:
 * - retained messages come from RetainedStore and go only to a SUBSCRIBE whose
 *   filter equals the topic (never to wildcard filters);
 * - persistent sessions (clean session false) keep their subscriptions and
 *   queue QoS 1 messages while offline, up to `maxQueued` per session, and
 *   expire `sessionExpiryMs` after the client left (AWS default: 1 hour);
 * - matching uses AWS's rules (`a/#` does not match `a`).
 * Sessions live in memory and, with a data directory, on disk too
 * (session-journal.ts): they survive a restart and kill -9, and a QoS 1
 * message queued for an offline session is on disk before its PUBACK.
 */
import { Readable } from 'node:stream';
import { topicMatches } from '../../core/topic.js';
import { expiresAt, keptProperties, loadProperties, storeProperties, type KeptProperties } from './message-properties.js';
import type { RetainedStore } from './retained.js';
import { SessionJournal, type SessionChange, type StoredMessage, type StoredSession } from './session-journal.js';
import { isSharedKey } from './shared.js';

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
  /** A queued message's id (stable across restarts, unlike brokerCounter). */
  m?: number;
  /** The brokerCounter the broker later gave a message queued before it (prepared). */
  linked?: number;
  /** MQTT 5 properties (aedes forwards them as they came). */
  properties?: KeptProperties & { messageExpiryInterval?: number };
  /** When the message expires (epoch ms): aedes drops it, or sends the time left. */
  messageExpiry?: number;
}

interface ClientRef {
  id: string;
}

interface Session {
  /** filter → granted QoS. */
  subs: Map<string, number>;
  /** Queued outgoing QoS 1 messages by their id (`m`), in arrival order. */
  queue: Map<number, Packet>;
  /** The brokerCounter aedes knows a queued message by → its id; restored and prepared messages also answer to -id. */
  counters: Map<number, number>;
  /** messageId → id of the queued message sent with it. */
  sent: Map<number, number>;
  /** When the client left; undefined while connected. */
  leftAt?: number;
  /** How long it outlives its client, when the client chose it (MQTT 5). */
  expiryMs?: number;
  overflowing?: boolean;
}

export interface SessionStoreOptions {
  retained: RetainedStore;
  maxQueued?: number;
  sessionExpiryMs?: number;
  now?: () => number;
  /** A session's queue is full: newer messages are dropped until it drains. */
  onOverflow?: (clientId: string, maxQueued: number) => void;
  /** Writing the sessions to disk failed (the broker keeps them in memory). */
  onError?: (err: unknown) => void;
  /** Resolves when the (broker's) client can take more: paces the backlog replayed at reconnection. */
  pace?: (client: ClientRef) => Promise<void> | undefined;
}

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#');

/** A copy for the queue: queued messages are live copies, so RETAIN is 0 when they go out. */
function queued(packet: Packet, now: number): Packet {
  const copy: Packet = { cmd: 'publish', brokerId: packet.brokerId, brokerCounter: packet.brokerCounter, topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: false, dup: false };
  const properties = keptProperties(packet.properties);
  if (properties) copy.properties = properties;
  const expiry = packet.messageExpiry ?? expiresAt(packet.properties, now);
  if (expiry !== undefined) copy.messageExpiry = expiry;
  return copy;
}

/** A queued message as the journal stores it. */
function stored(p: Packet): StoredMessage {
  const out: StoredMessage = { m: p.m!, topic: p.topic, payload: p.payload.toString('base64'), qos: p.qos };
  if (p.properties) out.p = storeProperties(p.properties);
  if (p.messageExpiry !== undefined) out.x = p.messageExpiry;
  return out;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private journal: SessionJournal | undefined;
  /** The next id of a queued message (stable across restarts). */
  private nextMessage = 1;
  /** QoS 1 messages queued before their PUBACK (see prepare), by their payload buffer: the ids per client. */
  private readonly prepared = new WeakMap<Buffer, { topic: string; ids: Map<string, number> }>();
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

  /**
   * Loads the sessions kept in these files (a previous run's), and from now on
   * records every change there. Restored messages get negative counters, so they
   * never collide with this run's.
   */
  async persistIn(snapshotFile: string, journalFile: string): Promise<void> {
    const { sessions, generation } = await SessionJournal.load(snapshotFile, journalFile);
    const now = this.now();
    for (const stored of sessions) {
      // A client that was online when the broker stopped has been away since the restart.
      const s: Session = { subs: new Map(stored.subs), queue: new Map(), counters: new Map(), sent: new Map(), leftAt: stored.leftAt ?? now };
      if (stored.expiryMs !== undefined) s.expiryMs = stored.expiryMs;
      for (const q of stored.queue) {
        const packet: Packet = { cmd: 'publish', brokerId: 'restored', brokerCounter: -q.m, topic: q.topic, payload: Buffer.from(q.payload, 'base64'), qos: q.qos, retain: false, dup: false, m: q.m };
        const properties = loadProperties(q.p);
        if (properties) packet.properties = properties;
        if (typeof q.x === 'number') packet.messageExpiry = q.x;
        s.queue.set(q.m, packet);
        s.counters.set(-q.m, q.m);
        this.nextMessage = Math.max(this.nextMessage, q.m + 1);
      }
      this.sessions.set(stored.clientId, s);
    }
    this.journal = new SessionJournal(snapshotFile, journalFile, generation, () => this.stored());
    await this.journal.compact();
  }

  /** The sessions as the journal's snapshot keeps them. */
  private stored(): StoredSession[] {
    return [...this.sessions].map(([clientId, s]) => {
      const out: StoredSession = {
        clientId,
        subs: [...s.subs],
        queue: [...s.queue.values()].map(stored),
      };
      if (s.leftAt !== undefined) out.leftAt = s.leftAt;
      if (s.expiryMs !== undefined) out.expiryMs = s.expiryMs;
      return out;
    });
  }

  /** Records a change on disk (when persistent) without waiting; a failed write is reported, not thrown. */
  private note(change: SessionChange): void {
    if (!this.journal) return;
    this.journal.record(change);
    this.written();
  }

  /** Writes what was recorded, in the background. */
  private written(): void {
    this.journal?.commit().catch((err: unknown) => this.options.onError?.(err));
  }

  async destroy(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
    this.sessions.clear();
    this.grants.clear();
    this.incoming.clear();
    this.wills.clear();
  }

  // ------------------------------------------------------------ lifecycle

  /** The client is online again: its session does not expire meanwhile. */
  connected(clientId: string): void {
    const s = this.sessions.get(clientId);
    if (!s || s.leftAt === undefined) return;
    s.leftAt = undefined;
    this.note({ op: 'left', c: clientId, at: null });
  }

  /**
   * A persistent client left: its session now counts down, from the
   * broker's expiry or the one the client chose (MQTT 5, already lowered to
   * the broker's).
   */
  disconnected(clientId: string, expirySeconds?: number): void {
    const s = this.sessions.get(clientId);
    if (!s) return;
    s.leftAt = this.now();
    const change: SessionChange = { op: 'left', c: clientId, at: s.leftAt };
    if (expirySeconds !== undefined) change.e = s.expiryMs = Math.min(expirySeconds * 1000, this.expiryMs);
    this.note(change);
  }

  /** Drops sessions whose client has been gone longer than their expiry; returns how many. */
  expire(): number {
    const now = this.now();
    let removed = 0;
    for (const [id, s] of this.sessions) {
      if (s.leftAt !== undefined && s.leftAt <= now - (s.expiryMs ?? this.expiryMs)) {
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
    if (this.sessions.get(clientId)?.subs.delete(filter)) this.note({ op: 'unsub', c: clientId, f: filter });
  }

  private forget(clientId: string): void {
    this.grants.delete(clientId);
    if (this.sessions.delete(clientId)) this.note({ op: 'forget', c: clientId });
  }

  /** Queued messages of a session (for tests and status). */
  queuedFor(clientId: string): number {
    return this.sessions.get(clientId)?.queue.size ?? 0;
  }

  private session(clientId: string): Session {
    let s = this.sessions.get(clientId);
    if (!s) this.sessions.set(clientId, (s = { subs: new Map(), queue: new Map(), counters: new Map(), sent: new Map() }));
    return s;
  }

  // ------------------------------------------------------------- retained

  async storeRetained(packet: Packet): Promise<void> {
    const extra: { properties?: KeptProperties; expiresAt?: number } = {};
    const properties = keptProperties(packet.properties);
    if (properties) extra.properties = properties;
    const expiry = packet.messageExpiry ?? expiresAt(packet.properties, this.now());
    if (expiry !== undefined) extra.expiresAt = expiry;
    await this.options.retained.put(packet.topic, packet.payload, packet.qos, extra);
  }

  /** AWS delivers a retained message only to a filter equal to its topic (never to a wildcard or shared one), unless it has expired. */
  private retainedFor(patterns: string[]): Packet[] {
    const out: Packet[] = [];
    for (const p of patterns) {
      if (hasWildcard(p) || isSharedKey(p)) continue;
      const m = this.options.retained.get(p);
      if (!m) continue;
      const packet: Packet = { cmd: 'publish', brokerId: '', brokerCounter: 0, topic: m.topic, payload: m.payload, qos: m.qos, retain: true, dup: false };
      if (m.properties) packet.properties = m.properties;
      if (m.expiresAt !== undefined) packet.messageExpiry = m.expiresAt;
      out.push(packet);
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
    for (const sub of subs) {
      if (!granted?.has(sub.topic)) continue;
      const qos = Math.min(sub.qos, 1);
      s.subs.set(sub.topic, qos);
      this.journal?.record({ op: 'sub', c: client.id, f: sub.topic, q: qos });
    }
    await this.journal?.commit();
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    const granted = this.grants.get(client.id);
    for (const t of topics) granted?.delete(t);
    const s = this.sessions.get(client.id);
    if (!s) return;
    for (const t of topics) if (s.subs.delete(t)) this.journal?.record({ op: 'unsub', c: client.id, f: t });
    if (s.subs.size === 0 && s.queue.size === 0) this.forget(client.id);
    await this.journal?.commit();
  }

  async subscriptionsByClient(client: ClientRef): Promise<{ topic: string; qos: number }[]> {
    const s = this.sessions.get(client.id);
    return s ? [...s.subs].map(([topic, qos]) => ({ topic, qos })) : [];
  }

  /** Persistent sessions with a QoS 1 subscription matching the topic: one entry per client, so each queues a message once. */
  async subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string; qos: number }[]> {
    return this.matching(topic);
  }

  private matching(topic: string): { clientId: string; topic: string; qos: number }[] {
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

  /** Adds a copy of the message to the session's queue, under a new id, and records it. Without a brokerCounter (prepared) it answers to -id until linked. */
  private keep(clientId: string, s: Session, packet: Packet, counter?: number): Packet {
    const entry = queued(packet, this.now());
    const m = (entry.m = this.nextMessage++);
    entry.brokerCounter = counter ?? -m;
    s.queue.set(m, entry);
    s.counters.set(entry.brokerCounter, m);
    this.journal?.record({ op: 'enq', c: clientId, ...stored(entry) });
    return entry;
  }

  /** Queues the message for one session, unless its queue is full; returns its id. */
  private enqueue(clientId: string, packet: Packet, counter?: number): number | undefined {
    const s = this.sessions.get(clientId);
    if (!s) return undefined;
    if (s.queue.size >= this.maxQueued) {
      if (!s.overflowing) this.options.onOverflow?.(clientId, this.maxQueued);
      s.overflowing = true;
      return undefined;
    }
    s.overflowing = false;
    return this.keep(clientId, s, packet, counter).m;
  }

  /**
   * Before the broker acknowledges a QoS 1 PUBLISH (authorizePublish): queue
   * it for the persistent sessions it matches, and write that to disk. aedes
   * 1.x sends the PUBACK before it routes the message, so without this a
   * PUBACK could precede the write and a kill -9 lose the message. The
   * broker's own enqueue then finds these entries by the payload buffer it
   * passes on; were it ever to copy it, messages would be queued twice (sent
   * twice, which QoS 1 allows), never lost.
   */
  async prepare(packet: { topic: string; payload: Buffer; qos: number; properties?: object }): Promise<void> {
    if (!this.journal || packet.qos === 0) return;
    const targets = this.matching(packet.topic);
    if (targets.length === 0) return;
    const ids = new Map<string, number>();
    for (const { clientId } of targets) {
      const m = this.enqueue(clientId, packet as Packet);
      if (m !== undefined) ids.set(clientId, m);
    }
    this.prepared.set(packet.payload, { topic: packet.topic, ids });
    await this.journal.commit();
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    await this.outgoingEnqueueCombi([sub], packet);
  }

  /** The broker queues a message for sessions; one prepared before its PUBACK is only given its brokerCounter. */
  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void> {
    const prepared = this.prepared.get(packet.payload);
    const ids = prepared?.topic === packet.topic ? prepared.ids : undefined;
    for (const { clientId } of subs) {
      const m = ids?.get(clientId);
      const s = this.sessions.get(clientId);
      const entry = m === undefined ? undefined : s?.queue.get(m);
      if (entry) {
        entry.linked = packet.brokerCounter;
        s!.counters.set(packet.brokerCounter, m!);
      } else this.enqueue(clientId, packet, packet.brokerCounter);
    }
    if (prepared) this.prepared.delete(packet.payload);
    await this.journal?.commit();
  }

  /** A queued message is being sent with a packet id; a message that was not queued (queue full) is tracked from here. */
  async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    const s = this.session(client.id);
    const m = s.counters.get(packet.brokerCounter);
    let entry = m === undefined ? undefined : s.queue.get(m);
    if (!entry) {
      entry = this.keep(client.id, s, packet, packet.brokerCounter);
      this.written();
    }
    if (entry.messageId !== undefined) s.sent.delete(entry.messageId);
    entry.messageId = packet.messageId;
    if (packet.messageId !== undefined) s.sent.set(packet.messageId, entry.m!);
  }

  /** PUBACK (or a message not to deliver): it leaves the queue. */
  async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    const s = this.sessions.get(client.id);
    if (!s) return undefined;
    const m = packet.messageId !== undefined ? s.sent.get(packet.messageId) : s.counters.get(packet.brokerCounter);
    const entry = m === undefined ? undefined : s.queue.get(m);
    if (m === undefined || !entry) return undefined;
    s.queue.delete(m);
    s.counters.delete(entry.brokerCounter);
    if (entry.linked !== undefined) s.counters.delete(entry.linked);
    if (entry.messageId !== undefined) s.sent.delete(entry.messageId);
    // Not awaited: a lost acknowledgement only means the message comes again, which QoS 1 allows.
    this.note({ op: 'ack', c: client.id, m });
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
