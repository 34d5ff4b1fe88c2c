// Shadow requests beside plain messages of the same client, in one run
// against one `iotctl local start --data-dir` in its own process:
// - HTTPS (@aws-sdk/client-iot-data-plane, SigV4, one kept-alive connection):
//   UpdateThingShadow beside Publish with retain=true (both durable before the 200);
// - MQTT 5 (MQTT.js, mutual TLS): publish to .../shadow/update and wait for
//   .../update/accepted, beside publish to a topic and wait for it to come back.
// Requests go one after the other (a device's way); the figure is requests/s.
// Usage: node bench/shadow.mjs [rounds]   (bench/shadow.sh builds first)
import https from 'node:https';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { spawnLocalIot } from './local-iot.mjs';
import { IoTDataPlaneClient, PublishCommand, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'iotctl.js');
const rounds = Number(process.argv[2] ?? 3);
const N = 500;

const work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-shadow-'));
const env = { ...process.env, IOTCTL_CONFIG_DIR: path.join(work, 'config'), NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const { child: local, ready } = await spawnLocalIot(['--data-dir', path.join(work, 'data')], env);
const provision = spawn(process.execPath, [bin, '--profile', 'local', 'provision', 'bench', '--template', 'shadow', '--yes'], { env, cwd: work, stdio: 'ignore' });
await new Promise((resolve, reject) => provision.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`provision exited ${code}`)))));

const ca = readFileSync(ready.caFile);
const http = new IoTDataPlaneClient({
  endpoint: `https://${ready.https}`,
  region: ready.region,
  credentials: { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey },
  requestHandler: { httpsAgent: new https.Agent({ ca, keepAlive: true, maxSockets: 1 }) },
});
const device = path.join(work, 'bench');
const client = await mqtt.connectAsync({
  protocol: 'mqtts',
  host: '127.0.0.1',
  port: Number(ready.mqtt.split(':')[1]),
  ca,
  cert: readFileSync(path.join(device, 'certificate.pem')),
  key: readFileSync(path.join(device, 'private.key')),
  clientId: 'bench',
  protocolVersion: 5,
  reconnectPeriod: 0,
});
// Request after answer: without it, Nagle holds each request behind the PUBACK just written (a 40 ms delayed-ACK wait).
client.stream.setNoDelay?.(true);
const prefix = '$aws/things/bench/shadow';
await client.subscribeAsync([`${prefix}/update/accepted`, `${prefix}/get/accepted`], { qos: 1 });
let waiting;
client.on('message', (topic) => {
  if (waiting && topic === waiting.topic) {
    const w = waiting;
    waiting = undefined;
    w.resolve();
  }
});
const roundTrip = (topic, answer, payload) =>
  new Promise((resolve, reject) => {
    waiting = { topic: answer, resolve };
    client.publish(topic, payload, { qos: 1 }, (err) => err && reject(err));
  });

const body = (i) => Buffer.from(JSON.stringify({ state: { reported: { seq: i, t: 21.5 } } }));
const cases = [
  { name: 'HTTPS UpdateThingShadow', go: (i) => http.send(new UpdateThingShadowCommand({ thingName: 'bench', payload: body(i) })) },
  { name: 'HTTPS Publish, retain=true (the peer)', go: (i) => http.send(new PublishCommand({ topic: 'bench/retained', qos: 1, retain: true, payload: body(i) })) },
  // The device's own request and its answer.
  { name: 'MQTT 5 .../shadow/update → update/accepted', go: (i) => roundTrip(`${prefix}/update`, `${prefix}/update/accepted`, body(i)) },
  // The shadow template lets the device receive only its shadow topics: a get and its answer is the plain round trip it can do.
  { name: 'MQTT 5 .../shadow/get → get/accepted (no write)', go: () => roundTrip(`${prefix}/get`, `${prefix}/get/accepted`, '') },
];

const results = cases.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, c] of cases.entries()) {
    const started = process.hrtime.bigint();
    for (let n = 0; n < N; n++) await c.go(n);
    results[i].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (i) => N / (median(results[i]) / 1000);
console.log(`rounds: ${rounds}; ${N} sequential requests per case; --data-dir (durable)`);
console.log('| case | requests/s | per request | vs its peer |');
console.log('|---|---|---|---|');
for (const [i, c] of cases.entries()) {
  const peer = i < 2 ? 1 : 3;
  console.log(`| ${c.name} | ${Math.round(rate(i)).toLocaleString('en-US')} | ${(median(results[i]) / N).toFixed(2)} ms | ${(rate(i) / rate(peer)).toFixed(2)}x |`);
}
await client.endAsync();
http.destroy();
local.kill('SIGTERM');
process.exit(0);
