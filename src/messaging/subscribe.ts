/**
 * `iotctl sub` (one session: until --count, --timeout or Ctrl-C) and
 * `iotctl tail` (follow until Ctrl-C: reconnect with backoff, resubscribe).
 * Both print received messages through a Renderer into a LineWriter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, IotctlError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { Backoff, type BackoffOptions } from '../mqtt/backoff.js';
import type { IncomingMessage, MqttSession, QoS } from '../mqtt/types.js';
import type { Renderer } from './render.js';
import type { LineWriter } from './writer.js';

export interface Subscription {
  filters: string[];
  qos: QoS;
}

export interface ReceiveDeps {
  connect(): Promise<MqttSession>;
  signal: AbortSignal;
  render: Renderer;
  writer: LineWriter;
  warn(message: string): void;
  log?(line: string): void;
}

/** Subscribes every filter, one SUBSCRIBE each (a refusal then names its filter). */
async function subscribeAll(session: MqttSession, sub: Subscription, warn: (m: string) => void): Promise<void> {
  for (const filter of sub.filters) {
    const granted = await session.subscribe(filter, sub.qos);
    if (granted < sub.qos) warn(`the broker granted QoS ${granted} for "${filter}" (asked for ${sub.qos})`);
  }
}

export interface SubOptions extends Subscription {
  count?: number;
  timeoutMs?: number;
}

export interface SubResult {
  received: number;
  exitCode: ExitCode;
}

export async function runSub(o: SubOptions, deps: ReceiveDeps): Promise<SubResult> {
  const session = await deps.connect();
  let received = 0;
  let finish!: (code: ExitCode) => void;
  let fail!: (e: IotctlError) => void;
  const ended = new Promise<ExitCode>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  session.onMessage((m: IncomingMessage) => {
    // Messages already on their way when --count is reached are not printed.
    if (o.count !== undefined && received >= o.count) return;
    received++;
    deps.writer.write(deps.render(m));
    if (o.count !== undefined && received >= o.count) finish(ExitCode.OK);
  });
  session.onLost(fail);
  const onAbort = () => finish(ExitCode.INTERRUPTED);
  deps.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    if (deps.signal.aborted) return { received, exitCode: ExitCode.INTERRUPTED };
    await Promise.race([subscribeAll(session, o, deps.warn), ended]);
    deps.log?.(`subscribed to ${o.filters.join(', ')}`);
    if (o.count === 0) finish(ExitCode.OK);
    // The timeout counts from the moment the subscriptions are in place.
    if (o.timeoutMs !== undefined) timer = setTimeout(() => finish(ExitCode.TIMEOUT), o.timeoutMs);
    const exitCode = await ended;
    return { received, exitCode };
  } finally {
    clearTimeout(timer);
    deps.signal.removeEventListener('abort', onAbort);
    deps.writer.flush();
    await session.disconnect();
  }
}

// ---------------------------------------------------------------------- tail

export type TailState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected'; since: number }
  | { kind: 'reconnecting'; inMs: number; attempt: number; reason: string };

export interface TailDeps extends ReceiveDeps {
  status(state: TailState): void;
  /** Messages counted for the status line. */
  counted(): void;
  backoff?: BackoffOptions & { stableMs?: number };
}

/**
 * Errors that a retry will not fix. Before the first connection only network
 * trouble is retried (a typo in a flag should fail fast); after it, anything
 * but a usage error or a denial is.
 */
export function isFatal(e: IotctlError, everConnected: boolean): boolean {
  if (e.exitCode === ExitCode.USAGE || e.exitCode === ExitCode.DENIED) return true;
  if ((e.details as { reasonCode?: number } | undefined)?.reasonCode === 0x8e) return true; // session taken over: another client has our id
  if (everConnected) return false;
  return !['CONNECTION_FAILED', 'CONNECT_TIMEOUT', 'CONNECTION_LOST', 'DISCONNECTED'].includes(e.code);
}

function sessionTakenOver(e: IotctlError): IotctlError {
  return new IotctlError('SESSION_TAKEN_OVER', 'Another client connected with the same client id, so the server closed this session.', {
    exitCode: ExitCode.CONNECTION,
    hint: 'use a unique --client-id per connection',
  });
}

export async function runTail(sub: Subscription, deps: TailDeps): Promise<ExitCode> {
  const backoff = new Backoff(deps.backoff);
  let everConnected = false;
  while (!deps.signal.aborted) {
    deps.status({ kind: 'connecting', attempt: backoff.attempts });
    let session: MqttSession | undefined;
    let lost: IotctlError | undefined;
    try {
      session = await deps.connect();
      const gone = new Promise<IotctlError>((resolve) => session!.onLost(resolve));
      session.onMessage((m) => {
        deps.writer.write(deps.render(m));
        deps.counted();
      });
      await Promise.race([subscribeAll(session, sub, deps.warn), gone.then((e) => Promise.reject(e))]);
      everConnected = true;
      backoff.connected();
      deps.log?.(`subscribed to ${sub.filters.join(', ')}`);
      deps.status({ kind: 'connected', since: Date.now() });
      const aborted = new Promise<undefined>((resolve) => {
        if (deps.signal.aborted) resolve(undefined);
        deps.signal.addEventListener('abort', () => resolve(undefined), { once: true });
      });
      lost = await Promise.race([gone, aborted]);
    } catch (err) {
      if (!(err instanceof IotctlError)) throw err;
      lost = err;
    }
    if (deps.signal.aborted || !lost) {
      // Ctrl-C: DISCONNECT cleanly.
      deps.writer.flush();
      await session?.disconnect();
      break;
    }
    await session?.disconnect();
    if ((lost.details as { reasonCode?: number } | undefined)?.reasonCode === 0x8e) throw sessionTakenOver(lost);
    if (lost.exitCode === ExitCode.INTERRUPTED) break;
    if (isFatal(lost, everConnected)) throw lost;
    const delay = backoff.next();
    deps.log?.(`${lost.message} reconnecting in ${formatDuration(delay)}`);
    deps.status({ kind: 'reconnecting', inMs: delay, attempt: backoff.attempts, reason: lost.message });
    await sleep(delay, undefined, { signal: deps.signal }).catch(() => {});
  }
  deps.writer.flush();
  return ExitCode.INTERRUPTED;
}
