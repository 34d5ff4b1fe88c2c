import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/main.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'iotctl.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture {
  text = '';
  isTTY: boolean;
  columns = 100;
  constructor(
    tty: boolean,
    private readonly onWrite?: (text: string) => void,
  ) {
    this.isTTY = tty;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    this.onWrite?.(this.text);
    return true;
  }
}

export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  stdin?: string;
  signal?: AbortSignal;
  /** Called with everything written to stdout (stderr) so far, after each write: a test waits on output, not on time. */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** A fresh, empty config directory for one test. */
export function tempConfigDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'iotctl-test-config-'));
}

/**
 * The environment tests run with: no colours unless asked, no AWS settings
 * leaking in from the machine. IOTCTL_DRIVER passes through: the vitest
 * projects *-js run the MQTT suites again on the MQTT.js driver with it.
 */
export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    IOTCTL_CONFIG_DIR: tempConfigDir(),
    ...(process.env.IOTCTL_DRIVER ? { IOTCTL_DRIVER: process.env.IOTCTL_DRIVER } : {}),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Runs the CLI in-process (fast), with captured stdout/stderr. */
export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const stdout = new Capture(options.tty ?? false, options.onStdout);
  const stderr = new Capture(options.tty ?? false, options.onStderr);
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = options.tty ?? false;
  stdin.end(options.stdin ?? '');
  const env = options.env ?? testEnv();
  const code = await run(argv, { stdout, stderr, stdin, env }, { signal: options.signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * A command that keeps running (sub, tail, local logs --follow), and the
 * events a test waits for instead of sleeping: it has subscribed, it has
 * printed so many lines. Each also resolves once the command has ended, so a
 * broken command fails the test at once instead of hanging it.
 */
export interface Running {
  done: Promise<CliResult>;
  /** "subscribed to" has appeared `times` times on --verbose stderr (tail subscribes again after each reconnect). */
  subscribed(times?: number): Promise<void>;
  /** stdout holds at least this many lines. */
  printed(lines: number): Promise<void>;
  /** stderr says this. */
  said(pattern: RegExp): Promise<void>;
  stdout(): string;
  stderr(): string;
}

function watch(start: (seen: { stdout(text: string): void; stderr(text: string): void }) => Promise<CliResult>): Running {
  let out = '';
  let err = '';
  let ended = false;
  const waiting: { ready: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of waiting.filter((w) => ended || w.ready())) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  const until = (ready: () => boolean) => new Promise<void>((resolve) => {
    waiting.push({ ready, resolve });
    wake();
  });
  const done = start({
    stdout: (text) => {
      out = text;
      wake();
    },
    stderr: (text) => {
      err = text;
      wake();
    },
  }).finally(() => {
    ended = true;
    wake();
  });
  return {
    done,
    subscribed: (times = 1) => until(() => (err.match(/subscribed to /g)?.length ?? 0) >= times),
    printed: (lines) => until(() => out.split('\n').filter(Boolean).length >= lines),
    said: (pattern) => until(() => pattern.test(err)),
    stdout: () => out,
    stderr: () => err,
  };
}

/** A long-running command in-process; pass --verbose to wait for subscribed(). */
export function runWatched(argv: string[], options: RunCliOptions = {}): Running {
  return watch((seen) => runCli(argv, { ...options, onStdout: seen.stdout, onStderr: seen.stderr }));
}

/** The same as a process of its own (bin/iotctl.js), which a test can signal. */
export function spawnWatched(argv: string[], options: SpawnOptions = {}): Running & { signal(sig: NodeJS.Signals): void } {
  let child: ChildProcess | undefined;
  const running = watch((seen) => spawnCli(argv, { ...options, onStdout: seen.stdout, onStderr: seen.stderr, onSpawn: (c) => (child = c) }));
  return { ...running, signal: (sig) => void child?.kill(sig) };
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Called with everything written to stdout (stderr) so far, after each chunk. */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs bin/iotctl.js as a child process (for pipes, signals and real exit codes). */
export function spawnCli(argv: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: options.env ?? testEnv(), stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    options.onSpawn?.(child);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
