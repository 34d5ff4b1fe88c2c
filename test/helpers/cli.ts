import { spawn } from 'node:child_process';
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
  constructor(tty: boolean) {
    this.isTTY = tty;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  stdin?: string;
  signal?: AbortSignal;
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
  const stdout = new Capture(options.tty ?? false);
  const stderr = new Capture(options.tty ?? false);
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = options.tty ?? false;
  stdin.end(options.stdin ?? '');
  const env = options.env ?? testEnv();
  const code = await run(argv, { stdout, stderr, stdin, env }, { signal: options.signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs bin/iotctl.js as a child process (for pipes, signals and real exit codes). */
export function spawnCli(argv: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: options.env ?? testEnv(), stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
