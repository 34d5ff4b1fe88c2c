/**
 * `iotctl pub`: one message (optionally repeated) or one message per input
 * line, over one session. QoS 1 messages are counted until the broker
 * acknowledges them; the run succeeds only when all of them were. A window
 * of messages in flight bounds memory; the pacer keeps to AWS IoT's limits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, IotctlError, usageError } from '../core/errors.js';
import { AWS_PUBLISHES_PER_SECOND, isAwsHost, Pacer, paceFor } from '../mqtt/pacing.js';
import type { MqttSession, MqttVersion, PublishProperties, QoS } from '../mqtt/types.js';
import type { DecodedLine } from './line-format.js';
import { readLineBatches } from './lines.js';
import { MAX_PAYLOAD_BYTES } from './payload.js';
import { compilePayloadTemplate, hasPlaceholders, type PayloadTemplate } from './template.js';

/** `decode`: --line-format json or tsv (each line names its topic); without it, every line goes to the plan's topic. */
export interface LineSource {
  kind: 'lines';
  input: AsyncIterable<Buffer | string> & { destroy?(): void };
  decode?: (line: Buffer) => DecodedLine;
}

export type MessageSource = { kind: 'single'; payload: Buffer } | LineSource;

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

/** MQTT 5: unacknowledged QoS 1 messages the server takes (AWS IoT's Receive Maximum; the local IoT Core's too). */
const MQTT5_RECEIVE_MAXIMUM = 100;

/**
 * Messages in flight at once. AWS IoT allows 100 unacknowledged QoS 1
 * messages per connection (on MQTT 5 it disconnects a client with more).
 * Locally, QoS 1 on MQTT 3.1.1 (and HTTPS) runs faster with more in flight
 * (the broker's acknowledgements take a while under load) and QoS 0 needs
 * fewer (flushes pace it); both sizes keep 1,000,000 lines under 100 MB.
 */
export function windowFor(host: string, qos: QoS, version?: MqttVersion): number {
  if (isAwsHost(host)) return AWS_PUBLISHES_PER_SECOND;
  if (qos === 1) return version === 5 ? MQTT5_RECEIVE_MAXIMUM : 384;
  return 256;
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

/**
 * The messages of one run in flight over one session: at most a window of
 * them unacknowledged, paced, flushed now and then on QoS 0, and counted.
 * The first error stops the run; what was sent still gets its answer.
 */
class Publisher {
  published = 0;
  acknowledged = 0;
  inflight = 0;
  stopped = false;
  firstError?: IotctlError;
  readonly pacer: Pacer;
  private readonly window: number;
  /** QoS 0 on MQTT 3.1.1 has no backpressure of its own (see MqttSession.flush): an unpaced stream waits for the broker every FLUSH_EVERY messages. */
  private readonly flushEvery: number;
  private readonly qos: QoS;
  private readonly retain: boolean;
  private readonly properties?: PublishProperties;
  private flushing?: Promise<void>;
  private wake?: () => void;
  private wakeAt = 0;

  constructor(
    private readonly session: PublishChannel,
    private readonly plan: PubPlan,
    private readonly signal: AbortSignal,
  ) {
    this.pacer = new Pacer(paceFor(session.info.endpoint, plan.rate));
    this.window = windowFor(session.info.endpoint, plan.qos, session.info.version);
    this.flushEvery = plan.qos === 0 && session.info.version === 3 && this.pacer.unlimited ? FLUSH_EVERY : 0;
    ({ qos: this.qos, retain: this.retain, properties: this.properties } = plan);
  }

  /** The session calls this exactly once per message, also when the connection is lost. */
  private readonly done = (e?: IotctlError): void => {
    this.inflight--;
    if (e) this.fail(e);
    else this.acknowledged++;
    if (this.wake && (this.inflight <= this.wakeAt || this.stopped)) {
      const w = this.wake;
      this.wake = undefined;
      w();
    }
  };

  fail(e: IotctlError): void {
    this.firstError ??= e;
    this.stopped = true;
  }

  /** Ctrl-C: stop sending, and stop waiting for the window. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Resolves when at most `level` messages are in flight (or the run stops). */
  private drained(level: number): Promise<void> {
    this.wakeAt = level;
    return new Promise<void>((r) => (this.wake = r));
  }

  /** Whether the next message must wait (pacing, a full window, --interval, a flush): the common path costs no promise. */
  mustWait(): boolean {
    return this.inflight >= this.window || this.plan.intervalMs > 0 || !this.pacer.unlimited || (this.flushEvery > 0 && (this.published + 1) % this.flushEvery === 0);
  }

  /** Sends without waiting: only when mustWait() said so. */
  sendNow(topic: string, payload: Uint8Array): void {
    this.inflight++;
    this.published++;
    this.session.send({ topic, payload, qos: this.qos, retain: this.retain, properties: this.properties }, this.done);
  }

  /** Sends once pacing, --interval and the window allow. */
  async send(topic: string, payload: Uint8Array, first: boolean): Promise<void> {
    if (!first && this.plan.intervalMs > 0 && !this.stopped) await sleep(this.plan.intervalMs, undefined, { signal: this.signal }).catch(() => {});
    const delay = this.pacer.delay(payload.length);
    if (delay > 0) await sleep(delay);
    // One out, one in: waiting for the window to drain further made MQTT 3.1.1 QoS 1 four times slower (the
    // broker's acknowledgements then come in bursts).
    while (this.inflight >= this.window && !this.stopped) await this.drained(this.window - 1);
    if (this.stopped) return;
    this.sendNow(topic, payload);
    if (this.flushEvery && this.published % this.flushEvery === 0) await this.flushPoint();
  }

  private async flushPoint(): Promise<void> {
    const previous = this.flushing;
    this.flushing = this.session.flush().catch((e: IotctlError) => this.fail(e));
    if (previous) await previous;
  }

  /**
   * Waits until every message sent has its acknowledgement or its error (the
   * session fails them all if the connection goes); after Ctrl-C, a second at most.
   */
  async settle(): Promise<void> {
    const deadline = this.signal.aborted ? performance.now() + 1000 : Infinity;
    while (this.inflight > 0 && performance.now() < deadline) {
      await (this.signal.aborted ? Promise.race([this.drained(0), sleep(Math.max(0, deadline - performance.now()))]) : this.drained(0));
    }
    // QoS 0 messages are "done" when written; the broker has them all once it answers a flush, and a broker
    // that refuses one (MQTT 3.1.1: by closing the connection) has done so before it answers.
    if (this.plan.qos === 0 && this.published > 0 && !this.firstError && !this.signal.aborted) await this.flushPoint().then(() => this.flushing);
  }
}

/** --repeat n of one message ({{seq}} counts them). */
async function publishRepeated(plan: PubPlan, payload: Buffer, publisher: Publisher, names: { clientId: string; topic: string }): Promise<void> {
  const payloadFor = prepareSingle(payload, plan.template);
  for (let seq = 1; seq <= plan.repeat && !publisher.stopped; seq++) {
    const message = payloadFor(seq, names);
    if (message.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(message.length, `Message ${seq}`);
    await publisher.send(plan.topic!, message, seq === 1);
  }
}

/** One message per input line: to the plan's topic, or to the topic each line names (--line-format json|tsv). */
async function publishLines(plan: PubPlan, source: LineSource, publisher: Publisher, names: { clientId: string; topic: string }): Promise<void> {
  let seq = 0;
  let template: { text: string; render: PayloadTemplate } | undefined;
  const { decode } = source;
  // A line naming its topic may be longer than its payload.
  for await (const batch of readLineBatches(source.input, decode ? 2 * MAX_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES)) {
    for (const line of batch) {
      if (publisher.stopped) break;
      seq++;
      let payload: Buffer = line.bytes;
      let to = plan.topic!;
      if (decode) {
        const d = decode(payload);
        if (d.error !== undefined) throw usageError('INVALID_LINE', `Line ${line.number} of the input: ${d.error}.`);
        ({ topic: to, payload } = d);
      }
      if (plan.template && payload.includes('{{')) {
        const text = payload.toString('utf8');
        if (template?.text !== text && hasPlaceholders(text)) template = { text, render: compilePayloadTemplate(text) };
        payload = Buffer.from(template!.render({ seq, ...names, topic: to }));
        if (payload.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(payload.length, `Line ${line.number} (after the template)`);
      }
      if (publisher.mustWait()) await publisher.send(to, payload, seq === 1);
      else publisher.sendNow(to, payload);
    }
    if (publisher.stopped) break;
  }
}

export async function runPub(plan: PubPlan, deps: PubDeps): Promise<PubResult> {
  const { session, signal } = deps;
  const publisher = new Publisher(session, plan, signal);
  if (!publisher.pacer.unlimited) deps.log?.(`pacing publishes to ${plan.rate ?? AWS_PUBLISHES_PER_SECOND}/s`);
  const onAbort = () => {
    publisher.stop();
    if (plan.source.kind === 'lines') plan.source.input.destroy?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const names = { clientId: session.info.clientId, topic: plan.topic ?? '' };
  const started = performance.now();
  try {
    if (plan.source.kind === 'single') await publishRepeated(plan, plan.source.payload, publisher, names);
    else await publishLines(plan, plan.source, publisher, names);
  } catch (err) {
    // A destroyed stdin after Ctrl-C ends the loop; anything else is an error to report after the acks.
    if (!signal.aborted) publisher.fail(err instanceof IotctlError ? err : new IotctlError('INPUT_FAILED', `Reading the input failed: ${(err as Error).message}`, { cause: err }));
    publisher.stopped = true;
  }
  await publisher.settle();
  signal.removeEventListener('abort', onAbort);

  const durationMs = performance.now() - started;
  const result: PubResult = {
    topic: plan.topic,
    qos: plan.qos,
    published: publisher.published,
    acknowledged: publisher.acknowledged,
    unacknowledged: publisher.published - publisher.acknowledged,
    durationMs: Math.round(durationMs),
    messagesPerSecond: durationMs > 0 ? Math.round((publisher.acknowledged / durationMs) * 1000) : 0,
    interrupted: signal.aborted,
  };
  if (publisher.firstError && !signal.aborted) throw withCounts(publisher.firstError, result);
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
