/**
 * The Device Shadow with clients nobody here wrote: the Debian AWS CLI v2's
 * `aws iot-data get-thing-shadow / update-thing-shadow / delete-thing-shadow
 * / list-named-shadows-for-thing` (SigV4, AWS_CA_BUNDLE = the local CA),
 * mosquitto_pub and mosquitto_sub on the reserved topics with a device's
 * certificate, and the AWS IoT Device SDK v2's shadow client
 * (`iotshadow.IotShadowClient`) on MQTT 5 and MQTT 3.1.1 driving get, update
 * and delta. The "done when" is the first test.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { iot, iotshadow, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { AWS_CLI, MOSQUITTO_PUB, MOSQUITTO_SUB, STDBUF, awsDataPlane, peer, peersInstalled, type Run } from '../helpers/peers.js';

const available = peersInstalled() && existsSync(AWS_CLI);
if (!available) console.warn('skipping the shadow interop tests: install awscli and mosquitto-clients (CI does)');

let local: LocalIot;
let work: string;
/** The device folder of the thing "lamp" (shadow template: its own shadows over MQTT and HTTPS). */
let lamp: string;

const file = (name: string) => path.join(lamp, name);
const tls = () => ['--cafile', file('root-ca.pem'), '--cert', file('certificate.pem'), '--key', file('private.key'), '-h', '127.0.0.1', '-p', String(local.emulator.endpoints.mqtt.port)];

const aws = (args: string[]): Promise<Run> => awsDataPlane(local, args, work);

let outfiles = 0;
/** An iot-data shadow command: its blob answer goes to an outfile, which is read back as JSON. */
async function awsShadow(args: string[]): Promise<{ run: Run; document?: Record<string, any> }> {
  const out = path.join(work, `out-${++outfiles}.json`);
  const run = await aws([...args, out]);
  return { run, document: run.code === 0 ? JSON.parse(readFileSync(out, 'utf8')) : undefined };
}

/** mosquitto_sub on shadow topics with the lamp's certificate, resolved once subscribed; `done` has what it printed. */
async function subscribe(clientId: string, topics: string[], count: number): Promise<{ done: Promise<Run> }> {
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  let subacks = 0;
  const args = ['-oL', MOSQUITTO_SUB, ...tls(), '-V', '5', '-i', clientId, ...topics.flatMap((t) => ['-t', t]), '-q', '1', '-C', String(count), '-W', '20', '-v', '-d'];
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe, and the SUBACK line is the cue to go on.
  const done = peer(STDBUF, args, { onLine: (l) => /Subscribed \(mid/.test(l) && ++subacks >= 1 && subscribed() });
  await Promise.race([ready, done]);
  return { done };
}

/** The messages mosquitto_sub -v printed: topic → JSON payload, without its -d chatter. */
const printed = (r: Run) =>
  r.stdout
    .split('\n')
    .filter((l) => l.startsWith('$aws/'))
    .map((l) => ({ topic: l.slice(0, l.indexOf(' ')), payload: JSON.parse(l.slice(l.indexOf(' ') + 1)) }));

const publish = (clientId: string, topic: string, message: object) => peer(MOSQUITTO_PUB, [...tls(), '-V', '5', '-i', clientId, '-t', topic, '-q', '1', '-m', JSON.stringify(message), '-d']);

beforeAll(async () => {
  if (!available) return;
  local = await startLocalIot();
  work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-shadow-peers-'));
  lamp = path.join(work, 'lamp');
  const r = await runCli(['provision', 'lamp', '--template', 'shadow', '--yes', '--out-dir', lamp], { env: local.env });
  if (r.code !== 0) throw new Error(`provision failed: ${r.stderr}`);
});
afterAll(async () => {
  if (available) await local.close();
});

describe.skipIf(!available)("the issue's done-when: the AWS CLI, mosquitto and iotctl", () => {
  it('update-thing-shadow returns version 1; the device gets the delta, reports over MQTT (version 2), iotctl shows no delta; a stale version is a 409 on update/rejected', async () => {
    const prefix = '$aws/things/lamp/shadow';
    const delta = await subscribe('lamp-delta', [`${prefix}/update/delta`], 1);
    const updated = await awsShadow(['iot-data', 'update-thing-shadow', '--thing-name', 'lamp', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"state":{"desired":{"light":"on"}}}']);
    expect(updated.run.code, updated.run.stderr).toBe(0);
    expect(updated.document).toMatchObject({ state: { desired: { light: 'on' } }, version: 1 });
    const [d] = printed(await delta.done);
    expect(d).toEqual({ topic: `${prefix}/update/delta`, payload: { state: { light: 'on' }, metadata: { light: { timestamp: expect.any(Number) } }, version: 1, timestamp: expect.any(Number) } });

    // The device reports what it did: accepted with version 2, and the delta is gone.
    const answers = await subscribe('lamp-answers', [`${prefix}/update/accepted`, `${prefix}/update/rejected`], 2);
    const report = await publish('lamp', `${prefix}/update`, { state: { reported: { light: 'on' } }, clientToken: 'lamp-report' });
    expect(report.code, report.stderr).toBe(0);
    const stale = await publish('lamp', `${prefix}/update`, { state: { reported: { light: 'off' } }, version: 1, clientToken: 'stale' });
    expect(stale.code, stale.stderr).toBe(0);
    const [accepted, rejected] = printed(await answers.done);
    expect(accepted).toMatchObject({ topic: `${prefix}/update/accepted`, payload: { state: { reported: { light: 'on' } }, version: 2, clientToken: 'lamp-report' } });
    expect(rejected).toEqual({ topic: `${prefix}/update/rejected`, payload: { code: 409, message: 'Version conflict', timestamp: expect.any(Number), clientToken: 'stale' } });

    const shown = await runCli(['shadow', 'get', 'lamp', '--auth', 'sigv4'], { env: local.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^lamp version 2\n.*\nlight +"on" +"on" *\nin sync: reported matches desired\n$/s);
  });
});

describe.skipIf(!available)('aws iot-data, the other shadow operations', () => {
  it('get-thing-shadow, list-named-shadows-for-thing and delete-thing-shadow, and their errors', async () => {
    const named = await awsShadow(['iot-data', 'update-thing-shadow', '--thing-name', 'aws-cli', '--shadow-name', 'config', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"state":{"reported":{"interval":60}},"clientToken":"cli"}']);
    expect(named.run.code, named.run.stderr).toBe(0);
    expect(named.document).toMatchObject({ version: 1, clientToken: 'cli' });
    const got = await awsShadow(['iot-data', 'get-thing-shadow', '--thing-name', 'aws-cli', '--shadow-name', 'config']);
    expect(got.document).toMatchObject({ state: { reported: { interval: 60 } }, metadata: { reported: { interval: { timestamp: expect.any(Number) } } }, version: 1 });

    const list = await aws(['iot-data', 'list-named-shadows-for-thing', '--thing-name', 'aws-cli']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ results: ['config'], timestamp: expect.any(Number) });

    const deleted = await awsShadow(['iot-data', 'delete-thing-shadow', '--thing-name', 'aws-cli', '--shadow-name', 'config']);
    expect(deleted.document).toEqual({ version: 1, timestamp: expect.any(Number) });
    const missing = await awsShadow(['iot-data', 'get-thing-shadow', '--thing-name', 'aws-cli', '--shadow-name', 'config']);
    expect(missing.run.code).toBe(254);
    expect(missing.run.stderr).toMatch(/ResourceNotFoundException.*No shadow exists with name: 'config'/);

    await awsShadow(['iot-data', 'update-thing-shadow', '--thing-name', 'aws-cli', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"state":{"desired":{"a":1}}}']);
    const conflict = await awsShadow(['iot-data', 'update-thing-shadow', '--thing-name', 'aws-cli', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"state":{"desired":{"a":2}},"version":7}']);
    expect(conflict.run.code).toBe(254);
    expect(conflict.run.stderr).toMatch(/ConflictException.*Version conflict/);
  });
});

describe.skipIf(!available)("the device SDK's shadow client (iotshadow.IotShadowClient)", () => {
  const certificate = () => readFileSync(file('certificate.pem'), 'utf8');
  const key = () => readFileSync(file('private.key'), 'utf8');
  const ca = () => readFileSync(file('root-ca.pem'), 'utf8');

  /** get, update and delta as a device does it: subscribe to the answers first, then ask. */
  async function driveShadow(shadow: iotshadow.IotShadowClient, thingName: string): Promise<void> {
    const q = mqtt.QoS.AtLeastOnce;
    /** The first answer (with `clientToken`, when given: an app's own update is accepted on the same topic). */
    const once = <T extends { clientToken?: string }>(clientToken?: string) => {
      let resolve!: (value: T) => void;
      let reject!: (e: unknown) => void;
      const p = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      const handler = (error?: iotshadow.IotShadowError, response?: T) => {
        if (error) reject(error);
        else if (clientToken === undefined || response?.clientToken === clientToken) resolve(response!);
      };
      return { p, handler };
    };
    const rejected = once<iotshadow.model.ErrorResponse>();
    await shadow.subscribeToGetShadowRejected({ thingName }, q, rejected.handler);
    const getAccepted = once<iotshadow.model.GetShadowResponse>('get-2');
    await shadow.subscribeToGetShadowAccepted({ thingName }, q, getAccepted.handler);
    const updateAccepted = once<iotshadow.model.UpdateShadowResponse>('report-1');
    await shadow.subscribeToUpdateShadowAccepted({ thingName }, q, updateAccepted.handler);
    const delta = once<iotshadow.model.ShadowDeltaUpdatedEvent>();
    await shadow.subscribeToShadowDeltaUpdatedEvents({ thingName }, q, delta.handler);

    // No shadow yet: the 404 arrives on get/rejected as the SDK's ErrorResponse.
    await shadow.publishGetShadow({ thingName, clientToken: 'get-1' }, q);
    expect(await rejected.p).toMatchObject({ code: 404, message: `No shadow exists with name: '${thingName}'`, clientToken: 'get-1' });

    // An app (the root key, over HTTPS) sets desired; the SDK parses the delta.
    const set = await runCli(['shadow', 'update', thingName, '--auth', 'sigv4', '--desired', '{"light": "on", "level": 3}'], { env: local.env });
    expect(set.code, set.stderr).toBe(0);
    const d = await delta.p;
    expect(d.state).toEqual({ light: 'on', level: 3 });
    // Epoch seconds, as AWS sends them.
    expect(Math.abs(Number(d.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    // A shadow made again after a delete goes on from its old version (AWS: within 48 hours).
    const version = d.version!;

    // The device reports; its update/accepted comes back with the next version and the token.
    await shadow.publishUpdateShadow({ thingName, state: { reported: { light: 'on', level: 3 } }, clientToken: 'report-1' }, q);
    expect(await updateAccepted.p).toMatchObject({ version: version + 1, clientToken: 'report-1', state: { reported: { light: 'on', level: 3 } } });

    await shadow.publishGetShadow({ thingName, clientToken: 'get-2' }, q);
    const document = await getAccepted.p;
    expect(document.state).toEqual({ desired: { light: 'on', level: 3 }, reported: { light: 'on', level: 3 } });
    expect(document).toMatchObject({ version: version + 1, clientToken: 'get-2' });
  }

  it('on MQTT 5 (Mqtt5Client)', async () => {
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory('127.0.0.1', certificate(), key())
      .withCertificateAuthority(ca())
      .withPort(local.emulator.endpoints.mqtt.port)
      .withConnectProperties({ clientId: 'lamp', keepAliveIntervalSeconds: 1200 });
    const client = new mqtt5.Mqtt5Client(builder.build());
    const connected = new Promise<void>((resolve, reject) => {
      client.once('connectionSuccess', () => resolve());
      client.once('connectionFailure', (e) => reject(e.error));
    });
    client.start();
    await connected;
    try {
      await runCli(['shadow', 'delete', 'lamp', '--auth', 'sigv4'], { env: local.env });
      await driveShadow(iotshadow.IotShadowClient.newFromMqtt5Client(client), 'lamp');
    } finally {
      const stopped = new Promise<void>((resolve) => client.once('stopped', () => resolve()));
      client.stop();
      await stopped;
      client.close();
    }
  });

  it('on MQTT 3.1.1 (MqttClientConnection)', async () => {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certificate(), key())
      .with_certificate_authority(ca())
      .with_endpoint('127.0.0.1')
      .with_port(local.emulator.endpoints.mqtt.port)
      .with_client_id('lamp')
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    try {
      await runCli(['shadow', 'delete', 'lamp', '--auth', 'sigv4'], { env: local.env });
      await driveShadow(new iotshadow.IotShadowClient(connection), 'lamp');
    } finally {
      await connection.disconnect();
    }
  });
});
