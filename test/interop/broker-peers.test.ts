/**
 * Real MQTT clients nobody here wrote, against the local IoT Core's broker:
 * mosquitto_pub / mosquitto_sub (Debian mosquitto-clients) and paho-mqtt
 * (Debian python3-paho-mqtt, run by /usr/bin/python3, not the pyenv python3 on
 * PATH), with device folders made by `iotctl provision`.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { iotClient } from '../helpers/emulator.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { MOSQUITTO_PUB, MOSQUITTO_SUB, PYTHON, STDBUF, peer, peersInstalled, provisionFolder, rootApp, type Folder } from '../helpers/peers.js';

const available = peersInstalled();
if (!available) console.warn('skipping the broker interop tests: install mosquitto-clients and python3-paho-mqtt (CI does)');

const tlsArgs = (f: Folder) => ['--cafile', path.join(f.dir, 'root-ca.pem'), '--cert', path.join(f.dir, 'certificate.pem'), '--key', path.join(f.dir, 'private.key'), '-h', '127.0.0.1', '-p', String(f.port), '-i', f.thingName];

/** The classic AWS IoT Python sample, reduced: connect with tls_set(ca, cert, key), subscribe, publish, wait for the echo. */
const PAHO_SAMPLE = `
import ssl, sys, threading
import paho.mqtt.client as mqtt
ca, cert, key, port, client_id, topic = sys.argv[1:7]
done = threading.Event()
result = {"rc": None, "got": None}
def on_connect(client, userdata, flags, rc):
    result["rc"] = rc
    if rc == 0:
        client.subscribe(topic + "/#", qos=1)
    else:
        done.set()
def on_subscribe(client, userdata, mid, granted):
    client.publish(topic + "/hello", "hello from paho", qos=1)
def on_message(client, userdata, msg):
    result["got"] = msg.payload.decode()
    done.set()
def on_disconnect(client, userdata, rc):
    done.set()
client = mqtt.Client(client_id=client_id)
client.on_connect, client.on_subscribe, client.on_message, client.on_disconnect = on_connect, on_subscribe, on_message, on_disconnect
client.tls_set(ca_certs=ca, certfile=cert, keyfile=key, cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLSv1_2, ciphers=None)
try:
    client.connect("127.0.0.1", int(port), 60)
except Exception as e:
    print("connect failed:", type(e).__name__, e)
    sys.exit(3)
client.loop_start()
done.wait(10)
client.loop_stop()
print("rc", result["rc"], "got", result["got"])
sys.exit(0 if result["got"] else 2)
`;

let local: LocalIot;
let work: string;
let lamp1: Folder;
let lamp2: Folder;
let app: MqttClient;

beforeAll(async () => {
  if (!available) return;
  local = await startLocalIot();
  work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-peers-'));
  [lamp1, lamp2] = [await provisionFolder(local, work, 'lamp-1'), await provisionFolder(local, work, 'lamp-2')];
  app = await rootApp(local);
});
afterAll(async () => {
  if (!available) return;
  await app.endAsync(true);
  await local.close();
});

describe.skipIf(!available)('mosquitto-clients and paho against the local IoT Core', () => {
  it('the device folder names the broker port', () => {
    expect(lamp1.port).toBe(local.emulator.endpoints.mqtt.port);
  });

  it('mosquitto_sub receives what an app sends to its device topics; mosquitto_pub -l publishes each line', async () => {
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe, and the SUBACK line is the cue to publish.
    const sub = peer(STDBUF, ['-oL', MOSQUITTO_SUB, ...tlsArgs(lamp1), '-t', 'things/lamp-1/#', '-q', '1', '-C', '2', '-W', '15', '-d'], {
      onLine: (l) => /received SUBACK/.test(l) && subscribed(),
    });
    await ready;
    await app.publishAsync('things/lamp-1/cmd', 'on', { qos: 1 });
    await app.publishAsync('things/lamp-1/cmd', 'off', { qos: 1 });
    const r = await sub;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l === 'on' || l === 'off')).toEqual(['on', 'off']);

    await app.subscribeAsync('things/lamp-2/#', { qos: 1 });
    const got: string[] = [];
    const three = new Promise<void>((resolve) =>
      app.on('message', (topic, payload) => {
        if (topic === 'things/lamp-2/telemetry') got.push(payload.toString());
        if (got.length === 3) resolve();
      }),
    );
    const pub = await peer(MOSQUITTO_PUB, [...tlsArgs(lamp2), '-t', 'things/lamp-2/telemetry', '-q', '1', '-l'], { input: 't=1\nt=2\nt=3\n' });
    expect(pub.code, pub.stderr).toBe(0);
    await three;
    expect(got).toEqual(['t=1', 't=2', 't=3']);
  });

  it('a retained message from mosquitto_pub reaches mosquitto_sub on the exact topic (with iot:RetainPublish granted)', async () => {
    // The device template grants no iot:RetainPublish; AWS needs it besides iot:Publish for RETAIN.
    const iot = iotClient(local.emulator);
    const retainPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:RetainPublish', Resource: 'arn:aws:iot:*:*:topic/things/lamp-1/*' }] };
    await iot.send(new CreatePolicyCommand({ policyName: 'lamp-1-retain', policyDocument: JSON.stringify(retainPolicy) }));
    await iot.send(new AttachPolicyCommand({ policyName: 'lamp-1-retain', target: `arn:aws:iot:us-east-1:123456789012:cert/${lamp1.certificateId}` }));
    iot.destroy();
    const pub = await peer(MOSQUITTO_PUB, [...tlsArgs(lamp1), '-t', 'things/lamp-1/state', '-m', 'ready', '-q', '1', '-r']);
    expect(pub.code, pub.stderr).toBe(0);
    const sub = await peer(MOSQUITTO_SUB, [...tlsArgs(lamp1), '-t', 'things/lamp-1/state', '-C', '1', '-W', '10', '-v']);
    expect(sub.stdout.trim()).toBe('things/lamp-1/state ready');
  });

  it('paho-mqtt connects with the classic tls_set sample and gets its own message back', async () => {
    const r = await peer(PYTHON, ['-c', PAHO_SAMPLE, path.join(lamp2.dir, 'root-ca.pem'), path.join(lamp2.dir, 'certificate.pem'), path.join(lamp2.dir, 'private.key'), String(lamp2.port), 'lamp-2', 'things/lamp-2']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('rc 0 got hello from paho');
  });

  it("mosquitto_sub is refused another device's topics (SUBACK 0x80)", async () => {
    const r = await peer(MOSQUITTO_SUB, [...tlsArgs(lamp1), '-t', 'things/lamp-2/#', '-W', '5', '-d']);
    expect(r.stdout + r.stderr).toMatch(/Subscribed \(mid: \d+\): 128|All subscription requests were denied/);
  });

  it('both are refused once the certificate is revoked', async () => {
    const iot = iotClient(local.emulator);
    await iot.send(new UpdateCertificateCommand({ certificateId: lamp2.certificateId, newStatus: 'REVOKED' }));
    iot.destroy();
    const pub = await peer(MOSQUITTO_PUB, [...tlsArgs(lamp2), '-t', 'things/lamp-2/telemetry', '-m', 'x', '-q', '1']);
    expect(pub.code).not.toBe(0);
    const paho = await peer(PYTHON, ['-c', PAHO_SAMPLE, path.join(lamp2.dir, 'root-ca.pem'), path.join(lamp2.dir, 'certificate.pem'), path.join(lamp2.dir, 'private.key'), String(lamp2.port), 'lamp-2', 'things/lamp-2']);
    expect(paho.code).not.toBe(0);
    expect(paho.stdout).not.toContain('got hello');
  });
});
