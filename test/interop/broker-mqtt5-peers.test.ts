/**
 * MQTT 5 clients nobody here wrote against the local IoT Core: mosquitto_pub
 * and mosquitto_sub -V 5 (Debian mosquitto-clients, reason codes visible with
 * -d) and paho-mqtt with protocol=MQTTv5 (Debian python3-paho-mqtt, run by
 * /usr/bin/python3), with device folders made by `iotctl provision`.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand } from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { iotClient } from '../helpers/emulator.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';
import { MOSQUITTO_PUB, MOSQUITTO_SUB, PYTHON, STDBUF, peer, peersInstalled, provisionFolder, rootApp, type Folder, type Run } from '../helpers/peers.js';

const available = peersInstalled();
if (!available) console.warn('skipping the MQTT 5 interop tests: install mosquitto-clients and python3-paho-mqtt (CI does)');

const tls = (f: Folder, clientId = f.thingName) => ['-V', '5', '--cafile', path.join(f.dir, 'root-ca.pem'), '--cert', path.join(f.dir, 'certificate.pem'), '--key', path.join(f.dir, 'private.key'), '-h', '127.0.0.1', '-p', String(f.port), '-i', clientId];

/** paho with MQTTv5: SUBACK reason codes for an allowed and a refused filter, then its own message back with its properties. */
const PAHO_V5 = `
import json, ssl, sys, threading
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
ca, cert, key, port, client_id, topic = sys.argv[1:7]
done = threading.Event()
out = {}
def on_connect(client, userdata, flags, rc, properties=None):
    out["connack"] = rc.value
    out["maximumQoS"] = getattr(properties, "MaximumQoS", None)
    client.subscribe([(topic + "/#", 1), ("not-mine/#", 1)])
def on_subscribe(client, userdata, mid, reason_codes, properties=None):
    out["suback"] = [r.value for r in reason_codes]
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("source", "paho")]
    props.ContentType = "text/plain"
    client.publish(topic + "/hello", "hello v5", qos=1, properties=props)
def on_message(client, userdata, msg):
    out["got"] = msg.payload.decode()
    out["userProperties"] = msg.properties.UserProperty
    out["contentType"] = msg.properties.ContentType
    done.set()
client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
client.tls_set(ca_certs=ca, certfile=cert, keyfile=key, cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLSv1_2)
client.connect("127.0.0.1", int(port), 60)
client.loop_start()
done.wait(10)
client.loop_stop()
print(json.dumps(out))
sys.exit(0 if out.get("got") else 2)
`;

let local: LocalIot;
let work: string;
let lamp: Folder;
let app: MqttClient;

beforeAll(async () => {
  if (!available) return;
  local = await startLocalIot();
  work = mkdtempSync(path.join(os.tmpdir(), 'iotctl-peers5-'));
  lamp = await provisionFolder(local, work, 'lamp-5');
  // The device template grants its own topics; the shared subscription needs iot:Subscribe on the filter as sent.
  const iot = iotClient(local.emulator);
  const shared = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/$share/workers/things/lamp-5/*' }] };
  await iot.send(new CreatePolicyCommand({ policyName: 'lamp-5-shared', policyDocument: JSON.stringify(shared) }));
  await iot.send(new AttachPolicyCommand({ policyName: 'lamp-5-shared', target: lamp.certificateArn }));
  iot.destroy();
  app = await rootApp(local, { clientId: 'interop5-app', protocolVersion: 5 });
});
afterAll(async () => {
  if (!available) return;
  await app.endAsync(true);
  await local.close();
});

describe.skipIf(!available)('MQTT 5 peers against the local IoT Core', () => {
  it('mosquitto_pub -V 5 -d to a denied topic shows PUBACK RC:135; to its own topic RC:0', async () => {
    const denied = await peer(MOSQUITTO_PUB, [...tls(lamp), '-t', 'things/lamp-other/x', '-m', 'x', '-q', '1', '-d']);
    expect(denied.stdout + denied.stderr).toMatch(/received PUBACK \(Mid: \d+, RC:135\)/);
    const allowed = await peer(MOSQUITTO_PUB, [...tls(lamp), '-t', 'things/lamp-5/x', '-m', 'x', '-q', '1', '-d']);
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/received PUBACK \(Mid: \d+, RC:0\)/);
  });

  it('mosquitto_sub -V 5 -d on a denied filter shows "Subscribed (mid: 1): 135"', async () => {
    const r = await peer(MOSQUITTO_SUB, [...tls(lamp), '-t', 'things/lamp-other/#', '-W', '3', '-d']);
    expect(r.stdout + r.stderr).toMatch(/Subscribed \(mid: 1\): 135/);
  });

  it('a client id outside the policy gets CONNACK (135)', async () => {
    const r = await peer(MOSQUITTO_PUB, [...tls(lamp, 'somebody-else'), '-t', 'things/lamp-5/x', '-m', 'x', '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/received CONNACK \(135\)/);
  });

  it('two mosquitto_sub -V 5 members of $share/workers/... split a stream: each gets half, none twice', async () => {
    let ready = 0;
    let bothSubscribed!: () => void;
    const subscribed = new Promise<void>((r) => (bothSubscribed = r));
    const member = (id: string) =>
      peer(STDBUF, ['-oL', MOSQUITTO_SUB, ...tls(lamp, id), '-t', '$share/workers/things/lamp-5/jobs', '-q', '1', '-C', '5', '-W', '15', '-d'], {
        onLine: (l) => /Subscribed \(mid: \d+\): 1/.test(l) && ++ready === 2 && bothSubscribed(),
      });
    const a = member('lamp-5-a');
    const b = member('lamp-5-b');
    await subscribed;
    for (let i = 0; i < 10; i++) await app.publishAsync('things/lamp-5/jobs', `job-${i}`, { qos: 1 });
    const [ra, rb] = await Promise.all([a, b]);
    const jobs = (r: Run) => r.stdout.split('\n').filter((l) => l.startsWith('job-'));
    expect(ra.code, ra.stdout + ra.stderr).toBe(0);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(jobs(ra)).toHaveLength(5);
    expect(jobs(rb)).toHaveLength(5);
    expect([...jobs(ra), ...jobs(rb)].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i}`).sort());
  });

  it('paho with protocol=MQTTv5: CONNACK 0, Maximum QoS 1, SUBACK [1, 135], and its own message back with its user property and content type', async () => {
    const r = await peer(PYTHON, ['-c', PAHO_V5, path.join(lamp.dir, 'root-ca.pem'), path.join(lamp.dir, 'certificate.pem'), path.join(lamp.dir, 'private.key'), String(lamp.port), 'lamp-5', 'things/lamp-5']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ connack: 0, maximumQoS: 1, suback: [1, 135], got: 'hello v5', userProperties: [['source', 'paho']], contentType: 'text/plain' });
  });
});
