/**
 * One line in the spool, on disk. A 12-byte header, then the topic and the
 * payload:
 *
 *   0  u8   0xA7 (marks a record: zeros left by a power cut are not one)
 *   1  u8   format version (1)
 *   2  u16  topic length (big-endian)
 *   4  u32  payload length
 *   8  u32  CRC-32 of bytes 0-7, the topic and the payload
 *
 * A record cut short (kill -9 in the middle of a write, a power cut) or
 * damaged fails its length or CRC check: the reader stops there, and the spool
 * drops the rest of that file (spool.ts). Pure: no I/O.
 */
import { createRequire } from 'node:module';

export const HEADER_BYTES = 12;
const MAGIC = 0xa7;
const VERSION = 1;
/** Larger than any record iotctl writes (topics <= 256 bytes, payloads <= 128 KB): a length beyond it is damage. */
export const MAX_RECORD_BYTES = HEADER_BYTES + 65_535 + 1024 * 1024;

export interface SpoolEntry {
  topic: string;
  payload: Buffer;
}

// ------------------------------------------------------------------ CRC-32

let table: Int32Array | undefined;

/** CRC-32 (IEEE, as zlib and gzip) in JavaScript, for Node versions before zlib.crc32 (20.15). */
function crc32js(data: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type Crc32 = (data: Uint8Array, crc?: number) => number;
let implementation: Crc32 | undefined;

/** zlib's (native, Node >= 20.15) when there is one; node:zlib is loaded on first use, not by `pub --help`. */
export function crc32(data: Uint8Array, crc = 0): number {
  implementation ??= (createRequire(import.meta.url)('node:zlib') as { crc32?: Crc32 }).crc32 ?? crc32js;
  return implementation(data, crc);
}
export { crc32js as crc32InJavaScript };

function recordCrc(buf: Buffer, start: number, end: number): number {
  return crc32(buf.subarray(start + HEADER_BYTES, end), crc32(buf.subarray(start, start + 8)));
}

// ------------------------------------------------------------------ encode

export function encodedLength(e: SpoolEntry): number {
  return HEADER_BYTES + Buffer.byteLength(e.topic) + e.payload.length;
}

/** The records of a batch, in one buffer (one write). */
export function encodeRecords(entries: readonly SpoolEntry[]): Buffer {
  let total = 0;
  for (const e of entries) total += encodedLength(e);
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const e of entries) {
    const start = at;
    const topicBytes = buf.write(e.topic, start + HEADER_BYTES);
    e.payload.copy(buf, start + HEADER_BYTES + topicBytes);
    at = start + HEADER_BYTES + topicBytes + e.payload.length;
    buf[start] = MAGIC;
    buf[start + 1] = VERSION;
    buf.writeUInt16BE(topicBytes, start + 2);
    buf.writeUInt32BE(e.payload.length, start + 4);
    buf.writeUInt32BE(recordCrc(buf, start, at), start + 8);
  }
  return buf;
}

// ------------------------------------------------------------------ decode

export type Decoded =
  /** A whole, intact record ending at `end`. */
  | { kind: 'record'; topicStart: number; topicEnd: number; end: number }
  /** The buffer ends inside the record: read `need` bytes from `start` to finish it. */
  | { kind: 'partial'; need: number }
  /** Not a record (a torn write, zeros, damage). */
  | { kind: 'bad'; reason: string };

/** Checks the record at `start` of `buf` (which holds the file's bytes up to its end, or a window of them). */
export function decodeAt(buf: Buffer, start: number): Decoded {
  const left = buf.length - start;
  if (left < HEADER_BYTES) return { kind: 'partial', need: HEADER_BYTES };
  if (buf[start] !== MAGIC) return { kind: 'bad', reason: 'no record marker' };
  if (buf[start + 1] !== VERSION) return { kind: 'bad', reason: `unknown record version ${buf[start + 1]}` };
  const topicLength = buf.readUInt16BE(start + 2);
  const size = HEADER_BYTES + topicLength + buf.readUInt32BE(start + 4);
  if (topicLength === 0 || size > MAX_RECORD_BYTES) return { kind: 'bad', reason: 'impossible lengths' };
  if (left < size) return { kind: 'partial', need: size };
  const end = start + size;
  if (recordCrc(buf, start, end) !== buf.readUInt32BE(start + 8)) return { kind: 'bad', reason: 'checksum mismatch' };
  return { kind: 'record', topicStart: start + HEADER_BYTES, topicEnd: start + HEADER_BYTES + topicLength, end };
}
