/**
 * The HTTPS data plane with clients nobody here wrote: the curl command of
 * the AWS docs (a device certificate, POST /topics/<topic>?qos=1), the Debian
 * AWS CLI v2's `aws iot-data` (SigV4, AWS_CA_BUNDLE = the local CA), and
 * mosquitto_sub printing what HTTP published.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { peer, type Run } from '../helpers/peer.js';
import { awsDataPlane } from '../helpers/peers.js';

const CURL = '/usr/bin/curl';
const AWS = '/usr/bin/aws';
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
const STDBUF = '/usr/bin/stdbuf';
const available = [CURL, AWS, MOSQUITTO_SUB, STDBUF].every((f) => existsSync(f));
if (!available) console.warn('skipping the HTTPS interop tests: install curl, awscli and mosquitto-clients (CI does)');

let local: LocalIot;
let device: string;
let url: string;

const file = (name: string) => path.join(device, name);
const BUTTON = '{ "serialNumber": "G030JF053216F1BS", "clickType": "SINGLE", "batteryVoltage": "2000mV" }';

/** mosquitto_sub with the device's certificate, resolved once its SUBACK arrived; `done` has its output. */
async function subscribe(filter: string, count: number): Promise<{ done: Promise<Run> }> {
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const { port } = local.emulator.endpoints.mqtt;
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe, and the SUBACK line is the cue to publish.
  const args = ['-oL', MOSQUITTO_SUB, '--cafile', file('root-ca.pem'), '--cert', file('certificate.pem'), '--key', file('private.key')];
  args.push('-h', '127.0.0.1', '-p', String(port), '-i', 'pi01-watch', '-t', filter, '-q', '1', '-C', String(count), '-W', '15', '-v', '-d');
  const done = peer(STDBUF, args, { onLine: (l) => /received SUBACK/.test(l) && subscribed() });
  await Promise.race([ready, done]);
  return { done };
}

/** The messages mosquitto_sub -v printed (`topic payload` lines), without its -d chatter. */
const printed = (r: Run) => r.stdout.split('\n').filter((l) => l.startsWith('things/'));

/** The seed's command: curl --tlsv1.2 --cacert root.pem --cert cert.pem --key key.pem -X POST -d '...' https://<endpoint>:<port>/topics/<topic>?qos=1 */
const curl = (topic: string, body: string, withCertificate = true) =>
  peer(CURL, [
    '--tlsv1.2',
    '--cacert',
    file('root-ca.pem'),
    ...(withCertificate ? ['--cert', file('certificate.pem'), '--key', file('private.key')] : []),
    '-sS',
    '-w',
    '\n%{http_code}',
    '-X',
    'POST',
    '-d',
    body,
    `${url}/topics/${topic}?qos=1`,
  ]);

const aws = (args: string[]): Promise<Run> => awsDataPlane(local, args, device);

beforeAll(async () => {
  if (!available) return;
  local = await startLocalIot();
  url = local.emulator.endpoints.https.url;
  device = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-https-peers-')), 'pi01');
  const r = await runCli(['provision', 'pi01', '--template', 'http-device', '--yes', '--out-dir', device], { env: local.env });
  if (r.code !== 0) throw new Error(`provision failed: ${r.stderr}`);
});
afterAll(async () => {
  if (available) await local.close();
});

describe.skipIf(!available)('curl, the AWS CLI and mosquitto_sub against the HTTPS data plane', () => {
  it("the seed's curl publish (a device certificate) is printed by mosquitto_sub", async () => {
    const sub = await subscribe('things/pi01/#', 1);
    const r = await curl('things/pi01/button', BUTTON);
    expect(r.code, r.stderr).toBe(0);
    const [body, status] = r.stdout.split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({ message: 'OK' });
    const got = await sub.done;
    expect(printed(got)).toEqual([`things/pi01/button ${BUTTON}`]);
  });

  it('curl to a topic the policy does not allow is HTTP 403; without a certificate, 401', async () => {
    const denied = await curl('things/pi02/button', BUTTON);
    const [body, status] = denied.stdout.split('\n');
    expect(status).toBe('403');
    expect(JSON.parse(body!).message).toMatch(/^Forbidden: /);
    const anonymous = await curl('things/pi01/button', BUTTON, false);
    expect(anonymous.stdout.split('\n')[1]).toBe('401');
  });

  it('aws iot-data publish (SigV4) reaches mosquitto_sub; get-retained-message and list-retained-messages read it back', async () => {
    const sub = await subscribe('things/pi01/cli', 1);
    const pub = await aws(['iot-data', 'publish', '--topic', 'things/pi01/cli', '--qos', '1', '--retain', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"t": 21}']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(printed(await sub.done)).toEqual(['things/pi01/cli {"t": 21}']);

    const get = await aws(['iot-data', 'get-retained-message', '--topic', 'things/pi01/cli']);
    expect(get.code, get.stderr).toBe(0);
    const message = JSON.parse(get.stdout) as { topic: string; payload: string; qos: number; lastModifiedTime: number };
    expect({ ...message, payload: Buffer.from(message.payload, 'base64').toString() }).toMatchObject({ topic: 'things/pi01/cli', payload: '{"t": 21}', qos: 1 });

    const list = await aws(['iot-data', 'list-retained-messages']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).retainedTopics).toContainEqual(expect.objectContaining({ topic: 'things/pi01/cli', payloadSize: 9, qos: 1 }));

    const missing = await aws(['iot-data', 'get-retained-message', '--topic', 'things/pi01/none']);
    expect(missing.code).toBe(254);
    expect(missing.stderr).toMatch(/ResourceNotFoundException/);
  });
});
