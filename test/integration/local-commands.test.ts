/** `iotctl local start/status/reset/ca`, spawned as a user runs them. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateThingCommand, IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';
import mqtt from 'mqtt';
import { BIN, runCli, testEnv } from '../helpers/cli.js';

interface Started {
  child: ChildProcessWithoutNullStreams;
  ready: Record<string, string | null>;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Spawns `iotctl local start ... --json` and resolves with its one JSON line. */
function startLocal(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'local', 'start', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0', '--json', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(stdout.slice(0, nl)), stdout: () => stdout, stderr: () => stderr, exit });
      }
    });
    void exit.then(() => reject(new Error(`exited early; stderr: ${stderr}`)));
  });
}

const config = (env: NodeJS.ProcessEnv) => JSON.parse(readFileSync(path.join(env.IOTCTL_CONFIG_DIR!, 'config.json'), 'utf8'));

/** A supervisor's SIGTERM is a clean stop (exit 0); Ctrl-C (SIGINT) is an interruption, exit 130 like every command. */
const CLEAN_STOP = [0];
const INTERRUPTED = 130;

describe('iotctl local start', () => {
  it('--ephemeral --json prints one line, serves the SDK, writes the local profile, and stops cleanly on SIGTERM', async () => {
    const env = testEnv();
    const { child, ready, exit, stdout, stderr } = await startLocal(['--ephemeral'], env);
    expect(Object.keys(ready).sort()).toEqual(
      ['accessKeyId', 'accountId', 'caFile', 'controlPlane', 'dataDir', 'dataEndpoint', 'https', 'logFile', 'mqtt', 'pid', 'profile', 'region', 'secretAccessKey', 'websocket'].sort(),
    );
    expect(ready).toMatchObject({ region: 'us-east-1', dataDir: null, profile: 'local', dataEndpoint: '127.0.0.1' });
    expect(ready.controlPlane).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.mqtt).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ready.websocket).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    expect(ready.https).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(readFileSync(ready.caFile!, 'utf8')).toMatch(/BEGIN CERTIFICATE/);

    const iot = new IoTClient({ endpoint: ready.controlPlane!, region: 'us-east-1', credentials: { accessKeyId: ready.accessKeyId!, secretAccessKey: ready.secretAccessKey! } });
    await iot.send(new CreateThingCommand({ thingName: 'from-cli-test' }));
    expect((await iot.send(new ListThingsCommand({}))).things?.map((t) => t.thingName)).toEqual(['from-cli-test']);
    iot.destroy();

    expect(config(env).profiles.local).toEqual({
      region: 'us-east-1',
      'endpoint-url': ready.controlPlane,
      'access-key-id': ready.accessKeyId,
      'secret-access-key': ready.secretAccessKey,
      'ca-file': ready.caFile,
      'data-endpoint': '127.0.0.1',
      'mqtt-port': ready.mqtt!.split(':')[1],
      'ws-port': /:(\d+)\/mqtt$/.exec(ready.websocket!)![1],
      'https-port': ready.https!.split(':')[1],
    });

    // The profile is all `iotctl provision` needs: the device folder points at the broker's MQTT port, and it connects.
    const outDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-local-dev-')), 'lamp-1');
    const provisioned = await runCli(['--profile', 'local', 'provision', 'lamp-1', '--yes', '--json', '--out-dir', outDir], { env });
    expect(provisioned.code, provisioned.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'device.json'), 'utf8'));
    expect(manifest).toMatchObject({ endpoint: '127.0.0.1', port: Number(ready.mqtt!.split(':')[1]), clientId: 'lamp-1' });
    const device = await mqtt.connectAsync({
      protocol: 'mqtts',
      host: manifest.endpoint,
      port: manifest.port,
      ca: readFileSync(path.join(outDir, manifest.rootCaFile)),
      cert: readFileSync(path.join(outDir, manifest.certificateFile)),
      key: readFileSync(path.join(outDir, manifest.privateKeyFile)),
      clientId: manifest.clientId,
      reconnectPeriod: 0,
    });
    await device.publishAsync('things/lamp-1/state', 'on', { qos: 1 });
    await device.endAsync();

    // An ephemeral instance has no server.json; status finds it through the local profile.
    const status = await runCli(['local', 'status', '--json'], { env });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, ephemeral: true, controlPlane: ready.controlPlane, mqtt: ready.mqtt, websocket: ready.websocket, https: ready.https, pid: ready.pid });
    const ca = await runCli(['local', 'ca'], { env });
    expect(ca.stdout.trim()).toBe(ready.caFile);

    child.kill('SIGTERM');
    const { code, signal } = await exit;
    expect(signal).toBeNull();
    expect(CLEAN_STOP).toContain(code);
    expect(stderr()).not.toMatch(/error/i);
    expect(stdout().split('\n').filter(Boolean)).toHaveLength(1);
    expect(existsSync(ready.caFile!)).toBe(false);
  });

  it('with a data directory: status, reset refused while running, then state survives for the next start', async () => {
    const env = testEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-local-cmd-'));
    const first = await startLocal(['--data-dir', dataDir], env);
    expect(first.ready.dataDir).toBe(dataDir);
    expect(first.ready.caFile).toBe(path.join(dataDir, 'ca.pem'));
    expect(config(env).profiles.local['local-data-dir']).toBe(dataDir);

    const iot = new IoTClient({ endpoint: first.ready.controlPlane!, region: 'us-east-1', credentials: { accessKeyId: first.ready.accessKeyId!, secretAccessKey: first.ready.secretAccessKey! } });
    await iot.send(new CreateThingCommand({ thingName: 'durable' }));
    iot.destroy();

    // status and reset find the directory through the local profile.
    const status = await runCli(['local', 'status', '--json'], { env });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, dataDir, pid: first.ready.pid, controlPlane: first.ready.controlPlane });
    const refused = await runCli(['local', 'reset', '--yes', '--json'], { env });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr).error.code).toBe('LOCAL_RUNNING');

    first.child.kill('SIGINT');
    expect((await first.exit).code).toBe(INTERRUPTED);
    expect(existsSync(path.join(dataDir, 'server.json'))).toBe(false);

    const stopped = await runCli(['local', 'status', '--json'], { env });
    expect(stopped.code).toBe(1);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ running: false, dataDir });

    // Restart: same keys, the thing is still there.
    const second = await startLocal(['--data-dir', dataDir], env);
    expect(second.ready.accessKeyId).toBe(first.ready.accessKeyId);
    const iot2 = new IoTClient({ endpoint: second.ready.controlPlane!, region: 'us-east-1', credentials: { accessKeyId: second.ready.accessKeyId!, secretAccessKey: second.ready.secretAccessKey! } });
    expect((await iot2.send(new ListThingsCommand({}))).things?.map((t) => t.thingName)).toEqual(['durable']);
    iot2.destroy();
    second.child.kill('SIGTERM');
    await second.exit;
  });

  it('refuses bad options with usage errors (exit 2)', async () => {
    const env = testEnv();
    for (const args of [['--port', 'http'], ['--port', '70000'], ['--mqtt-port', 'x'], ['--ephemeral', '--data-dir', '/tmp/x'], ['--account-id', '42'], ['--subscribe-denied', 'maybe']]) {
      const r = await runCli(['local', 'start', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});

describe('iotctl local reset / ca', () => {
  it('needs --yes off a terminal, wipes state.json, and with --all the CA and keys too', async () => {
    const env = testEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-local-reset-'));
    const run = await startLocal(['--data-dir', dataDir], env);
    const iot = new IoTClient({ endpoint: run.ready.controlPlane!, region: 'us-east-1', credentials: { accessKeyId: run.ready.accessKeyId!, secretAccessKey: run.ready.secretAccessKey! } });
    await iot.send(new CreateThingCommand({ thingName: 'to-be-wiped' }));
    iot.destroy();
    run.child.kill('SIGTERM');
    await run.exit;

    const unconfirmed = await runCli(['local', 'reset', '--data-dir', dataDir], { env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect(existsSync(path.join(dataDir, 'state.json'))).toBe(true);

    const reset = await runCli(['local', 'reset', '--data-dir', dataDir, '--yes', '--json'], { env });
    expect(reset.code).toBe(0);
    const removed = JSON.parse(reset.stdout) as { dataDir: string; removed: string[] };
    expect({ ...removed, removed: removed.removed.sort() }).toEqual({ dataDir, removed: ['sessions.journal', 'sessions.json', 'state.json'] });
    expect(existsSync(path.join(dataDir, 'ca.pem'))).toBe(true);

    const ca = await runCli(['local', 'ca', '--data-dir', dataDir, '--json'], { env });
    expect(JSON.parse(ca.stdout)).toEqual({ caFile: path.join(dataDir, 'ca.pem') });

    const all = await runCli(['local', 'reset', '--data-dir', dataDir, '--all', '--yes', '--json'], { env });
    expect(JSON.parse(all.stdout).removed.sort()).toEqual(['ca-key.pem', 'ca.pem', 'secrets.json', 'server-key.pem', 'server.pem']);
    const noCa = await runCli(['local', 'ca', '--data-dir', dataDir], { env });
    expect(noCa.code).toBe(4);
    expect(noCa.stderr).toContain('iotctl local start');
  });

  it('every local command documents itself with examples', async () => {
    for (const verb of ['start', 'status', 'reset', 'ca', 'logs']) {
      const help = await runCli(['local', verb, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:');
    }
  });
});
