/**
 * Retained messages, AWS style: one per topic, an empty payload deletes it,
 * an MQTT 5 message keeps its properties and expires with its Message Expiry
 * Interval (an expired one is never delivered), and they survive a restart: the whole set is rewritten atomically
 * (temp file, fsync, rename) to retained.json, concurrent stores sharing
 * writes. A store resolves once it is on disk, before the message is forwarded.
 */
import { writeFileAtomic } from '../../io/files.js';
import { unreadableDataFile } from '../datadir.js';
import { GroupCommit, readDataFile } from '../store/persistence.js';
import { loadProperties, storeProperties, type KeptProperties, type StoredProperties } from './message-properties.js';

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  storedAt: number;
  /** MQTT 5 properties forwarded with it. */
  properties?: KeptProperties;
  /** When it expires (epoch ms), from its Message Expiry Interval. */
  expiresAt?: number;
}

interface FileFormat {
  format: 1;
  messages: { topic: string; payload: string; qos: 0 | 1; storedAt: number; properties?: StoredProperties; expiresAt?: number }[];
}

export class RetainedStore {
  private readonly messages = new Map<string, RetainedMessage>();
  private readonly committer: GroupCommit | undefined;

  private constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {
    this.committer = file ? new GroupCommit(() => this.save()) : undefined;
  }

  /** Loads `file` if it exists; without a file the messages live in memory only. */
  static async open(file?: string, now: () => number = Date.now): Promise<RetainedStore> {
    const store = new RetainedStore(file, now);
    if (file) await store.load(file);
    return store;
  }

  get size(): number {
    return this.messages.size;
  }

  /** The retained message of a topic, unless there is none or it has expired. */
  get(topic: string): RetainedMessage | undefined {
    const m = this.messages.get(topic);
    return m && (m.expiresAt === undefined || m.expiresAt > this.now()) ? m : undefined;
  }

  /** Every retained message that has not expired, by topic (ListRetainedMessages). */
  list(): RetainedMessage[] {
    const now = this.now();
    return [...this.messages.values()].filter((m) => m.expiresAt === undefined || m.expiresAt > now).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /** Stores (or, with an empty payload, deletes) the retained message of a topic. */
  async put(topic: string, payload: Buffer, qos: number, extra: Pick<RetainedMessage, 'properties' | 'expiresAt'> = {}): Promise<void> {
    if (payload.length === 0) {
      if (!this.messages.delete(topic)) return;
    } else {
      const m: RetainedMessage = { topic, payload, qos: qos > 0 ? 1 : 0, storedAt: this.now() };
      if (extra.properties) m.properties = extra.properties;
      if (extra.expiresAt !== undefined) m.expiresAt = extra.expiresAt;
      this.messages.set(topic, m);
    }
    await this.committer?.commit();
  }

  /** Waits for a write in progress. */
  async flush(): Promise<void> {
    await this.committer?.idle();
  }

  private save(): Promise<void> {
    const doc: FileFormat = {
      format: 1,
      messages: [...this.messages.values()].map((m) => ({
        topic: m.topic,
        payload: m.payload.toString('base64'),
        qos: m.qos,
        storedAt: m.storedAt,
        ...(m.properties ? { properties: storeProperties(m.properties) } : {}),
        ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
      })),
    };
    return writeFileAtomic(this.file!, JSON.stringify(doc) + '\n', { mode: 0o600 });
  }

  private async load(file: string): Promise<void> {
    const doc = (await readDataFile(file)) as FileFormat | undefined;
    if (doc === undefined) return;
    if (doc?.format !== 1 || !Array.isArray(doc.messages)) throw unreadableDataFile(file, 'has an unknown format; this iotctl reads format 1');
    for (const m of doc.messages) {
      const message: RetainedMessage = { topic: m.topic, payload: Buffer.from(m.payload, 'base64'), qos: m.qos, storedAt: m.storedAt };
      const properties = loadProperties(m.properties);
      if (properties) message.properties = properties;
      if (typeof m.expiresAt === 'number') message.expiresAt = m.expiresAt;
      this.messages.set(m.topic, message);
    }
  }
}
