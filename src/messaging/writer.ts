/**
 * Line-buffered output for `sub` and `tail`: records written in the same
 * event-loop turn go out in one write at the end of the turn. No record waits
 * longer than that (so `| jq` and `| head -n 3` see each message at once),
 * and a burst of messages costs one system call instead of one per message.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileError } from '../io/files.js';

export interface ByteSink {
  write(chunk: string | Uint8Array): unknown;
}

export interface WriterHooks {
  /** Before a batch reaches the terminal (tail clears its status line). */
  before?(): void;
  after?(): void;
}

export class LineWriter {
  private parts: (string | Uint8Array)[] = [];
  private binary = false;
  private scheduled = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly hooks: WriterHooks = {},
  ) {}

  write(chunk: string | Uint8Array | (string | Uint8Array)[]): void {
    if (Array.isArray(chunk)) {
      for (const c of chunk) this.write(c);
      return;
    }
    this.parts.push(chunk);
    if (typeof chunk !== 'string') this.binary = true;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const data = this.binary ? Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))) : (parts as string[]).join('');
    this.parts = [];
    this.binary = false;
    this.hooks.before?.();
    this.sink.write(data);
    this.hooks.after?.();
  }
}

/** --output FILE: opened (and truncated) before connecting, so a bad path fails first; written synchronously. */
export function openFileSink(file: string): ByteSink & { close(): void } {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o644);
  } catch (err) {
    throw fileError(err, file, 'output file');
  }
  return {
    write: (chunk) => writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
    close: () => closeSync(fd),
  };
}
