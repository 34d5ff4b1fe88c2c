// Does the broker keep anything per connection after the connection is gone?
// Runs the local IoT Core in this process (node --expose-gc), opens and
// closes N mutual-TLS MQTT connections per round, and prints the JS heap
// after a full GC each round: a leak shows as a heap that keeps growing.
// (RSS is printed too; it includes this process's own client sockets.)
// Usage: node --expose-gc bench/broker-heap.mjs [clients=1000] [rounds=6]   (after npm run build)
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { IoTClient, AttachPolicyCommand, CreateCertificateFromCsrCommand, CreatePolicyCommand } from '@aws-sdk/client-iot';
import { createEmulator } from '../dist/emulator/index.js';
import { DEFAULT_EC, createCsr, generateKeyPair, privateKeyToPem } from '../dist/pki/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
const CLIENTS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 6);

const emulator = await createEmulator({ ephemeral: true, ports: { http: 0, mqtt: 0, ws: 0, https: 0 } });
const iot = new IoTClient({ endpoint: emulator.endpoints.controlPlane, region: emulator.endpoints.region, credentials: emulator.credentials });
const keyPair = await generateKeyPair(DEFAULT_EC);
const cert = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await createCsr({ keyPair, subject: 'CN=heap' }), setAsActive: true }));
const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/heap-*' }] });
await iot.send(new CreatePolicyCommand({ policyName: 'heap', policyDocument }));
await iot.send(new AttachPolicyCommand({ policyName: 'heap', target: cert.certificateArn }));
iot.destroy();
const tlsOptions = { host: '127.0.0.1', port: emulator.endpoints.mqtt.port, ca: readFileSync(emulator.endpoints.caFile), cert: cert.certificatePem, key: privateKeyToPem(keyPair.privateKey), servername: 'localhost' };

function connectPacket(clientId) {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x01, 0x2c]);
  return Buffer.concat([Buffer.from([0x10, variable.length + 2 + id.length]), variable, Buffer.from([id.length >> 8, id.length & 0xff]), id]);
}

const mb = (n) => (n / 1048576).toFixed(1);
async function settledHeap() {
  await new Promise((r) => setTimeout(r, 300));
  global.gc();
  await new Promise((r) => setImmediate(r));
  global.gc();
  return process.memoryUsage();
}

const base = await settledHeap();
console.log(`broker heap: ${CLIENTS} connections per round, ${ROUNDS} rounds; heap after GC at start ${mb(base.heapUsed)} MB`);
for (let round = 1; round <= ROUNDS; round++) {
  const sockets = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) =>
        new Promise((resolve, reject) => {
          const s = tls.connect(tlsOptions, () => s.write(connectPacket(`heap-${round}-${i + j}`)));
          s.once('data', resolve);
          s.on('error', reject);
          sockets.push(s);
        }),
      ),
    );
  }
  const live = emulator.testHooks.connectionCount();
  for (const s of sockets) s.destroy();
  const m = await settledHeap();
  console.log(`round ${round}: ${live} connections held; after they closed: heap ${mb(m.heapUsed)} MB (+${mb(m.heapUsed - base.heapUsed)}), rss ${mb(m.rss)} MB, broker connections ${emulator.testHooks.connectionCount()}`);
}
await emulator.close();
