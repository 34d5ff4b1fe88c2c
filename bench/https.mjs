// `iotctl pub --http --lines` beside `iotctl pub --lines` (MQTT QoS 1) and a
// loop of curl processes (the AWS docs' command, one message each), all
// against one `iotctl local start` in its own process. Throughput is
// messages over the wall time of the whole command (process start
// included); a counting MQTT subscriber checks that every message arrived.
// Usage: node bench/https.mjs [rounds]   (bench/https.sh builds first)
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { spawnLocalIot } from './local-iot.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'iotctl.js');
const rounds = Number(process.argv[2] ?? 3);
const LINES = 5000;
const CURLS = 200;

const work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-https-'));
const env = { ...process.env, IOTCTL_CONFIG_DIR: path.join(work, 'config'), NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Runs a command to completion (stdin from a file); resolves with its wall time in ms, rejects on a non-zero exit. */
function run(cmd, args, { stdin } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: [stdin ? openSync(stdin, 'r') : 'ignore', 'ignore', 'pipe'], cwd: work });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const { child: local, ready } = await spawnLocalIot(['--ephemeral'], env);
await run(process.execPath, [bin, '--profile', 'local', 'provision', 'bench', '--template', 'http-device', '--yes']);
const device = path.join(work, 'bench');
const httpsPort = ready.https.split(':')[1];

const lines = path.join(work, 'lines.txt');
writeFileSync(lines, Array.from({ length: LINES }, (_, i) => JSON.stringify({ seq: i, t: 21.5, pad: 'x'.repeat(60) })).join('\n') + '\n');

// Counts what arrives, so a fast number with lost messages cannot pass unnoticed.
const sub = await mqtt.connectAsync({
  protocol: 'mqtts',
  host: '127.0.0.1',
  port: Number(ready.mqtt.split(':')[1]),
  ca: readFileSync(ready.caFile),
  cert: readFileSync(path.join(device, 'certificate.pem')),
  key: readFileSync(path.join(device, 'private.key')),
  clientId: 'bench-count',
  reconnectPeriod: 0,
});
let received = 0;
sub.on('message', () => received++);
await sub.subscribeAsync('things/bench/#', { qos: 0 });

const iotctl = (...args) => [bin, '--profile', 'local', ...args];
const cases = [
  { name: '`iotctl pub --http --lines` (client certificate)', messages: LINES, go: () => run(process.execPath, iotctl('pub', '--http', '--device', device, '--lines', 'things/bench/http'), { stdin: lines }) },
  { name: '`iotctl pub --http --lines --auth sigv4`', messages: LINES, go: () => run(process.execPath, iotctl('pub', '--http', '--auth', 'sigv4', '--lines', 'things/bench/sigv4'), { stdin: lines }) },
  { name: '`iotctl pub --lines` (MQTT, QoS 1)', messages: LINES, go: () => run(process.execPath, iotctl('pub', '--device', device, '--lines', 'things/bench/mqtt'), { stdin: lines }) },
  {
    name: `curl loop (${CURLS} \`curl --cert ... -X POST\`, one process each)`,
    messages: CURLS,
    go: () =>
      run('bash', [
        '-c',
        `for i in $(seq ${CURLS}); do curl -sS --fail --tlsv1.2 --cacert bench/root-ca.pem --cert bench/certificate.pem --key bench/private.key -X POST -d '{"seq": '$i'}' "https://127.0.0.1:${httpsPort}/topics/things/bench/curl?qos=1" > /dev/null || exit 1; done`,
      ]),
  },
];

const results = cases.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, c] of cases.entries()) {
    const before = received;
    const ms = await c.go();
    // QoS 1 answers come after the broker routed the message; give the subscriber its last deliveries.
    for (let wait = 0; received - before < c.messages && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
    if (received - before !== c.messages) throw new Error(`${c.name}: ${received - before} of ${c.messages} messages arrived`);
    results[i].push(ms);
  }
}
await sub.endAsync();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (i) => cases[i].messages / (median(results[i]) / 1000);
const mqttRate = rate(2);
const curlRate = rate(3);
console.log(`rounds: ${rounds}; ${LINES} lines of ~90 bytes, ${CURLS} curl processes; every message counted at an MQTT subscriber`);
console.log('| client | median wall time | messages/s | vs MQTT QoS 1 | vs curl loop |');
console.log('|---|---|---|---|---|');
for (const [i, c] of cases.entries()) {
  console.log(`| ${c.name} | ${Math.round(median(results[i])).toLocaleString('en-US')} ms | ${Math.round(rate(i)).toLocaleString('en-US')} | ${(rate(i) / mqttRate).toFixed(2)}x | ${(rate(i) / curlRate).toFixed(1)}x |`);
}
local.kill('SIGTERM');
process.exit(0);
