/**
 * Retained messages, AWS style: one per topic, an empty payload deletes it,
 * and they survive a restart: the whole set is rewritten atomically
 * (temp file, fsync, rename) to retained.json, concurrent stores sharing
 * writes. A store resolves once it is on disk, before the message is forwarded.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../io/files.js';
import { unreadableDataFile } from '../datadir.js';
import { GroupCommit, removeStaleTempFiles } from '../store/persistence.js';

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  storedAt: number;
}

interface FileFormat {
  format: 1;
  messages: { topic: string; payload: string; qos: 0 | 1; storedAt: number }[];
}

export class RetainedStore {
  private readonly messages = new Map<string, RetainedMessage>();
  private readonly committer: GroupCommit | undefined;

  private constructor(private readonly file: string | undefined) {
    this.committer = file ? new GroupCommit(() => this.save()) : undefined;
  }

  /** Loads `file` if it exists; without a file the messages live in memory only. */
  static async open(file?: string): Promise<RetainedStore> {
    const store = new RetainedStore(file);
    if (file) await store.load(file);
    return store;
  }

  get size(): number {
    return this.messages.size;
  }

  get(topic: string): RetainedMessage | undefined {
    return this.messages.get(topic);
  }

  /** Every retained message, by topic (ListRetainedMessages). */
  list(): RetainedMessage[] {
    return [...this.messages.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /** Stores (or, with an empty payload, deletes) the retained message of a topic. */
  async put(topic: string, payload: Buffer, qos: number, now = Date.now()): Promise<void> {
    if (payload.length === 0) {
      if (!this.messages.delete(topic)) return;
    } else {
      this.messages.set(topic, { topic, payload, qos: qos > 0 ? 1 : 0, storedAt: now });
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
      messages: [...this.messages.values()].map((m) => ({ topic: m.topic, payload: m.payload.toString('base64'), qos: m.qos, storedAt: m.storedAt })),
    };
    return writeFileAtomic(this.file!, JSON.stringify(doc) + '\n', { mode: 0o600 });
  }

  private async load(file: string): Promise<void> {
    await removeStaleTempFiles(file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let doc: FileFormat;
    try {
      doc = JSON.parse(text) as FileFormat;
    } catch (err) {
      throw unreadableDataFile(file, `is not valid JSON (${(err as Error).message})`);
    }
    if (doc?.format !== 1 || !Array.isArray(doc.messages)) throw unreadableDataFile(file, 'has an unknown format; this iotctl reads format 1');
    for (const m of doc.messages) this.messages.set(m.topic, { topic: m.topic, payload: Buffer.from(m.payload, 'base64'), qos: m.qos, storedAt: m.storedAt });
  }
}
