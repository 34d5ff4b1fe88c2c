// What the MQTT benches share (bench/pubsub.mjs, bench/pi.mjs): running a
// command with its stdin from a file, background subscribers that are ready
// once mosquitto has logged their SUBSCRIBE, counting subscribers, medians.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasMosquitto, makeCertificates, startMosquitto } from '../test/helpers/mosquitto.mjs';

/**
 * A local mosquitto with mutual TLS (test/helpers/mosquitto.mjs), certificates
 * in a fresh directory, and the environment the commands run with. The broker
 * goes when this process does.
 */
export async function startBench(script) {
  if (!hasMosquitto()) {
    console.error(`${script} needs /usr/sbin/mosquitto and mosquitto-clients (apt-get install mosquitto mosquitto-clients)`);
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-'));
  const certs = makeCertificates(dir);
  const broker = await startMosquitto(dir, certs, { logSubscriptions: true });
  process.on('exit', () => {
    try {
      process.kill(broker.pid);
    } catch {}
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  const port = broker.ports.mtls;
  const env = { ...process.env, IOTCTL_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'iotctl-bench-config-')), NO_COLOR: '1' };
  const tls = ['--cafile', certs.ca, '--cert', certs.ec.cert, '--key', certs.ec.key];
  return { dir, certs, broker, port, env, tls };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A file of `n` lines of `line`. */
export function writeLines(dir, name, n, line = 'x'.repeat(100)) {
  const file = path.join(dir, name);
  const chunk = (line + '\n').repeat(10_000);
  const fd = openSync(file, 'w');
  for (let i = 0; i < n / 10_000; i++) writeFileSync(fd, chunk);
  closeSync(fd);
  return file;
}

export function countReceived(file) {
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Helpers bound to one mosquitto (test/helpers/mosquitto.mjs) and one environment. */
export function mqttKit({ broker, port, tls, env, dir }) {
  /** Runs a command to completion; stdin from a file; wall time in ms. */
  function run(cmd, args, { stdin, stdout } = {}) {
    return new Promise((resolve, reject) => {
      const inFd = stdin ? openSync(stdin, 'r') : 'ignore';
      const outFd = stdout ? openSync(stdout, 'w') : 'pipe';
      const started = process.hrtime.bigint();
      const child = spawn(cmd, args, { env, stdio: [inFd, outFd, 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (typeof inFd === 'number') closeSync(inFd);
        if (typeof outFd === 'number') closeSync(outFd);
        resolve({ code, ms, stderr: err });
      });
    });
  }

  /**
   * A subscriber started in the background (stdout to a file), ready once the
   * broker has logged its SUBSCRIBE; resolves with its exit time.
   */
  function subscriber(cmd, args, clientId, topic, outFile) {
    const outFd = openSync(outFile, 'w');
    const child = spawn(cmd, args, { env, stdio: ['ignore', outFd, 'pipe'] });
    let err = '';
    let markReady;
    const ready = new Promise((r) => (markReady = r));
    const subscribed = `${clientId} `;
    const poll = setInterval(() => {
      if (broker.log.split('\n').some((l) => l.includes(subscribed) && l.endsWith(` ${topic}`))) markReady();
    }, 10);
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise((resolve) =>
      child.on('close', (code) => {
        clearInterval(poll);
        closeSync(outFd);
        markReady();
        resolve({ code, at: process.hrtime.bigint(), stderr: err });
      }),
    );
    return { ready, exited, kill: () => child.kill('SIGKILL') };
  }

  let clientSeq = 0;
  const clientId = (kind) => `${kind}-${process.pid}-${++clientSeq}`;

  /** A mosquitto_sub that counts what a publisher run delivers. */
  function counter(topic, n, qos) {
    const out = path.join(dir, `count-${topic.replace(/\W/g, '_')}.txt`);
    const id = clientId('counter');
    const s = subscriber('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...tls, '-t', topic, '-q', String(qos), '-C', String(n), '-W', '120', '-i', id], id, topic, out);
    return { ...s, count: async () => (await s.exited, countReceived(out)) };
  }

  /**
   * Runs each command (name -> [cmd, args]) `n` times, interleaved, after
   * `warmup` uncounted rounds (they warm the file cache); the median ms of each.
   */
  async function interleaved(commands, n, warmup = 2) {
    const samples = {};
    for (let r = 0; r < n + warmup; r++) {
      for (const [name, [cmd, args]] of Object.entries(commands)) {
        const res = await run(cmd, args);
        if (res.code !== 0) throw new Error(`${name} exited ${res.code}: ${res.stderr}`);
        if (r >= warmup) (samples[name] ??= []).push(res.ms);
      }
    }
    return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]));
  }

  return { run, subscriber, counter, clientId, interleaved };
}
