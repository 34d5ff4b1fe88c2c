import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { examples, hiddenAlias } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { parseCount } from '../mqtt-options.js';
import { ExitCode } from '../../core/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DATA_DIR_OPTION, LOCAL_PROFILE, localDataDir } from './common.js';

interface Options {
  dataDir?: string;
  follow?: boolean;
  max?: string;
}

const POLL_MS = 200;

export function configure(cmd: Command): void {
  cmd
    .option(...DATA_DIR_OPTION)
    .option('-f, --follow', 'keep printing new events as they happen (Ctrl-C stops)')
    .option('-n, --max <n>', 'only the newest n events (0: none, e.g. with --follow)')
    .addHelpText(
      'after',
      '\nEvery authentication failure, denied MQTT or HTTPS operation and refused limit of the local IoT Core, with its\nexplanation: principal, action, resource, deciding statement and unresolved policy variables.\nWith --json, one JSON object per line, as stored in the log file.',
    );
  hiddenAlias(cmd, '--lines <n>', 'max');
  examples(cmd, ['iotctl local logs', 'iotctl local logs --follow -n 0   # until Ctrl-C', 'iotctl local logs -n 20 --json']);
}

/** The log of the instance the user means: --data-dir, else the running one the local profile names, else the default directory's. */
async function logFile(ctx: Context, flag: string | undefined): Promise<string> {
  const { dataFile, probeHealth } = await import('../../emulator/datadir.js');
  if (!flag) {
    const url = (await ctx.config()).profiles[LOCAL_PROFILE]?.['endpoint-url'];
    const health = url ? await probeHealth(url) : undefined;
    if (health?.logFile) return health.logFile;
  }
  return dataFile(await localDataDir(ctx, flag), 'authLog');
}

async function readFrom(file: string, offset: number): Promise<{ text: string; size: number }> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', size: 0 };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const start = size < offset ? 0 : offset; // rotated: start over
    if (size === start) return { text: '', size };
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.toString('utf8'), size };
  } finally {
    await handle.close();
  }
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  const { formatAuthLogEvent, parseAuthLog } = await import('../../emulator/broker/auth-log.js');
  const limit = options.max === undefined ? undefined : parseCount(options.max, '--max');
  const file = await logFile(ctx, options.dataDir);
  const { c } = ctx.out;
  const print = (text: string) => {
    for (const event of parseAuthLog(text)) {
      ctx.out.record(event, (e) => formatAuthLogEvent(e, { time: c.dim, label: (kind, label) => (kind === 'denied' || kind === 'auth-failed' ? c.red(label) : c.yellow(label)) }));
    }
  };

  let { text, size } = await readFrom(file, 0);
  if (limit !== undefined) {
    const lines = text.split('\n').filter((l) => l.trim());
    text = limit === 0 ? '' : lines.slice(-limit).join('\n');
  }
  if (!text && !options.follow) ctx.out.info(`no events yet in ${file}`);
  print(text);
  if (!options.follow) return 0;

  ctx.out.info(ctx.out.ce.dim(`following ${file} (Ctrl-C stops)`));
  // A line may arrive in two writes: keep a partial last line for the next round.
  let partial = '';
  while (!ctx.signal.aborted) {
    // One timer per round, ended by Ctrl-C: no listener is left behind on the signal.
    await sleep(POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    if (ctx.signal.aborted) break;
    const next = await readFrom(file, size);
    if (next.size < size) partial = '';
    size = next.size;
    const chunk = partial + next.text;
    const cut = chunk.lastIndexOf('\n') + 1;
    partial = chunk.slice(cut);
    print(chunk.slice(0, cut));
  }
  // Following ends only on Ctrl-C (or SIGTERM): exit 130, as tail does.
  return ExitCode.INTERRUPTED;
}
