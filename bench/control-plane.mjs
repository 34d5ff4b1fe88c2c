// Signed DescribeThing requests per second against the local IoT Core, with the
// real SDK v3 client, at several concurrency levels. The emulator runs as its own
// process (`iotctl local start --ephemeral`), as users run it; beside it, the same
// client against a bare node:http server that answers the same body without any
// work (no SigV4, no routing), so the ratio shows what the emulator itself costs.
// Usage: node bench/control-plane.mjs [seconds per level]   (run `npm run build` first)
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateThingCommand, DescribeThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { spawnLocalIot } from './local-iot.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const seconds = Number(process.argv[2] ?? 5);
const LEVELS = [1, 8, 32];

function startEmulator() {
  const env = { ...process.env, IOTCTL_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-')) };
  return spawnLocalIot(['--ephemeral'], env);
}

/** The same answer DescribeThing gives, with no work behind it. */
function startBare(body) {
  const server = http.createServer({ noDelay: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function measure(client, concurrency) {
  const latencies = [];
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  async function worker() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await client.send(new DescribeThingCommand({ thingName: 'bench-thing' }));
      latencies.push(performance.now() - t0);
      count++;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
  return { rps: count / elapsed, p50: pct(50), p99: pct(99) };
}

const { child, ready } = await startEmulator();
const credentials = { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey };
const emulatorClient = new IoTClient({ endpoint: ready.controlPlane, region: ready.region, credentials, maxAttempts: 1 });
await emulatorClient.send(new CreateThingCommand({ thingName: 'bench-thing', attributePayload: { attributes: { room: 'lab' } } }));
const sample = await emulatorClient.send(new DescribeThingCommand({ thingName: 'bench-thing' }));
const { $metadata, ...body } = sample;
const bare = await startBare(JSON.stringify(body));
const bareClient = new IoTClient({ endpoint: `http://127.0.0.1:${bare.address().port}`, region: ready.region, credentials, maxAttempts: 1 });

// Warm both paths (JIT, sockets).
await measure(emulatorClient, 8).catch(() => {});
await measure(bareClient, 8);

console.log(`signed DescribeThing, SDK v3 client, ${seconds}s per level, ${os.cpus().length} CPUs, node ${process.version}`);
console.log('concurrency  emulator req/s  p50 ms  p99 ms   bare-server req/s  emulator/bare');
for (const c of LEVELS) {
  const e = await measure(emulatorClient, c);
  const b = await measure(bareClient, c);
  console.log(
    `${String(c).padStart(11)}  ${e.rps.toFixed(0).padStart(14)}  ${e.p50.padStart(6)}  ${e.p99.padStart(6)}   ${b.rps.toFixed(0).padStart(17)}  ${(e.rps / b.rps).toFixed(2).padStart(13)}`,
  );
}
emulatorClient.destroy();
bareClient.destroy();
bare.close();
child.kill('SIGTERM');
