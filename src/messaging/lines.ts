/**
 * One message per line from a stream, for `pub --lines`. Pulling with
 * `for await` applies backpressure: the stream is read only as fast as lines
 * are consumed (published), so memory stays flat for any input size. Lines
 * are views into the chunks read (no copies); a line split across chunks is
 * joined once. `\r\n` endings are accepted; blank lines are skipped (as
 * mosquitto_pub -l does).
 */
import { usageError } from '../core/errors.js';

export interface Line {
  /** 1-based line number in the input. */
  number: number;
  bytes: Buffer;
}

/**
 * The lines of each chunk read, as one array per chunk: the publisher loops
 * over them without a promise per line. A line over `maxBytes` fails the
 * read, unless `skipTooLong` is given: then it is reported there and skipped
 * (a long-running publisher keeps going).
 */
export async function* readLineBatches(input: AsyncIterable<Buffer | string>, maxBytes: number, skipTooLong?: (line: number, bytes: number) => void): AsyncGenerator<Line[]> {
  let carry: Buffer | undefined;
  let number = 0;
  /** Bytes of an over-long line being skipped, up to its newline. */
  let skipping = 0;
  const tooLong = (n: number, size: number) =>
    usageError('PAYLOAD_TOO_LARGE', `Line ${n} of the input is ${size} bytes; AWS IoT accepts messages of at most ${maxBytes} bytes (128 KB).`);
  const take = (batch: Line[], bytes: Buffer) => {
    number++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    if (end > maxBytes || skipping > 0) {
      if (!skipTooLong) throw tooLong(number, end);
      skipTooLong(number, skipping + end);
      skipping = 0;
      return;
    }
    if (end > 0) batch.push({ number, bytes: end === bytes.length ? bytes : bytes.subarray(0, end) });
  };
  const keep = (rest: Buffer) => {
    if (rest.length <= maxBytes + 1) return rest;
    if (!skipTooLong) throw tooLong(number + 1, rest.length);
    skipping += rest.length;
    return undefined;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const batch: Line[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    if (carry || skipping > 0) {
      if (nl < 0) {
        carry = keep(carry ? Buffer.concat([carry, chunk]) : chunk);
        continue;
      }
      // Only the straddling line is copied.
      take(batch, carry ? Buffer.concat([carry, chunk.subarray(0, nl)]) : chunk.subarray(0, nl));
      carry = undefined;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    for (; nl >= 0; nl = chunk.indexOf(10, start)) {
      take(batch, chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) carry = keep(chunk.subarray(start));
    if (batch.length > 0) yield batch;
  }
  if ((carry && carry.length > 0) || skipping > 0) {
    const batch: Line[] = [];
    take(batch, carry ?? Buffer.alloc(0));
    if (batch.length > 0) yield batch;
  }
}

export async function* readLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(input, maxBytes)) yield* batch;
}
