/**
 * `iotctl pub --lines --spool <dir>` as a command: its flags (checked before
 * anything connects), the status line on a terminal, and what it prints at
 * the end. The work is messaging/spool-publish.ts.
 */
import path from 'node:path';
import type { Context } from './context.js';
import { ExitCode, usageError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { formatSize, parseSize } from '../core/size.js';
import { checkTopicName } from '../core/topic.js';
import type { DecodedLine } from '../messaging/line-format.js';
import { MAX_PAYLOAD_BYTES } from '../messaging/payload.js';
import { MIN_SPOOL_BYTES } from '../messaging/spool.js';
import type { SpoolCounts } from '../messaging/spool-publish.js';
import { parsePositiveDuration } from '../mqtt/resolve.js';
import type { ConnectionSpec, PublishProperties, QoS } from '../mqtt/types.js';
import { connector, describeTarget } from './mqtt-options.js';

export interface SpoolFlags {
  spool?: string;
  spoolMax?: string;
  heartbeat?: string;
  heartbeatTopic?: string;
  lines?: boolean;
  interval?: string;
}

export interface SpoolSettings {
  dir: string;
  maxBytes: number;
  heartbeat?: { everyMs: number; topic: string };
  /** A long-lived connection notices a dead network within about 45 s (AWS IoT's minimum keep-alive is 30 s). */
  keepAliveSeconds: number;
}

export const DEFAULT_SPOOL_MAX = '100MB';

/** The spool flags, checked; undefined without --spool. */
export function parseSpoolOptions(o: SpoolFlags, qos: QoS): SpoolSettings | undefined {
  if (o.spool === undefined) {
    const stray = [o.spoolMax !== undefined && '--spool-max', o.heartbeat !== undefined && '--heartbeat', o.heartbeatTopic !== undefined && '--heartbeat-topic'].filter(Boolean);
    if (stray.length) throw usageError('CONFLICTING_OPTIONS', `${stray.join(' and ')} go${stray.length === 1 ? 'es' : ''} with --spool.`);
    return undefined;
  }
  if (!o.lines) throw usageError('CONFLICTING_OPTIONS', '--spool goes with --lines (it keeps one message per line).');
  if (qos !== 1) throw usageError('SPOOL_NEEDS_QOS1', '--spool needs --qos 1: a line leaves the spool only when the broker acknowledges it.');
  if (o.interval !== undefined) throw usageError('CONFLICTING_OPTIONS', '--interval does not go with --spool; to slow publishing down, use --rate.');
  const maxBytes = parseSize(o.spoolMax ?? DEFAULT_SPOOL_MAX);
  if (maxBytes === undefined || maxBytes < MIN_SPOOL_BYTES) {
    throw usageError('INVALID_SIZE', `--spool-max must be a size of at least 1MB, such as 20MB or 1GB, not "${o.spoolMax}".`);
  }
  let heartbeat: SpoolSettings['heartbeat'];
  if (o.heartbeat !== undefined || o.heartbeatTopic !== undefined) {
    if (o.heartbeat === undefined || o.heartbeatTopic === undefined) throw usageError('CONFLICTING_OPTIONS', '--heartbeat and --heartbeat-topic go together.');
    const everyMs = parsePositiveDuration(o.heartbeat, '--heartbeat');
    if (everyMs < 1000) throw usageError('INVALID_DURATION', '--heartbeat must be at least 1s.');
    const problem = checkTopicName(o.heartbeatTopic);
    if (problem) throw usageError(problem.code, `--heartbeat-topic: ${problem.message}`);
    heartbeat = { everyMs, topic: o.heartbeatTopic };
  }
  return { dir: path.resolve(o.spool), maxBytes, heartbeat, keepAliveSeconds: 30 };
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export async function runSpool(
  ctx: Context,
  spec: ConnectionSpec,
  settings: SpoolSettings,
  source: { input: AsyncIterable<Buffer | string> & { destroy?(): void }; decode(line: Buffer): DecodedLine; retain: boolean; properties?: PublishProperties; rate?: number },
): Promise<ExitCode> {
  const [{ runSpooledPub, spoolStatusText }, { StatusLine }] = await Promise.all([import('../messaging/spool-publish.js'), import('../messaging/status.js')]);
  const where = `${spec.endpoint}:${spec.port}`;
  let counts: (() => SpoolCounts) | undefined;
  let status: InstanceType<typeof StatusLine> | undefined;
  if (ctx.out.interactive) {
    status = new StatusLine(ctx.streams.stderr, where, ctx.out.ce, (state, now) => (counts ? spoolStatusText(state, where, counts(), now, ctx.out.ce) : ''));
  }
  const aside = (write: () => void) => {
    status?.clear();
    write();
    status?.draw();
  };
  try {
    const result = await runSpooledPub(
      { dir: settings.dir, maxBytes: settings.maxBytes, heartbeat: settings.heartbeat, maxLineBytes: 2 * MAX_PAYLOAD_BYTES, ...source },
      {
        connect: connector(ctx, spec),
        signal: ctx.signal,
        warn: (m) => aside(() => ctx.out.warn(m)),
        log: (l) => aside(() => ctx.out.log(l)),
        status: (state, getCounts) => {
          if (!counts && status) {
            counts = getCounts;
            status.start();
          }
          status?.set(state);
        },
      },
    );
    status?.stop();
    if (result.interrupted) {
      ctx.out.warn(`interrupted: ${plural(result.pending, 'line')} stay in the spool ${result.spool} (sent first on the next run)`);
      return ExitCode.INTERRUPTED;
    }
    ctx.out.log(`published via ${describeTarget(spec)}`);
    if (ctx.globals.json) ctx.out.result(result, () => '');
    else {
      const dropped = result.dropped > 0 ? `; ${plural(result.dropped, 'line')} dropped when the spool was full` : '';
      const skipped = result.skipped > 0 ? `; ${plural(result.skipped, 'line')} skipped` : '';
      ctx.out.info(`published ${plural(result.acknowledged, 'line')} through the spool ${result.spool} (all acknowledged, ${formatSize(result.bytes)} left) in ${formatDuration(result.durationMs)}${dropped}${skipped}`);
    }
    return ExitCode.OK;
  } finally {
    status?.stop();
  }
}
