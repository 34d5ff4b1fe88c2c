/**
 * The data directory's layout and the running-instance file (server.json).
 * Light on purpose: `iotctl local status/reset/ca` import it without loading
 * the emulator.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
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
  /** Authentication failures and authorization denials of the data plane, one JSON object per line (0600). */
  authLog: 'auth-log.jsonl',
} as const;

export const dataFile = (dir: string, name: keyof typeof FILES) => path.join(dir, FILES[name]);

/** What server.json holds: enough for `iotctl local status` and clients to find a running instance. */
export interface RuntimeInfo {
  pid: number;
  startedAt: string;
  region: string;
  accountId: string;
  controlPlane: string;
  caFile: string;
  dataDir?: string;
  /** Host/port of each listener: http, mqtt, ws. */
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
