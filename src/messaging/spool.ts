/**
 * The on-disk spool of `iotctl pub --lines --spool <dir>`: a queue of lines
 * that survives outages, reboots and kill -9. At-least-once: a line leaves
 * the spool only after its PUBACK, so a crash can send a line twice, never
 * lose it (except the oldest, dropped on purpose when the spool is full).
 *
 * Layout of <dir>:
 *   <16 hex digits>.seg   segment files of records (spool-record.ts), named by
 *                         the position of their first byte in the whole
 *                         spool's history (its "LSN"); appended to, never rewritten
 *   cursor                the LSN below which everything was acknowledged
 *                         (rewritten atomically; an older one only means resends)
 *   lock                  "<pid> <boot id>" of the publisher using it
 *
 * Appends are written at once (a kill -9 loses nothing written) and fsynced
 * in batches (a power cut may lose the last fraction of a second). Records
 * are read back from the files, so memory stays flat however long the
 * outage. A torn or damaged record ends its file: the rest of that file is
 * dropped with a warning, never a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, IotctlError, usageError } from '../core/errors.js';
import { formatSize } from '../core/size.js';
import { decodeAt, encodeRecords, type SpoolEntry } from './spool-record.js';

export interface SpoolOptions {
  /** Bytes on disk at most; when an append would pass it, the oldest lines are dropped. */
  maxBytes: number;
  /** Segment file size (default: an eighth of maxBytes, between 64 KB and 8 MB). */
  segmentBytes?: number;
  /** How long appended records may wait for their fsync (default 100 ms). */
  syncEveryMs?: number;
  warn?(message: string): void;
}

/** A record handed out for publishing; `end` identifies it for ack(). */
export interface SpoolRecord extends SpoolEntry {
  end: number;
}

interface Segment {
  start: number;
  size: number;
  records: number;
  file: string;
}

const SEGMENT = /^([0-9a-f]{16})\.seg$/;
const READ_CHUNK = 64 * 1024;
const PERSIST_EVERY_MS = 1000;
export const MIN_SPOOL_BYTES = 1024 * 1024;

function segmentName(start: number): string {
  return `${start.toString(16).padStart(16, '0')}.seg`;
}

function spoolError(err: unknown, dir: string, doing: string): IotctlError {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === 'ENOSPC' ? 'the disk is full: free space, or lower --spool-max' : e.code === 'EACCES' || e.code === 'EPERM' ? `check the permissions of ${dir}` : undefined;
  return new IotctlError('SPOOL_FAILED', `${doing} the spool ${dir} failed: ${e.message}`, { exitCode: ExitCode.FAILURE, hint, cause: err });
}

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '-';
  }
}

/** Whether the process that wrote a lock still runs (a lock from before a reboot is stale whatever its pid). */
function holderAlive(pid: number, boot: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (boot && boot !== '-' && boot !== bootId()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(dir: string): string {
  const file = path.join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid} ${bootId()}\n`, { flag: 'wx', mode: 0o600 });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw spoolError(err, dir, 'Locking');
    }
    const [pid, boot] = fs.readFileSync(file, 'utf8').trim().split(/\s+/);
    if (holderAlive(Number(pid), boot)) {
      throw new IotctlError('SPOOL_IN_USE', `The spool ${dir} is in use by process ${pid}.`, {
        exitCode: ExitCode.FAILURE,
        hint: 'one publisher per spool: stop the other one, or give this one another --spool directory',
      });
    }
    // Left by a publisher that was killed (or by the previous boot).
    fs.rmSync(file, { force: true });
  }
}

/** Reads a whole segment and finds where its intact records end. */
function scanSegment(file: string, onRecord: (end: number) => void): { validBytes: number; size: number; problem?: string } {
  const buf = fs.readFileSync(file);
  let at = 0;
  while (at < buf.length) {
    const d = decodeAt(buf, at);
    if (d.kind !== 'record') return { validBytes: at, size: buf.length, problem: d.kind === 'partial' ? 'a record cut short' : d.reason };
    at = d.end;
    onRecord(at);
  }
  return { validBytes: at, size: buf.length };
}

export class Spool {
  private segments: Segment[] = [];
  /** Open for appending: the last segment, once this process has written to it. */
  private writeFd?: number;
  private readonly segmentBytes: number;
  /** Everything below is acknowledged (or dropped). */
  private ackLsn = 0;
  private persistedLsn = -1;
  /** The next record to hand out. */
  private readLsn = 0;
  /** Ends of the records handed out and not yet acknowledged, in order. */
  private inflight: number[] = [];
  private inflightHead = 0;
  private ackedOutOfOrder = new Set<number>();
  private syncTimer?: NodeJS.Timeout;
  private persistTimer?: NodeJS.Timeout;
  private reader?: { segment: Segment; fd: number; bufStart: number; buf: Buffer };
  private lastTopic?: { bytes: Buffer; text: string };
  private closed = false;

  /** Lines in the spool not yet acknowledged (nor dropped). */
  pending = 0;
  /** Lines dropped to stay within maxBytes, since open. */
  dropped = 0;
  /** Lines found in the spool when it was opened. */
  readonly recovered: number;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
    private readonly lockFile: string,
  ) {
    this.segmentBytes = options.segmentBytes ?? Math.min(8 * 1024 * 1024, Math.max(64 * 1024, Math.floor(options.maxBytes / 8)));
    this.recover();
    this.recovered = this.pending;
  }

  /** Opens (creating it if needed) and locks a spool directory, and checks what an earlier run left. */
  static open(dir: string, options: SpoolOptions): Spool {
    if (!(options.maxBytes >= MIN_SPOOL_BYTES)) throw usageError('SPOOL_TOO_SMALL', `The spool must be allowed at least ${formatSize(MIN_SPOOL_BYTES)}, not ${formatSize(options.maxBytes)}.`);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!fs.statSync(dir).isDirectory()) throw usageError('SPOOL_NOT_A_DIRECTORY', `The spool ${dir} is not a directory.`, 'pass a directory with --spool');
    } catch (err) {
      if (err instanceof IotctlError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw usageError('SPOOL_NOT_A_DIRECTORY', `The spool ${dir} is not a directory.`, 'pass a directory with --spool');
      }
      throw spoolError(err, dir, 'Opening');
    }
    const lock = takeLock(dir);
    try {
      return new Spool(dir, options, lock);
    } catch (err) {
      fs.rmSync(lock, { force: true });
      throw err instanceof IotctlError ? err : spoolError(err, dir, 'Reading');
    }
  }

  private warn(message: string): void {
    this.options.warn?.(message);
  }

  /** Reads the cursor and the segments, cuts off torn or damaged tails, forgets what was acknowledged. */
  private recover(): void {
    const cursorText = (() => {
      try {
        return fs.readFileSync(path.join(this.dir, 'cursor'), 'utf8').trim();
      } catch {
        return '0';
      }
    })();
    let cursor = /^\d+$/.test(cursorText) ? Number(cursorText) : 0;
    if (!/^\d+$/.test(cursorText)) this.warn(`spool ${this.dir}: unreadable cursor file; lines may be sent again`);
    const names = fs.readdirSync(this.dir).filter((n) => SEGMENT.test(n)).sort();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const start = parseInt(SEGMENT.exec(name)![1]!, 16);
      const seg: Segment = { start, size: 0, records: 0, file };
      const scan = scanSegment(file, (end) => {
        seg.records++;
        if (start + end > cursor) this.pending++;
      });
      if (scan.problem) {
        this.warn(`spool ${this.dir}: ${name} ends with ${scan.problem}; dropped its last ${formatSize(scan.size - scan.validBytes)} (a write cut short by a crash or power cut)`);
        fs.truncateSync(file, scan.validBytes);
      }
      seg.size = scan.validBytes;
      if (seg.size === 0 || start + seg.size <= cursor) fs.rmSync(file, { force: true });
      else this.segments.push(seg);
    }
    // Resume at the first unacknowledged record's start (a cursor is always a record boundary, unless damaged).
    cursor = this.firstPendingStart(cursor) ?? Math.max(cursor, this.endLsn);
    this.ackLsn = this.readLsn = cursor;
    this.persistedLsn = cursor;
  }

  private firstPendingStart(cursor: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.start + seg.size <= cursor) continue;
      if (cursor <= seg.start) return seg.start;
      let previous = 0;
      let found: number | undefined;
      scanSegment(seg.file, (end) => {
        if (found === undefined && seg.start + end > cursor) found = seg.start + previous;
        previous = end;
      });
      return found;
    }
    return undefined;
  }

  /** The LSN after the last record written. */
  private get endLsn(): number {
    const last = this.segments[this.segments.length - 1];
    return last ? last.start + last.size : Math.max(this.ackLsn, this.readLsn);
  }

  /** Bytes of records on disk. */
  get bytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  // ---------------------------------------------------------------- append

  /** Appends lines (one write); drops the oldest ones first when the spool would pass its size. */
  append(entries: readonly SpoolEntry[]): void {
    if (entries.length === 0) return;
    const buf = encodeRecords(entries);
    try {
      this.makeRoom(buf.length);
      let seg = this.segments[this.segments.length - 1];
      if (this.writeFd === undefined || !seg || seg.size >= this.segmentBytes) seg = this.roll();
      for (let at = 0; at < buf.length; ) at += fs.writeSync(this.writeFd!, buf, at, buf.length - at);
      seg.size += buf.length;
      seg.records += entries.length;
    } catch (err) {
      throw err instanceof IotctlError ? err : spoolError(err, this.dir, 'Writing to');
    }
    this.pending += entries.length;
    this.scheduleSync();
  }

  /** Starts a new segment file at the end (each run starts one, so a recovered file is never appended to). */
  private roll(): Segment {
    if (this.writeFd !== undefined) {
      fs.fsyncSync(this.writeFd);
      fs.closeSync(this.writeFd);
      this.writeFd = undefined;
    }
    const start = this.endLsn;
    const seg: Segment = { start, size: 0, records: 0, file: path.join(this.dir, segmentName(start)) };
    this.writeFd = fs.openSync(seg.file, 'wx', 0o600);
    this.segments.push(seg);
    return seg;
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (this.writeFd !== undefined) fs.fsync(this.writeFd, () => {});
    }, this.options.syncEveryMs ?? 100);
    this.syncTimer.unref();
  }

  private makeRoom(bytes: number): void {
    if (this.bytes + bytes <= this.options.maxBytes) return;
    this.persist(); // deletes what is acknowledged
    let lost = 0;
    while (this.bytes + bytes > this.options.maxBytes && this.segments.length > 0) {
      // Never drop the file being written into: start a new one first.
      if (this.segments.length === 1 && this.writeFd !== undefined) {
        if (this.segments[0]!.size === 0) break;
        this.roll();
      }
      lost += this.dropOldest();
    }
    if (lost > 0) this.warn(`spool ${this.dir} is full (${formatSize(this.options.maxBytes)}): dropped the oldest ${lost.toLocaleString('en-US')} line${lost === 1 ? '' : 's'} (${this.dropped.toLocaleString('en-US')} so far)`);
  }

  /** Removes the oldest segment; returns how many unacknowledged lines went with it. */
  private dropOldest(): number {
    const seg = this.segments.shift()!;
    const end = seg.start + seg.size;
    let lost = 0;
    if (this.ackLsn <= seg.start) lost = seg.records;
    else if (this.ackLsn < end) scanSegment(seg.file, (e) => (lost += seg.start + e > this.ackLsn ? 1 : 0));
    this.forget(seg);
    this.pending -= lost;
    this.dropped += lost;
    this.ackLsn = Math.max(this.ackLsn, end);
    this.readLsn = Math.max(this.readLsn, end);
    // Lines of it still in flight are gone: their acknowledgements no longer count.
    while (this.inflightHead < this.inflight.length && this.inflight[this.inflightHead]! <= end) this.ackedOutOfOrder.delete(this.inflight[this.inflightHead++]!);
    return lost;
  }

  private forget(seg: Segment): void {
    if (this.reader?.segment === seg) this.closeReader();
    fs.rmSync(seg.file, { force: true });
  }

  // ---------------------------------------------------------------- read and acknowledge

  /** The next line to publish, or undefined when every line has been handed out. */
  next(): SpoolRecord | undefined {
    for (;;) {
      const seg = this.segments.find((s) => this.readLsn < s.start + s.size);
      if (!seg) return undefined;
      if (this.readLsn < seg.start) this.readLsn = seg.start;
      const record = this.readAt(seg);
      if (record) {
        this.readLsn = record.end;
        this.inflight.push(record.end);
        return record;
      }
    }
  }

  private readAt(seg: Segment): SpoolRecord | undefined {
    let r = this.reader;
    if (r?.segment !== seg) {
      this.closeReader();
      r = this.reader = { segment: seg, fd: fs.openSync(seg.file, 'r'), bufStart: seg.start, buf: Buffer.alloc(0) };
    }
    for (let refilled = false; ; refilled = true) {
      const at = this.readLsn - r.bufStart;
      const d = at >= 0 && at <= r.buf.length ? decodeAt(r.buf, at) : ({ kind: 'partial', need: 0 } as const);
      if (d.kind === 'record') {
        const { buf } = r;
        return { topic: this.topicOf(buf.subarray(d.topicStart, d.topicEnd)), payload: buf.subarray(d.topicEnd, d.end), end: r.bufStart + d.end };
      }
      const available = seg.start + seg.size - this.readLsn;
      if (d.kind === 'bad' || refilled || available <= 0) {
        // Damaged after it was checked at open (or while running): skip the rest of this file.
        this.warn(`spool ${this.dir}: ${path.basename(seg.file)} is damaged at byte ${this.readLsn - seg.start}; skipping the rest of it`);
        this.readLsn = seg.start + seg.size;
        return undefined;
      }
      // A fresh buffer each time: records handed out keep views into the old one.
      const length = Math.min(available, Math.max(READ_CHUNK, d.kind === 'partial' ? d.need : 0));
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = fs.readSync(r.fd, buf, got, length - got, this.readLsn - seg.start + got);
        if (n === 0) break;
        got += n;
      }
      r.buf = buf.subarray(0, got);
      r.bufStart = this.readLsn;
    }
  }

  /** Lines of one topic decode to one string. */
  private topicOf(bytes: Buffer): string {
    if (this.lastTopic && this.lastTopic.bytes.equals(bytes)) return this.lastTopic.text;
    const text = bytes.toString('utf8');
    this.lastTopic = { bytes: Buffer.from(bytes), text };
    return text;
  }

  private closeReader(): void {
    if (this.reader) fs.closeSync(this.reader.fd);
    this.reader = undefined;
  }

  /** The broker acknowledged the line that ends at `end` (from next()). */
  ack(end: number): void {
    if (end <= this.ackLsn) return; // dropped meanwhile
    this.ackedOutOfOrder.add(end);
    const before = this.ackLsn;
    while (this.inflightHead < this.inflight.length && this.ackedOutOfOrder.delete(this.inflight[this.inflightHead]!)) {
      this.ackLsn = this.inflight[this.inflightHead++]!;
      this.pending--;
    }
    // The position is written about once a second: losing the latest one costs resends, not lines.
    if (this.ackLsn !== before && !this.persistTimer) {
      this.persistTimer = setTimeout(() => {
        this.persistTimer = undefined;
        try {
          this.persist();
        } catch (err) {
          this.warn((err as Error).message);
        }
      }, PERSIST_EVERY_MS);
      this.persistTimer.unref();
    }
    if (this.inflightHead > 1024 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
  }

  /** After a lost connection: what was in flight and not acknowledged is handed out again (at-least-once). */
  rewind(): void {
    this.inflight = [];
    this.inflightHead = 0;
    this.ackedOutOfOrder.clear();
    this.readLsn = this.ackLsn;
  }

  /** Records the acknowledged position and deletes the files entirely behind it. */
  persist(): void {
    if (this.ackLsn === this.persistedLsn || this.closed) return;
    const cursor = path.join(this.dir, 'cursor');
    try {
      fs.writeFileSync(`${cursor}.tmp`, `${this.ackLsn}\n`, { mode: 0o600 });
      fs.renameSync(`${cursor}.tmp`, cursor);
    } catch (err) {
      throw spoolError(err, this.dir, 'Writing the cursor of');
    }
    this.persistedLsn = this.ackLsn;
    // The file being written into stays.
    while (this.segments.length > 1 && this.segments[0]!.start + this.segments[0]!.size <= this.ackLsn) this.forget(this.segments.shift()!);
  }

  /** Syncs, records the position, and unlocks. With nothing left, the files go too. */
  close(): void {
    if (this.closed) return;
    clearTimeout(this.syncTimer);
    clearTimeout(this.persistTimer);
    try {
      if (this.writeFd !== undefined) {
        fs.fsyncSync(this.writeFd);
        fs.closeSync(this.writeFd);
        this.writeFd = undefined;
      }
      this.closeReader();
      this.persist();
      if (this.pending === 0) for (const seg of this.segments.splice(0)) fs.rmSync(seg.file, { force: true });
    } finally {
      this.closed = true;
      fs.rmSync(this.lockFile, { force: true });
    }
  }
}
