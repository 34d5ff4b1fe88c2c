/**
 * The shadows of the local IoT Core, kept in memory and in shadows.json
 * (0600), rewritten atomically (temp file, fsync, rename) so a crash or
 * kill -9 leaves the old or the new file; concurrent changes share writes.
 * A change is applied at once (callers check and act in one event-loop turn)
 * and made durable by commit(); callers answer only after it.
 *
 * A deleted shadow leaves its version behind for 48 hours, as AWS's does: a
 * shadow created again within that time continues from it.
 */
import { writeFileAtomic } from '../../io/files.js';
import { isObject, type JsonObject, type ShadowRef, type StoredShadow } from '../../core/shadow/index.js';
import { unreadableDataFile } from '../datadir.js';
import { GroupCommit, readDataFile } from '../store/persistence.js';

/** How long a deleted shadow's version is remembered. */
export const DELETED_VERSION_KEPT_MS = 48 * 3600 * 1000;

interface Tombstone {
  version: number;
  deletedAt: number;
}

interface FileFormat {
  format: 1;
  shadows: ({ thingName: string; shadowName?: string } & StoredShadow)[];
  deleted: { thingName: string; shadowName?: string; version: number; deletedAt: number }[];
}

/** One key per shadow: the thing, a newline (never in a name), the shadow name ('' for the classic one). */
const keyOf = (ref: ShadowRef) => `${ref.thingName}\n${ref.shadowName ?? ''}`;

function refOf(key: string): ShadowRef {
  const cut = key.indexOf('\n');
  const shadowName = key.slice(cut + 1);
  return shadowName === '' ? { thingName: key.slice(0, cut) } : { thingName: key.slice(0, cut), shadowName };
}

export class ShadowStore {
  private readonly shadows = new Map<string, StoredShadow>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly committer: GroupCommit | undefined;

  private constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {
    this.committer = file ? new GroupCommit(() => this.save()) : undefined;
  }

  /** Loads `file` if it exists; without a file the shadows live in memory only. */
  static async open(file: string | undefined, now: () => number): Promise<ShadowStore> {
    const store = new ShadowStore(file, now);
    if (file) await store.load(file);
    return store;
  }

  get size(): number {
    return this.shadows.size;
  }

  get(ref: ShadowRef): StoredShadow | undefined {
    return this.shadows.get(keyOf(ref));
  }

  /** The version a new shadow continues from: a recently deleted one's, else 0. */
  lastVersion(ref: ShadowRef): number {
    const t = this.tombstones.get(keyOf(ref));
    return t && this.now() - t.deletedAt < DELETED_VERSION_KEPT_MS ? t.version : 0;
  }

  put(ref: ShadowRef, shadow: StoredShadow): void {
    const key = keyOf(ref);
    this.tombstones.delete(key);
    this.shadows.set(key, shadow);
  }

  /** Deletes a shadow; its version is remembered. Returns that version, or undefined when there was none. */
  remove(ref: ShadowRef): number | undefined {
    const key = keyOf(ref);
    const shadow = this.shadows.get(key);
    if (!shadow) return undefined;
    this.shadows.delete(key);
    this.tombstones.set(key, { version: shadow.version, deletedAt: this.now() });
    return shadow.version;
  }

  /** Forgets every shadow of a thing, versions included; returns how many there were. */
  forgetThing(thingName: string): number {
    let removed = 0;
    for (const map of [this.shadows, this.tombstones] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) {
        if (refOf(key).thingName !== thingName) continue;
        if (map === this.shadows) removed++;
        map.delete(key);
      }
    }
    return removed;
  }

  /** The names of a thing's named shadows, sorted. */
  namedShadows(thingName: string): string[] {
    const names: string[] = [];
    for (const key of this.shadows.keys()) {
      const ref = refOf(key);
      if (ref.thingName === thingName && ref.shadowName !== undefined) names.push(ref.shadowName);
    }
    return names.sort();
  }

  /** Resolves once every change so far is on disk. */
  async commit(): Promise<void> {
    await this.committer?.commit();
  }

  /** Waits for a write in progress. */
  async flush(): Promise<void> {
    await this.committer?.idle();
  }

  private save(): Promise<void> {
    const now = this.now();
    const doc: FileFormat = { format: 1, shadows: [], deleted: [] };
    for (const [key, shadow] of this.shadows) doc.shadows.push({ ...refOf(key), ...shadow });
    for (const [key, t] of this.tombstones) if (now - t.deletedAt < DELETED_VERSION_KEPT_MS) doc.deleted.push({ ...refOf(key), ...t });
    return writeFileAtomic(this.file!, JSON.stringify(doc) + '\n', { mode: 0o600 });
  }

  private async load(file: string): Promise<void> {
    const doc = (await readDataFile(file)) as FileFormat | undefined;
    if (doc === undefined) return;
    if (doc?.format !== 1 || !Array.isArray(doc.shadows) || !Array.isArray(doc.deleted)) throw unreadableDataFile(file, 'has an unknown format; this iotctl reads format 1');
    const bad = doc.shadows.findIndex((s) => !isRef(s) || !Number.isSafeInteger(s.version) || !isObject(s.state) || !isObject(s.metadata));
    if (bad >= 0) throw unreadableDataFile(file, `has a shadow (number ${bad + 1}) without its thing name, version, state or metadata`);
    for (const s of doc.shadows) this.shadows.set(keyOf(s), { state: s.state as StoredShadow['state'], metadata: s.metadata as StoredShadow['metadata'], version: s.version });
    for (const d of doc.deleted) if (isRef(d) && Number.isSafeInteger(d.version) && typeof d.deletedAt === 'number') this.tombstones.set(keyOf(d), { version: d.version, deletedAt: d.deletedAt });
  }
}

function isRef(value: unknown): value is ShadowRef {
  const v = value as JsonObject;
  return isObject(v) && typeof v.thingName === 'string' && (v.shadowName === undefined || typeof v.shadowName === 'string');
}
