/** `tail -f` for a log file that one process appends to and may rotate. */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The text of a file from `offset` on, and its size now (a missing file is empty; a smaller one was rotated: read from the start). */
export async function readFrom(file: string, offset: number): Promise<{ text: string; size: number }> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', size: 0 };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const start = size < offset ? 0 : offset;
    if (size === start) return { text: '', size };
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.toString('utf8'), size };
  } finally {
    await handle.close();
  }
}

/**
 * The complete lines appended to a file after `offset`, a batch per poll,
 * until the signal aborts. A line may arrive in two writes: a partial last
 * line waits for the next round.
 */
export async function* followLines(file: string, options: { offset: number; signal: AbortSignal; pollMs: number }): AsyncGenerator<string> {
  let size = options.offset;
  let partial = '';
  while (!options.signal.aborted) {
    // One timer per round, ended by the signal: no listener is left behind on it.
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) return;
    const next = await readFrom(file, size);
    if (next.size < size) partial = '';
    size = next.size;
    const chunk = partial + next.text;
    const cut = chunk.lastIndexOf('\n') + 1;
    partial = chunk.slice(cut);
    if (cut > 0) yield chunk.slice(0, cut);
  }
}
