// A bounded soak of the local IoT Core under hostile, slow and broken clients:
// `iotctl local start` (its own process, a data directory, policies enforced)
// serves 1,000 clients at once for a few minutes:
//  - well-behaved (900 by default): groups of one QoS 1 publisher (one message
//    a second) and nine QoS 1 subscribers, one of them over SigV4 WebSockets;
//    every message (about 1 KB) a publisher got a PUBACK for must reach every subscriber of
//    its group (QoS 1 loss, which must be zero), and none of them may be
//    disconnected;
//  - misbehaving (100 by default), five kinds in equal numbers, each in a loop:
//    TCP sockets that never start TLS, subscribers to everything that stop
//    reading, PUBLISH headers announcing 100 MB, WebSocket upgrades that never
//    finish their headers, and garbage after CONNECT.
// Every 5 s it samples the broker's RSS and open file descriptors.
// Usage: node bench/soak.mjs [seconds=180] [clients=1000] [misbehaving=100]   (after npm run build)
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Sha256 } from '@aws-crypto/sha256-js';
import { IoTClient, AttachPolicyCommand, CreateCertificateFromCsrCommand, CreatePolicyCommand } from '@aws-sdk/client-iot';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt from 'mqtt';
import { spawnLocalIot } from './local-iot.mjs';
import { DEFAULT_EC, createCsr, generateKeyPair, privateKeyToPem } from '../dist/pki/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const SECONDS = Number(process.argv[2] ?? 180);
const CLIENTS = Number(process.argv[3] ?? 1000);
const MISBEHAVING = Number(process.argv[4] ?? 100);
const GROUP = 10; // one publisher and nine subscribers
const GROUPS = Math.floor((CLIENTS - MISBEHAVING) / GROUP);
/** About 1 KB per message: the stalled subscribers (to soak/#) fill their 512 KiB within the run. */
const PAD = 1000;
const KINDS = ['idle-tcp', 'stalled-subscriber', 'oversized-packet', 'slow-upgrade', 'garbage'];
const work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-soak-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// ------------------------------------------------------------- the broker

const env = { ...process.env, IOTCTL_CONFIG_DIR: path.join(work, 'config') };
const { child: broker, ready } = await spawnLocalIot(['--data-dir', path.join(work, 'local')], env);
const mqttPort = Number(ready.mqtt.split(':')[1]);
const wsPort = Number(/:(\d+)\/mqtt$/.exec(ready.websocket)[1]);
const ca = readFileSync(ready.caFile);
const credentials = { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey };

const iot = new IoTClient({ endpoint: ready.controlPlane, region: ready.region, credentials });
const keyPair = await generateKeyPair(DEFAULT_EC);
const issued = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await createCsr({ keyPair, subject: 'CN=soak' }), setAsActive: true }));
const arn = (type, name) => `arn:aws:iot:${ready.region}:${ready.accountId}:${type}/${name}`;
await iot.send(
  new CreatePolicyCommand({
    policyName: 'soak',
    policyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client', 'soak-*') },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic', 'soak/*') },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter', 'soak/*') },
      ],
    }),
  }),
);
await iot.send(new AttachPolicyCommand({ policyName: 'soak', target: issued.certificateArn }));
iot.destroy();
const device = { cert: issued.certificatePem, key: privateKeyToPem(keyPair.privateKey) };

function sample() {
  const status = readFileSync(`/proc/${broker.pid}/status`, 'utf8');
  return { rssMb: Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024, fds: readdirSync(`/proc/${broker.pid}/fd`).length };
}

// ------------------------------------------------------ well-behaved clients

async function presignedUrl() {
  const signer = new SignatureV4({ service: 'iotdevicegateway', region: ready.region, credentials, sha256: Sha256 });
  const signed = await signer.presign({ method: 'GET', protocol: 'wss:', hostname: '127.0.0.1', port: wsPort, path: '/mqtt', query: {}, headers: { host: `127.0.0.1:${wsPort}` } }, { expiresIn: 3600 });
  return `wss://127.0.0.1:${wsPort}/mqtt?${new URLSearchParams(signed.query)}`;
}

let unexpectedCloses = 0;
let ending = false;
async function wellBehaved(clientId, ws) {
  const options = { clientId, reconnectPeriod: 0, keepalive: 60, connectTimeout: 30_000, ca };
  const client = ws ? mqtt.connect(await presignedUrl(), options) : mqtt.connect({ ...options, protocol: 'mqtts', host: '127.0.0.1', port: mqttPort, cert: device.cert, key: device.key });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  client.on('close', () => {
    if (!ending) unexpectedCloses++;
  });
  return client;
}

const groups = [];
log(`connecting ${GROUPS * GROUP} well-behaved clients (${GROUPS} groups) to ${ready.mqtt} and ${ready.websocket}`);
for (let g = 0; g < GROUPS; g++) {
  const topic = `soak/g${g}/data`;
  const subscribers = await Promise.all(
    Array.from({ length: GROUP - 1 }, async (_, i) => {
      const client = await wellBehaved(`soak-g${g}-s${i}`, i === 0);
      const received = new Set();
      client.on('message', (_t, payload) => received.add(payload.toString()));
      await client.subscribeAsync(`soak/g${g}/#`, { qos: 1 });
      return { client, received };
    }),
  );
  const publisher = await wellBehaved(`soak-g${g}-p`, false);
  groups.push({ topic, publisher, subscribers, acked: [], sent: 0 });
}
log(`connected; misbehaving clients: ${MISBEHAVING} (${KINDS.join(', ')})`);

// ------------------------------------------------------ misbehaving clients

const MB = 1024 * 1024;
const header = (type, flags, length) => {
  const out = [(type << 4) | flags];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    out.push(b);
  } while (length > 0);
  return Buffer.from(out);
};
const str = (s) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
const connectFrame = (id) => {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 2, 0, 60]), str(id)]);
  return Buffer.concat([header(1, 0, body.length), body]);
};
const subscribeFrame = (filter, qos) => {
  const body = Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([qos])]);
  return Buffer.concat([header(8, 2, body.length), body]);
};
const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));

/** Resolves when the socket closes, or after `ms` (then destroys it). */
const closedWithin = (socket, ms) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), ms);
    socket.once('close', () => (clearTimeout(timer), resolve(true)));
  });
/** A TLS socket that discards what it reads (so it sees the hang-up at once). */
const secureSocket = (port, extra = {}) => {
  const s = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', ...extra });
  s.on('error', () => {});
  s.resume();
  return s;
};

const misbehave = {
  async 'idle-tcp'() {
    const s = net.connect(mqttPort, '127.0.0.1');
    s.on('error', () => {});
    await closedWithin(s, 30_000);
  },
  async 'stalled-subscriber'(id) {
    const s = secureSocket(mqttPort, device);
    await new Promise((r) => s.once('secureConnect', r));
    s.write(connectFrame(`soak-bad-${id}`));
    s.write(subscribeFrame('soak/#', id % 2));
    // It never reads again: the broker drops its QoS 0, then disconnects it.
    setTimeout(() => s.pause(), 200);
    const closed = closedWithin(s, 60_000);
    // A paused socket sees the hang-up only when it reads.
    const poke = setInterval(() => {
      s.resume();
      setImmediate(() => s.pause());
    }, 5000);
    await closed;
    clearInterval(poke);
  },
  async 'oversized-packet'(id) {
    const s = secureSocket(mqttPort, device);
    await new Promise((r) => s.once('secureConnect', r));
    s.write(connectFrame(`soak-bad-${id}`));
    s.write(Buffer.concat([header(3, 0, 100 * MB), str('soak/big')]));
    const chunk = Buffer.alloc(MB);
    const closed = closedWithin(s, 10_000);
    for (let i = 0; i < 100 && !s.destroyed; i++) if (!s.write(chunk)) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
    await closed;
    await sleep(1000);
  },
  async 'slow-upgrade'() {
    const s = secureSocket(wsPort);
    await new Promise((r) => s.once('secureConnect', r));
    s.write('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await closedWithin(s, 30_000);
  },
  async garbage(id) {
    const s = secureSocket(mqttPort, device);
    await new Promise((r) => s.once('secureConnect', r));
    s.write(connectFrame(`soak-bad-${id}`));
    s.write(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x13, 0x37]));
    await closedWithin(s, 10_000);
    await sleep(500);
  },
};

const misbehavers = Array.from({ length: MISBEHAVING }, async (_, i) => {
  const kind = KINDS[i % KINDS.length];
  while (!ending) {
    try {
      await misbehave[kind](i);
    } catch {
      await sleep(500);
    }
    counts[kind]++;
  }
});

// --------------------------------------------------------------- the soak

const samples = [sample()];
log(`broker: ${samples[0].rssMb.toFixed(1)} MB RSS, ${samples[0].fds} fds`);
const sampler = setInterval(() => {
  const s = sample();
  samples.push(s);
  const published = groups.reduce((n, g) => n + g.acked.length, 0);
  log(`broker: ${s.rssMb.toFixed(1)} MB RSS, ${s.fds} fds; ${published} messages acknowledged; misbehaviour so far: ${JSON.stringify(counts)}`);
}, 5000);

const started = Date.now();
let seq = 0;
const publishing = groups.map(async (g) => {
  while (Date.now() - started < SECONDS * 1000) {
    const payload = JSON.stringify({ topic: g.topic, seq: seq++, pad: 'x'.repeat(PAD) });
    g.sent++;
    try {
      await g.publisher.publishAsync(g.topic, payload, { qos: 1 });
      g.acked.push(payload);
    } catch {
      // not acknowledged: not counted
    }
    await sleep(1000);
  }
});
await Promise.all(publishing);
ending = true;
log('publishing done; waiting for every acknowledged message to arrive (at most 60 s)');
const deadline = Date.now() + 60_000;
const missing = () => groups.reduce((n, g) => n + g.subscribers.reduce((m, s) => m + g.acked.filter((p) => !s.received.has(p)).length, 0), 0);
while (missing() > 0 && Date.now() < deadline) await sleep(250);
clearInterval(sampler);
await Promise.race([Promise.all(misbehavers), sleep(15_000)]);
const last = sample();
samples.push(last);

const acked = groups.reduce((n, g) => n + g.acked.length, 0);
const sent = groups.reduce((n, g) => n + g.sent, 0);
const expected = groups.reduce((n, g) => n + g.acked.length * g.subscribers.length, 0);
const lost = missing();
const result = {
  date: new Date().toISOString().slice(0, 10),
  seconds: SECONDS,
  clients: { wellBehaved: GROUPS * GROUP, overWebSockets: GROUPS, misbehaving: MISBEHAVING },
  misbehaviour: counts,
  qos1: { published: sent, acknowledged: acked, deliveriesExpected: expected, deliveriesLost: lost, wellBehavedDisconnected: unexpectedCloses },
  brokerRssMb: { start: +samples[0].rssMb.toFixed(1), max: +Math.max(...samples.map((s) => s.rssMb)).toFixed(1), end: +last.rssMb.toFixed(1) },
  brokerFds: { start: samples[0].fds, max: Math.max(...samples.map((s) => s.fds)), end: last.fds },
};
console.log(JSON.stringify(result, null, 2));
for (const g of groups) for (const c of [g.publisher, ...g.subscribers.map((s) => s.client)]) c.end(true);
broker.kill('SIGTERM');
process.exit(lost === 0 && unexpectedCloses === 0 ? 0 : 1);
