/**
 * `iotctl sign-url` as a user runs it: a spawned `local start` writes the
 * local profile, a spawned `iotctl --profile local sign-url` prints the URL,
 * and MQTT.js alone (no headers: only the URL, the local CA and the client id
 * it was told) connects with it. The URL's lifetime is checked against an
 * in-process local IoT Core whose clock the test moves.
 */
import { readFileSync } from 'node:fs';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, testEnv } from '../helpers/cli.js';
import { spawnLocal, killLeftovers, type SpawnedLocal } from '../helpers/spawned-local.js';
import { startLocalIot } from '../helpers/local-iot.js';
import { connected, end, nextMessage, subscribe } from '../helpers/broker.js';

interface Signed {
  url: string;
  clientId: string;
  identityId: string | null;
  expiresAt: string;
}

let local: SpawnedLocal;
let poolId: string;
const iotctl = (argv: string[]) => spawnCli(['--profile', 'local', ...argv], { env: local.env });

async function signUrl(argv: string[]): Promise<Signed> {
  const r = await iotctl(['sign-url', '--json', ...argv]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Signed;
}

beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
  const r = await iotctl(['--json', 'cognito', 'pool', 'create', 'web', '--allow-unauthenticated']);
  expect(r.code, r.stderr).toBe(0);
  poolId = (JSON.parse(r.stdout) as { identityPoolId: string }).identityPoolId;
});
afterAll(async () => {
  await local?.stop();
  await killLeftovers();
});

describe('iotctl sign-url --auth cognito', () => {
  it("gives a URL with which MQTT.js alone connects as the guest's identity id and subscribes to the guest's public topics", async () => {
    const signed = await signUrl(['--auth', 'cognito', '--identity-pool-id', poolId]);
    expect(signed.url).toMatch(new RegExp(`^wss://127\\.0\\.0\\.1:${local.wsPort}/mqtt\\?`));
    expect(signed.identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(signed.clientId).toBe(signed.identityId);
    const lifetime = Date.parse(signed.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(14 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60_000);

    const client = await connected(mqtt.connect(signed.url, { ca: local.ca, clientId: signed.clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 }));
    expect(await subscribe(client, 'public/#')).toEqual([1]);
    const got = nextMessage(client, 'public/news');
    const pub = await iotctl(['pub', 'public/news', 'from the CLI', '--auth', 'sigv4']);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await got).payload).toBe('from the CLI');
    // The guest role reads public/ only: SUBACK 0x87 Not authorized.
    expect(await subscribe(client, 'private/#')).toEqual([0x87]);
    await end(client);
  });

  it('a signed-in user (--login local=<user>) gets their own identity, and the URL is theirs', async () => {
    const guest = await signUrl(['--auth', 'cognito', '--identity-pool-id', poolId]);
    const alice = await signUrl(['--auth', 'cognito', '--identity-pool-id', poolId, '--login', 'local=alice']);
    expect(alice.identityId).not.toBe(guest.identityId);
    const credential = (url: string) => new URL(url).searchParams.get('X-Amz-Credential')!.split('/')[0];
    expect(credential(alice.url)).not.toBe(credential(guest.url));
    // Signed in but not registered: AWS IoT needs an IoT policy on the identity (iotctl cognito register).
    await expect(connected(mqtt.connect(alice.url, { ca: local.ca, clientId: alice.clientId, reconnectPeriod: 0, connectTimeout: 5000 }))).rejects.toThrow(/before CONNACK/);
  });

  it('signs for service iotdevicegateway and the host, with the session token after the signature', async () => {
    const { url } = await signUrl(['--auth', 'cognito', '--identity-pool-id', poolId]);
    const query = new URL(url).searchParams;
    expect([...query.keys()]).toEqual(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token']);
    expect(query.get('X-Amz-Credential')).toMatch(/^ASIA\w+\/\d{8}\/us-east-1\/iotdevicegateway\/aws4_request$/);
    expect(query.get('X-Amz-SignedHeaders')).toBe('host');
    expect(query.get('X-Amz-Expires')).toBe('900');
  });

  it.each([
    [['--expires', '8d'], /--expires must be at most 7d/],
    [['--expires', '0'], /--expires must be a duration/],
    [['--expires', 'soon'], /--expires must be a duration/],
    [['--auth', 'mtls'], /--auth mtls has no URL/],
    [['--auth', 'cognito'], /Cognito authentication needs the identity pool/],
    [['--login', 'local=bob'], /--identity-pool-id and --login go with --auth cognito/],
  ])('%j is a usage error (exit 2), nothing signed', async (argv, message) => {
    const r = await iotctl(['sign-url', ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('an unknown identity pool: exit 4 with one line, no URL', async () => {
    const r = await iotctl(['sign-url', '--auth', 'cognito', '--identity-pool-id', 'us-east-1:00000000-0000-0000-0000-000000000000']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not found/);
  });
});

describe('the URL lifetime', () => {
  it('is cut to the credentials\' own expiry, with a warning on stderr, and the URL states the shorter X-Amz-Expires', async () => {
    const r = await iotctl(['sign-url', '--auth', 'cognito', '--identity-pool-id', poolId, '--expires', '3h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the credentials expire in (59m\d+s|1h) \(.*\): the URL is valid until then, not for 3h/);
    const signed = JSON.parse(r.stdout) as Signed;
    const expires = Number(new URL(signed.url).searchParams.get('X-Amz-Expires'));
    expect(expires).toBeGreaterThan(3500);
    expect(expires).toBeLessThanOrEqual(3600);
    expect(Date.parse(signed.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('is honoured by the local IoT Core: past the 15-minute skew window while X-Amz-Expires lasts, refused after it', async () => {
    let offsetMs = 0;
    const iot = await startLocalIot({ now: () => Date.now() + offsetMs });
    try {
      const r = await runCli(['sign-url', '--expires', '1h', '--json'], { env: iot.env });
      expect(r.code, r.stderr).toBe(0);
      const { url, clientId } = JSON.parse(r.stdout) as Signed;
      expect(clientId).toMatch(/^iotctl-[0-9a-f]{10}$/);
      const ca = readFileSync(iot.emulator.endpoints.caFile);
      const open = () => connected(mqtt.connect(url, { ca, clientId, reconnectPeriod: 0, connectTimeout: 5000 }));
      offsetMs = 40 * 60_000;
      await end(await open());
      offsetMs = 61 * 60_000;
      await expect(open()).rejects.toThrow(/before CONNACK/);
    } finally {
      await iot.close();
    }
  });
});

describe('against AWS', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const HOST = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';

  it('signs for the iot:Data-ATS endpoint on 443 (no port in the URL), the region from the host, offline', async () => {
    const env = testEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET });
    const r = await spawnCli(['sign-url', '--endpoint', HOST, '--client-id', 'dashboard-1', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const signed = JSON.parse(r.stdout) as Signed;
    expect(signed.url).toMatch(/^wss:\/\/a1b2c3d4e5f6g7-ats\.iot\.eu-west-1\.amazonaws\.com\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F\d{8}%2Feu-west-1%2Fiotdevicegateway%2Faws4_request&/);
    expect(signed.url).not.toMatch(/X-Amz-Security-Token/);
    expect(signed).toMatchObject({ clientId: 'dashboard-1', identityId: null });
  });

  it('leaves the session token out of the signature and appends it after (AWS IoT refuses a URL whose signature covers it)', async () => {
    const token = 'FQoGZXIvYXdzE/token+with/slashes==';
    const env = testEnv({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: token });
    const r = await spawnCli(['sign-url', '--endpoint', HOST, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const url = new URL((JSON.parse(r.stdout) as Signed).url);
    expect(url.search).toMatch(/&X-Amz-Signature=[0-9a-f]{64}&X-Amz-Security-Token=FQoGZXIvYXdzE%2Ftoken%2Bwith%2Fslashes%3D%3D$/);
    const q = url.searchParams;
    const signingDate = new Date(q.get('X-Amz-Date')!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    const presign = (sessionToken?: string) =>
      new SignatureV4({ service: 'iotdevicegateway', region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken }, sha256: Sha256 }).presign(
        { method: 'GET', protocol: 'wss:', hostname: HOST, path: '/mqtt', query: {}, headers: { host: HOST } },
        { expiresIn: Number(q.get('X-Amz-Expires')), signingDate },
      );
    expect(q.get('X-Amz-Signature')).toBe((await presign()).query!['X-Amz-Signature']);
    expect(q.get('X-Amz-Signature')).not.toBe((await presign(token)).query!['X-Amz-Signature']);
  });
});
