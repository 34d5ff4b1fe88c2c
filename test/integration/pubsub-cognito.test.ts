/**
 * pub, sub and tail as app users (--auth cognito) against the local IoT Core:
 * a guest under the unauthenticated role, a signed-in user denied until an IoT
 * policy is attached to their identity (the "chicken and egg"), fresh
 * credentials at every connection, and default client ids that let a
 * subscriber and a publisher of one identity (or one device) run side by side.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runWatched, type Running } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { defaultClientId } from '../../src/mqtt/resolve.js';

let local: LocalIot;
let poolId: string;
const requests: string[] = [];
const cli = (argv: string[], signal?: AbortSignal) => runCli(argv, { env: local.env, signal });
const subscriber = (argv: string[], signal?: AbortSignal) => runWatched(['--verbose', ...argv], { env: local.env, signal });
const cognito = (...extra: string[]) => ['--auth', 'cognito', '--identity-pool-id', poolId, ...extra];
const credentialCalls = () => requests.filter((line) => line.includes('GetCredentialsForIdentity')).length;

/** Publishes (argv) once the subscriber has subscribed. */
async function publishWhenSubscribed(sub: Running, argv: string[]): Promise<void> {
  await sub.subscribed();
  const r = await cli(argv);
  expect(r.code, r.stderr).toBe(0);
}

async function identityOf(login?: string): Promise<string> {
  const r = await cli(['cognito', 'credentials', '--identity-pool-id', poolId, ...(login ? ['--login', login] : [])]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { identityId: string }).identityId;
}

beforeAll(async () => {
  local = await startLocalIot({ log: { request: (line) => requests.push(line) } });
  const r = await cli(['--json', 'cognito', 'pool', 'create', 'app', '--allow-unauthenticated']);
  expect(r.code, r.stderr).toBe(0);
  poolId = (JSON.parse(r.stdout) as { identityPoolId: string }).identityPoolId;
});
afterAll(async () => local?.close());

describe('--auth cognito', () => {
  it('a guest may subscribe to public/# (unauthenticated role) but not publish', async () => {
    const sub = subscriber(['sub', 'public/#', ...cognito(), '--count', '1', '--timeout', '10s']);
    await publishWhenSubscribed(sub, ['pub', 'public/news', 'hi', '--auth', 'sigv4']); // the local profile's root key
    const received = await sub.done;
    expect(received.code, received.stderr).toBe(0);
    expect(JSON.parse(received.stdout)).toMatchObject({ topic: 'public/news', payload: 'hi' });
    const guest = await identityOf();
    const denied = await cli(['pub', `users/${guest}/x`, 'nope', ...cognito()]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/Publish to "users\/.*\/x" refused .*: not authorized \(0x87\): no statement of the unauthenticated identity's role .* allows it/);
  });

  it('a signed-in user is denied until registered, then connects with their identity id', async () => {
    const identity = await identityOf('local=carol');
    const before = await cli(['pub', `users/${identity}/hello`, 'hi', ...cognito('--login', 'local=carol')]);
    expect(before.code, before.stderr).toBe(3);
    expect(before.stderr).toMatch(/refused the connection for client id "us-east-1:[0-9a-f-]+-pub-[0-9a-f]{4}": not authorized \(0x87\): the role policy allows it, but no IoT policy attached to the identity does/);
    expect((await cli(['cognito', 'register', '--identity-id', identity])).code).toBe(0);
    const sub = subscriber(['sub', `users/${identity}/#`, ...cognito('--login', 'local=carol'), '--count', '1', '--timeout', '10s']);
    await publishWhenSubscribed(sub, ['pub', `users/${identity}/hello`, 'hi', '--qos', '1', ...cognito('--login', 'local=carol')]);
    const got = await sub.done;
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ topic: `users/${identity}/hello`, payload: 'hi' });
  });

  it('mints fresh credentials for every connection, so a reconnect never uses expired ones', async () => {
    const identity = await identityOf('local=dan');
    expect((await cli(['cognito', 'register', '--identity-id', identity])).code).toBe(0);
    const controller = new AbortController();
    const clientId = `${identity}-watch`;
    const callsBefore = credentialCalls();
    // MQTT 3.1.1: a takeover is a lost connection, which tail reconnects (on MQTT 5, DISCONNECT 0x8E ends tail: another client has its id).
    const tail = subscriber(['tail', `users/${identity}/#`, ...cognito('--login', 'local=dan', '--client-id', clientId, '--mqtt', '3')], controller.signal);
    await tail.subscribed(1);
    const afterFirst = credentialCalls();
    expect(afterFirst).toBeGreaterThan(callsBefore);
    // Take the client id over: the broker closes tail's connection, tail reconnects with new credentials.
    const thief = cli(['pub', `users/${identity}/t`, 'x', ...cognito('--login', 'local=dan', '--client-id', clientId)]);
    expect((await thief).code).toBe(0);
    await tail.subscribed(2);
    controller.abort();
    const r = await tail.done;
    expect(r.code).toBe(130);
    // The thief's connection plus tail's reconnection each minted their own.
    expect(credentialCalls()).toBeGreaterThanOrEqual(afterFirst + 2);
  });

  it.each([
    [['sub', 'a/#', '--auth', 'cognito'], /Cognito authentication needs the identity pool.\nhint: pass --identity-pool-id/],
    [['sub', 'a/#', '--auth', 'mtls', '--identity-pool-id', 'us-east-1:1'], /go with --auth cognito/],
    [['sub', 'a/#', '--auth', 'kerberos'], /must be mtls, sigv4 or cognito/],
  ])('%j is a usage error before connecting', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('default client ids', () => {
  it("pub, sub and tail add a suffix to a device's or identity's client id where the policy allows it, so they do not take over its own connection", () => {
    const random = () => 'iotctl-0a1b2c3d4e';
    expect(defaultClientId('pi01', 'pub', random)).toBe('pi01-pub-3d4e');
    expect(defaultClientId('pi01', 'pub', random, false)).toBe('pi01');
    expect(defaultClientId('pi01', 'sub', random)).toBe('pi01-sub-3d4e');
    expect(defaultClientId('pi01', 'tail', random)).toBe('pi01-tail-3d4e');
    expect(defaultClientId(undefined, 'sub', random)).toBe('iotctl-0a1b2c3d4e');
  });

  it('a subscriber and a publisher of one device folder run side by side', async () => {
    const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-side-')), 'pi05');
    expect((await cli(['provision', 'pi05', '--yes', '--out-dir', folder])).code).toBe(0);
    const sub = subscriber(['sub', 'things/pi05/#', '--device', folder, '--count', '2', '--timeout', '10s']);
    await sub.subscribed();
    expect((await cli(['pub', 'things/pi05/temp', '{"t":1}', '--device', folder])).code).toBe(0);
    expect((await cli(['pub', 'things/pi05/temp', '{"t":2}', '--device', folder])).code).toBe(0);
    const got = await sub.done;
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { payload: { t: number } }).payload.t)).toEqual([1, 2]);
  });
});

describe('credential_process', () => {
  it('`iotctl cognito credentials --format process` in ~/.aws/config signs `iotctl sub --auth sigv4`', async () => {
    const { writeFileSync } = await import('node:fs');
    const { BIN, spawnWatched } = await import('../helpers/cli.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-credproc-'));
    const guest = await identityOf();
    writeFileSync(
      path.join(dir, 'config'),
      `[profile app]\nregion = us-east-1\ncredential_process = ${process.execPath} ${BIN} cognito credentials --identity-pool-id ${poolId} --format process\n`,
    );
    // IOTCTL_AWS_PROFILE makes the SDK chain (and so the credential_process) win over the profile's stored keys;
    // `local start` writes data-endpoint into the local profile, as this environment does.
    const env = { ...local.env, AWS_CONFIG_FILE: path.join(dir, 'config'), IOTCTL_AWS_PROFILE: 'app', IOTCTL_DATA_ENDPOINT: local.emulator.endpoints.dataHost };
    // A real process: the AWS SDK reads AWS_CONFIG_FILE from the process environment.
    const sub = spawnWatched(['--verbose', 'sub', 'public/#', '--auth', 'sigv4', '--client-id', guest, '--count', '1', '--timeout', '15s'], { env });
    // The subscriber is a process that first runs its credential_process.
    await publishWhenSubscribed(sub, ['pub', 'public/alerts', 'storm', '--auth', 'sigv4']);
    const got = await sub.done;
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ topic: 'public/alerts', payload: 'storm' });
  });
});
