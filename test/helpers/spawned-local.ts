/**
 * A local IoT Core run as a user runs it: `bin/iotctl.js local start --json`
 * in its own process, so a test can watch what the process does (file
 * descriptors, memory, stderr lines, exit) while clients misbehave.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { IoTClient } from '@aws-sdk/client-iot';
import { BIN, testEnv } from './cli.js';

export interface Ready {
  region: string;
  controlPlane: string;
  mqtt: string;
  websocket: string;
  /** host:port of the HTTPS data plane. */
  https: string;
  caFile: string;
  logFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string | null;
  pid: number;
}

export interface SpawnedLocal {
  child: ChildProcessWithoutNullStreams;
  ready: Ready;
  env: NodeJS.ProcessEnv;
  iot: IoTClient;
  ca: Buffer;
  mqttPort: number;
  wsPort: number;
  httpPort: number;
  httpsPort: number;
  stderr(): string;
  /** Resolves once stderr has a line that matches (already printed or to come). */
  stderrLine(match: RegExp, timeoutMs?: number): Promise<string>;
  /** Open file descriptors of the process. */
  fds(): number;
  /** Resident set size of the process, in bytes. */
  rss(): number;
  /** The highest resident set size the process has had, in bytes. */
  peakRss(): number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait (a clean stop). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
}

/** Every instance still running: a test that fails half-way must not leave one behind. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** For afterEach: kills what a test started and did not stop (a failed assertion skips its stop()). */
export async function killLeftovers(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)))));
}

/**
 * Spawns `iotctl local start --port 0 --mqtt-port 0 --ws-port 0 --https-port 0 --json <args>`
 * (add `--ephemeral` or `--data-dir`) and resolves with its ready line.
 */
export function spawnLocal(args: string[], env: NodeJS.ProcessEnv = testEnv()): Promise<SpawnedLocal> {
  const child = spawn(process.execPath, [BIN, 'local', 'start', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0', '--json', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: { match: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of [...watchers]) {
      const line = stderr.split('\n').find((l) => w.match.test(l));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  running.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exit;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line; stderr: ${stderr}`));
    }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0 || stdout.length - d.length > nl) return;
      clearTimeout(timer);
      const ready = JSON.parse(stdout.slice(0, nl)) as Ready;
      const iot = new IoTClient({
        endpoint: ready.controlPlane,
        region: ready.region,
        credentials: { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey },
        maxAttempts: 1,
      });
      const port = (hostPort: string) => Number(/:(\d+)(\/mqtt)?$/.exec(hostPort)![1]);
      resolve({
        child,
        ready,
        env,
        iot,
        ca: readFileSync(ready.caFile),
        mqttPort: port(ready.mqtt),
        wsPort: port(ready.websocket),
        httpPort: port(ready.controlPlane),
        httpsPort: port(ready.https),
        stderr: () => stderr,
        stderrLine(match, timeoutMs = 15_000) {
          const seen = stderr.split('\n').find((l) => match.test(l));
          if (seen !== undefined) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no stderr line matching ${match}; stderr:\n${stderr.slice(-2000)}`)), timeoutMs);
            watchers.push({ match, resolve: (line) => (clearTimeout(t), res(line)) });
          });
        },
        fds: () => readdirSync(`/proc/${child.pid}/fd`).length,
        rss: () => statusBytes(child.pid!, 'VmRSS'),
        peakRss: () => statusBytes(child.pid!, 'VmHWM'),
        exit,
        async stop() {
          iot.destroy();
          await signal('SIGTERM');
        },
        async kill() {
          iot.destroy();
          await signal('SIGKILL');
        },
      });
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before it was ready; stderr: ${stderr}`));
    });
  });
}

/** A size from /proc/<pid>/status (VmRSS, VmHWM...), in bytes. */
function statusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Polls a condition that has no event (a count in /proc) until it holds. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
