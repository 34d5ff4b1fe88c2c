/**
 * Persistent MQTT sessions on disk, so they survive a restart and kill -9:
 * a snapshot (sessions.json, rewritten atomically) plus a journal of the
 * changes since (sessions.journal, one JSON line per change, appended).
 *
 * A change is written (not fsynced) before it is acknowledged: the broker
 * sends PUBACK for a QoS 1 message queued for an offline session only after
 * its line reached the file, which a killed process leaves in the page cache.
 * When the journal outgrows the snapshot, the state is written as a new
 * snapshot with the next generation and the journal starts over; a journal
 * whose generation is not the snapshot's is left over from a compaction cut
 * short, already in the snapshot, and is ignored.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../io/files.js';
import { unreadableDataFile } from '../datadir.js';
import { GroupCommit, removeStaleTempFiles } from '../store/persistence.js';
import type { StoredProperties } from './message-properties.js';

/** A message waiting in a session, as stored: `m` identifies it across restarts. */
export interface StoredMessage {
  m: number;
  topic: string;
  /** Base64. */
  payload: string;
  qos: number;
  /** MQTT 5 properties. */
  p?: StoredProperties;
  /** When it expires (epoch ms). */
  x?: number;
}

export interface StoredSession {
  clientId: string;
  subs: [filter: string, qos: number][];
  queue: StoredMessage[];
  /** When the client left (epoch ms); a session whose client was online when the broker stopped counts from the restart. */
  leftAt?: number;
  /** How long it outlives its client (ms), when the client chose (MQTT 5 Session Expiry Interval); otherwise the broker's default. */
  expiryMs?: number;
}

export type SessionChange =
  | { op: 'sub'; c: string; f: string; q: number }
  | { op: 'unsub'; c: string; f: string }
  | ({ op: 'enq'; c: string } & StoredMessage)
  | { op: 'ack'; c: string; m: number }
  | { op: 'forget'; c: string }
  | { op: 'left'; c: string; at: number | null; e?: number };

interface SnapshotFile {
  format: 1;
  generation: number;
  sessions: StoredSession[];
}

/** Compact once the journal has grown past this and past the last snapshot. */
const MIN_COMPACT_BYTES = 1024 * 1024;

/** Applies one change to sessions keyed by client id (replay, and nothing else: the live store keeps its own maps). */
export function applyChange(sessions: Map<string, StoredSession>, change: SessionChange): void {
  let s = sessions.get(change.c);
  if (change.op === 'forget') {
    sessions.delete(change.c);
    return;
  }
  if (!s) sessions.set(change.c, (s = { clientId: change.c, subs: [], queue: [] }));
  switch (change.op) {
    case 'sub':
      s.subs = [...s.subs.filter(([f]) => f !== change.f), [change.f, change.q]];
      break;
    case 'unsub':
      s.subs = s.subs.filter(([f]) => f !== change.f);
      break;
    case 'enq':
      if (!s.queue.some((q) => q.m === change.m)) {
        const { op: _op, c: _c, ...message } = change;
        s.queue.push(message);
      }
      break;
    case 'ack':
      s.queue = s.queue.filter((q) => q.m !== change.m);
      break;
    case 'left':
      if (change.at === null) delete s.leftAt;
      else s.leftAt = change.at;
      if (change.e !== undefined) s.expiryMs = change.e;
      break;
  }
}

export class SessionJournal {
  private pending: string[] = [];
  private appended = 0;
  private snapshotBytes = 0;
  /** One write at a time: an append never races a compaction that replaces the journal. */
  private readonly committer = new GroupCommit(() => this.flush());

  /**
   * @param state the sessions as they are now, serialised synchronously (a
   * compaction writes it; changes recorded after it go to the new journal).
   */
  constructor(
    private readonly snapshotFile: string,
    private readonly journalFile: string,
    private generation: number,
    private readonly state: () => StoredSession[],
  ) {}

  /** The sessions the files hold (the snapshot, then its journal), and the snapshot's generation. */
  static async load(snapshotFile: string, journalFile: string): Promise<{ sessions: StoredSession[]; generation: number }> {
    await removeStaleTempFiles(snapshotFile);
    const snapshot = await readSnapshot(snapshotFile);
    const sessions = new Map(snapshot.sessions.map((s) => [s.clientId, s]));
    const text = await fs.readFile(journalFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const lines = text.split('\n');
    const header = parseLine(lines[0] ?? '') as { generation?: unknown } | undefined;
    if (header?.generation === snapshot.generation) {
      // A line cut short by a crash (the last one) is skipped; its change was never acknowledged.
      for (const line of lines.slice(1)) {
        const change = parseLine(line) as SessionChange | undefined;
        if (change && typeof change.c === 'string') applyChange(sessions, change);
      }
    }
    return { sessions: [...sessions.values()], generation: snapshot.generation };
  }

  /** Records a change; `commit()` makes it durable. */
  record(change: SessionChange): void {
    this.pending.push(JSON.stringify(change));
  }

  /** Resolves once every change recorded so far is in the file. */
  commit(): Promise<void> {
    return this.pending.length === 0 ? Promise.resolve() : this.committer.commit();
  }

  /** Writes the state as the next generation's snapshot, with an empty journal (at open, and when the journal has grown). */
  async compact(): Promise<void> {
    this.compactNext = true;
    await this.committer.commit();
  }

  async close(): Promise<void> {
    await this.commit();
    await this.committer.idle();
  }

  private compactNext = false;

  private async flush(): Promise<void> {
    if (this.compactNext || (this.appended > MIN_COMPACT_BYTES && this.appended > this.snapshotBytes)) return this.writeSnapshot();
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('\n') + '\n';
    this.pending = [];
    await fs.appendFile(this.journalFile, chunk, { mode: 0o600 });
    this.appended += chunk.length;
  }

  private async writeSnapshot(): Promise<void> {
    this.compactNext = false;
    // Synchronously: the state holds every change recorded so far, so none of them needs the journal any more.
    const next: SnapshotFile = { format: 1, generation: this.generation + 1, sessions: this.state() };
    this.pending = [];
    const text = JSON.stringify(next) + '\n';
    await writeFileAtomic(this.snapshotFile, text, { mode: 0o600 });
    this.generation = next.generation;
    this.snapshotBytes = text.length;
    await writeFileAtomic(this.journalFile, JSON.stringify({ generation: this.generation }) + '\n', { mode: 0o600 });
    this.appended = 0;
  }
}

function parseLine(line: string): unknown {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

async function readSnapshot(file: string): Promise<SnapshotFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, generation: 0, sessions: [] };
    throw err;
  }
  let doc: Partial<SnapshotFile>;
  try {
    doc = JSON.parse(text) as Partial<SnapshotFile>;
  } catch (err) {
    throw unreadableDataFile(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (doc?.format !== 1 || typeof doc.generation !== 'number' || !Array.isArray(doc.sessions)) throw unreadableDataFile(file, 'has an unknown format; this iotctl reads format 1');
  return doc as SnapshotFile;
}
