/** `iotctl pub <topic> [message]`: publish one message, a repeated one, or one per input line (optionally through an on-disk spool). */
import { promises as fs, createReadStream } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { collect, defineCommand, type OptionsOf } from './define.js';
import type { Context } from './context.js';
import { ExitCode, usageError } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { checkTopicName } from '../core/topic.js';
import { fileError } from '../io/files.js';
import { checkConnectionFlags, parsePositiveDuration } from '../mqtt/resolve.js';
import type { ConnectionSpec, PublishProperties } from '../mqtt/types.js';
import { MAX_PAYLOAD_BYTES } from '../messaging/payload.js';
import { keepYoungGenerationSmall, payloadTooLarge, prepareSingle, runPub, type MessageSource, type PubPlan, type PublishChannel } from '../messaging/publish.js';
import { lineDecoder, parseLineFormat } from '../messaging/line-format.js';
import { parseSpoolOptions, runSpool, type SpoolSettings } from './pub-spool.js';
import { addConnectionOptions, connector, dataPlaneFromContext, describeTarget, parseCount, parseQos, resolveFromContext } from './mqtt-options.js';

const declare = (cmd: Command) =>
  addConnectionOptions(
    cmd
      .argument('[topic]', 'topic to publish to (no wildcards); with --line-format json or tsv, each line names its own')
      .argument('[message]', 'the message (or use --file, --stdin, --lines)')
      .option('--file <file>', 'send the contents of a file (with --lines: one message per line of it)')
      .option('--stdin', 'send all of standard input as one message')
      .option('--lines', 'one message per line of standard input (or --file), streamed; blank lines are skipped')
      .option('--line-format <format>', 'with --lines: plain (the line is the payload), json ({"topic": ..., "payload": ...}) or tsv (topic<TAB>payload)', 'plain')
      .option('--spool <dir>', 'with --lines: keep each line on disk until the broker acknowledges it; reconnects, survives outages, reboots and kill -9 (at least once)')
      .option('--spool-max <size>', 'with --spool: the most it keeps, e.g. 20MB; when full the oldest lines are dropped, counted and warned about (default: 100MB)')
      .option('--heartbeat <duration>', 'with --spool: publish a status document (spool depth, sent, dropped, uptime) this often, at QoS 0')
      .option('--heartbeat-topic <topic>', 'with --heartbeat: the topic of the status document')
      .option('--qos <qos>', '0 (at most once) or 1 (at least once: wait for every acknowledgement)', '1')
      .option('--retain', 'ask the broker to keep the message for new subscribers')
      .option('--repeat <n>', 'send the message n times ({{seq}} counts them)')
      .option('--interval <duration>', 'wait between messages, e.g. 1s or 250ms')
      .option('--rate <n>', 'at most n messages per second, 0 = unlimited (default: 100 on AWS IoT endpoints, unlimited elsewhere)')
      .option('--no-template', 'send {{...}} in messages as it is, instead of expanding {{seq}} {{ts}} {{unix}} {{iso}} {{uuid}} {{clientId}} {{topic}} {{rand a b}}')
      .option('--user-property <name=value>', 'MQTT 5 user property (repeatable)', collect)
      .option('--content-type <type>', 'MQTT 5 content type, e.g. application/json')
      .option('--response-topic <topic>', 'MQTT 5 response topic (request/response)')
      .option('--correlation-data <text>', 'MQTT 5 correlation data')
      .option('--message-expiry <duration>', 'MQTT 5 message expiry, e.g. 60s (AWS IoT: 1s to 7 days)')
      .option('--http', 'publish over the HTTPS data-plane API instead of MQTT: one request per message over one kept-alive connection (AWS: port 8443 with a certificate, 443 with SigV4); MQTT 5 properties travel as its headers'),
  );

type PubOptions = OptionsOf<typeof declare>;

export default defineCommand({
  declare,
  examples: [
    `iotctl pub --device ./pi01 things/pi01/temp '{"t": 21.5}'`,
    `iotctl pub --auth sigv4 sensors/demo '{"seq": {{seq}}, "t": {{rand 18 25}}, "at": "{{iso}}"}' --repeat 5 --interval 1s`,
    'seq 100 | iotctl pub --auth sigv4 --lines sim/telemetry',
    'seq 100 | iotctl pub --device ./pi01 --lines --spool ./spool things/pi01/seq',
    "printf 'things/pi01/temp\\t21.5\\n' | iotctl pub --device ./pi01 --lines --line-format tsv --spool ./spool --heartbeat 1m --heartbeat-topic things/pi01/status",
    'iotctl pub --auth sigv4 --file pi01/device.json --qos 1 --retain devices/pi01/manifest',
    "iotctl pub --auth sigv4 --user-property source=cli --content-type application/json cmd/pi01 '{\"op\": \"reboot\"}'",
    'iotctl --profile local pub --auth sigv4 --json test/hello hi',
    `iotctl pub --http --auth sigv4 --retain sensors/demo/config '{"interval": 60}'`,
    "iotctl pub --http --auth sigv4 --retain sensors/demo/config ''   # an empty retained message clears it",
  ],
  notes:
    'QoS 1 (the default) exits only when every message is acknowledged; otherwise it says how many were not.\nWith --spool it retries until the input has ended and the spool is empty; Ctrl-C or SIGTERM leaves the rest in the spool for the next run.\nWith --http, each message is acknowledged by its HTTP answer (QoS 0 too), and a denied one is HTTP 403.\nExit codes: 0 ok, 1 failure, 2 usage error (nothing sent), 3 denied by policy, 5 connection/TLS, 130 interrupted.',
  async run(ctx, [topic, message], o) {
    // Everything that needs no network is checked first: bad input exits 2 before connecting.
    const { plan, spool, lineFormat } = await publishRequest(ctx, topic, message, o);
    // A process-wide V8 setting: only when this process is the CLI, not a test runner calling run().
    if (plan.source.kind === 'lines' && ctx.streams.stdout === (process.stdout as unknown)) await keepYoungGenerationSmall();
    if (spool && plan.source.kind === 'lines') {
      const spec = await mqttSpec(ctx, o, plan.properties !== undefined, spool.keepAliveSeconds);
      return runSpool(ctx, spec, spool, { input: plan.source.input, decode: lineDecoder(lineFormat, topic), retain: plan.retain, properties: plan.properties, rate: plan.rate });
    }
    const channel = o.http ? await httpChannel(ctx, o) : await mqttChannel(ctx, await mqttSpec(ctx, o, plan.properties !== undefined));
    return publishOver(ctx, channel, plan);
  },
});

function parseUserProperty(text: string): { name: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError('INVALID_USER_PROPERTY', `--user-property must look like name=value, not "${text}".`);
  return { name: text.slice(0, eq), value: text.slice(eq + 1) };
}

function properties(o: PubOptions): PublishProperties | undefined {
  const p: PublishProperties = {};
  if (o.userProperty?.length) p.userProperties = o.userProperty.map(parseUserProperty);
  if (o.contentType !== undefined) p.contentType = o.contentType;
  if (o.responseTopic !== undefined) {
    const problem = checkTopicName(o.responseTopic);
    if (problem) throw usageError(problem.code, `--response-topic: ${problem.message}`);
    p.responseTopic = o.responseTopic;
  }
  if (o.correlationData !== undefined) p.correlationData = Buffer.from(o.correlationData);
  if (o.messageExpiry !== undefined) {
    const ms = parsePositiveDuration(o.messageExpiry, '--message-expiry');
    if (ms < 1000 || ms > 7 * 86_400_000) throw usageError('INVALID_DURATION', '--message-expiry must be between 1s and 7 days (AWS IoT limits).');
    p.messageExpirySeconds = Math.round(ms / 1000);
  }
  return Object.keys(p).length ? p : undefined;
}

async function readAll(input: AsyncIterable<Buffer | string>, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of input) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size > MAX_PAYLOAD_BYTES) throw payloadTooLarge(size, `${what} (at least)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The one message source the flags name, read (or, for --lines, opened) before connecting. */
async function source(ctx: Context, message: string | undefined, o: PubOptions): Promise<MessageSource> {
  const given = [message !== undefined && 'a message argument', o.stdin && '--stdin', o.file !== undefined && !o.lines && '--file', o.lines && '--lines'].filter(Boolean);
  if (given.length === 0) throw usageError('NO_MESSAGE', 'No message to publish.', "pass it as an argument (an empty one: ''), or use --file, --stdin or --lines");
  if (given.length > 1) throw usageError('CONFLICTING_SOURCES', `Use one message source, not ${given.join(' and ')}.`);
  if (message !== undefined) return { kind: 'single', payload: Buffer.from(message) };
  if (o.stdin) return { kind: 'single', payload: await readAll(ctx.streams.stdin as AsyncIterable<Buffer>, 'Standard input') };
  if (o.lines && o.file === undefined) return { kind: 'lines', input: ctx.streams.stdin as unknown as AsyncIterable<Buffer> & { destroy?(): void } };
  const file = o.file!;
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    throw fileError(err, file, 'message file');
  }
  if (stat.isDirectory()) throw usageError('FILE_IS_DIRECTORY', `The message file ${file} is a directory, not a file.`);
  if (o.lines) return { kind: 'lines', input: createReadStream(file, { highWaterMark: 64 * 1024 }) };
  if (stat.size > MAX_PAYLOAD_BYTES) throw payloadTooLarge(stat.size, `The file ${file}`);
  try {
    return { kind: 'single', payload: await fs.readFile(file) };
  } catch (err) {
    throw fileError(err, file, 'message file');
  }
}

/** The flags as a publishing plan (and spool settings), every one checked and the message source opened: bad input exits 2 before connecting. */
async function publishRequest(ctx: Context, topic: string | undefined, message: string | undefined, o: PubOptions) {
  const lineFormat = parseLineFormat(o.lineFormat);
  if (lineFormat !== 'plain' && !o.lines) throw usageError('CONFLICTING_OPTIONS', '--line-format goes with --lines.');
  if (topic === undefined && lineFormat === 'plain') throw usageError('NO_TOPIC', 'No topic to publish to.', 'pass it as the first argument, or with --lines --line-format json|tsv let each line name its topic');
  const problem = topic === undefined ? undefined : checkTopicName(topic);
  if (problem) throw usageError(problem.code, problem.message, problem.code === 'TOPIC_WILDCARD' ? 'to receive from many topics, use iotctl sub with a filter' : undefined);
  const qos = parseQos(o.qos);
  const spool: SpoolSettings | undefined = parseSpoolOptions(o, qos);
  const repeat = o.repeat !== undefined ? parseCount(o.repeat, '--repeat', 1) : 1;
  if (o.repeat !== undefined && o.lines) throw usageError('CONFLICTING_OPTIONS', '--repeat works with a single message, not with --lines.');
  const intervalMs = o.interval !== undefined ? parseDuration(o.interval) : 0;
  if (intervalMs === undefined) throw usageError('INVALID_DURATION', `--interval must be a duration such as 1s or 250ms, not "${o.interval}".`);
  const rate = o.rate !== undefined ? Number(o.rate) : undefined;
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0)) throw usageError('INVALID_NUMBER', `--rate must be a number of messages per second (0 = unlimited), not "${o.rate}".`);
  const props = properties(o);
  checkConnectionFlags(o);
  if (o.http) checkHttpFlags(o);
  const src = await source(ctx, message, o);
  if (src.kind === 'single') prepareSingle(src.payload, o.template); // unknown {{variables}} and oversize payloads fail here
  else if (lineFormat !== 'plain') src.decode = lineDecoder(lineFormat, topic);
  const plan: PubPlan = { topic, qos, retain: o.retain === true, properties: props, source: src, template: o.template, repeat, intervalMs, rate };
  return { plan, spool, lineFormat };
}

/** Where the messages go: an MQTT session or the HTTPS data plane. */
interface Channel {
  session: PublishChannel;
  /** Where the messages went, for -v. */
  via: string;
  close(): Promise<void>;
}

/** Flags that mean nothing over HTTP are refused rather than ignored. */
function checkHttpFlags(o: PubOptions): void {
  if (o.clientId !== undefined) throw usageError('CONFLICTING_OPTIONS', '--client-id does not apply to --http: an HTTPS publish has no MQTT client id.');
  if (o.mqtt !== undefined) throw usageError('CONFLICTING_OPTIONS', '--mqtt does not apply to --http (MQTT 5 properties travel as HTTP headers).');
  if (o.driver !== undefined) throw usageError('CONFLICTING_OPTIONS', '--driver chooses an MQTT client library; it does not apply to --http.');
  if (o.spool !== undefined) throw usageError('CONFLICTING_OPTIONS', '--spool works over MQTT only; drop --http to spool.');
}

async function mqttSpec(ctx: Context, o: PubOptions, hasProperties: boolean, keepAliveSeconds?: number): Promise<ConnectionSpec> {
  const spec = await resolveFromContext(ctx, o, { role: 'pub', keepAliveSeconds });
  if (hasProperties && spec.mqtt !== 5) {
    throw usageError('MQTT5_REQUIRED', 'User properties, content type, response topic, correlation data and message expiry need MQTT 5.', 'leave out --mqtt 3 (MQTT 5 is the default), or use --http');
  }
  return spec;
}

async function mqttChannel(ctx: Context, spec: ConnectionSpec): Promise<Channel> {
  const session = await connector(ctx, spec)();
  return { session, via: describeTarget(spec), close: () => session.disconnect() };
}

async function httpChannel(ctx: Context, o: PubOptions): Promise<Channel> {
  const client = await dataPlaneFromContext(ctx, o);
  const { HttpPublisher } = await import('../dataplane/publisher.js');
  return { session: new HttpPublisher(client), via: client.describe(), close: async () => client.close() };
}

/** Publishes the plan over the channel, closes it, and says what happened. */
async function publishOver(ctx: Context, channel: Channel, plan: PubPlan): Promise<ExitCode> {
  let result;
  try {
    result = await runPub(plan, { session: channel.session, signal: ctx.signal, log: (l) => ctx.out.log(l) });
  } finally {
    await channel.close();
  }
  const what = plan.qos === 1 ? 'acknowledged' : 'sent';
  if (result.interrupted) {
    ctx.out.warn(`interrupted: ${result.published} published, ${result.acknowledged} ${what}, ${result.unacknowledged} not ${what}`);
    return ExitCode.INTERRUPTED;
  }
  ctx.out.log(`published via ${channel.via}`);
  if (ctx.globals.json) ctx.out.result(result, () => '');
  else if (ctx.out.interactive) {
    const n = result.published === 1 ? '1 message' : `${result.published.toLocaleString('en-US')} messages`;
    const rateText = result.published > 1 ? `, ${result.messagesPerSecond.toLocaleString('en-US')}/s` : '';
    ctx.out.info(`published ${n} to ${plan.topic ?? 'the topics of the lines'} (QoS ${plan.qos}, all ${what}) in ${formatDuration(result.durationMs)}${rateText}`);
  }
  return ExitCode.OK;
}
