/**
 * `iotctl pub`: one message (optionally repeated) or one message per input
 * line, over one session. QoS 1 messages are counted until the broker
 * acknowledges them; the run succeeds only when all of them were. A window
 * of messages in flight bounds memory; the pacer keeps to AWS IoT's limits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, IotctlError, usageError } from '../core/errors.js';
import { AWS_PUBLISHES_PER_SECOND, isAwsHost, Pacer, paceFor } from '../mqtt/pacing.js';
import type { MqttSession, PublishProperties, QoS } from '../mqtt/types.js';
import type { DecodedLine } from './line-format.js';
import { readLineBatches } from './lines.js';
import { MAX_PAYLOAD_BYTES } from './payload.js';
import { compilePayloadTemplate, hasPlaceholders, type PayloadTemplate } from './template.js';

export type MessageSource =
  | { kind: 'single'; payload: Buffer }
  /** `decode`: --line-format json or tsv (each line names its topic); without it, every line goes to the plan's topic. */
  | { kind: 'lines'; input: AsyncIterable<Buffer | string> & { destroy?(): void }; decode?: (line: Buffer) => DecodedLine };

export interface PubPlan {
  /** Unset only when every line names its topic (--line-format json or tsv). */
  topic?: string;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  source: MessageSource;
  /** Expand {{seq}}, {{ts}}, {{uuid}}... in payloads. */
  template: boolean;
  repeat: number;
  intervalMs: number;
  /** --rate: messages per second, 0 = unlimited; default: AWS IoT's limit on AWS endpoints, none elsewhere. */
  rate?: number;
}

export interface PubResult {
  topic?: string;
  qos: QoS;
  published: number;
  acknowledged: number;
  unacknowledged: number;
  durationMs: number;
  messagesPerSecond: number;
  interrupted: boolean;
}

/**
 * Where runPub sends: an MQTT session, or the HTTPS data plane's publisher
 * (dataplane/publisher.ts). `send` calls `done` exactly once per message.
 */
export interface PublishChannel {
  readonly info: Pick<MqttSession['info'], 'endpoint' | 'clientId'> & { version?: MqttSession['info']['version'] };
  send: MqttSession['send'];
  flush: MqttSession['flush'];
}

export interface PubDeps {
  session: PublishChannel;
  signal: AbortSignal;
  log?(line: string): void;
}

/** QoS 0 on MQTT 3.1.1, unpaced: make sure the broker has caught up every this many messages. */
const FLUSH_EVERY = 5000;

/**
 * Messages in flight at once. AWS IoT allows 100 unacknowledged QoS 1
 * messages per connection. Locally, QoS 1 runs faster with more in flight
 * (the broker's acknowledgements take a while under load) and QoS 0 needs
 * fewer (flushes pace it); both sizes keep 1,000,000 lines under 100 MB.
 */
export function windowFor(host: string, qos: QoS): number {
  if (isAwsHost(host)) return AWS_PUBLISHES_PER_SECOND;
  return qos === 1 ? 384 : 256;
}

/**
 * For a long stream in a process of its own: keep V8's young generation at
 * its initial size. Each message allocates a few short-lived objects (ours
 * and the SDK's promises); V8 answers that rate by growing the young
 * generation towards 2 x 16 MB, which is most of what `pub --lines` would
 * otherwise hold above its baseline (measured: 125 MB peak for 100,000
 * lines, 95 MB with this, at the same speed). The flag is read at each
 * growth, so setting it now takes effect.
 */
export async function keepYoungGenerationSmall(): Promise<void> {
  const { default: v8 } = await import('node:v8');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

export function payloadTooLarge(bytes: number, what = 'The message'): IotctlError {
  return usageError('PAYLOAD_TOO_LARGE', `${what} is ${bytes} bytes; AWS IoT accepts messages of at most ${MAX_PAYLOAD_BYTES} bytes (128 KB).`);
}

/** The payload of a single message with its template compiled (so unknown variables fail before connecting). */
export function prepareSingle(payload: Buffer, template: boolean): (seq: number, ctx: { clientId: string; topic: string }) => Buffer {
  if (template && payload.includes('{{')) {
    const render = compilePayloadTemplate(payload.toString('utf8'));
    return (seq, c) => Buffer.from(render({ seq, ...c }));
  }
  if (payload.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(payload.length);
  return () => payload;
}

export async function runPub(plan: PubPlan, deps: PubDeps): Promise<PubResult> {
  const { session, signal } = deps;
  const { topic, qos, retain, properties } = plan;
  const pacer = new Pacer(paceFor(session.info.endpoint, plan.rate));
  const window = windowFor(session.info.endpoint, qos);
  const ctx = { clientId: session.info.clientId, topic: topic ?? '' };
  if (!pacer.unlimited) deps.log?.(`pacing publishes to ${plan.rate ?? AWS_PUBLISHES_PER_SECOND}/s`);

  let published = 0;
  let acknowledged = 0;
  let inflight = 0;
  let stop = false;
  let firstError: IotctlError | undefined;
  let wake: (() => void) | undefined;
  let wakeAt = 0;
  // The session calls this exactly once per message, also when the connection is lost.
  const done = (e?: IotctlError) => {
    inflight--;
    if (e) {
      firstError ??= e;
      stop = true;
    } else acknowledged++;
    if (wake && (inflight <= wakeAt || stop)) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  /** Resolves when at most `level` messages are in flight (or the run stops). */
  const drained = (level: number) => {
    wakeAt = level;
    return new Promise<void>((r) => (wake = r));
  };
  const onAbort = () => {
    stop = true;
    wake?.();
    if (plan.source.kind === 'lines') plan.source.input.destroy?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });

  // QoS 0 on MQTT 3.1.1 has no backpressure of its own (see MqttSession.flush):
  // an unpaced stream waits for the broker every FLUSH_EVERY messages.
  const flushEvery = qos === 0 && session.info.version === 3 && pacer.unlimited ? FLUSH_EVERY : 0;
  let flushing: Promise<void> | undefined;
  const flushPoint = async () => {
    const previous = flushing;
    flushing = session.flush().catch((e: IotctlError) => {
      firstError ??= e;
      stop = true;
    });
    if (previous) await previous;
  };

  // Waits only when it must (pacing, a full window, --interval): the common path costs no promise.
  const send = async (payload: Uint8Array, first: boolean, to = topic!): Promise<void> => {
    if (!first && plan.intervalMs > 0 && !stop) await sleep(plan.intervalMs, undefined, { signal }).catch(() => {});
    const delay = pacer.delay(payload.length);
    if (delay > 0) await sleep(delay);
    // One out, one in: waiting for the window to drain further made MQTT 3.1.1 QoS 1 four times slower (the
    // broker's acknowledgements then come in bursts).
    while (inflight >= window && !stop) await drained(window - 1);
    if (stop) return;
    inflight++;
    published++;
    session.send({ topic: to, payload, qos, retain, properties }, done);
    if (flushEvery && published % flushEvery === 0) await flushPoint();
  };
  const mustWait = () => inflight >= window || plan.intervalMs > 0 || !pacer.unlimited || (flushEvery > 0 && (published + 1) % flushEvery === 0);

  const started = performance.now();
  try {
    if (plan.source.kind === 'single') {
      const payloadFor = prepareSingle(plan.source.payload, plan.template);
      for (let seq = 1; seq <= plan.repeat && !stop; seq++) {
        const payload = payloadFor(seq, ctx);
        if (payload.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(payload.length, `Message ${seq}`);
        await send(payload, seq === 1);
      }
    } else {
      let seq = 0;
      let template: { text: string; render: PayloadTemplate } | undefined;
      const { decode } = plan.source;
      // A line naming its topic may be longer than its payload.
      for await (const batch of readLineBatches(plan.source.input, decode ? 2 * MAX_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES)) {
        for (const line of batch) {
          if (stop) break;
          seq++;
          let payload: Buffer = line.bytes;
          let to = topic!;
          if (decode) {
            const d = decode(payload);
            if (d.error !== undefined) throw usageError('INVALID_LINE', `Line ${line.number} of the input: ${d.error}.`);
            ({ topic: to, payload } = d);
          }
          if (plan.template && payload.includes('{{')) {
            const text = payload.toString('utf8');
            if (template?.text !== text && hasPlaceholders(text)) template = { text, render: compilePayloadTemplate(text) };
            payload = Buffer.from(template!.render({ seq, ...ctx, topic: to }));
            if (payload.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(payload.length, `Line ${line.number} (after the template)`);
          }
          if (mustWait()) await send(payload, seq === 1, to);
          else {
            inflight++;
            published++;
            session.send({ topic: to, payload, qos, retain, properties }, done);
          }
        }
        if (stop) break;
      }
    }
  } catch (err) {
    // A destroyed stdin after Ctrl-C ends the loop; anything else is an error to report after the acks.
    if (!signal.aborted) firstError ??= err instanceof IotctlError ? err : new IotctlError('INPUT_FAILED', `Reading the input failed: ${(err as Error).message}`, { cause: err });
    stop = true;
  }

  // Every message sent gets its acknowledgement or its error (the session fails them all if the connection goes).
  // After Ctrl-C, a second at most.
  const deadline = signal.aborted ? performance.now() + 1000 : Infinity;
  while (inflight > 0 && performance.now() < deadline) {
    await (signal.aborted ? Promise.race([drained(0), sleep(Math.max(0, deadline - performance.now()))]) : drained(0));
  }
  // QoS 0 messages are "done" when written; the broker has them all once it answers a flush, and a broker
  // that refuses one (MQTT 3.1.1: by closing the connection) has done so before it answers.
  if (qos === 0 && published > 0 && !firstError && !signal.aborted) await flushPoint().then(() => flushing);
  signal.removeEventListener('abort', onAbort);

  const durationMs = performance.now() - started;
  const result: PubResult = {
    topic,
    qos,
    published,
    acknowledged,
    unacknowledged: published - acknowledged,
    durationMs: Math.round(durationMs),
    messagesPerSecond: durationMs > 0 ? Math.round((acknowledged / durationMs) * 1000) : 0,
    interrupted: signal.aborted,
  };
  if (firstError && !signal.aborted) throw withCounts(firstError, result);
  return result;
}

/** The cause, plus how many messages did not make it. */
function withCounts(e: IotctlError, r: PubResult): IotctlError {
  const what = r.qos === 1 ? 'acknowledged' : 'sent';
  const messages = (n: number) => (n === 1 ? '1 message' : `${n} messages`);
  const counts =
    r.published === 0
      ? ''
      : r.unacknowledged === 0
        ? ` ${messages(r.published)} published before that ${r.published === 1 ? 'was' : 'were'} ${what}.`
        : ` ${r.unacknowledged} of ${messages(r.published)} ${r.unacknowledged === 1 ? 'was' : 'were'} not ${what}.`;
  return new IotctlError(e.code, e.message + counts, {
    exitCode: e.exitCode === ExitCode.OK ? ExitCode.FAILURE : e.exitCode,
    hint: e.hint,
    cause: e,
    details: { ...e.details, published: r.published, acknowledged: r.acknowledged, unacknowledged: r.unacknowledged },
  });
}
