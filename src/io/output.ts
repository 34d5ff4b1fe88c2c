import { ExitCode, IotctlError, usageError } from '../core/errors.js';
import { colorLevel, colorsFor, type Colors } from './colors.js';
import type { Streams, OutStream } from './streams.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  debug: boolean;
  color: boolean;
  /** Aborted on Ctrl-C / SIGTERM: ends an open prompt. */
  signal?: AbortSignal;
}

export interface Spinner {
  succeed(text?: string): void;
  fail(text?: string): void;
  update(text: string): void;
  stop(): void;
}

const silentSpinner: Spinner = { succeed() {}, fail() {}, update() {}, stop() {} };

/**
 * The two streams policy: results on stdout (JSON when --json), everything else
 * (progress, spinners, warnings, prompts) on stderr. Spinners and prompts appear
 * only on a TTY; colours only on a TTY unless forced.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly debug: boolean;
  private readonly signal?: AbortSignal;
  /** Colours for stdout. */
  readonly c: Colors;
  /** Colours for stderr. */
  readonly ce: Colors;

  private constructor(
    readonly streams: Streams,
    options: OutputOptions,
    colors: { stdout: Colors; stderr: Colors },
  ) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.verbose = options.verbose || options.debug;
    this.debug = options.debug;
    this.signal = options.signal;
    this.c = colors.stdout;
    this.ce = colors.stderr;
  }

  static async create(streams: Streams, options: OutputOptions): Promise<Output> {
    const stdout = await colorsFor(options.json ? 0 : colorLevel(streams.stdout, streams.env, options.color));
    const stderr = await colorsFor(colorLevel(streams.stderr, streams.env, options.color));
    return new Output(streams, options, { stdout, stderr });
  }

  get stdout(): OutStream {
    return this.streams.stdout;
  }

  get stderr(): OutStream {
    return this.streams.stderr;
  }

  /** Whether a person is watching stderr (spinners, status lines). */
  get interactive(): boolean {
    return this.streams.stderr.isTTY === true && !this.quiet;
  }

  /** Whether we may ask questions: both stdin and stderr are terminals. */
  get canPrompt(): boolean {
    return this.streams.stdin.isTTY === true && this.streams.stderr.isTTY === true;
  }

  /** The command's result: one JSON document with --json, else the human rendering. */
  result<T>(value: T, human: (value: T, c: Colors) => string): void {
    if (this.json) {
      this.stdout.write(JSON.stringify(value, null, 2) + '\n');
      return;
    }
    const text = human(value, this.c);
    if (text.length > 0) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /**
   * Text that is itself the result, printed as it is (a PEM, a CSR, shell
   * export lines, a document in a format the command was asked for).
   */
  text(text: string): void {
    if (text.length > 0) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** One record of a stream: one JSON object per line with --json. */
  record<T>(value: T, human: (value: T, c: Colors) => string): boolean {
    if (this.json) return this.stdout.write(JSON.stringify(value) + '\n');
    const text = human(value, this.c);
    return this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Informational chatter on stderr; only for a person at a terminal. */
  info(message: string): void {
    if (this.interactive) this.stderr.write(message + '\n');
  }

  /** A line on stderr even off a TTY (a supervisor's log keeps it), but never with --quiet. */
  notice(line: string): void {
    if (!this.quiet) this.stderr.write(line + '\n');
  }

  /** Warnings go to stderr even off a TTY (CI logs keep them), but never with --quiet. */
  warn(message: string): void {
    this.notice(`${this.ce.yellow('warning:')} ${message}`);
  }

  /** --verbose detail on stderr. */
  log(message: string): void {
    if (this.verbose) this.stderr.write(this.ce.dim(message) + '\n');
  }

  /** The one error line (and hint) for a failed command. */
  error(err: IotctlError): void {
    if (this.json) {
      const body = { error: { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode, ...err.details } };
      this.stderr.write(JSON.stringify(body) + '\n');
      return;
    }
    this.stderr.write(`${this.ce.red('error:')} ${err.message}\n`);
    if (err.hint) this.stderr.write(`${this.ce.dim('hint:')} ${err.hint}\n`);
  }

  /** A spinner on a TTY; a no-op elsewhere (with --verbose, the step is logged). */
  async spinner(text: string): Promise<Spinner> {
    // A terminal that reports no width (a pty without a size, e.g. `script` in CI) cannot redraw a spinner line.
    if (!this.interactive || this.json || !(Number(this.stderr.columns) > 0)) {
      this.log(text);
      return silentSpinner;
    }
    const { default: ora } = await import('ora');
    const spinner = ora({ text, stream: this.stderr as NodeJS.WritableStream, color: 'cyan', discardStdin: false }).start();
    return {
      succeed: (t?: string) => void spinner.succeed(t),
      fail: (t?: string) => void spinner.fail(t),
      update: (t: string) => void (spinner.text = t),
      stop: () => void spinner.stop(),
    };
  }

  /** Runs a step with a spinner; the spinner fails with the step. */
  async step<T>(text: string, work: () => Promise<T>, done?: (value: T) => string): Promise<T> {
    const spinner = await this.spinner(text);
    try {
      const value = await work();
      spinner.succeed(done ? done(value) : text);
      return value;
    } catch (err) {
      spinner.fail(text);
      throw err;
    }
  }

  /**
   * Asks for a missing value on a TTY. Without a TTY it fails with an error
   * naming the flag, so a prompt never blocks a pipeline.
   */
  /** Ctrl-C at an inquirer prompt (it reads the key itself, so no SIGINT arrives): exit 130, not "Internal error". */
  private async asking<T>(ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError') {
        throw new IotctlError('INTERRUPTED', 'Interrupted; nothing was changed by this prompt.', { exitCode: ExitCode.INTERRUPTED });
      }
      throw err;
    }
  }

  async prompt(question: { flag: string; message: string; default?: string; validate?: (v: string) => true | string }): Promise<string> {
    if (!this.canPrompt) {
      throw usageError('MISSING_VALUE', `${question.message.replace(/[:?]\s*$/, '')} is required.`, `pass ${question.flag}`);
    }
    const { input } = await import('@inquirer/prompts');
    return this.asking(() =>
      input({ message: question.message, default: question.default, validate: question.validate }, { input: this.streams.stdin, output: this.stderr as NodeJS.WritableStream, signal: this.signal }),
    );
  }

  /** Asks yes or no on a terminal, after `preface` (what the yes would do); elsewhere it fails naming the flag. */
  async confirm(message: string, flag: string, preface?: string): Promise<boolean> {
    if (!this.canPrompt) throw usageError('CONFIRMATION_REQUIRED', `${message} needs confirmation.`, `pass ${flag}`);
    if (preface) this.stderr.write(preface + '\n');
    const { confirm } = await import('@inquirer/prompts');
    return this.asking(() => confirm({ message, default: false }, { input: this.streams.stdin, output: this.stderr as NodeJS.WritableStream, signal: this.signal }));
  }

  async choose<T extends string>(message: string, flag: string, choices: { name: string; value: T; description?: string }[], defaultValue?: T): Promise<T> {
    if (!this.canPrompt) throw usageError('MISSING_VALUE', `${message.replace(/[:?]\s*$/, '')} is required.`, `pass ${flag}`);
    const { select } = await import('@inquirer/prompts');
    return this.asking(() => select({ message, choices, default: defaultValue }, { input: this.streams.stdin, output: this.stderr as NodeJS.WritableStream, signal: this.signal }));
  }
}
