/**
 * The README's exit-code table, row by row, as a user sees it: each code produced by a spawned
 * bin/iotctl.js. The elapsed-time bounds are hang guards, not benchmarks.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, testEnv } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { closedPort } from '../helpers/example-world.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Spawns bin/iotctl.js; `interruptWhen` sends SIGINT once stderr matches it. The hang guard kills
 * the process after `guardMs`, so a hang fails the test by its elapsed time, not by vitest's timeout.
 */
function iotctl(argv: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; guardMs?: number; interruptWhen?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...argv], { env: options.env ?? testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.interruptWhen?.test(stderr) && child.exitCode === null) child.kill('SIGINT');
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.guardMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** The codes in README.md's "Exit codes" table. */
function documentedCodes(): number[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.split(/^## Exit codes$/m)[1]!.split(/^## /m)[0]!;
  return [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
}

const DENY_ALL_BUT_SUBSCRIBE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: '*' }] });

/** A control-plane endpoint that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the exit-code table, as processes', () => {
  let local: LocalIot;
  beforeAll(async () => {
    local = await startLocalIot();
  });
  afterAll(async () => {
    await local?.close();
  });

  const tested = new Set<number>();
  const row = (code: number, title: string, fn: () => Promise<void>) => {
    tested.add(code);
    it(`${code}: ${title}`, fn);
  };

  row(0, 'success: iotctl --version', async () => {
    const r = await iotctl(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.ms).toBeLessThan(10_000);
  });

  row(1, 'failure: local status when no local IoT Core runs', async () => {
    const env = testEnv();
    env.IOTCTL_DATA_DIR = path.join(env.IOTCTL_CONFIG_DIR!, 'data'); // not the machine's own local IoT Core
    const r = await iotctl(['local', 'status'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/not running/);
    expect(r.ms).toBeLessThan(10_000);
  });

  row(2, 'usage error: an unknown option', async () => {
    const r = await iotctl(['thing', 'list', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(r.ms).toBeLessThan(10_000);
  });

  row(3, 'denied: a policy decision that denies', async () => {
    const r = await iotctl(['policy', 'test', '-f', '-', '--action', 'iot:Publish', '--resource', 'things/pi01/temp'], { stdin: DENY_ALL_BUT_SUBSCRIBE });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/DENIED/);
    expect(r.ms).toBeLessThan(10_000);
  });

  row(4, 'not found: a thing that does not exist', async () => {
    const r = await iotctl(['thing', 'describe', 'no-such-thing'], { env: local.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no-such-thing/);
    expect(r.ms).toBeLessThan(15_000);
  });

  row(5, 'connection failure: a control-plane endpoint that refuses connections', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await iotctl(['--endpoint-url', url, '--region', 'us-east-1', 'thing', 'list'], { env: local.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(url.replace('http://', ''));
    expect(r.ms).toBeLessThan(15_000);
  });

  row(6, 'timeout: a control-plane endpoint that accepts and never answers, --request-timeout 2s', async () => {
    const silent = await silentServer();
    try {
      const r = await iotctl(['--request-timeout', '2s', '--endpoint-url', silent.url, '--region', 'us-east-1', 'thing', 'list'], { env: local.env });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/--request-timeout/);
      expect(r.ms).toBeGreaterThanOrEqual(2_000);
      expect(r.ms).toBeLessThan(15_000);
    } finally {
      await silent.close();
    }
  });

  it('6: timeout: sub --timeout when nothing arrives', async () => {
    const r = await iotctl(['sub', 'quiet/topic', '--auth', 'sigv4', '--timeout', '1s'], { env: local.env });
    expect(r.code).toBe(6);
    expect(r.ms).toBeLessThan(15_000);
  });

  row(130, 'interrupted: Ctrl-C (SIGINT) while sub waits for messages', async () => {
    const r = await iotctl(['sub', 'quiet/topic', '--auth', 'sigv4', '-v'], { env: local.env, interruptWhen: /subscribed to quiet\/topic/ });
    expect(r.stderr).toMatch(/subscribed to quiet\/topic/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(15_000);
  });

  it("every row of the README's table is tested here", () => {
    expect([...tested].sort((a, b) => a - b)).toEqual(documentedCodes().sort((a, b) => a - b));
  });
});
