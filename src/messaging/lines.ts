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

export async function* readLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Line> {
  let carry: Buffer | undefined;
  let number = 0;
  const tooLong = (n: number, size: number) =>
    usageError('PAYLOAD_TOO_LARGE', `Line ${n} of the input is ${size} bytes; AWS IoT accepts messages of at most ${maxBytes} bytes (128 KB).`);
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    if (carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        if (carry.length > maxBytes + 1) throw tooLong(number + 1, carry.length);
        continue;
      }
      // Only the straddling line is copied.
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
      carry = undefined;
      number++;
      const end = joined.length > 0 && joined[joined.length - 1] === 13 ? joined.length - 1 : joined.length;
      if (end > maxBytes) throw tooLong(number, end);
      if (end > 0) yield { number, bytes: joined.subarray(0, end) };
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      number++;
      const end = nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl;
      if (end > start) {
        if (end - start > maxBytes) throw tooLong(number, end - start);
        yield { number, bytes: chunk.subarray(start, end) };
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      carry = chunk.subarray(start);
      if (carry.length > maxBytes + 1) throw tooLong(number + 1, carry.length);
    }
  }
  if (carry && carry.length > 0) {
    number++;
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    if (end > maxBytes) throw tooLong(number, end);
    if (end > 0) yield { number, bytes: carry.subarray(0, end) };
  }
}
