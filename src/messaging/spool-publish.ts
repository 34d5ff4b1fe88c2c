/**
 * `iotctl pub --lines --qos 1 --spool <dir>`: a publisher that loses no line
 * to an outage, a reboot or kill -9. Two loops share the spool (spool.ts):
 *
 * - input: every line read is checked, appended to the spool and counted. It
 *   never waits for the broker while disconnected (the spool absorbs the
 *   outage, dropping the oldest lines when full); while connected, a producer
 *   faster than the broker waits once the spool is full, so speed alone loses
 *   nothing.
 * - connection: connects (retrying with backoff), publishes from the spool in
 *   order, at QoS 1, a window at a time; a line leaves the spool only when its
 *   PUBACK arrives. After a lost connection, what was not acknowledged is sent
 *   again: at-least-once.
 *
 * It ends when the input has ended and the spool is empty (so a run with
 * empty stdin drains what an earlier run left), on Ctrl-C/SIGTERM (the spool
 * keeps the rest), or on an error no retry fixes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, IotctlError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { formatSize } from '../core/size.js';
import { Backoff, type BackoffOptions } from '../mqtt/backoff.js';
import { Pacer, paceFor } from '../mqtt/pacing.js';
import type { MqttSession, PublishProperties } from '../mqtt/types.js';
import type { Colors } from '../io/colors.js';
import type { DecodedLine } from './line-format.js';
import { readLineBatches } from './lines.js';
import { windowFor } from './publish.js';
import { Spool } from './spool.js';
import type { SpoolEntry } from './spool-record.js';
import { isFatal, type TailState } from './subscribe.js';

export interface SpoolPlan {
  dir: string;
  maxBytes: number;
  input: AsyncIterable<Buffer | string> & { destroy?(): void };
  decode(line: Buffer): DecodedLine;
  /** Lines longer than this are skipped unread (the decoder checks the payload's own limit). */
  maxLineBytes: number;
  retain: boolean;
  properties?: PublishProperties;
  /** --rate (see pacing.ts). */
  rate?: number;
  /** --heartbeat: a status document every `everyMs`, at QoS 0, not spooled. */
  heartbeat?: { everyMs: number; topic: string };
}

export interface SpoolCounts {
  /** Lines read and spooled by this run. */
  spooled: number;
  /** Lines an earlier run left in the spool. */
  recovered: number;
  /** PUBLISHes sent (resends included). */
  published: number;
  /** Lines the broker acknowledged (they left the spool). */
  acknowledged: number;
  /** Oldest lines dropped because the spool was full. */
  dropped: number;
  /** Input lines refused (not JSON, bad topic, too long...). */
  skipped: number;
  /** Lines still in the spool. */
  pending: number;
  /** Bytes of the spool on disk. */
  bytes: number;
}

export interface SpoolResult extends SpoolCounts {
  spool: string;
  durationMs: number;
  interrupted: boolean;
}

export interface SpoolDeps {
  connect(): Promise<MqttSession>;
  signal: AbortSignal;
  warn(message: string): void;
  log?(line: string): void;
  /** Connection state changes, and where to read the counts (for a status line). */
  status?(state: TailState, counts: () => SpoolCounts): void;
  backoff?: BackoffOptions & { stableMs?: number };
}

/** A publish denied after a hang-up (MQTT 3.1.1 can only guess) this many times in a row, with no line acknowledged between, is final. */
const DENIALS_BEFORE_GIVING_UP = 3;
/** While connected with a full spool, how often the input checks for room. */
const ROOM_CHECK_MS = 100;
/** After Ctrl-C, how long acknowledgements of lines in flight are awaited. */
const STOP_GRACE_MS = 1000;

/** Wakes one waiting loop; a notification that comes before the wait is not lost. */
class Wakeup {
  private pending = false;
  private resolve?: () => void;
  notify = (): void => {
    const r = this.resolve;
    this.resolve = undefined;
    if (r) r();
    else this.pending = true;
  };
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((r) => (this.resolve = r));
  }
}

export async function runSpooledPub(plan: SpoolPlan, deps: SpoolDeps): Promise<SpoolResult> {
  const started = performance.now();
  const spool = Spool.open(plan.dir, { maxBytes: plan.maxBytes, warn: deps.warn });
  const c = { spooled: 0, published: 0, acknowledged: 0, skipped: 0 };
  const counts = (): SpoolCounts => ({ ...c, recovered: spool.recovered, dropped: spool.dropped, pending: spool.pending, bytes: spool.bytes });
  if (spool.recovered > 0) deps.log?.(`spool ${plan.dir}: ${spool.recovered.toLocaleString('en-US')} lines left by an earlier run go first`);

  /** What the publishing loop waits on: an acknowledgement, new lines, a lost connection, the end of the input, Ctrl-C. */
  const wake = new Wakeup();
  const { signal } = deps;
  signal.addEventListener('abort', wake.notify, { once: true });
  let inputDone = false;
  let finished = false;
  let fatal: IotctlError | undefined;
  /** The session while it is up. */
  let session: MqttSession | undefined;
  const stopping = () => signal.aborted || fatal !== undefined;
  const done = () => inputDone && spool.pending === 0;

  // ---------------------------------------------------------------- input
  const skip = (line: number, why: string) => {
    c.skipped++;
    deps.warn(`line ${line} skipped: ${why}`);
  };
  void (async () => {
    for await (const batch of readLineBatches(plan.input, plan.maxLineBytes, (n, bytes) => skip(n, `${bytes} bytes, longer than any message AWS IoT accepts`))) {
      const entries: SpoolEntry[] = [];
      for (const line of batch) {
        const d = plan.decode(line.bytes);
        if (d.error !== undefined) skip(line.number, d.error);
        else entries.push(d);
      }
      // Connected and full: let the broker catch up (files the acknowledgements have passed are deleted by persist()).
      while (session && !stopping() && !finished && spool.bytes >= spool.maxBytes * 0.9) {
        await sleep(ROOM_CHECK_MS);
        spool.persist();
      }
      if (stopping() || finished) break;
      spool.append(entries);
      c.spooled += entries.length;
      wake.notify();
    }
  })().then(
    () => {
      inputDone = true;
      deps.log?.(`the input ended: ${c.spooled.toLocaleString('en-US')} lines spooled`);
      wake.notify();
    },
    (err: unknown) => {
      inputDone = true;
      if (!signal.aborted && !finished) fatal ??= err instanceof IotctlError ? err : new IotctlError('INPUT_FAILED', `Reading the input failed: ${(err as Error).message}`, { cause: err });
      wake.notify();
    },
  );

  // ---------------------------------------------------------------- heartbeat
  const beat = () => {
    if (!plan.heartbeat || !session || session.closed) return;
    const n = counts();
    const doc = {
      clientId: session.info.clientId,
      at: new Date().toISOString(),
      uptime: Math.round((performance.now() - started) / 1000),
      spool: { lines: n.pending, bytes: n.bytes },
      sent: n.acknowledged,
      dropped: n.dropped,
      skipped: n.skipped,
    };
    session.send({ topic: plan.heartbeat.topic, payload: Buffer.from(JSON.stringify(doc)), qos: 0 }, () => {});
  };
  const heartbeat = plan.heartbeat ? setInterval(beat, plan.heartbeat.everyMs) : undefined;
  heartbeat?.unref();

  // ---------------------------------------------------------------- connection
  let pacer: Pacer | undefined;
  let denials = 0;
  /** Publishes from the spool until done, stopped, or the connection is lost (returned). */
  const pump = async (s: MqttSession): Promise<IotctlError | undefined> => {
    let lost: IotctlError | undefined;
    s.onLost((e) => {
      lost = e;
      wake.notify();
    });
    pacer ??= new Pacer(paceFor(s.info.endpoint, plan.rate));
    const window = windowFor(s.info.endpoint, 1, s.info.version);
    let inflight = 0;
    const acked = (end: number) => (e?: IotctlError) => {
      inflight--;
      if (!e) {
        spool.ack(end);
        c.acknowledged++;
        denials = 0;
      } else if (!s.closed) {
        // Refused by the broker on a live connection (MQTT 5 PUBACK): no retry changes that.
        fatal ??= e;
      }
      wake.notify();
    };
    spool.rewind();
    while (!lost && !stopping() && !done()) {
      while (inflight < window && !lost && !stopping()) {
        const record = spool.next();
        if (!record) break;
        const delay = pacer.delay(record.payload.length);
        if (delay > 0) await sleep(delay);
        inflight++;
        c.published++;
        s.send({ topic: record.topic, payload: record.payload, qos: 1, retain: plan.retain, properties: plan.properties }, acked(record.end));
      }
      await wake.wait();
    }
    if (signal.aborted) {
      const deadline = performance.now() + STOP_GRACE_MS;
      while (inflight > 0 && !lost && performance.now() < deadline) await Promise.race([wake.wait(), sleep(50)]);
    }
    return lost;
  };

  const backoff = new Backoff(deps.backoff);
  let everConnected = false;
  try {
    while (!stopping() && !done()) {
      deps.status?.({ kind: 'connecting', attempt: backoff.attempts }, counts);
      let lost: IotctlError | undefined;
      let s: MqttSession | undefined;
      try {
        s = await deps.connect();
      } catch (err) {
        if (!(err instanceof IotctlError)) throw err;
        lost = err;
      }
      if (s) {
        session = s;
        everConnected = true;
        backoff.connected();
        deps.status?.({ kind: 'connected', since: Date.now() }, counts);
        beat();
        lost = await pump(s);
        session = undefined;
        await s.disconnect();
      }
      if (!lost || stopping()) break;
      if (lost.exitCode === ExitCode.INTERRUPTED) break;
      // A denial is final before the first connection (a typo should fail fast) and after a few in a row:
      // on MQTT 3.1.1 a hang-up right after a PUBLISH only suggests one.
      const denied = lost.exitCode === ExitCode.DENIED && (!everConnected || ++denials >= DENIALS_BEFORE_GIVING_UP);
      if (denied || (lost.exitCode !== ExitCode.DENIED && isFatal(lost, everConnected))) {
        fatal = lost;
        break;
      }
      const delay = backoff.next();
      deps.warn(`${lost.message} Reconnecting in ${formatDuration(delay)}; ${spool.pending.toLocaleString('en-US')} lines in the spool.`);
      deps.status?.({ kind: 'reconnecting', inMs: delay, attempt: backoff.attempts, reason: lost.message }, counts);
      await sleep(delay, undefined, { signal }).catch(() => {});
    }
  } finally {
    finished = true;
    clearInterval(heartbeat);
    signal.removeEventListener('abort', wake.notify);
    if (!inputDone) plan.input.destroy?.();
    spool.close();
  }

  const result: SpoolResult = { spool: plan.dir, ...counts(), durationMs: Math.round(performance.now() - started), interrupted: signal.aborted };
  if (fatal) {
    const left = result.pending === 0 ? '' : ` ${result.pending.toLocaleString('en-US')} line${result.pending === 1 ? '' : 's'} stay${result.pending === 1 ? 's' : ''} in the spool ${plan.dir} for the next run.`;
    throw new IotctlError(fatal.code, fatal.message + left, { exitCode: fatal.exitCode, hint: fatal.hint, cause: fatal, details: { ...fatal.details, ...counts() } });
  }
  return result;
}

/** The status line of a spooled publisher on a terminal. */
export function spoolStatusText(state: TailState, where: string, n: SpoolCounts, now: number, c: Colors): string {
  const spool = `spool ${n.pending.toLocaleString('en-US')} line${n.pending === 1 ? '' : 's'} (${formatSize(n.bytes)})`;
  const tail = [`${n.acknowledged.toLocaleString('en-US')} sent`, n.dropped > 0 ? c.red(`${n.dropped.toLocaleString('en-US')} dropped`) : '', n.skipped > 0 ? `${n.skipped.toLocaleString('en-US')} skipped` : '']
    .filter(Boolean)
    .join(' · ');
  switch (state.kind) {
    case 'connecting':
      return `${c.yellow('○')} connecting to ${where}${state.attempt > 0 ? ` (attempt ${state.attempt + 1})` : ''} · ${spool} · ${tail}`;
    case 'connected':
      return `${c.green('●')} connected to ${where} · ${spool} · ${tail} · up ${formatDuration(Math.max(0, now - state.since))}`;
    case 'reconnecting':
      return `${c.red('○')} reconnecting in ${formatDuration(state.inMs)} (attempt ${state.attempt}) · ${spool} · ${tail}`;
  }
}
