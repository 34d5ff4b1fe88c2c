/**
 * Subscribers that stop reading their socket cannot hurt the others: QoS 0
 * messages to them are dropped once 512 KiB wait for them, they are
 * disconnected when they stay full, and publishers and healthy subscribers
 * keep going. Against a spawned `iotctl local start`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { ALLOW_ALL_MQTT, connectTls, connected, createDevice, end, nextMessage, startBrokerTest, subscribe, unique, type Device } from '../helpers/broker.js';
import { closedWithin, rawMqtt } from '../helpers/raw-mqtt.js';
import { spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

let local: SpawnedLocal;
let device: Device;
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
  device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => local?.stop());

const client = (prefix: string): Promise<MqttClient> =>
  connected(mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, clientId: unique(prefix), reconnectPeriod: 0 }));

describe('slow consumers', () => {
  it('with one stalled subscriber, a healthy one still receives at least 95% of 20,000 QoS 0 messages published as fast as possible', { timeout: 60_000 }, async () => {
    const topic = unique('fan/out');
    const stalled = await rawMqtt(local.mqttPort, local.ca, device, unique('stalled'), { subscribe: { filter: topic, qos: 0 }, read: false });
    const healthy = await client('healthy');
    await subscribe(healthy, topic, 0);
    let received = 0;
    healthy.on('message', (t) => t === topic && received++);
    const publisher = await client('publisher');

    // 20 MB: several times what the kernel's socket buffers absorb for the stalled subscriber.
    const payload = Buffer.alloc(1024, 0x61);
    for (let i = 0; i < 20_000; i++) publisher.publish(topic, payload, { qos: 0 });
    // A QoS 1 marker: the healthy subscriber has had every message it will get when the marker arrives.
    const marker = nextMessage(healthy, `${topic}/end`, 30_000);
    await subscribe(healthy, `${topic}/end`, 1);
    await publisher.publishAsync(`${topic}/end`, 'end', { qos: 1 });
    await marker;

    expect(received).toBeGreaterThanOrEqual(19_000);
    await local.stderrLine(/REFUSED \(client stalled-.*\): the client is not reading fast enough: \d+ KiB are already waiting to be sent to it .*→ QoS 0 message not delivered/);
    stalled.socket.destroy();
    await end(healthy, publisher);
  });

  it('a subscriber that stays full for 10 s is disconnected, and says why', { timeout: 40_000 }, async () => {
    const topic = unique('slow/qos0');
    const stalled = await rawMqtt(local.mqttPort, local.ca, device, unique('sleeper'), { subscribe: { filter: topic, qos: 0 }, read: false });
    const publisher = await client('publisher');
    const payload = Buffer.alloc(4096, 0x62);
    // Enough to fill its budget and the kernel's buffers, then a trickle until it is gone.
    for (let i = 0; i < 2000; i++) publisher.publish(topic, payload, { qos: 0 });
    const trickle = setInterval(() => publisher.publish(topic, payload, { qos: 0 }), 250);
    try {
      await local.stderrLine(/DISCONNECTED \(client sleeper-.*\): slow consumer: the client has not read what was sent to it for 10 s .* → connection closed/, 25_000);
    } finally {
      clearInterval(trickle);
    }
    // A client that does not read sees the hang-up once it reads again.
    stalled.socket.resume();
    expect(await closedWithin(stalled.closed, 5000)).toBe('closed');
    await end(publisher);
  });

  it('QoS 1 to a subscriber that does not read: disconnected past 4 MiB, while the publisher gets every PUBACK', { timeout: 40_000 }, async () => {
    const topic = unique('slow/qos1');
    const stalled = await rawMqtt(local.mqttPort, local.ca, device, unique('hoarder'), { subscribe: { filter: topic, qos: 1 }, read: false });
    const publisher = await client('publisher');
    const payload = Buffer.alloc(64 * 1024, 0x63);
    // 16 MB: far past what the kernel buffers hold; every PUBACK must come whatever the stalled subscriber does.
    await Promise.all(Array.from({ length: 256 }, () => publisher.publishAsync(topic, payload, { qos: 1 })));
    await local.stderrLine(/DISCONNECTED \(client hoarder-.*\): slow consumer: \d+ KiB are waiting to be sent to the client, which is not reading them \(the limit is 4096 KiB\)/, 5000);
    stalled.socket.resume();
    expect(await closedWithin(stalled.closed, 5000)).toBe('closed');
    await end(publisher);
  });
});

describe('a subscriber that keeps up', () => {
  it('is never counted as behind, however many messages it has had: 12,000 small QoS 0 messages through a 16 KiB budget all arrive', { timeout: 60_000 }, async () => {
    // A budget that counted a few bytes too many per message (the estimate of a PUBLISH's size against the bytes written) filled up
    // after a few thousand messages here, and after about 175,000 with the default 512 KiB, then dropped everything to a client that reads.
    const t = await startBrokerTest({ outbound: { softBytes: 16 * 1024 } });
    try {
      const owner = await createDevice(t, { policy: ALLOW_ALL_MQTT });
      const topic = unique('steady');
      const subscriber = await connectTls(t, owner, { clientId: unique('steady-sub') });
      await subscribe(subscriber, topic, 0);
      let received = 0;
      let waiting: (() => void) | undefined;
      subscriber.on('message', () => {
        received++;
        waiting?.();
      });
      const publisher = await connectTls(t, owner, { clientId: unique('steady-pub') });
      // Batches of 100 (about 2 KB), each received before the next is sent: the subscriber is never behind.
      for (let batch = 0; batch < 120; batch++) {
        for (let i = 0; i < 100; i++) publisher.publish(topic, 'x', { qos: 0 });
        const expected = (batch + 1) * 100;
        await new Promise<void>((resolve, reject) => {
          if (received >= expected) return resolve();
          const timer = setTimeout(() => reject(new Error(`batch ${batch}: ${received} of ${expected} received; ${JSON.stringify(t.events.filter((e) => e.event === 'refused').slice(0, 1))}`)), 5000);
          waiting = () => received >= expected && (clearTimeout(timer), resolve());
        });
      }
      expect(received).toBe(12_000);
      expect(t.events.filter((e) => e.event === 'refused')).toEqual([]);
      await end(subscriber, publisher);
    } finally {
      await t.close();
    }
  });
});
