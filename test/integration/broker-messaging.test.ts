/** MQTT semantics as AWS IoT Core has them: retained messages, persistent sessions, limits, reserved topics, QoS. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_ALL_MQTT,
  closed,
  collect,
  connectTls,
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

let t: BrokerTest;
let device: Device;
beforeAll(async () => {
  t = await startBrokerTest({ sessions: { maxQueued: 5 } });
  device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => t.close());

const connect = (options: Parameters<typeof connectTls>[2] = {}) => connectTls(t, device, options);

/** Publishes a marker and waits for it: everything published before it on the same connection has been delivered. */
async function barrier(pub: Awaited<ReturnType<typeof connect>>, sub: Awaited<ReturnType<typeof connect>>, topic: string): Promise<void> {
  const marker = `barrier-${Math.random()}`;
  const got = new Promise<void>((resolve) => {
    const on = (_t: string, payload: Buffer) => {
      if (payload.toString() !== marker) return;
      sub.removeListener('message', on);
      resolve();
    };
    sub.on('message', on);
  });
  await pub.publishAsync(topic, marker, { qos: 1 });
  await got;
}
const withoutBarriers = (payloads: string[]) => payloads.filter((p) => !p.startsWith('barrier-'));

describe('retained messages', () => {
  it('go to an exact-match subscription with RETAIN=1, never to wildcard filters; live copies have RETAIN=0; an empty payload deletes', async () => {
    const topic = `${unique('ret')}/lamp/state`;
    const pub = await connect();
    await pub.publishAsync(topic, 'on', { qos: 1, retain: true });

    const exact = await connect();
    const first = nextMessage(exact, topic);
    await subscribe(exact, topic);
    const retained = await first;
    expect([retained.payload, retained.packet.retain]).toEqual(['on', true]);

    const wildcard = await connect();
    const seen = collect(wildcard);
    await subscribe(wildcard, `${topic.split('/')[0]}/#`);
    await subscribe(wildcard, `${topic.split('/')[0]}/+/state`);
    const live = nextMessage(exact, topic);
    await pub.publishAsync(topic, 'off', { qos: 1, retain: true });
    expect((await live).packet.retain).toBe(false);
    await barrier(pub, wildcard, `${topic.split('/')[0]}/barrier`);
    // The wildcard subscriber got the two live copies (one per matching filter is deduplicated) and no retained copy.
    expect(seen.messages.filter((m) => m.topic === topic)).toEqual([{ topic, payload: 'off', retain: false }]);
    expect(retained.packet.qos).toBe(1);

    await pub.publishAsync(topic, '', { qos: 1, retain: true });
    const late = await connect();
    const lateSeen = collect(late);
    await subscribe(late, topic);
    await barrier(pub, late, topic);
    expect(withoutBarriers(lateSeen.messages.map((m) => m.payload))).toEqual([]);
    await end(pub, exact, wildcard, late);
  });

  it('need iot:RetainPublish as well as iot:Publish', async () => {
    const noRetain = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish'], Resource: '*' }] } });
    const client = await connectTls(t, noRetain);
    await client.publishAsync('plain/topic', 'ok', { qos: 1 });
    client.publish('plain/topic', 'kept?', { qos: 1, retain: true });
    await closed(client);
    expect((await t.event((e) => e.action === 'iot:RetainPublish')).outcome).toBe('connection closed');
    await end(client);
  });

  it('survive a restart of a local IoT Core with a data directory', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-retained-'));
    const first = await startBrokerTest({ ephemeral: false, dataDir });
    const d = await createDevice(first, { policy: ALLOW_ALL_MQTT });
    const pub = await connectTls(first, d);
    await pub.publishAsync('keep/me', Buffer.from([0, 1, 2, 255]), { qos: 1, retain: true });
    await end(pub);
    await first.close();

    const second = await startBrokerTest({ ephemeral: false, dataDir });
    try {
      const sub = await connectTls(second, d);
      const got = nextMessage(sub, 'keep/me');
      await subscribe(sub, 'keep/me');
      const m = await got;
      expect(m.packet.retain).toBe(true);
      expect([...(m.packet.payload as Buffer)]).toEqual([0, 1, 2, 255]);
      await end(sub);
    } finally {
      await second.close();
    }
  });
});

describe('persistent sessions', () => {
  it('keep subscriptions and queue QoS 1 messages for an offline client, within bounds', async () => {
    const clientId = unique('persistent');
    const topic = `${clientId}/inbox`;
    const first = await connect({ clientId, clean: false });
    await subscribe(first, topic);
    await end(first);

    const pub = await connect();
    for (let i = 1; i <= 7; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
    await pub.publishAsync(topic, 'q0', { qos: 0 });

    const back = tlsClient(t, device, { clientId, clean: false });
    const seen = collect(back);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve));
    expect(connack.sessionPresent).toBe(true);
    await barrier(pub, back, topic);
    // maxQueued is 5 here: the first five are kept, the rest dropped (and logged); QoS 0 is not queued.
    expect(withoutBarriers(seen.messages.map((m) => m.payload))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    await t.event((e) => e.clientId === clientId && /holds 5 undelivered/.test(e.reason));

    // A clean session ends it.
    await end(back);
    const clean = await connect({ clientId, clean: true });
    await end(clean);
    const again = tlsClient(t, device, { clientId, clean: false });
    const ack = await new Promise<{ sessionPresent: boolean }>((resolve) => again.once('connect', resolve));
    expect(ack.sessionPresent).toBe(false);
    await end(pub, again);
  });
});

describe('flow', () => {
  it('a publisher faster than the router is slowed down, not buffered without bound: every QoS 0 message arrives, in order', async () => {
    const sub = await connect();
    await subscribe(sub, 'flood/t', 0);
    const N = 20_000;
    const all = new Promise<number[]>((resolve) => {
      const got: number[] = [];
      sub.on('message', (_t, payload) => {
        got.push(payload.readUInt32BE(0));
        if (got.length === N) resolve(got);
      });
    });
    const pub = await connect();
    for (let i = 0; i < N; i++) {
      const b = Buffer.alloc(100);
      b.writeUInt32BE(i, 0);
      pub.publish('flood/t', b, { qos: 0 });
    }
    const got = await all;
    expect(got.every((n, i) => n === i)).toBe(true);
    await end(sub, pub);
  });
});

describe('limits and reserved topics', () => {
  it.each([
    ['a topic over 256 bytes', 'a/'.repeat(3) + 'x'.repeat(260), /at most 256 bytes/],
    ['a topic with 8 slashes', 'a/b/c/d/e/f/g/h/i', /at most 7/],
    ['a reserved $ topic other than $aws/', '$foo/bar', /reserved/],
  ])('closes the connection on %s', async (_name, topic, reason) => {
    const client = await connect();
    client.publish(topic, 'x', { qos: 1 });
    await closed(client);
    await t.event((e) => e.event === 'refused' && reason.test(e.reason));
    await end(client);
  });

  it('closes the connection on a payload over 128 KB; 128 KB exactly is fine', async () => {
    const client = await connect();
    await client.publishAsync('big/ok', Buffer.alloc(128 * 1024), { qos: 1 });
    client.publish('big/no', Buffer.alloc(128 * 1024 + 1), { qos: 1 });
    await closed(client);
    await t.event((e) => e.event === 'refused' && /131073 bytes/.test(e.reason));
    await end(client);
  });

  it('$aws/ topics work under the policy; $SYS is never exposed', async () => {
    const client = await connect();
    expect(await subscribe(client, ['$SYS/#', '$aws/things/lamp/shadow/update', '#'])).toEqual([128, 1, 1]);
    const seen = collect(client);
    const other = await connect(); // aedes announces it on $SYS/<id>/new/clients
    await other.publishAsync('$aws/things/lamp/shadow/update', '{}', { qos: 1 });
    await barrier(other, client, 'after/sys');
    expect(seen.messages.map((m) => m.topic)).toEqual(['$aws/things/lamp/shadow/update', 'after/sys']);
    expect(seen.messages.some((m) => m.topic.startsWith('$SYS'))).toBe(false);
    await end(client, other);
  });

  it('does not deliver a topic to its parent/# filter (AWS: sensor/# does not match sensor)', async () => {
    const client = await connect();
    await subscribe(client, 'sensor/#');
    const seen = collect(client);
    const pub = await connect();
    await pub.publishAsync('sensor', 'parent', { qos: 1 });
    await barrier(pub, client, 'sensor/child');
    expect(seen.messages.map((m) => m.topic)).toEqual(['sensor/child']);
    await end(client, pub);
  });

  it('grants QoS 1 for a QoS 2 subscription and acknowledges a QoS 2 publish as QoS 1', async () => {
    const client = await connect();
    expect(await subscribe(client, 'qos/two', 2)).toEqual([1]);
    const got = nextMessage(client, 'qos/two');
    client.publish('qos/two', 'x', { qos: 2 });
    expect((await got).packet.qos).toBe(1);
    await end(client);
  });
});
