// iotctl pub/sub side by side with mosquitto_pub/mosquitto_sub and a bare
// aws-iot-device-sdk-v2 script (bench/sdk-pub.cjs), all in the same run,
// against one local mosquitto with mutual TLS and the same certificates.
// Prints medians and ratios; a counting subscriber checks what arrived.
// Usage: node bench/pubsub.mjs [rounds]   (bench/pubsub.sh builds first)
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countReceived, median, mqttKit, startBench, writeLines } from './mqtt-kit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'iotctl.js');
const sdkPub = path.join(root, 'bench', 'sdk-pub.cjs');
const rounds = Number(process.argv[2] ?? 3);
const N = 100_000;
const BIG = 1_000_000;

const { dir, certs, broker, port, env, tls } = await startBench('bench/pubsub.mjs');

const lines100k = writeLines(dir, 'lines-100k.txt', N);
const lines1m = writeLines(dir, 'lines-1m.txt', BIG);

const iotctlConn = ['--endpoint', `127.0.0.1:${port}`, '--cert', certs.ec.cert, '--key', certs.ec.key, '--ca', certs.ca];
const sdkArgs = (topic) => ['127.0.0.1', String(port), certs.ca, certs.ec.cert, certs.ec.key, topic];
const { run, subscriber, counter, clientId, interleaved } = mqttKit({ broker, port, tls, env, dir });

let topicSeq = 0;
const topicFor = (name) => `bench/${name.replace(/\W+/g, '-')}/${++topicSeq}`;

// ------------------------------------------------------------ publish 100k
const publishers = (qos) => ({
  'mosquitto_pub -l': (t) => ['mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', t, '-l', '-q', String(qos)]],
  'iotctl pub --lines': (t) => [process.execPath, [bin, 'pub', t, '--lines', '--qos', String(qos), ...iotctlConn]],
  'iotctl pub --lines --mqtt 5': (t) => [process.execPath, [bin, 'pub', t, '--lines', '--qos', String(qos), '--mqtt', '5', ...iotctlConn]],
  'bare SDK script (3.1.1)': (t) => [process.execPath, [sdkPub, ...sdkArgs(t), '--lines', '--qos', String(qos)]],
});

const results = [];
for (const qos of [0, 1]) {
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, make] of Object.entries(publishers(qos))) {
      const topic = topicFor(name);
      const c = counter(topic, N, qos);
      await c.ready;
      const [cmd, args] = make(topic);
      process.stderr.write(`publish QoS ${qos}, round ${r + 1}: ${name}\n`);
      const res = await run(cmd, args, { stdin: lines100k });
      if (res.code !== 0) throw new Error(`${name} exited ${res.code}: ${res.stderr}`);
      // QoS 0 may lose messages by design; give the counter a moment, then stop it.
      const stop = setTimeout(c.kill, qos === 0 ? 3000 : 30_000);
      const received = await c.count();
      clearTimeout(stop);
      (samples[name] ??= []).push({ ms: res.ms, received });
    }
  }
  for (const [name, xs] of Object.entries(samples)) {
    results.push({ section: `publish ${N.toLocaleString('en-US')} lines of 100 B, QoS ${qos}`, name, ms: median(xs.map((x) => x.ms)), received: Math.min(...xs.map((x) => x.received)) });
  }
}

// ---------------------------------------------------------- subscribe 100k
const subscribers = {
  'mosquitto_sub -C': (t, out, id) => subscriber('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', t, '-q', '0', '-C', String(N), '-i', id], id, t, out),
  'iotctl sub --count --format raw': (t, out, id) => subscriber(process.execPath, [bin, 'sub', t, '--count', String(N), '--format', 'raw', '--client-id', id, ...iotctlConn], id, t, out),
  'iotctl sub --count (NDJSON)': (t, out, id) => subscriber(process.execPath, [bin, 'sub', t, '--count', String(N), '--client-id', id, ...iotctlConn], id, t, out),
};
{
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, make] of Object.entries(subscribers)) {
      const topic = topicFor(name);
      const out = path.join(dir, `sub-${topicSeq}.txt`);
      process.stderr.write(`receive, round ${r + 1}: ${name}\n`);
      const s = make(topic, out, clientId('sub'));
      await s.ready;
      const started = process.hrtime.bigint();
      // mosquitto_pub -l at QoS 0 is the fastest publisher here and delivers every line (at QoS 1 it exits before all are sent).
      const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', topic, '-l', '-q', '0'], { stdin: lines100k });
      if (pub.code !== 0) throw new Error(`mosquitto_pub exited ${pub.code}: ${pub.stderr}`);
      const guard = setTimeout(s.kill, 60_000);
      const done = await s.exited;
      clearTimeout(guard);
      if (done.code !== 0) process.stderr.write(`  ${name} exited ${done.code} (killed after 60 s?): ${done.stderr}\n`);
      (samples[name] ??= []).push({ ms: Number(done.at - started) / 1e6, received: countReceived(out) });
    }
  }
  for (const [name, xs] of Object.entries(samples)) {
    results.push({ section: `receive ${N.toLocaleString('en-US')} messages (published by mosquitto_pub -l), QoS 0`, name, ms: median(xs.map((x) => x.ms)), received: Math.min(...xs.map((x) => x.received)) });
  }
}

// ---------------------------------------------------- one message, one process
{
  const oneShot = {
    'mosquitto_pub -m (QoS 1)': ['mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', 'bench/oneshot', '-m', 'hello', '-q', '1']],
    'bare SDK script (3.1.1, QoS 1)': [process.execPath, [sdkPub, ...sdkArgs('bench/oneshot'), '--qos', '1']],
    'iotctl pub (3.1.1, QoS 1)': [process.execPath, [bin, 'pub', 'bench/oneshot', 'hello', ...iotctlConn]],
    'bare SDK script (MQTT 5, QoS 1)': [process.execPath, [sdkPub, ...sdkArgs('bench/oneshot'), '--qos', '1', '--mqtt', '5']],
    'iotctl pub --mqtt 5 (QoS 1)': [process.execPath, [bin, 'pub', 'bench/oneshot', 'hello', '--mqtt', '5', ...iotctlConn]],
  };
  const n = Math.max(15, rounds * 5);
  process.stderr.write(`one-shot: ${n + 2} rounds\n`);
  for (const [name, ms] of Object.entries(await interleaved(oneShot, n))) results.push({ section: `connect, publish one message, exit (median of ${n})`, name, ms });
}

// ------------------------------------------------------ peak RSS, 1M lines
{
  const rss = {
    'mosquitto_pub -l (QoS 1)': (t) => ['mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', t, '-l', '-q', '1']],
    'iotctl pub --lines (QoS 0)': (t) => [process.execPath, [bin, 'pub', t, '--lines', '--qos', '0', ...iotctlConn]],
    'iotctl pub --lines (QoS 1)': (t) => [process.execPath, [bin, 'pub', t, '--lines', '--qos', '1', ...iotctlConn]],
    'iotctl pub --lines --mqtt 5 (QoS 1)': (t) => [process.execPath, [bin, 'pub', t, '--lines', '--qos', '1', '--mqtt', '5', ...iotctlConn]],
  };
  for (const [name, make] of Object.entries(rss)) {
    const topic = topicFor(name);
    const qos = name.includes('QoS 0') ? 0 : 1;
    const c = counter(topic, BIG, qos);
    await c.ready;
    const [cmd, args] = make(topic);
    process.stderr.write(`peak RSS: ${name}\n`);
    const res = await run('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { stdin: lines1m });
    if (res.code !== 0) throw new Error(`${name} exited ${res.code}: ${res.stderr}`);
    const kb = Number(/maxrss=(\d+)/.exec(res.stderr)?.[1]);
    const stop = setTimeout(c.kill, qos === 0 ? 3000 : 60_000);
    const received = await c.count();
    clearTimeout(stop);
    results.push({ section: `stream ${BIG.toLocaleString('en-US')} lines: peak RSS`, name, ms: res.ms, rssMb: kb / 1024, received });
  }
}

await broker.stop();

// ------------------------------------------------------------------ report
const by = (section, name) => results.find((r) => r.section.startsWith(section) && r.name === name);
console.log(`# iotctl pub/sub bench, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cpus (${os.cpus()[0]?.model.trim()}), node ${process.version}, mosquitto 2.0 over mutual TLS on 127.0.0.1, median of ${rounds}\n`);
let section = '';
for (const r of results) {
  if (r.section !== section) {
    section = r.section;
    console.log(`\n## ${section}`);
  }
  const rate = r.received !== undefined && !r.section.includes('RSS') ? `  ${Math.round((N / r.ms) * 1000).toLocaleString('en-US').padStart(9)} msg/s` : '';
  const recv = r.received !== undefined ? `  received ${r.received.toLocaleString('en-US')}` : '';
  const rss = r.rssMb !== undefined ? `  peak RSS ${r.rssMb.toFixed(1)} MB` : '';
  console.log(`${r.name.padEnd(36)} ${(r.ms / 1000).toFixed(3).padStart(7)} s${rate}${recv}${rss}`);
}

const ratio = (a, b) => (a && b ? b.ms / a.ms : NaN);
const goals = [
  ['pub QoS 0 >= 0.6x mosquitto_pub', ratio(by('publish', 'iotctl pub --lines'), by('publish', 'mosquitto_pub -l')), 0.6],
  ['pub QoS 1 >= 1.0x bare SDK', ratio(results.find((r) => r.section.includes('QoS 1') && r.name === 'iotctl pub --lines'), results.find((r) => r.section.includes('QoS 1') && r.name.startsWith('bare SDK'))), 1.0],
  ['sub >= 0.9x mosquitto_sub (raw)', ratio(by('receive', 'iotctl sub --count --format raw'), by('receive', 'mosquitto_sub -C')), 0.9],
  ['one-shot <= 1.1x bare SDK (3.1.1)', 1 / ratio(by('connect', 'iotctl pub (3.1.1, QoS 1)'), by('connect', 'bare SDK script (3.1.1, QoS 1)')), 1.1, 'max'],
];
console.log('\n## goals');
for (const [name, value, goal, kind] of goals) {
  const ok = kind === 'max' ? value <= goal : value >= goal;
  console.log(`${name.padEnd(36)} ${value.toFixed(2)}x  ${ok ? 'met' : 'NOT met'}`);
}
const q1 = results.filter((r) => (r.section.includes('QoS 1') || r.name.includes('QoS 1')) && r.name.startsWith('iotctl') && r.received !== undefined);
console.log(`${'zero loss at QoS 1 (iotctl)'.padEnd(36)} ${q1.every((r) => r.received === (r.section.includes('1,000,000') ? BIG : N)) ? 'met' : 'NOT met'} (${q1.map((r) => r.received).join(', ')})`);
const peak = Math.max(...results.filter((r) => r.rssMb !== undefined && r.name.startsWith('iotctl')).map((r) => r.rssMb));
console.log(`${'peak RSS <= 100 MB (1M lines)'.padEnd(36)} ${peak.toFixed(1)} MB  ${peak <= 100 ? 'met' : 'NOT met'}`);
