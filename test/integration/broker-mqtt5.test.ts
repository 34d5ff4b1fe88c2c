/** MQTT 5 on the local IoT Core as AWS IoT Core speaks it: CONNACK properties, reason codes, properties forwarded, limits. MQTT.js v5 is the independent client. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import type { IConnackPacket, IDisconnectPacket, MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import {
  ALLOW_ALL_MQTT,
  closed,
  collect,
  connectTls,
  connectWss,
  createDevice,
  end,
  nextMessage,
  startBrokerTest,
  subscribe,
  tlsClient,
  unique,
  type BrokerTest,
  type Device,
} from '../helpers/broker.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const allow = (action: string | string[], resource: string | string[]) => ({ Effect: 'Allow', Action: action, Resource: resource });
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });

/** Added to the emulator's clock: a test moves time forward without waiting. */
let clockOffset = 0;
let t: BrokerTest;
let device: Device;
beforeAll(async () => {
  t = await startBrokerTest({ now: () => Date.now() + clockOffset });
  device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => t.close());

const v5 = { protocolVersion: 5 as const };
const connect5 = (d: Pick<Device, 'cert' | 'key'> = device, options: Parameters<typeof connectTls>[2] = {}) => connectTls(t, d, { ...v5, ...options });

/** The CONNACK of a client that has connected (MQTT.js passes it to 'connect'). */
function connack(client: MqttClient): Promise<IConnackPacket> {
  return new Promise((resolve) => client.once('connect', resolve));
}

/** The next DISCONNECT the server sends. */
function disconnectPacket(client: MqttClient): Promise<IDisconnectPacket> {
  return new Promise((resolve) => client.once('disconnect', resolve));
}

/** The error of a CONNECT the server refused with a CONNACK (MQTT.js rejects with the reason code as `code`). */
async function refusedConnect(d: Pick<Device, 'cert' | 'key'>, options: Parameters<typeof connectTls>[2]): Promise<Error & { code?: number }> {
  return connect5(d, options).then(
    () => {
      throw new Error('connected');
    },
    (err: Error & { code?: number }) => err,
  );
}

describe('CONNECT', () => {
  it('CONNACK carries AWS IoT Core properties: Maximum QoS 1, no Subscription Identifiers, Topic Alias Maximum 8, Receive Maximum 100, 146 KiB packets, shared subscriptions available', async () => {
    const client = tlsClient(t, device, v5);
    const ack = await connack(client);
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties).toMatchObject({ maximumQoS: 1, subscriptionIdentifiersAvailable: false, topicAliasMaximum: 8, receiveMaximum: 100, maximumPacketSize: 146 * 1024 });
    expect(ack.properties?.sharedSubscriptionAvailable).not.toBe(false);
    await end(client);
  });

  it('assigns a client id to an empty one and returns it; lowers a session expiry above 1 hour and a keep-alive below 30 s, and says so', async () => {
    const client = tlsClient(t, device, { ...v5, clientId: '', keepalive: 5, properties: { sessionExpiryInterval: 7200 } });
    const ack = await connack(client);
    expect(ack.properties?.assignedClientIdentifier).toMatch(/^\$GEN\/[0-9a-f-]{36}$/);
    expect(ack.properties?.sessionExpiryInterval).toBe(3600);
    expect(ack.properties?.serverKeepAlive).toBe(30);
    await end(client);
  });

  it('a denied CONNECT gets CONNACK 0x87 with a reason string, and the log says the same', async () => {
    const limited = await createDevice(t, { policy: doc(allow('iot:Connect', `${ARN}:client/sensor-*`)) });
    const err = await refusedConnect(limited, { clientId: 'intruder5' });
    expect(err.code).toBe(0x87);
    const e = await t.event((e) => e.event === 'denied' && e.clientId === 'intruder5');
    expect(e).toMatchObject({ action: 'iot:Connect', decision: 'IMPLICIT_DENY', outcome: 'CONNACK not authorized (0x87), connection closed' });
  });

  it('a client id over 128 bytes gets CONNACK 0x85; a Will at QoS 2 gets 0x9B; a Will on a denied topic 0x87', async () => {
    expect((await refusedConnect(device, { clientId: 'x'.repeat(129) })).code).toBe(0x85);
    expect((await refusedConnect(device, { will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 2, retain: false } })).code).toBe(0x9b);
    const noWill = await createDevice(t, { policy: doc(allow('iot:Connect', '*')) });
    expect((await refusedConnect(noWill, { will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: false } })).code).toBe(0x87);
  });

  it('a second connection with the same client id takes over: the older one gets DISCONNECT 0x8E', async () => {
    const first = await connect5(device, { clientId: unique('same5') });
    const gone = disconnectPacket(first);
    const second = await connect5(device, { clientId: first.options.clientId });
    expect((await gone).reasonCode).toBe(0x8e);
    expect(second.connected).toBe(true);
    await end(first, second);
  });

  it('a certificate set INACTIVE sends its live MQTT 5 connections DISCONNECT 0x87 before closing them', async () => {
    const d = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const client = await connect5(d);
    const gone = disconnectPacket(client);
    await t.iot.send(new UpdateCertificateCommand({ certificateId: d.certificateId, newStatus: 'INACTIVE' }));
    const packet = await gone;
    expect(packet.reasonCode).toBe(0x87);
    expect(packet.properties?.reasonString).toMatch(/INACTIVE/);
    await closed(client);
  });

  it('MQTT 5 over SigV4 WebSockets too', async () => {
    const client = await connectWss(t, {}, v5);
    const got = nextMessage(client, 'ws5/t');
    await subscribe(client, 'ws5/t');
    await client.publishAsync('ws5/t', 'hello', { qos: 1, properties: { userProperties: { k: 'v' } } });
    expect((await got).packet.properties?.userProperties).toEqual({ k: 'v' });
    await end(client);
  });
});

describe('PUBLISH', () => {
  const readOnly = doc(allow('iot:Connect', '*'), allow('iot:Publish', `${ARN}:topic/open/*`), allow(['iot:Subscribe'], `${ARN}:topicfilter/*`), allow('iot:Receive', `${ARN}:topic/*`));

  it('a denied QoS 1 PUBLISH gets PUBACK 0x87 with the reason; a denied QoS 0 one is dropped; the connection stays', async () => {
    const d = await createDevice(t, { policy: readOnly });
    const client = await connect5(d);
    const err = (await client.publishAsync('closed/t', 'no', { qos: 1 }).catch((e: Error & { code?: number }) => e)) as Error & { code?: number };
    expect(err.code).toBe(0x87);
    const e = await t.event((e) => e.event === 'denied' && e.resource === `${ARN}:topic/closed/t`);
    expect(e.outcome).toBe('PUBACK not authorized (0x87)');
    await client.publishAsync('closed/t', 'dropped', { qos: 0 });
    await t.event((e) => e.event === 'denied' && e.outcome === 'QoS 0 message dropped');
    // Still connected: an allowed message goes through.
    const got = nextMessage(client, 'open/t');
    await subscribe(client, 'open/t');
    await client.publishAsync('open/t', 'yes', { qos: 1 });
    expect((await got).payload).toBe('yes');
    expect(client.connected).toBe(true);
    await end(client);
  });

  it('a topic AWS refuses gets PUBACK 0x90, a payload over 128 KB 0x97', async () => {
    const client = await connect5();
    const deep = (await client.publishAsync('a/b/c/d/e/f/g/h/i', 'x', { qos: 1 }).catch((e: Error & { code?: number }) => e)) as { code?: number };
    expect(deep.code).toBe(0x90);
    const big = (await client.publishAsync('big/t', Buffer.alloc(140 * 1024), { qos: 1 }).catch((e: Error & { code?: number }) => e)) as { code?: number };
    expect(big.code).toBe(0x97);
    expect(client.connected).toBe(true);
    await end(client);
  });

  it('a QoS 2 PUBLISH gets DISCONNECT 0x9B (AWS IoT: Maximum QoS 1)', async () => {
    const client = await connect5();
    const gone = disconnectPacket(client);
    // MQTT.js checks the QoS against CONNACK's Maximum QoS; the packet is written as a misbehaving client would.
    (client as unknown as { _sendPacket(p: object): void })._sendPacket({ cmd: 'publish', topic: 'q2/t', payload: Buffer.from('x'), qos: 2, messageId: 7, retain: false, dup: false });
    expect((await gone).reasonCode).toBe(0x9b);
    await closed(client);
  });

  it('a Topic Alias above 8 gets DISCONNECT 0x94; more than 100 QoS 1 PUBLISHes awaiting their PUBACK, DISCONNECT 0x93', async () => {
    // Written to the socket as a misbehaving client would (MQTT.js itself keeps to CONNACK's limits).
    const raw = (c: MqttClient, ...packets: object[]) => (c as unknown as { stream: NodeJS.WritableStream }).stream.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p as never, { protocolVersion: 5 }))));
    const aliasing = await connect5();
    const aliasGone = disconnectPacket(aliasing);
    raw(aliasing, { cmd: 'publish', topic: 'alias/t', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 9 } });
    expect((await aliasGone).reasonCode).toBe(0x94);

    const flooding = await connect5();
    const floodGone = disconnectPacket(flooding);
    raw(flooding, ...Array.from({ length: 101 }, (_, i) => ({ cmd: 'publish', topic: 'flood/t', payload: Buffer.from('x'), qos: 1, messageId: i + 1, retain: false, dup: false })));
    expect((await floodGone).reasonCode).toBe(0x93);
    await t.event((e) => e.event === 'refused' && /more than 100 QoS 1 PUBLISHes/.test(e.reason));
  });

  it('a packet declaring more than 146 KiB gets DISCONNECT 0x95 as soon as its header is read', async () => {
    const client = await connect5();
    const gone = disconnectPacket(client);
    client.publish('huge/t', Buffer.alloc(400 * 1024), { qos: 0 });
    expect((await gone).reasonCode).toBe(0x95);
    await closed(client);
    const e = await t.event((e) => e.event === 'refused' && /declares 40\d+ bytes/.test(e.reason));
    expect(e.outcome).toBe('DISCONNECT packet too large (0x95), connection closed as soon as the header was read');
  });

  it('user properties, content type, payload format, response topic and correlation data reach MQTT 5 subscribers; a 3.1.1 subscriber gets the message', async () => {
    const sub5 = await connect5();
    const sub3 = await connectTls(t, device);
    const topic = unique('props');
    await subscribe(sub5, topic);
    await subscribe(sub3, topic);
    const got5 = nextMessage(sub5, topic);
    const got3 = nextMessage(sub3, topic);
    const pub = await connect5();
    await pub.publishAsync(topic, '{"t":1}', {
      qos: 1,
      properties: {
        userProperties: { site: 'lab', tag: ['a', 'b'] },
        contentType: 'application/json',
        payloadFormatIndicator: true,
        responseTopic: 'reply/here',
        correlationData: Buffer.from('abc'),
        messageExpiryInterval: 60,
      },
    });
    const p = (await got5).packet.properties!;
    expect(p).toMatchObject({ userProperties: { site: 'lab', tag: ['a', 'b'] }, contentType: 'application/json', payloadFormatIndicator: true, responseTopic: 'reply/here' });
    expect(Buffer.from(p.correlationData!).toString()).toBe('abc');
    expect(p.messageExpiryInterval).toBeLessThanOrEqual(60);
    expect((await got3).payload).toBe('{"t":1}');
    await end(sub5, sub3, pub);
  });

  it('a retained message keeps its properties; once its message expiry has passed it is no longer delivered', async () => {
    const topic = unique('retained5');
    const pub = await connect5();
    await pub.publishAsync(topic, 'config', { qos: 1, retain: true, properties: { contentType: 'text/plain', messageExpiryInterval: 30 } });
    const sub = await connect5();
    const got = nextMessage(sub, topic);
    await subscribe(sub, topic);
    const m = await got;
    expect(m.packet.retain).toBe(true);
    expect(m.packet.properties).toMatchObject({ contentType: 'text/plain' });
    expect(m.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(30);
    clockOffset = 31_000;
    try {
      const late = await connect5();
      const seen = collect(late);
      await subscribe(late, topic);
      // Something after it on the same connection: the retained message would have come first.
      await subscribe(late, 'after');
      await pub.publishAsync('after', 'marker', { qos: 1 });
      await nextMessage(late, 'after');
      expect(seen.messages.filter((x) => x.topic === topic)).toEqual([]);
      await end(late);
    } finally {
      clockOffset = 0;
    }
    await end(pub, sub);
  });

  it('policy variables work as on MQTT 3.1.1: ${iot:ClientId} in a resource', async () => {
    const own = await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Publish', `${ARN}:topic/own/\${iot:ClientId}/*`)) });
    const clientId = unique('vars5');
    const client = await connect5(own, { clientId });
    await client.publishAsync(`own/${clientId}/t`, 'mine', { qos: 1 });
    const err = (await client.publishAsync('own/somebody-else/t', 'theirs', { qos: 1 }).catch((e: Error & { code?: number }) => e)) as { code?: number };
    expect(err.code).toBe(0x87);
    await end(client);
  });

  it('a message expiry above 7 days is lowered to 7 days', async () => {
    const topic = unique('expiry');
    const sub = await connect5();
    await subscribe(sub, topic);
    const got = nextMessage(sub, topic);
    const pub = await connect5();
    await pub.publishAsync(topic, 'x', { qos: 1, properties: { messageExpiryInterval: 30 * 24 * 3600 } });
    expect((await got).packet.properties?.messageExpiryInterval).toBe(7 * 24 * 3600);
    await end(sub, pub);
  });

  it('a QoS 1 message queued for an offline MQTT 5 session carries the time it has left', async () => {
    const clientId = unique('offline5');
    const first = await connect5(device, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
    await subscribe(first, `${clientId}/in`);
    await end(first);
    const pub = await connect5();
    await pub.publishAsync(`${clientId}/in`, 'later', { qos: 1, properties: { messageExpiryInterval: 120 } });
    const back = tlsClient(t, device, { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
    const got = nextMessage(back, `${clientId}/in`);
    expect((await connack(back)).sessionPresent).toBe(true);
    const m = await got;
    expect(m.payload).toBe('later');
    expect(m.packet.properties?.messageExpiryInterval).toBeGreaterThan(100);
    expect(m.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(120);
    await end(back, pub);
  });
});

describe('SUBSCRIBE', () => {
  it('one reason code per filter, in order: granted, 0x87 for a denied filter, 0x8F for an invalid one, duplicates answered each', async () => {
    const d = await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Subscribe', [`${ARN}:topicfilter/ok/*`, `${ARN}:topicfilter/1`]), allow('iot:Receive', '*')) });
    const client = await connect5(d);
    // (MQTT.js checks MQTT's own filter rules, so these break only AWS's: 8 levels, reserved $ topics.)
    expect(await subscribe(client, ['ok/a', 'secret/b', 'a/b/c/d/e/f/g/h/i', 'ok/a'], 1)).toEqual([1, 0x87, 0x8f, 1]);
    // aedes answers filters in object key order: a numeric filter would come first.
    expect(await subscribe(client, ['ok/z', '2'], 0)).toEqual([0, 0x87]);
    expect(await subscribe(client, ['$other/x', '$share/g'], 1)).toEqual([0x8f, 0x8f]);
    const e = await t.event((e) => e.event === 'denied' && e.resource === `${ARN}:topicfilter/secret/b`);
    expect(e.outcome).toBe('SUBACK 0x87 (not authorized) for this filter');
    expect(client.connected).toBe(true);
    await end(client);
  });

  it('a SUBSCRIBE with a Subscription Identifier gets DISCONNECT 0xA1 (CONNACK said none)', async () => {
    const client = await connect5();
    const gone = disconnectPacket(client);
    (client as unknown as { _sendPacket(p: object): void })._sendPacket({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'x', qos: 0 }], properties: { subscriptionIdentifier: 3 } });
    expect((await gone).reasonCode).toBe(0xa1);
    await closed(client);
  });
});

describe('publishAs: the way in for messages authorized elsewhere (the HTTPS data plane)', () => {
  const publisher = { principal: { kind: 'root' as const, accessKeyId: 'AKIATEST' }, transport: 'https' as const, sourceIp: '127.0.0.1' };

  it('reaches MQTT subscribers with its properties, is retained, and each subscriber still needs iot:Receive', async () => {
    const topic = unique('http');
    const sub = await connect5();
    const noReceive = await connect5(await createDevice(t, { policy: doc(allow(['iot:Connect', 'iot:Subscribe'], '*')) }));
    await subscribe(sub, topic);
    await subscribe(noReceive, topic);
    const missed = collect(noReceive);
    const got = nextMessage(sub, topic);
    await t.emulator.testHooks.publishAs(publisher, {
      topic,
      payload: Buffer.from('from http'),
      qos: 1,
      retain: true,
      properties: { userProperties: [['via', 'https']], contentType: 'text/plain', messageExpirySeconds: 60 },
    });
    const m = await got;
    expect(m.payload).toBe('from http');
    expect(m.packet.properties).toMatchObject({ userProperties: { via: 'https' }, contentType: 'text/plain' });
    expect(m.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(60);
    await t.event((e) => e.event === 'denied' && e.action === 'iot:Receive' && e.resource === `${ARN}:topic/${topic}`);
    expect(missed.messages).toEqual([]);

    const later = await connect5();
    const retained = nextMessage(later, topic);
    await subscribe(later, topic);
    expect((await retained).packet.retain).toBe(true);
    await end(sub, noReceive, later);
  });
});

describe('MQTT 5 state across a restart', () => {
  it("a retained message's properties and expiry, and a queued message's, survive a restart of the local IoT Core", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-mqtt5-'));
    const first = await startBrokerTest({ ephemeral: false, dataDir });
    const d = await createDevice(first, { policy: ALLOW_ALL_MQTT });
    const clientId = unique('restart5');
    const away = await connectTls(first, d, { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 600 } });
    await subscribe(away, `${clientId}/in`);
    await end(away);
    const pub = await connectTls(first, d, v5);
    await pub.publishAsync('kept5/config', 'cfg', { qos: 1, retain: true, properties: { userProperties: { v: '2' }, messageExpiryInterval: 600 } });
    await pub.publishAsync(`${clientId}/in`, 'queued', { qos: 1, properties: { correlationData: Buffer.from('c1'), messageExpiryInterval: 600 } });
    await end(pub);
    await first.close();

    const second = await startBrokerTest({ ephemeral: false, dataDir });
    try {
      const back = tlsClient(second, d, { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 600 } });
      const queued = nextMessage(back, `${clientId}/in`);
      expect((await connack(back)).sessionPresent).toBe(true);
      const q = await queued;
      expect(Buffer.from(q.packet.properties!.correlationData!).toString()).toBe('c1');
      expect(q.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(600);
      const retained = nextMessage(back, 'kept5/config');
      await subscribe(back, 'kept5/config');
      const r = await retained;
      expect(r.packet.retain).toBe(true);
      expect(r.packet.properties?.userProperties).toEqual({ v: '2' });
      expect(r.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(600);
      await end(back);
    } finally {
      await second.close();
    }
  });
});
