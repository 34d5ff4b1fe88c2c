import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Command as CommandType } from '@commander-js/extra-typings';
import { COMMANDS, type CommandEntry } from './command-table.js';
import { examples, type CommandModule } from '../commands/define.js';
import type { GlobalOptions } from '../commands/context.js';
import type { Streams } from '../io/streams.js';
import { ExitCode, IotctlError } from '../core/errors.js';
import { iotctlCommand } from '../core/shell.js';

type Command = CommandType;
/** commander, seen through its maintainers' extra-typings (the same classes, typed from their declarations). */
type Commander = typeof import('@commander-js/extra-typings');

// require() skips the ESM wrapper's export scan of commander: a few ms of every start.
const loadCommander = (): Commander => createRequire(import.meta.url)('commander') as Commander;

/** Global options that take a value: skipped when finding which command was invoked. */
const VALUED_GLOBALS = new Set(['--profile', '--region', '--endpoint-url', '--request-timeout']);

export interface RunOptions {
  /** Aborted on Ctrl-C / SIGTERM by main(); tests pass their own. */
  signal?: AbortSignal;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The command path named by argv (e.g. ['config', 'list']), ignoring options. */
export function invokedPath(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 4; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (token.startsWith('-')) {
      if (VALUED_GLOBALS.has(token)) i++;
      continue;
    }
    words.push(token);
  }
  return words[0] === 'help' ? words.slice(1) : words;
}

function buildProgram(commander: Commander, streams: Streams, path: string[]): Command {
  const program = new commander.Command('iotctl');
  const colorErr = streams.stderr.isTTY && !streams.env.NO_COLOR && !process.argv.includes('--no-color');
  program
    .description('AWS IoT from a terminal: device identity, policies, MQTT sessions and a built-in local AWS IoT Core.')
    .option('--profile <name>', 'iotctl profile to use (env IOTCTL_PROFILE)')
    .option('--region <region>', 'AWS region (default: profile, then the AWS SDK chain)')
    .option('--endpoint-url <url>', 'control-plane endpoint URL (e.g. the local IoT Core)')
    .option('--request-timeout <duration>', 'fail an AWS API call with no answer after this long (default 60s)')
    .option('--json', 'print results as JSON (streams: one object per line)')
    .option('--no-color', 'never use colours (also NO_COLOR)')
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .option('-v, --verbose', 'more detail on stderr')
    .option('--debug', 'stack traces and wire detail on stderr')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void streams.stdout.write(s),
      writeErr: (s) => void streams.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, colorErr ? '\u001b[31merror:\u001b[39m ' : 'error: ')),
    });
  // Only before a command is --version the tool's: after one, it is that command's own (policy get --version 2).
  if (path.length === 0) program.option('-V, --version', 'print the version (with --json: {"version": ...})');
  examples(program, ['iotctl local start   # keeps running: use another terminal for what follows', 'iotctl config list --json', 'iotctl <command> --help']);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 failure, 2 usage error, 3 denied, 4 not found, 5 connection/TLS, 6 timeout, 130 interrupted.',
  );
  return program;
}

/** Declares every command (as summaries) and loads the one that was invoked. */
async function declareCommands(
  parent: Command,
  specs: CommandEntry[],
  path: string[],
  depth: number,
  bind: (cmd: Command, mod: CommandModule) => void,
): Promise<void> {
  for (const spec of specs) {
    const cmd = parent.command(spec.name).summary(spec.summary).description(spec.summary);
    cmd.copyInheritedSettings(parent);
    const invoked = path[depth] === spec.name;
    if (spec.load) {
      if (invoked) bind(cmd, (await spec.load()).default);
      else cmd.allowUnknownOption().allowExcessArguments();
      continue;
    }
    if (spec.examples) examples(cmd, spec.examples);
    // Only the invoked group's commands are declared below it; other groups need just their summary.
    if (invoked) await declareCommands(cmd, spec.verbs ?? [], path, depth + 1, bind);
    else cmd.allowUnknownOption().allowExcessArguments();
  }
}

function usageHint(path: string[]): string {
  const known: string[] = [];
  let level: CommandEntry[] | undefined = COMMANDS;
  for (const word of path) {
    const spec: CommandEntry | undefined = level?.find((c) => c.name === word);
    if (!spec) break;
    known.push(spec.name);
    level = spec.verbs;
  }
  return `run 'iotctl ${known.length ? known.join(' ') + ' ' : ''}--help' for usage`;
}

/**
 * Runs the CLI in-process and returns the exit code. Never calls process.exit,
 * so tests can call it directly.
 */
export async function run(argv: string[], streams: Streams, options: RunOptions = {}): Promise<number> {
  const path = invokedPath(argv);
  if (path.length === 0 && (argv.includes('--version') || argv.includes('-V')) && !argv.includes('--help') && !argv.includes('-h')) {
    // The most common scripted probe; answered without building the command tree.
    streams.stdout.write((argv.includes('--json') ? JSON.stringify({ version: version() }) : version()) + '\n');
    return ExitCode.OK;
  }
  const commander = loadCommander();
  const program = buildProgram(commander, streams, path);
  const signal = options.signal ?? new AbortController().signal;
  let exitCode: number = ExitCode.OK;

  await declareCommands(program, COMMANDS, path, 0, (cmd, mod) => {
    mod.declare(cmd);
    if (mod.examples) examples(cmd, mod.examples);
    if (mod.notes) cmd.addHelpText('after', '\n' + mod.notes);
    cmd.action(async () => {
      const { Context } = await import('../commands/context.js');
      const ctx = await Context.create(streams, globalOptions(cmd.optsWithGlobals()), signal);
      try {
        exitCode = await mod.run(ctx, cmd.processedArgs, cmd.opts());
      } catch (err) {
        exitCode = await reportFailure(ctx, err, { argv, path, force: cmd.options.find((o) => o.long === '--force')?.description });
      }
    });
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof commander.CommanderError) {
      if (err.exitCode === 0) return ExitCode.OK;
      // Help shown because a group was called without a verb: the help is the message.
      if (err.code !== 'commander.help') streams.stderr.write(`hint: ${usageHint(path)}\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
  return exitCode;
}

function globalOptions(raw: Record<string, unknown>): GlobalOptions {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    profile: text(raw.profile),
    region: text(raw.region),
    endpointUrl: text(raw.endpointUrl),
    requestTimeout: text(raw.requestTimeout),
    json: raw.json === true,
    color: raw.color !== false,
    quiet: raw.quiet === true,
    verbose: raw.verbose === true,
    debug: raw.debug === true,
  };
}

/** What was typed, for hints that re-run it. */
interface Invocation {
  argv: string[];
  path: string[];
  /** What the command's --force does, when it has one. */
  force?: string;
}

/**
 * The hint for errors whose fix is another command line, built from this one so
 * it runs as printed: a conflict (attached, ACTIVE, old versions) → the same
 * command with --force, where the command has it; a missing resource → the
 * group's list command.
 */
function hintFor(error: IotctlError, how: Invocation): string | undefined {
  if (error.hint) return error.hint;
  if (error.conflict && how.force && !how.argv.includes('--force')) return `--force would ${how.force}: ${iotctlCommand([...how.argv, '--force'])}`;
  const noun = COMMANDS.find((c) => c.name === how.path[0]);
  if (error.exitCode === ExitCode.NOT_FOUND && noun?.verbs?.some((v) => v.name === 'list') && how.path[1] !== 'list') {
    const reach = how.argv.flatMap((word, i) => (VALUED_GLOBALS.has(word) && word !== '--request-timeout' ? [word, how.argv[i + 1] ?? ''] : []));
    return `see what exists: ${iotctlCommand([...reach, noun.name, 'list'])}`;
  }
  return undefined;
}

async function reportFailure(ctx: import('../commands/context.js').Context, err: unknown, how: Invocation): Promise<number> {
  const { toIotctlError } = await import('../aws/errors.js');
  const settings = await ctx.settings().catch(() => undefined);
  const translated = toIotctlError(err, { endpoint: settings?.get('endpoint-url'), requestTimeout: settings?.get('request-timeout') });
  const hint = hintFor(translated, how);
  const error = hint === translated.hint ? translated : new IotctlError(translated.code, translated.message, { ...translated, hint, cause: translated.cause });
  ctx.out.error(error);
  if (ctx.globals.debug) {
    const stack = (error.cause instanceof Error ? error.cause.stack : undefined) ?? error.stack;
    if (stack) ctx.streams.stderr.write(stack + '\n');
  }
  return error.exitCode;
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The process entry (bin/iotctl.js) and its one exit: once the command has
 * its exit code, the process ends, whatever native handles (the device SDK's
 * reconnecting client, a connect attempt we gave up on) are still open.
 */
export async function main(): Promise<never> {
  const controller = new AbortController();
  let interrupts = 0;
  const exit = async (code: number): Promise<never> => {
    await Promise.all([drained(process.stdout), drained(process.stderr)]);
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.INTERRUPTED);
    controller.abort(sig);
    // Commands that hold connections clean up on the signal; give them a moment, then go.
    setTimeout(() => process.exit(ExitCode.INTERRUPTED), 3000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed pipe (`iotctl ... | head -1`) ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.OK);
    throw err;
  });
  const { processStreams } = await import('../io/streams.js');
  const code = await run(process.argv.slice(2), processStreams(), { signal: controller.signal });
  // A command that handles the signal says what it means (tail: 130; local start: 130 on Ctrl-C, 0 on SIGTERM).
  return exit(code);
}
