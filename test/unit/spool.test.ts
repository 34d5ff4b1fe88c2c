/**
 * The spool on a real file system: order, acknowledgement, recovery after a
 * crash (the lock left behind, a torn last record, damage), the size bound,
 * and one publisher per spool. The process-level behaviour (kill -9 of
 * `iotctl pub --spool`, a broker that comes back) is in
 * test/integration/spool-publish.test.ts.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../src/messaging/spool.js';
import { crc32InJavaScript, decodeAt, encodeRecords } from '../../src/messaging/spool-record.js';
import { formatSize, parseSize } from '../../src/core/size.js';

const MB = 1024 * 1024;
const fresh = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-spool-')), 'spool');
const lines = (from: number, to: number, topic = 't/a') => Array.from({ length: to - from + 1 }, (_, i) => ({ topic, payload: Buffer.from(`line ${from + i}`) }));
const text = (r: SpoolRecord | undefined) => r?.payload.toString();

function drain(spool: Spool, ack = true): SpoolRecord[] {
  const out: SpoolRecord[] = [];
  for (let r = spool.next(); r; r = spool.next()) {
    out.push(r);
    if (ack) spool.ack(r.end);
  }
  return out;
}

/** What a kill -9 leaves: files as written, the lock of a process that is gone. */
function crash(spool: Spool, dir: string): void {
  spool.persist();
  writeFileSync(path.join(dir, 'lock'), '999999999 -\n');
}

describe('records', () => {
  it('the JavaScript CRC-32 (Node < 20.15) agrees with zlib', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('123456789'), Buffer.from('x'.repeat(1000))]) {
      const z = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
      expect(crc32InJavaScript(data)).toBe(z ? z(data) : crc32InJavaScript(data));
    }
    expect(crc32InJavaScript(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('a record cut short, flipped or zeroed is not a record', () => {
    const buf = encodeRecords([{ topic: 'dt/pi01', payload: Buffer.from('{"t":21}') }]);
    expect(decodeAt(buf, 0)).toMatchObject({ kind: 'record', end: buf.length });
    expect(decodeAt(buf.subarray(0, buf.length - 1), 0).kind).toBe('partial');
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 1] ^= 1;
    expect(decodeAt(flipped, 0)).toEqual({ kind: 'bad', reason: 'checksum mismatch' });
    expect(decodeAt(Buffer.alloc(64), 0).kind).toBe('bad');
  });

  it('sizes', () => {
    expect(parseSize('64MB')).toBe(64 * MB);
    expect(parseSize('1.5 GiB')).toBe(1.5 * 1024 * MB);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('100')).toBe(100);
    expect(parseSize('ten')).toBeUndefined();
    expect(parseSize('5 PB')).toBeUndefined();
    expect(formatSize(64 * MB)).toBe('64 MB');
    expect(formatSize(1536)).toBe('1.5 KB');
  });
});

describe('the spool', () => {
  it('hands lines out in order across segment files, and leaves nothing once all are acknowledged', () => {
    const dir = fresh();
    const spool = Spool.open(dir, { maxBytes: 8 * MB, segmentBytes: 4096 });
    spool.append(lines(1, 500));
    spool.append(lines(501, 1000, 't/b'));
    expect(spool.pending).toBe(1000);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(2);
    const got = drain(spool);
    expect(got.map(text)).toEqual(lines(1, 1000).map((l) => l.payload.toString()));
    expect(got[999]!.topic).toBe('t/b');
    expect(spool.pending).toBe(0);
    spool.append(lines(1001, 2000));
    drain(spool);
    spool.close();
    expect(readdirSync(dir).sort()).toEqual(['cursor']);
  });

  it('acknowledgements out of order move the position only over a whole prefix', () => {
    const dir = fresh();
    const spool = Spool.open(dir, { maxBytes: 8 * MB });
    spool.append(lines(1, 3));
    const [a, b, c] = drain(spool, false);
    spool.ack(c!.end);
    spool.ack(b!.end);
    expect(spool.pending).toBe(3);
    spool.ack(a!.end);
    expect(spool.pending).toBe(0);
    spool.close();
  });

  it('after a lost connection, what was not acknowledged is handed out again', () => {
    const spool = Spool.open(fresh(), { maxBytes: 8 * MB });
    spool.append(lines(1, 5));
    const first = drain(spool, false);
    spool.ack(first[0]!.end);
    spool.rewind();
    expect(drain(spool).map(text)).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);
    spool.close();
  });

  it('a later run starts with what an earlier one left, in order, then appends after it', () => {
    const dir = fresh();
    const one = Spool.open(dir, { maxBytes: 8 * MB, segmentBytes: 4096 });
    one.append(lines(1, 300));
    for (let i = 0; i < 120; i++) one.ack(one.next()!.end);
    one.close();
    const two = Spool.open(dir, { maxBytes: 8 * MB, segmentBytes: 4096 });
    expect(two.recovered).toBe(180);
    two.append(lines(301, 310));
    expect(drain(two).map(text)).toEqual(lines(121, 310).map((l) => l.payload.toString()));
    two.close();
  });

  it('after a crash: the lock left behind is taken over, and a torn last record is dropped with a warning', () => {
    const dir = fresh();
    const one = Spool.open(dir, { maxBytes: 8 * MB });
    one.append(lines(1, 10));
    crash(one, dir);
    const seg = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    truncateSync(seg, statSync(seg).size - 3); // kill -9 in the middle of a write
    const warnings: string[] = [];
    const two = Spool.open(dir, { maxBytes: 8 * MB, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/ends with a record cut short; dropped its last \d+ B \(a write cut short by a crash or power cut\)/)]);
    expect(two.recovered).toBe(9);
    expect(drain(two).map(text)).toEqual(lines(1, 9).map((l) => l.payload.toString()));
    two.close();
  });

  it('garbage after the last record (a power cut can leave zeros) is cut off; damage in the middle ends that file', () => {
    const dir = fresh();
    const one = Spool.open(dir, { maxBytes: 8 * MB });
    one.append(lines(1, 10));
    crash(one, dir);
    const seg = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    appendFileSync(seg, Buffer.alloc(4096));
    const bytes = readFileSync(seg);
    bytes[200] ^= 0xff; // inside a record of the middle
    writeFileSync(seg, bytes);
    const warnings: string[] = [];
    const two = Spool.open(dir, { maxBytes: 8 * MB, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ends with (checksum mismatch|no record marker)/);
    const got = drain(two).map(text);
    expect(got.length).toBeLessThan(10);
    expect(got).toEqual(lines(1, got.length).map((l) => l.payload.toString()));
    two.close();
  });

  it('when full, drops the oldest lines, counts them and warns; never more than the bound on disk', () => {
    const dir = fresh();
    const warnings: string[] = [];
    const spool = Spool.open(dir, { maxBytes: 1 * MB, segmentBytes: 128 * 1024, warn: (m) => warnings.push(m) });
    const payload = Buffer.alloc(1000, 0x61);
    for (let i = 0; i < 3000; i++) spool.append([{ topic: 't', payload: Buffer.concat([Buffer.from(`${i} `), payload]) }]);
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(1 * MB);
    expect(spool.dropped).toBeGreaterThan(1900);
    expect(spool.pending + spool.dropped).toBe(3000);
    expect(warnings.at(-1)).toMatch(/spool .* is full \(1 MB\): dropped the oldest [\d,]+ lines \([\d,]+ so far\)/);
    const got = drain(spool).map((r) => Number(r.payload.toString().split(' ')[0]));
    expect(got[0]).toBe(spool.dropped);
    expect(got.at(-1)).toBe(2999);
    spool.close();
  });

  it('one publisher per spool: a live lock is refused', () => {
    const dir = fresh();
    const one = Spool.open(dir, { maxBytes: 8 * MB });
    expect(() => Spool.open(dir, { maxBytes: 8 * MB })).toThrow(expect.objectContaining({ code: 'SPOOL_IN_USE', message: expect.stringMatching(new RegExp(`in use by process ${process.pid}`)) }));
    one.close();
    Spool.open(dir, { maxBytes: 8 * MB }).close();
  });

  it('refuses a file as its directory and a bound below 1 MB', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-spool-')), 'plain');
    writeFileSync(file, 'x');
    expect(() => Spool.open(file, { maxBytes: 8 * MB })).toThrow(expect.objectContaining({ code: 'SPOOL_NOT_A_DIRECTORY', exitCode: 2 }));
    expect(() => Spool.open(fresh(), { maxBytes: 1000 })).toThrow(expect.objectContaining({ code: 'SPOOL_TOO_SMALL', exitCode: 2 }));
  });
});
