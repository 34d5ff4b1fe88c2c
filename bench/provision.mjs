// Provisioning throughput against the local IoT Core: 100 things at
// concurrency 1 and 8, EC P-256 keys, through the real CLI code path
// (iotctl provision --count), in one process per run.
// Usage: node bench/provision.mjs [count]   (run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator } from '../dist/emulator/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 100);
const emulator = await createEmulator({ ephemeral: true, ports: { http: 0, mqtt: 0, ws: 0, https: 0 } });
const { endpoints, credentials } = emulator;
const env = {
  ...process.env,
  IOTCTL_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-cfg-')),
  IOTCTL_ENDPOINT_URL: endpoints.controlPlane,
  IOTCTL_REGION: endpoints.region,
  IOTCTL_ACCESS_KEY_ID: credentials.accessKeyId,
  IOTCTL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  IOTCTL_CA_FILE: endpoints.caFile,
};

console.log(`provision ${count} things (EC P-256) against the local IoT Core, node ${process.version}, ${os.cpus().length} cpus`);
for (const concurrency of [1, 8]) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-fleet-'));
  const start = process.hrtime.bigint();
  // spawnSync would block the emulator in this process, so the CLI runs asynchronously.
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/iotctl.js'), 'provision', '--count', String(count), '--prefix', `c${concurrency}-`, '--out-dir', out, '--concurrency', String(concurrency), '--yes', '--quiet'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code));
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result !== 0) throw new Error(`provision exited ${result}`);
  console.log(`concurrency ${concurrency}: ${ms.toFixed(0)} ms total, ${(ms / count).toFixed(1)} ms per thing`);
  rmSync(out, { recursive: true, force: true });
}
await emulator.close();
