import { defineCommand, hiddenAlias } from '../define.js';
import type { Context } from '../context.js';
import { ExitCode } from '../../core/errors.js';
import { parseCount } from '../mqtt-options.js';
import { DATA_DIR_OPTION, LOCAL_PROFILE, localDataDir } from './common.js';

const POLL_MS = 200;

export default defineCommand({
  declare: (cmd) =>
    hiddenAlias(
      cmd
        .option(...DATA_DIR_OPTION)
        .option('-f, --follow', 'keep printing new events as they happen (Ctrl-C stops)')
        .option('-n, --max <n>', 'only the newest n events (0: none, e.g. with --follow)'),
      '--lines <n>',
      'max',
    ),
  examples: ['iotctl local logs', 'iotctl local logs --follow -n 0   # until Ctrl-C', 'iotctl local logs -n 20 --json'],
  notes:
    'Every authentication failure, denied MQTT or HTTPS operation and refused limit of the local IoT Core, with its\nexplanation: principal, action, resource, deciding statement and unresolved policy variables.\nWith --json, one JSON object per line, as stored in the log file.',
  async run(ctx, _args, o) {
    const limit = o.max === undefined ? undefined : parseCount(o.max, '--max');
    const [{ formatAuthLogEvent, parseAuthLog }, { followLines, readFrom }] = await Promise.all([import('../../emulator/broker/auth-log.js'), import('../../io/follow.js')]);
    const file = await logFile(ctx, o.dataDir);
    const { c } = ctx.out;
    const print = (text: string) => {
      for (const event of parseAuthLog(text)) {
        ctx.out.record(event, (e) => formatAuthLogEvent(e, { time: c.dim, label: (kind, label) => (kind === 'denied' || kind === 'auth-failed' ? c.red(label) : c.yellow(label)) }));
      }
    };

    const { text, size } = await readFrom(file, 0);
    const shown = limit === undefined ? text : newestLines(text, limit);
    if (!shown && !o.follow) ctx.out.info(`no events yet in ${file}`);
    print(shown);
    if (!o.follow) return ExitCode.OK;

    ctx.out.info(ctx.out.ce.dim(`following ${file} (Ctrl-C stops)`));
    for await (const lines of followLines(file, { offset: size, signal: ctx.signal, pollMs: POLL_MS })) print(lines);
    // Following ends only on Ctrl-C (or SIGTERM): exit 130, as tail does.
    return ExitCode.INTERRUPTED;
  },
});

function newestLines(text: string, n: number): string {
  return n === 0 ? '' : text.split('\n').filter((l) => l.trim()).slice(-n).join('\n');
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
