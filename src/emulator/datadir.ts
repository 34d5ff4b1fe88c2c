/**
 * The data directory's layout and the running-instance file (server.json).
 * Light on purpose: `iotctl local status/reset/ca` import it without loading
 * the emulator.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { usageError, type IotctlError } from '../core/errors.js';
import { iotctlCommand } from '../core/shell.js';
import { writeFileAtomic } from '../io/files.js';

export const FILES = {
  /** Things, certificates, policies, identities… (mode 0600: holds temporary secrets). */
  state: 'state.json',
  /** Root access key and the OpenID token signing key (0600). */
  secrets: 'secrets.json',
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
  /** Present while an instance runs. */
  runtime: 'server.json',
  /** Retained MQTT messages (0600: payloads may be private). */
  retained: 'retained.json',
  /** Device shadows, and the versions of recently deleted ones (0600). */
  shadows: 'shadows.json',
  /** Authentication failures and authorization denials of the data plane, one JSON object per line (0600). */
  authLog: 'auth-log.jsonl',
  /** Persistent MQTT sessions: subscriptions and queued QoS 1 messages (0600), and the journal of changes since. */
  sessions: 'sessions.json',
  sessionJournal: 'sessions.journal',
} as const;

export const dataFile = (dir: string, name: keyof typeof FILES) => path.join(dir, FILES[name]);

/** Why a directory cannot be made, in words (the code alone means little to a user). */
function mkdirProblem(err: NodeJS.ErrnoException, dir: string): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `no permission to create ${dir}`;
    case 'ENOENT':
      // The parent exists (it was checked) yet refuses: /proc, /sys and the like.
      return `${path.dirname(dir)} does not allow creating directories in it`;
    case 'EROFS':
      return `${dir} is on a read-only file system`;
    case 'ENOSPC':
      return 'no space is left on the device';
    default:
      return err.message;
  }
}

/**
 * Creates the data directory (mode 0700), or checks the one that exists: it
 * must be a directory this process can write in. An unusable path is a usage
 * error (exit 2) that names it and the reason. One mkdir per missing component,
 * so it cannot spin (Node's recursive mkdir loops forever on /proc/self/x).
 */
export async function prepareDataDir(dir: string): Promise<void> {
  const unusable = (reason: string) => usageError('LOCAL_DATA_DIR', `The data directory ${dir} cannot be used: ${reason}.`, 'pass --data-dir with a directory you can write to');
  const missing: string[] = [];
  for (let current = dir; ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = (await fs.stat(current)).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      // ENOTDIR: a component above is a file; the walk up finds which.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== current) {
        missing.unshift(current);
        current = parent;
        continue;
      }
      throw unusable(code === 'EACCES' || code === 'EPERM' ? `no permission to look into ${parent}` : (err as Error).message);
    }
    if (!isDirectory) throw unusable(`${current} is a file, not a directory`);
    break;
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await fs.stat(d)).isDirectory()) continue;
      throw unusable(mkdirProblem(err as NodeJS.ErrnoException, d));
    }
  }
  try {
    await fs.access(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw unusable(`no permission to write in ${dir}`);
  }
}

/**
 * A file of the data directory that this iotctl cannot read: a usage error
 * (exit 2) naming the file, what is wrong, and the command that starts over.
 * `keys`: the file holds key material, which only `reset --all` replaces.
 */
export function unreadableDataFile(file: string, problem: string, keys = false): IotctlError {
  const reset = iotctlCommand(['local', 'reset', '--data-dir', path.dirname(file), ...(keys ? ['--all'] : []), '--yes']);
  const loses = keys ? 'all local state, the CA and the root key' : 'the local state';
  return usageError('LOCAL_DATA_FILE', `${file} ${problem}.`, `move it away, or start over with: ${reset} (it deletes ${loses})`);
}

/** What server.json holds: enough for `iotctl local status` and clients to find a running instance. */
export interface RuntimeInfo {
  pid: number;
  startedAt: string;
  region: string;
  accountId: string;
  controlPlane: string;
  caFile: string;
  dataDir?: string;
  /** Host/port of each listener: http, mqtt, ws, https. */
  endpoints: Record<string, { host: string; port: number }>;
  /** The auth log (JSON lines). */
  logFile?: string;
}

export async function writeRuntimeInfo(dir: string, info: RuntimeInfo): Promise<void> {
  await writeFileAtomic(dataFile(dir, 'runtime'), JSON.stringify(info, null, 2) + '\n', { mode: 0o644 });
}

export async function readRuntimeInfo(dir: string): Promise<RuntimeInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(dataFile(dir, 'runtime'), 'utf8')) as RuntimeInfo;
    return typeof info.pid === 'number' && typeof info.controlPlane === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Removes server.json if it still describes this process (a newer instance may have replaced it). */
export async function removeRuntimeInfo(dir: string, pid = process.pid): Promise<void> {
  const info = await readRuntimeInfo(dir);
  if (info && info.pid !== pid) return;
  await fs.rm(dataFile(dir, 'runtime'), { force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Health {
  status: string;
  pid: number;
  region: string;
  accountId: string;
  startedAt: string;
  dataDir?: string;
  /** The data plane's endpoints, e.g. "127.0.0.1:4581" and "wss://127.0.0.1:4582/mqtt". */
  mqtt?: string;
  websocket?: string;
  /** host:port of the HTTPS data plane. */
  https?: string;
  /** The auth log (JSON lines); for an --ephemeral instance, a temp file. */
  logFile?: string;
}

/** GET /_local/health; undefined if nothing answers like a local IoT Core. */
export async function probeHealth(controlPlane: string, timeoutMs = 1000): Promise<Health | undefined> {
  try {
    const res = await fetch(new URL('/_local/health', controlPlane), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as Health;
    return body.status === 'ok' ? body : undefined;
  } catch {
    return undefined;
  }
}

export type InstanceState = { state: 'running'; info: RuntimeInfo; health: Health } | { state: 'stale'; info: RuntimeInfo } | { state: 'stopped' };

/** Whether an instance runs on this data directory: server.json, a live pid, and a health probe answered by that pid. */
export async function findInstance(dir: string): Promise<InstanceState> {
  const info = await readRuntimeInfo(dir);
  if (!info) return { state: 'stopped' };
  if (!pidAlive(info.pid)) return { state: 'stale', info };
  const health = await probeHealth(info.controlPlane);
  return health && health.pid === info.pid ? { state: 'running', info, health } : { state: 'stale', info };
}
