/**
 * templates/systemd/iotctl-publisher.service does what docs/pi.md says: its
 * ExecStart, with the variables of iotctl-publisher.env, publishes a
 * source's lines through the spool and exits 0 when the source ends; and
 * systemd accepts the unit (systemd-analyze verify, where installed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, ROOT, runCli, spawnWatched } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

const UNIT = path.join(ROOT, 'templates/systemd/iotctl-publisher.service');
const ENV_FILE = path.join(ROOT, 'templates/systemd/iotctl-publisher.env');

let local: LocalIot;
let dir: string;

beforeAll(async () => {
  local = await startLocalIot();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-unit-'));
  const r = await runCli(['provision', 'pi01', '--yes', '--out-dir', path.join(dir, 'pi01')], { env: local.env });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => local?.close());

/** The unit's ExecStart as bash runs it ($$ is systemd's escape for $). */
function execStartScript(): string {
  const line = readFileSync(UNIT, 'utf8').split('\n').find((l) => l.startsWith('ExecStart='))!;
  const m = /^ExecStart=\/bin\/bash -c '(.*)'$/.exec(line);
  if (!m) throw new Error(`unexpected ExecStart: ${line}`);
  return m[1]!.replace(/\$\$/g, '$');
}

function envFile(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

it('systemd accepts the unit', () => {
  const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  if (verify.error) return; // no systemd here
  expect(verify.stderr.replace(/.*(User|Group).*iotctl.*\n?/g, '')).toBe('');
});

it("its ExecStart publishes the source's lines through the spool, and exits 0 when the source ends", async () => {
  // `iotctl` on PATH, as `npm install -g` puts it.
  const bin = path.join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(path.join(bin, 'iotctl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'iotctl'), 0o755);
  const vars = envFile();
  expect(Object.keys(vars).sort()).toEqual(['PUB_DEVICE', 'PUB_HEARTBEAT', 'PUB_HEARTBEAT_TOPIC', 'PUB_SOURCE', 'PUB_SPOOL', 'PUB_SPOOL_MAX', 'PUB_TOPIC']);
  const spool = path.join(dir, 'spool');
  const env = { ...local.env, ...vars, PATH: `${bin}:${process.env.PATH}`, PUB_DEVICE: path.join(dir, 'pi01'), PUB_SOURCE: 'seq 1 50', PUB_SPOOL: spool };

  const sub = spawnWatched(['--verbose', 'sub', vars.PUB_TOPIC!, '--count', '50', '--timeout', '20s', '--auth', 'sigv4', '--endpoint', '127.0.0.1', '--format', 'template', '--template', '{{payload}}'], { env: local.env, timeoutMs: 30_000 });
  await sub.subscribed();
  const service = spawn('/bin/bash', ['-c', execStartScript()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  service.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => service.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => service.on('close', resolve));
  clearTimeout(timer);
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/connecting to 127\.0\.0\.1:\d+ \(MQTT 5, mtls\) as pi01/);
  const got = await sub.done;
  expect(got.code, got.stderr).toBe(0);
  expect(got.stdout.trim().split('\n')).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
  expect(existsSync(path.join(spool, 'cursor'))).toBe(true);
});
