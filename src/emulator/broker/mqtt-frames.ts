/**
 * Reads MQTT's framing (the fixed header: packet type, flags, remaining
 * length) from a byte stream without keeping any of it, so the broker can
 * refuse a packet as soon as its header declares too many bytes, before the
 * parser buffers its body, and count packets by type. The fixed header is the
 * same in MQTT 3.1.1 and 5, so this does not depend on the broker library.
 */

export const PACKET_NAMES = ['RESERVED', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];
export const PUBLISH = 3;
export const PUBACK = 4;

export interface FrameHeader {
  /** 1 (CONNECT) to 15 (AUTH). */
  type: number;
  /** The low four bits of the first byte (PUBLISH: DUP, QoS, RETAIN). */
  flags: number;
  /** The remaining length: bytes after the fixed header. */
  length: number;
}

/** Why the stream cannot be read further. */
export type FrameProblem = { kind: 'too-large'; header: FrameHeader } | { kind: 'malformed' };

/** Where the scanner is: the first byte, the remaining length, or the body. */
const State = { Type: 0, Length: 1, Body: 2 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Feeds bytes through MQTT's fixed headers. `onHeader` sees each header as
 * soon as it is complete; `push` returns a problem once a header declares more
 * than `maxLength`, or its length is not a valid variable byte integer.
 */
export class FrameScanner {
  private state: State = State.Type;
  private first = 0;
  private length = 0;
  private multiplier = 1;
  private left = 0;
  private problem: FrameProblem | undefined;

  constructor(
    private readonly maxLength: number,
    private readonly onHeader?: (header: FrameHeader) => void,
  ) {}

  push(chunk: Uint8Array): FrameProblem | undefined {
    let i = 0;
    while (i < chunk.length && !this.problem) {
      switch (this.state) {
        case State.Type:
          this.first = chunk[i++]!;
          this.length = 0;
          this.multiplier = 1;
          this.state = State.Length;
          break;
        case State.Length: {
          const byte = chunk[i++]!;
          this.length += (byte & 0x7f) * this.multiplier;
          if (byte & 0x80) {
            this.multiplier *= 128;
            // A remaining length has at most four bytes.
            if (this.multiplier > 128 ** 3) this.problem = { kind: 'malformed' };
            break;
          }
          this.headerDone();
          break;
        }
        case State.Body: {
          const n = Math.min(this.left, chunk.length - i);
          i += n;
          this.left -= n;
          if (this.left === 0) this.state = State.Type;
          break;
        }
      }
    }
    return this.problem;
  }

  private headerDone(): void {
    const header: FrameHeader = { type: this.first >> 4, flags: this.first & 0x0f, length: this.length };
    if (header.length > this.maxLength) {
      this.problem = { kind: 'too-large', header };
      return;
    }
    this.onHeader?.(header);
    this.left = header.length;
    this.state = header.length === 0 ? State.Type : State.Body;
  }
}

/**
 * Scans what the broker reads from `conn`. Attach it after the broker's own
 * reader: a 'data' listener added beside a 'readable' one only watches, and
 * sees each chunk before the broker's parser does.
 */
export function scanInbound(conn: NodeJS.ReadableStream, scanner: FrameScanner, onProblem: (problem: FrameProblem) => void): void {
  const onData = (chunk: Buffer) => {
    const problem = scanner.push(chunk);
    if (!problem) return;
    conn.removeListener('data', onData);
    onProblem(problem);
  };
  conn.on('data', onData);
}
