// `iotctl local start` in its own process for a bench: free ports, --json,
// resolved with its first line (endpoints, region, account, root keys, CA file)
// once it is ready; killed when the bench process exits.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'iotctl.js');
const FREE_PORTS = ['--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0'];

/**
 * `storage`: `['--ephemeral']` or `['--data-dir', dir]`; `env` should name its
 * own IOTCTL_CONFIG_DIR. Resolves with `{ child, ready }`.
 */
export function spawnLocalIot(storage, env) {
  const child = spawn(process.execPath, [bin, 'local', 'start', ...storage, ...FREE_PORTS, '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, ready: JSON.parse(out.split('\n')[0]) });
    });
    child.on('exit', (code) => reject(new Error(`iotctl local start exited ${code}`)));
  });
}
