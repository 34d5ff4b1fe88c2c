/**
 * `iotctl shadow` as a user sees it, against a local IoT Core: what it
 * prints (side by side, or AWS's documents with --json), its exit codes as a
 * process (409 → 1 with the re-read hint, 404 → 4, denied → 3, usage → 2),
 * the same requests over the reserved topics with --mqtt, and `shadow watch`
 * printing NDJSON until Ctrl-C and reconnecting like tail.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runWatched, spawnCli, spawnWatched, testEnv } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { killLeftovers, spawnLocal } from '../helpers/spawned-local.js';

let local: LocalIot;
let work: string;
/** A device provisioned with the shadow template (its own shadows, over MQTT and HTTPS). */
let lamp: string;
/** A device provisioned with the device template (its classic shadow over MQTT only). */
let pi: string;

const cli = (argv: string[]) => runCli(argv, { env: local.env });
const sigv4 = ['--auth', 'sigv4'];
let seq = 0;
const thing = (prefix: string) => `${prefix}-${++seq}`;

beforeAll(async () => {
  local = await startLocalIot();
  work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-shadow-cli-'));
  lamp = path.join(work, 'lamp');
  pi = path.join(work, 'pi01');
  for (const [name, dir, template] of [['lamp', lamp, 'shadow'], ['pi01', pi, 'device']] as const) {
    const r = await cli(['provision', name, '--template', template, '--yes', '--out-dir', dir]);
    if (r.code !== 0) throw new Error(`provision ${name}: ${r.stderr}`);
  }
});
afterAll(async () => {
  await killLeftovers();
  await local.close();
});

describe('get and update over HTTPS', () => {
  it('update prints the new version; get shows desired, reported and delta side by side, and --json is AWS\'s document', async () => {
    const name = thing('lamp');
    const set = await cli(['shadow', 'update', name, ...sigv4, '--desired', '{"light": "on", "color": {"r": 255, "g": 180}}']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`^updated ${name}: version 1\\nKEY +DESIRED +REPORTED\\nlight +"on"\\ncolor\\.r +255\\ncolor\\.g +180\\n$`));
    expect((await cli(['shadow', 'update', name, ...sigv4, '--reported', '{"light": "off", "color": {"r": 255, "g": 180}}'])).code).toBe(0);

    const shown = await cli(['shadow', 'get', name, ...sigv4]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')).toEqual([
      `${name} version 2`,
      'KEY      DESIRED  REPORTED  DELTA',
      'light    "on"     "off"     "on"',
      'color.r  255      255',
      'color.g  180      180',
      'out of sync: 1 desired value not reported yet',
      '',
    ]);
    const json = await cli(['--json', 'shadow', 'get', name, ...sigv4]);
    const document = JSON.parse(json.stdout);
    expect(document).toMatchObject({ state: { desired: { light: 'on' }, reported: { light: 'off' }, delta: { light: 'on' } }, version: 2, timestamp: expect.any(Number) });
    expect(document.metadata.reported.color.g).toEqual({ timestamp: expect.any(Number) });

    // The device catches up: in sync, no delta.
    expect((await cli(['shadow', 'update', name, ...sigv4, '--reported', '{"light": "on"}'])).code).toBe(0);
    expect((await cli(['shadow', 'get', name, ...sigv4])).stdout).toMatch(/in sync: reported matches desired\n$/);
  });

  it('--file sends a whole request document; null deletes; named shadows are listed', async () => {
    const name = thing('lamp');
    const file = path.join(work, `${name}.json`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ state: { desired: { interval: 60, mode: 'eco' } }, clientToken: 'from-file' }));
    const r = await cli(['--json', 'shadow', 'update', name, '--name', 'config', ...sigv4, '--file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: { desired: { interval: 60, mode: 'eco' } }, version: 1, clientToken: 'from-file' });
    expect((await cli(['shadow', 'update', name, '--name', 'config', ...sigv4, '--desired', '{"mode": null}'])).code).toBe(0);
    expect(JSON.parse((await cli(['--json', 'shadow', 'get', name, '--name', 'config', ...sigv4])).stdout).state).toEqual({ desired: { interval: 60 }, delta: { interval: 60 } });
    expect((await cli(['shadow', 'update', name, '--name', 'alerts', ...sigv4, '--reported', '{"on": true}'])).code).toBe(0);
    expect((await cli(['shadow', 'list', name, ...sigv4])).stdout).toBe('alerts\nconfig\n');
    expect(JSON.parse((await cli(['--json', 'shadow', 'list', name, ...sigv4])).stdout)).toEqual({ results: ['alerts', 'config'] });
    expect((await cli(['shadow', 'list', thing('none'), ...sigv4])).stdout).toMatch(/has no named shadows/);
    const deleted = await cli(['shadow', 'delete', name, '--name', 'config', ...sigv4]);
    expect(deleted.stdout).toBe(`deleted the shadow "config" of ${name} (it was at version 2)\n`);
  });
});

describe('exit codes, as a process', () => {
  it('a stale --version is exit 1 with the way to re-read the shadow', async () => {
    const name = thing('lamp');
    expect((await cli(['shadow', 'update', name, ...sigv4, '--desired', '{"light": "on"}'])).code).toBe(0);
    expect((await cli(['shadow', 'update', name, ...sigv4, '--desired', '{"light": "off"}', '--version', '1'])).code).toBe(0);
    const r = await spawnCli(['shadow', 'update', name, ...sigv4, '--desired', '{"light": "on"}', '--version', '1'], { env: local.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: The update of the classic shadow of ${name} failed: HTTP 409 ConflictException: Version conflict.\n` +
        `hint: the shadow is no longer at version 1: re-read it (iotctl shadow get ${name} --auth sigv4), then retry with its version\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('a shadow that does not exist is exit 4', async () => {
    const name = thing('nothing');
    const r = await spawnCli(['shadow', 'get', name, ...sigv4], { env: local.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`failed: HTTP 404 ResourceNotFoundException: No shadow exists with name: '${name}'\\.\\nhint: an update creates it: iotctl shadow update ${name} --auth sigv4 --reported '\\{\\.\\.\\.\\}'`));
    expect((await spawnCli(['shadow', 'delete', name, ...sigv4], { env: local.env })).code).toBe(4);
  });

  it('a denial is exit 3 with the policy check to run: the device template names its thing, which HTTPS requests do not have', async () => {
    const r = await spawnCli(['shadow', 'get', 'pi01', '--device', pi], { env: local.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/HTTP 403 ForbiddenException: Forbidden: .*\nhint: check the policy with: iotctl policy test --device .*pi01 --action iot:GetThingShadow --resource pi01\n$/);
  });

  it.each<[string, string[], RegExp]>([
    ['bad JSON', ['--desired', '{light: on}'], /--desired is not valid JSON/],
    ['an array', ['--desired', '[1]'], /--desired must be a JSON object \(or null/],
    ['nothing to send', [], /Nothing to update/],
    ['nesting deeper than AWS allows', ['--reported', '{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}'], /AWS IoT would refuse this update: 400 JSON contains too many levels of nesting; maximum is 6/],
    ['a shadow name AWS does not allow', ['--name', 'bad name', '--reported', '{}'], /shadow name "bad name" has characters AWS IoT does not allow/],
    ['--client-id without --mqtt', ['--client-id', 'x', '--reported', '{"a":1}'], /--client-id goes with --mqtt/],
  ])('%s is a usage error (exit 2) before anything is sent', async (_title, flags, message) => {
    const r = await spawnCli(['shadow', 'update', thing('lamp'), ...sigv4, ...flags], { env: local.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('--mqtt: the reserved topics', () => {
  it('a device with the shadow template updates and reads its shadows over MQTT 5 and 3.1.1, and over HTTPS by its certificate', async () => {
    const updated = await cli(['--json', 'shadow', 'update', 'lamp', '--device', lamp, '--mqtt', '--reported', '{"light": "off"}', '--client-token', 'cli-1']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ state: { reported: { light: 'off' } }, clientToken: 'cli-1' });
    expect((await cli(['shadow', 'update', 'lamp', '--name', 'config', '--device', lamp, '--mqtt', '3', '--desired', '{"interval": 5}'])).code).toBe(0);
    const got = await cli(['--json', 'shadow', 'get', 'lamp', '--device', lamp, '--mqtt']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ state: { reported: { light: 'off' } } });
    // The same device over HTTPS: the template names it by its certificate's common name.
    const named = await cli(['--json', 'shadow', 'get', 'lamp', '--name', 'config', '--device', lamp]);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout).state.delta).toEqual({ interval: 5 });
    expect((await cli(['shadow', 'list', 'lamp', '--device', lamp])).stdout).toBe('config\n');
  });

  it('a refusal on /rejected has the same exit codes: 404 → 4, 409 → 1', async () => {
    const missing = await spawnCli(['shadow', 'get', 'lamp', '--name', 'nothing', '--device', lamp, '--mqtt'], { env: local.env });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/The get of the shadow "nothing" of lamp failed: get\/rejected 404: No shadow exists with name: 'nothing'\.\nhint: the thing's named shadows: iotctl shadow list lamp --device /);
    const stale = await spawnCli(['shadow', 'update', 'lamp', '--device', lamp, '--mqtt', '--reported', '{"a": 1}', '--version', '0'], { env: local.env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/update\/rejected 409: Version conflict\.\nhint: the shadow is no longer at version 0: re-read it \(iotctl shadow get lamp --device .* --mqtt\)/);
  });

  it("another thing's shadow is denied (exit 3): MQTT 5 says so with PUBACK 0x87 or SUBACK 0x87", async () => {
    const r = await spawnCli(['shadow', 'get', 'pi01', '--device', lamp, '--mqtt'], { env: local.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/0x87/);
  });
});

describe('shadow watch', () => {
  it('prints each update, delta and delete as one JSON line until Ctrl-C (exit 130)', async () => {
    const name = thing('watched');
    const watch = spawnWatched(['--verbose', 'shadow', 'watch', name, ...sigv4], { env: local.env, timeoutMs: 30_000 });
    await watch.subscribed();
    expect((await cli(['shadow', 'update', name, ...sigv4, '--desired', '{"light": "on"}'])).code).toBe(0);
    expect((await cli(['shadow', 'delete', name, ...sigv4])).code).toBe(0);
    await watch.printed(3);
    watch.signal('SIGINT');
    const r = await watch.done;
    expect(r.code).toBe(130);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((e) => e.event)).toEqual(['delta', 'documents', 'deleted']);
    expect(records[0]).toMatchObject({ event: 'delta', thingName: name, receivedAt: expect.stringMatching(/Z$/), document: { state: { light: 'on' }, version: 1 } });
    expect(records[1].document).toMatchObject({ previous: null, current: { state: { desired: { light: 'on' } }, version: 1 } });
    expect(records[2].document).toEqual({ version: 1, timestamp: expect.any(Number) });
  });

  it('reconnects like tail when its connection is lost, and goes on printing', async () => {
    const name = thing('watched');
    const controller = new AbortController();
    const clientId = `${name}-watch`;
    // MQTT 3.1.1: a takeover is a lost connection (on MQTT 5, DISCONNECT 0x8E ends it: another client has its id).
    const watch = runWatched(['--verbose', 'shadow', 'watch', name, ...sigv4, '--client-id', clientId, '--mqtt', '3'], { env: local.env, signal: controller.signal });
    await watch.subscribed(1);
    const thief = await cli(['pub', 'x/y', 'z', ...sigv4, '--client-id', clientId]);
    expect(thief.code, thief.stderr).toBe(0);
    await watch.subscribed(2);
    expect((await cli(['shadow', 'update', name, ...sigv4, '--reported', '{"back": true}'])).code).toBe(0);
    await watch.printed(1);
    controller.abort();
    const r = await watch.done;
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toMatchObject({ event: 'documents', document: { current: { state: { reported: { back: true } } } } });
  });
});

describe('persistence as a user runs it', () => {
  it('acknowledged updates and deletes are there after kill -9 and a restart', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-shadow-kill-'));
    const env = testEnv();
    const envFor = (l: Awaited<ReturnType<typeof spawnLocal>>) => ({
      ...env,
      IOTCTL_ENDPOINT_URL: l.ready.controlPlane,
      IOTCTL_REGION: l.ready.region,
      IOTCTL_ACCESS_KEY_ID: l.ready.accessKeyId,
      IOTCTL_SECRET_ACCESS_KEY: l.ready.secretAccessKey,
      IOTCTL_CA_FILE: l.ready.caFile,
      IOTCTL_DATA_ENDPOINT: '127.0.0.1',
      IOTCTL_HTTPS_PORT: String(l.httpsPort),
    });
    const first = await spawnLocal(['--data-dir', dataDir], env);
    const at = (argv: string[]) => runCli(argv, { env: envFor(first) });
    for (const level of [1, 2, 3]) expect((await at(['shadow', 'update', 'lamp', ...sigv4, '--desired', `{"level": ${level}}`])).code).toBe(0);
    expect((await at(['shadow', 'update', 'lamp', '--name', 'config', ...sigv4, '--reported', '{"interval": 60}'])).code).toBe(0);
    expect((await at(['shadow', 'update', 'old', ...sigv4, '--reported', '{"v": 1}'])).code).toBe(0);
    expect((await at(['shadow', 'delete', 'old', ...sigv4])).code).toBe(0);
    const before = JSON.parse((await at(['--json', 'shadow', 'get', 'lamp', ...sigv4])).stdout);
    await first.kill();

    const second = await spawnLocal(['--data-dir', dataDir], env);
    const again = (argv: string[]) => runCli(argv, { env: envFor(second) });
    const after = JSON.parse((await again(['--json', 'shadow', 'get', 'lamp', ...sigv4])).stdout);
    expect({ ...after, timestamp: 0 }).toEqual({ ...before, timestamp: 0 });
    expect(after.version).toBe(3);
    expect((await again(['shadow', 'list', 'lamp', ...sigv4])).stdout).toBe('config\n');
    expect((await again(['shadow', 'get', 'old', ...sigv4])).code).toBe(4);
    // The deleted shadow's version was kept: made again, it goes on from it.
    expect((await again(['shadow', 'update', 'old', ...sigv4, '--reported', '{"v": 2}'])).stdout).toMatch(/^updated old: version 2\n/);
    await second.stop();
  });
});
