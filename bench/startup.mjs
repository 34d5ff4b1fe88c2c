// Startup time of iotctl against bare `node -e 0`, interleaved in one run so
// machine noise hits every command alike. Prints medians and ratios.
// Usage: node bench/startup.mjs [rounds]   (run `npm run build` first)
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'iotctl.js');
const rounds = Number(process.argv[2] ?? 30);
const env = { ...process.env, IOTCTL_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-')) };

const commands = {
  'node -e 0': ['-e', '0'],
  'iotctl --help': [bin, '--help'],
  'iotctl --version': [bin, '--version'],
  'iotctl config list': [bin, 'config', 'list'],
};
const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));

for (let i = 0; i < rounds + 3; i++) {
  for (const [name, args] of Object.entries(commands)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    if (i >= 3) samples[name].push(ms); // the first rounds warm the file cache
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(samples['node -e 0']);
console.log(`startup, median of ${rounds} interleaved runs (${os.cpus().length} cpus, node ${process.version})`);
for (const [name, xs] of Object.entries(samples)) {
  console.log(`${name.padEnd(20)} ${median(xs).toFixed(1).padStart(7)} ms   ${(median(xs) / base).toFixed(2)}x bare node`);
}
