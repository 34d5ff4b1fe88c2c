/**
 * Durability for the registry: state.json, rewritten atomically (temp file,
 * fsync, rename) so a crash or kill -9 leaves either the old or the new
 * snapshot, never a torn one. Concurrent mutations share writes (group commit):
 * each waits for the first write that started after it was applied, so a burst
 * of N requests costs far fewer than N fsyncs, and none is acknowledged early.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../io/files.js';
import { unreadableDataFile } from '../datadir.js';
import type { Snapshot } from './registry.js';

export interface SnapshotStorage {
  /** False for --ephemeral: nothing to wait for, so no snapshot is even built. */
  readonly persistent: boolean;
  load(): Promise<Snapshot | undefined>;
  /** Serialises synchronously before its first await, so the write holds every mutation applied so far. */
  save(snapshot: Snapshot): Promise<void>;
}

/** --ephemeral: nothing is written. */
export const memoryStorage: SnapshotStorage = {
  persistent: false,
  async load() {
    return undefined;
  },
  async save() {},
};

export class FileStorage implements SnapshotStorage {
  readonly persistent = true;
  constructor(readonly file: string) {}

  async load(): Promise<Snapshot | undefined> {
    const parsed = await readDataFile(this.file);
    if (parsed === undefined) return undefined;
    const problem = snapshotProblem(parsed);
    if (problem) throw unreadableDataFile(this.file, problem);
    return parsed as Snapshot;
  }

  save(snapshot: Snapshot): Promise<void> {
    const text = JSON.stringify(snapshot);
    return writeFileAtomic(this.file, text + '\n', { mode: 0o600 });
  }

}

/** The record lists of a snapshot and the field that names each record. */
const RECORD_LISTS = { certificates: 'id', policies: 'name', things: 'name', identityPools: 'id', identities: 'id', sessions: 'accessKeyId', roles: 'name' } as const;
const PAIR_LISTS = ['policyAttachments', 'thingAttachments'] as const;

/** Why a parsed state file is not a snapshot this iotctl wrote, or undefined. Lists missing from older files are fine. */
export function snapshotProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const doc = value as Record<string, unknown>;
  if (doc.format !== 1) return `has an unknown format (${JSON.stringify(doc.format) ?? 'none'}); this iotctl reads format 1`;
  for (const [list, key] of Object.entries(RECORD_LISTS)) {
    const items = doc[list] ?? [];
    if (!Array.isArray(items)) return `has "${list}" that is not a list`;
    const bad = items.findIndex((item) => typeof item !== 'object' || item === null || typeof (item as Record<string, unknown>)[key] !== 'string');
    if (bad >= 0) return `has an entry of "${list}" (number ${bad + 1}) without its "${key}"`;
  }
  for (const list of PAIR_LISTS) {
    const items = doc[list] ?? [];
    if (!Array.isArray(items) || !items.every((item) => Array.isArray(item) && item.every((part) => typeof part === 'string'))) return `has "${list}" that is not a list of [name, principal] pairs`;
  }
  return undefined;
}

/**
 * A JSON file of the data directory, parsed, after removing the temp files a
 * crash left beside it; undefined when it does not exist. Not JSON: a usage
 * error that names the file and the way to start over.
 */
export async function readDataFile(file: string): Promise<unknown> {
  await removeStaleTempFiles(file);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw unreadableDataFile(file, `is not valid JSON (${(err as Error).message})`);
  }
}

/** Removes the temp files of atomic writes of `file` cut short by a crash. */
export async function removeStaleTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => fs.rm(path.join(dir, n), { force: true })));
}

/** Coalesces concurrent commits into as few writes as possible, one at a time. */
export class GroupCommit {
  private requested = 0;
  private written = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves once a write that started after this call has finished. */
  async commit(): Promise<void> {
    const ticket = ++this.requested;
    while (this.written < ticket) {
      this.running ??= this.flush().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
  }

  /** Waits for any write in progress (used on close). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  private async flush(): Promise<void> {
    const upTo = this.requested;
    await this.write();
    this.written = upTo;
  }
}
