// The local IoT Core's MQTT broker (policies enforced on every message) beside
// a stock mosquitto with a TLS listener and require_certificate, in the same
// run, with the same clients:
//  1. throughput: mosquitto_pub -l sends N messages of 100 bytes over mutual
//     TLS at QoS 0 and QoS 1, on MQTT 3.1.1 and on MQTT 5 (-V 5, both
//     clients); mosquitto_sub counts what arrives (loss is counted at the
//     subscriber, not trusted from the publisher);
//  2. connections: 1,000 concurrent mutual-TLS MQTT clients held (MQTT 3.1.1
//     rounds, then MQTT 5 rounds), with the broker's RSS before, while held,
//     and after they leave (flat memory).
// Usage: node bench/broker.mjs [messages=100000] [clients=1000] [rounds=6]   (after npm run build)
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { IoTClient, AttachPolicyCommand, CreateCertificateFromCsrCommand, CreatePolicyCommand } from '@aws-sdk/client-iot';
import { DEFAULT_EC, createCsr, generateKeyPair, privateKeyToPem } from '../dist/pki/index.js';
import { spawnLocalIot } from './local-iot.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGES = Number(process.argv[2] ?? 100_000);
const CLIENTS = Number(process.argv[3] ?? 1000);
const ROUNDS = Number(process.argv[4] ?? 6);
const PAYLOAD = 100;
const TOPIC = 'bench/line';
const work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-broker-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Stopped with SIGTERM when the bench ends (SIGKILL if it dies). */
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function start(file, args, options = {}) {
  return track(spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options }));
}

function exited(child) {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code))));
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

// ------------------------------------------------------------ the brokers

async function startLocalIot() {
  const dataDir = path.join(work, 'local');
  const env = { ...process.env, IOTCTL_CONFIG_DIR: path.join(work, 'config') };
  const { child, ready } = await spawnLocalIot(['--data-dir', dataDir], env);
  track(child);
  // A device certificate and a policy with wildcards in its resources: every CONNECT, PUBLISH, SUBSCRIBE and delivery is evaluated.
  const iot = new IoTClient({ endpoint: ready.controlPlane, region: ready.region, credentials: { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey } });
  const keyPair = await generateKeyPair(DEFAULT_EC);
  const csr = await createCsr({ keyPair, subject: 'CN=bench' });
  const cert = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true }));
  const arn = (type, name) => `arn:aws:iot:${ready.region}:${ready.accountId}:${type}/${name}`;
  const policyDocument = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client', 'bench-*') },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic', 'bench/*') },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter', 'bench/*') },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic', 'bench/forbidden/*') },
    ],
  });
  await iot.send(new CreatePolicyCommand({ policyName: 'bench', policyDocument }));
  await iot.send(new AttachPolicyCommand({ policyName: 'bench', target: cert.certificateArn }));
  iot.destroy();
  const files = { ca: ready.caFile, cert: path.join(work, 'bench.pem'), key: path.join(work, 'bench.key') };
  writeFileSync(files.cert, cert.certificatePem);
  writeFileSync(files.key, privateKeyToPem(keyPair.privateKey), { mode: 0o600 });
  return { name: 'local IoT Core (aedes, policies enforced)', pid: ready.pid, port: Number(ready.mqtt.split(':')[1]), files, child, dataDir };
}

async function startMosquitto(local) {
  const port = await freePort();
  const conf = path.join(work, 'mosquitto.conf');
  // The same CA, server certificate and client certificate as the local IoT Core; no message limits, so QoS 1 is not dropped by a queue cap.
  writeFileSync(
    conf,
    [
      'per_listener_settings false',
      // As root, mosquitto would switch to the mosquitto user, who cannot read the 0600 keys in our 0700 directory.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'allow_anonymous true',
      'persistence false',
      'log_type error',
      'max_queued_messages 0',
      'max_queued_bytes 0',
      `listener ${port} 127.0.0.1`,
      `cafile ${local.files.ca}`,
      `certfile ${path.join(local.dataDir, 'server.pem')}`,
      `keyfile ${path.join(local.dataDir, 'server-key.pem')}`,
      'require_certificate true',
      '',
    ].join('\n'),
  );
  const child = start('/usr/sbin/mosquitto', ['-c', conf]);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) break;
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: 'mosquitto 2 (TLS, require_certificate)', pid: child.pid, port, files: local.files, child };
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

// -------------------------------------------------------------- throughput

const tlsArgs = (broker, clientId, version = 4) => [...(version === 5 ? ['-V', '5'] : []), '--cafile', broker.files.ca, '--cert', broker.files.cert, '--key', broker.files.key, '-h', '127.0.0.1', '-p', String(broker.port), '-i', clientId];

function payloadFile() {
  const file = path.join(work, 'lines.txt');
  const line = (n) => `m${String(n).padStart(8, '0')}`.padEnd(PAYLOAD, 'x');
  const lines = [];
  for (let i = 0; i < MESSAGES; i++) lines.push(line(i));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * One run: mosquitto_sub counts, mosquitto_pub -l sends the file.
 * `holdStdin`: mosquitto_pub 2.0 -l at QoS 1 drops what it still queues when
 * stdin ends (it disconnects at EOF), so by default it sends only part of the
 * file whatever the broker. Holding stdin open until its -d output shows every
 * PUBACK makes it send them all; -d also lets us count what it sent and what
 * was acknowledged, so loss is judged against the acknowledged messages.
 */
async function throughput(broker, qos, input, { holdStdin = false, version = 4 } = {}) {
  const tag = `${qos}${holdStdin ? 'h' : ''}v${version}`;
  // The subscriber prints one line per message; stdbuf makes that line visible at once (the cue that it is subscribed).
  const sub = start('/usr/bin/stdbuf', ['-oL', '/usr/bin/mosquitto_sub', ...tlsArgs(broker, `bench-sub-${tag}`, version), '-t', TOPIC, '-q', String(qos)]);
  let received = 0;
  let probeSeen = false;
  let last = 0;
  let pending = '';
  sub.stdout.setEncoding('utf8').on('data', (d) => {
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const l of lines) {
      if (l === 'probe') probeSeen = true;
      else if (l.length === PAYLOAD) received++;
    }
    last = performance.now();
  });
  // Probe until the subscription is live.
  while (!probeSeen) {
    const probe = start('/usr/bin/mosquitto_pub', [...tlsArgs(broker, `bench-probe-${tag}`, version), '-t', TOPIC, '-m', 'probe', '-q', '1']);
    await exited(probe);
    if (!probeSeen) await new Promise((r) => setTimeout(r, 100));
  }
  const started = performance.now();
  const debug = qos > 0;
  const pubArgs = [...tlsArgs(broker, `bench-pub-${tag}`, version), '-t', TOPIC, '-q', String(qos), '-l', ...(debug ? ['-d'] : [])];
  const pub = debug ? start('/usr/bin/stdbuf', ['-oL', '/usr/bin/mosquitto_pub', ...pubArgs]) : start('/usr/bin/mosquitto_pub', pubArgs);
  let sent = qos === 0 ? MESSAGES : 0;
  let acked = 0;
  let pubPending = '';
  pub.stdout.setEncoding('utf8').on('data', (d) => {
    pubPending += d;
    const lines = pubPending.split('\n');
    pubPending = lines.pop();
    for (const l of lines) {
      if (l.includes('received PUBACK')) acked++;
      else if (l.includes('sending PUBLISH')) sent++;
    }
    if (holdStdin && acked >= MESSAGES) pub.stdin.end();
  });
  if (holdStdin) pub.stdin.write(readFileSync(input));
  else createReadStream(input).pipe(pub.stdin);
  const pubCode = await exited(pub);
  const pubMs = performance.now() - started;
  // Wait for the subscriber to catch up: done when all arrived, or nothing new for 3 s.
  const expected = qos === 0 ? MESSAGES : sent;
  while (received < expected && performance.now() - last < 3000) await new Promise((r) => setTimeout(r, 50));
  sub.kill('SIGTERM');
  await exited(sub);
  const ms = last - started;
  return { qos, holdStdin, version, sent, acked: qos === 0 ? undefined : acked, received, ackedButLost: qos === 0 ? undefined : Math.max(0, acked - received), ms, rate: received / (ms / 1000), pubMs, pubCode };
}

// ------------------------------------------------------------- connections

/** A CONNECT (clean session, keep-alive 300 s; MQTT 5 with no properties), written by hand: the clients cost nothing but their sockets. */
function connectPacket(clientId, version = 4) {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, version, 0x02, 0x01, 0x2c, ...(version === 5 ? [0x00] : [])]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const length = variable.length + payload.length;
  return Buffer.concat([Buffer.from([0x10, length]), variable, payload]);
}

async function holdClients(broker, round, version = 4) {
  const ca = readFileSync(broker.files.ca);
  const cert = readFileSync(broker.files.cert);
  const key = readFileSync(broker.files.key);
  const before = rssMb(broker.pid);
  const started = performance.now();
  const sockets = [];
  let accepted = 0;
  const open = (i) =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: broker.port, ca, cert, key, servername: 'localhost' }, () => s.write(connectPacket(`bench-conn-${version}-${round}-${i}`, version)));
      s.once('data', (d) => {
        // CONNACK: 3.1.1's return code and MQTT 5's reason code are both the fourth byte.
        if (d[0] === 0x20 && d[3] === 0) accepted++;
        resolve();
      });
      s.on('error', reject);
      sockets.push(s);
    });
  // 50 handshakes in flight at a time.
  for (let i = 0; i < CLIENTS; i += 50) await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) => open(i + j)));
  const connectMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 2000));
  const held = rssMb(broker.pid);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssMb(broker.pid);
  return { round, version, accepted, connectMs, before, held, after };
}

// ------------------------------------------------------------------- main

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`broker bench: ${fmt(MESSAGES)} messages of ${PAYLOAD} bytes, ${fmt(CLIENTS)} clients; node ${process.version}, ${os.cpus().length} cpus, ${new Date().toISOString().slice(0, 10)}`);
const local = await startLocalIot();
const mosquitto = await startMosquitto(local);
const brokers = [local, mosquitto];
const results = Object.fromEntries(brokers.map((b) => [b.name, { runs: [], clients: [] }]));

// Connections first, on fresh brokers: RSS before, with the clients held, and after they left; the rounds show whether it stays flat.
// Then MQTT 5 clients, half as many rounds, on the same brokers.
for (const broker of brokers) {
  for (const [version, rounds] of [[4, ROUNDS], [5, Math.max(2, ROUNDS >> 1)]]) {
    for (let round = 1; round <= rounds; round++) {
      const c = await holdClients(broker, round, version);
      results[broker.name].clients.push(c);
      console.log(
        `${broker.name.padEnd(42)} ${fmt(CLIENTS)} MQTT ${version === 5 ? '5' : '3.1.1'} clients, round ${round}: ${fmt(c.accepted)} accepted in ${fmt(c.connectMs)} ms; RSS ${fmt(c.before, 1)} MB before, ${fmt(c.held, 1)} MB held, ${fmt(c.after, 1)} MB after`,
      );
    }
  }
}

const input = payloadFile();
const RUNS = [
  { qos: 0, holdStdin: false, label: 'QoS 0' },
  { qos: 1, holdStdin: false, label: 'QoS 1, stdin closed at EOF' },
  { qos: 1, holdStdin: true, label: 'QoS 1, stdin held until all PUBACKs' },
  { qos: 0, holdStdin: false, version: 5, label: 'MQTT 5, QoS 0' },
  { qos: 1, holdStdin: true, version: 5, label: 'MQTT 5, QoS 1, stdin held' },
];
for (const run of RUNS) {
  for (const broker of brokers) {
    const r = await throughput(broker, run.qos, input, run);
    results[broker.name].runs.push({ ...r, label: run.label });
    const acks = r.acked === undefined ? '' : `, publisher sent ${fmt(r.sent)} and got ${fmt(r.acked)} PUBACKs, acknowledged but not received: ${fmt(r.ackedButLost)}`;
    console.log(`${broker.name.padEnd(42)} ${run.label.padEnd(36)} ${fmt(r.received)}/${fmt(MESSAGES)} received in ${fmt(r.ms)} ms = ${fmt(r.rate)} msg/s${acks} (publisher exit ${r.pubCode})`);
  }
}
for (const [i, run] of RUNS.entries()) {
  const ours = results[local.name].runs[i];
  const theirs = results[mosquitto.name].runs[i];
  console.log(`${run.label}: local IoT Core / mosquitto = ${(ours.rate / theirs.rate).toFixed(2)}`);
}
console.log(`JSON ${JSON.stringify(results)}`);
for (const c of children) c.kill('SIGTERM');
