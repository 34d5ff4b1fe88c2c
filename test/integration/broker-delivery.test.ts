/**
 * How QoS 0 messages reach a subscriber (the broker writes them in batches,
 * engine.ts batchQoS0Deliveries): once per message however many of the
 * client's filters match, in order, never back to an MQTT 5 publisher that
 * subscribed with No Local, with MQTT 5 properties, and still checked
 * against iot:Receive at each delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL_MQTT, collect, connectTls, createDevice, end, nextMessage, startBrokerTest, subscribe, unique, type BrokerTest, type Device } from '../helpers/broker.js';

let t: BrokerTest;
let device: Device;
beforeAll(async () => {
  t = await startBrokerTest();
  device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => t.close());

describe('QoS 0 delivery', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: a message matched by two of a client's filters arrives once, and 500 arrive in order`, async () => {
      const base = unique('overlap');
      const sub = await connectTls(t, device, { protocolVersion });
      await subscribe(sub, [`${base}/#`, `${base}/+`], 0);
      const pub = await connectTls(t, device, { protocolVersion });
      const got = collect(sub);
      for (let i = 0; i < 500; i++) pub.publish(`${base}/a`, String(i), { qos: 0 });
      // A QoS 1 marker on the same connection: everything before it has been delivered when it arrives.
      const marker = nextMessage(sub, `${base}/end`);
      await pub.publishAsync(`${base}/end`, 'end', { qos: 1 });
      await marker;
      got.stop();
      expect(got.messages.filter((m) => m.topic === `${base}/a`).map((m) => m.payload)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
      await end(sub, pub);
    });
  }

  it('MQTT 5 No Local: a client does not get back what it publishes, another subscriber does', async () => {
    const topic = unique('nolocal');
    const self = await connectTls(t, device, { protocolVersion: 5 });
    await self.subscribeAsync(topic, { qos: 0, nl: true });
    const other = await connectTls(t, device, { protocolVersion: 5 });
    await subscribe(other, topic, 0);
    const mine = collect(self);
    const theirs = nextMessage(other, topic);
    self.publish(topic, 'hello', { qos: 0 });
    expect((await theirs).payload).toBe('hello');
    // The other's copy came through the same routing; give the own copy one more round trip to show up.
    await self.publishAsync(unique('flush'), 'x', { qos: 1 });
    mine.stop();
    expect(mine.messages).toEqual([]);
    await end(self, other);
  });

  it('MQTT 5 properties reach a QoS 0 subscriber, and messages with and without them keep their order', async () => {
    const topic = unique('props');
    const sub = await connectTls(t, device, { protocolVersion: 5 });
    await subscribe(sub, topic, 0);
    const pub = await connectTls(t, device, { protocolVersion: 5 });
    const got: { payload: string; contentType?: string; userProperties?: unknown }[] = [];
    sub.on('message', (_t, payload, packet) => got.push({ payload: payload.toString(), contentType: packet.properties?.contentType, userProperties: packet.properties?.userProperties }));
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 1) pub.publish(topic, String(i), { qos: 0, properties: { contentType: 'application/json', userProperties: { k: `v${i}` } } });
      else pub.publish(topic, String(i), { qos: 0 });
    }
    const marker = nextMessage(sub, `${topic}/end`);
    await subscribe(sub, `${topic}/end`, 0);
    await pub.publishAsync(`${topic}/end`, 'end', { qos: 1 });
    await marker;
    const expected = Array.from({ length: 60 }, (_, i) => (i % 3 === 1 ? { payload: String(i), contentType: 'application/json', userProperties: { k: `v${i}` } } : { payload: String(i), contentType: undefined, userProperties: undefined }));
    expect(got.filter((m) => m.payload !== 'end')).toEqual(expected);
    await end(sub, pub);
  });

  it('a subscription added or removed on a topic already in use takes effect for the next message', async () => {
    // A wildcard and an exact filter: the router keeps their subscriptions apart, so a remembered answer for the topic goes stale on either change.
    const base = unique('churn');
    const topic = `${base}/x`;
    const first = await connectTls(t, device, { protocolVersion: 5 });
    await subscribe(first, `${base}/+`, 0);
    const pub = await connectTls(t, device, { protocolVersion: 5 });
    const firstGot = collect(first);
    for (let i = 0; i < 3; i++) {
      const arrived = nextMessage(first, topic);
      pub.publish(topic, `before-${i}`, { qos: 0 });
      await arrived;
    }
    const second = await connectTls(t, device, { protocolVersion: 5 });
    await subscribe(second, topic, 0);
    const both = [nextMessage(first, topic), nextMessage(second, topic)];
    pub.publish(topic, 'both', { qos: 0 });
    expect((await Promise.all(both)).map((m) => m.payload)).toEqual(['both', 'both']);
    await first.unsubscribeAsync(`${base}/+`);
    const onlySecond = nextMessage(second, topic);
    pub.publish(topic, 'second only', { qos: 0 });
    expect((await onlySecond).payload).toBe('second only');
    // The same round trip again: had the removed subscription still matched, its copy would be here by now.
    await first.publishAsync(unique('flush'), 'x', { qos: 1 });
    firstGot.stop();
    expect(firstGot.messages.map((m) => m.payload)).toEqual(['before-0', 'before-1', 'before-2', 'both']);
    await end(first, second, pub);
  });

  it('iot:Receive is checked at each delivery: a subscriber denied Receive on one topic gets the others', async () => {
    const base = unique('receive');
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
        { Effect: 'Deny', Action: 'iot:Receive', Resource: `arn:aws:iot:*:*:topic/${base}/secret` },
      ],
    };
    const limited = await createDevice(t, { policy });
    const sub = await connectTls(t, limited, { protocolVersion: 5 });
    await subscribe(sub, `${base}/+`, 0);
    const pub = await connectTls(t, device, { protocolVersion: 5 });
    const got = collect(sub);
    pub.publish(`${base}/secret`, 's', { qos: 0 });
    pub.publish(`${base}/open`, 'o', { qos: 0 });
    const marker = nextMessage(sub, `${base}/end`);
    await pub.publishAsync(`${base}/end`, 'end', { qos: 1 });
    await marker;
    got.stop();
    expect(got.messages.map((m) => m.topic)).toEqual([`${base}/open`, `${base}/end`]);
    await end(sub, pub);
  });
});
