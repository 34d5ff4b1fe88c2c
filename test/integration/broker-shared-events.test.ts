/** Shared subscriptions ($share/<group>/<filter>) and lifecycle events ($aws/events/...) on the local IoT Core, with MQTT.js 3.1.1 and 5 clients. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ALLOW_ALL_MQTT, collect, connectTls, createDevice, end, nextMessage, startBrokerTest, subscribe, unique, type BrokerTest, type Device } from '../helpers/broker.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const allow = (action: string | string[], resource: string | string[]) => ({ Effect: 'Allow', Action: action, Resource: resource });
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });

let t: BrokerTest;
let device: Device;
beforeAll(async () => {
  t = await startBrokerTest();
  device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
});
afterAll(() => t.close());

const connect = (version: 4 | 5, d: Pick<Device, 'cert' | 'key'> = device, options: Parameters<typeof connectTls>[2] = {}) => connectTls(t, d, { protocolVersion: version, ...options });

/** Publishes `count` numbered QoS 1 messages, then waits until `watcher` (a plain subscriber of the topic) has them all. */
async function stream(pub: MqttClient, watcher: MqttClient, topic: string, count: number): Promise<void> {
  const seen = collect(watcher);
  for (let i = 0; i < count; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
  while (seen.messages.filter((m) => m.topic === topic).length < count) await nextMessage(watcher, topic);
  seen.stop();
}

describe('shared subscriptions', () => {
  it('two members of $share/<group>/<filter> split a stream, each message to one of them; MQTT 3.1.1 and 5 members alike', async () => {
    const topic = `${unique('jobs')}/new`;
    const filter = `$share/workers/${topic.split('/')[0]}/+`;
    const a = await connect(5);
    const b = await connect(4);
    expect(await subscribe(a, filter)).toEqual([1]);
    expect(await subscribe(b, filter)).toEqual([1]);
    const gotA = collect(a);
    const gotB = collect(b);
    const watcher = await connect(5);
    await subscribe(watcher, topic);
    const pub = await connect(5);
    await stream(pub, watcher, topic, 10);
    // In turn: one message each, and no message to both.
    await Promise.all([gotA.messages.length < 5 ? nextMessage(a, topic) : undefined, gotB.messages.length < 5 ? nextMessage(b, topic) : undefined]);
    expect(gotA.messages.length).toBe(5);
    expect(gotB.messages.length).toBe(5);
    expect([...gotA.messages, ...gotB.messages].map((m) => m.payload).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    expect(gotA.messages.every((m) => m.topic === topic && !m.retain)).toBe(true);

    // A member that leaves (UNSUBSCRIBE) gets nothing more; the other gets everything.
    await a.unsubscribeAsync(filter);
    gotA.messages.length = 0;
    gotB.messages.length = 0;
    await stream(pub, watcher, topic, 4);
    while (gotB.messages.length < 4) await nextMessage(b, topic);
    expect(gotA.messages).toEqual([]);
    await end(a, b, watcher, pub);
  });

  it('a retained message never goes to a shared subscription', async () => {
    const topic = unique('shared-retained');
    const pub = await connect(5);
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    const member = await connect(5);
    const seen = collect(member);
    await subscribe(member, `$share/g/${topic}`);
    await subscribe(member, 'after');
    await pub.publishAsync('after', 'marker', { qos: 1 });
    await nextMessage(member, 'after');
    expect(seen.messages.filter((m) => m.topic === topic)).toEqual([]);
    // Live messages do come.
    const live = nextMessage(member, topic);
    await pub.publishAsync(topic, 'live', { qos: 1 });
    expect((await live).payload).toBe('live');
    await end(pub, member);
  });

  it('iot:Subscribe is checked on topicfilter/$share/<group>/<filter> (the filter as sent), iot:Receive on the topic of each message', async () => {
    const topic = unique('guarded');
    const plainOnly = await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Subscribe', `${ARN}:topicfilter/${topic}`), allow('iot:Receive', '*')) });
    const client = await connect(5, plainOnly);
    expect(await subscribe(client, `$share/g/${topic}`)).toEqual([0x87]);
    const e = await t.event((e) => e.event === 'denied' && e.resource === `${ARN}:topicfilter/$share/g/${topic}`);
    expect(e.action).toBe('iot:Subscribe');
    expect(await subscribe(client, topic)).toEqual([1]);

    // A member that may not receive the topic is passed over: the other member gets every message.
    const noReceive = await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Subscribe', `${ARN}:topicfilter/$share/*`)) });
    const deaf = await connect(5, noReceive);
    const hearing = await connect(5, await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Subscribe', `${ARN}:topicfilter/$share/*`), allow('iot:Receive', `${ARN}:topic/${topic}`)) }));
    expect(await subscribe(deaf, `$share/h/${topic}`)).toEqual([1]);
    expect(await subscribe(hearing, `$share/h/${topic}`)).toEqual([1]);
    const heard = collect(hearing);
    const missed = collect(deaf);
    const pub = await connect(5);
    await stream(pub, client, topic, 4);
    while (heard.messages.length < 4) await nextMessage(hearing, topic);
    expect(missed.messages).toEqual([]);
    await t.event((e) => e.event === 'denied' && e.action === 'iot:Receive' && e.resource === `${ARN}:topic/${topic}`);
    await end(client, deaf, hearing, pub);
  });
});

describe('lifecycle events', () => {
  /** A client watching every lifecycle event, and what it has seen. */
  async function watchEvents() {
    const watcher = await connect(5);
    await subscribe(watcher, ['$aws/events/presence/+/+', '$aws/events/subscriptions/+/+']);
    const events: Record<string, unknown>[] = [];
    watcher.on('message', (topic, payload) => events.push({ topic, ...JSON.parse(payload.toString()) }));
    const next = async (match: (e: Record<string, unknown>) => boolean) => {
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        await nextMessage(watcher);
      }
    };
    return { watcher, events, next };
  }

  it('connected and disconnected events with AWS fields; the same versionNumber for one connection; a DISCONNECT is client-initiated', async () => {
    const { watcher, next } = await watchEvents();
    const clientId = unique('presence');
    const client = await connect(5, device, { clientId });
    const connected = await next((e) => e.topic === `$aws/events/presence/connected/${clientId}`);
    expect(connected).toMatchObject({ clientId, eventType: 'connected', principalIdentifier: device.certificateId, ipAddress: '127.0.0.1' });
    expect(typeof connected.timestamp).toBe('number');
    expect(connected.sessionIdentifier).toMatch(/^[0-9a-f-]{36}$/);
    await client.endAsync();
    const disconnected = await next((e) => e.topic === `$aws/events/presence/disconnected/${clientId}`);
    expect(disconnected).toMatchObject({
      clientId,
      eventType: 'disconnected',
      clientInitiatedDisconnect: true,
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      sessionIdentifier: connected.sessionIdentifier,
      versionNumber: connected.versionNumber,
    });
    // The next connection of the same client id has the next version.
    const again = await connect(4, device, { clientId });
    expect(await next((e) => e.topic === `$aws/events/presence/connected/${clientId}` && e.sessionIdentifier !== connected.sessionIdentifier)).toMatchObject({ versionNumber: (connected.versionNumber as number) + 1 });
    // Taken over by a third connection: the second one's disconnect says why.
    const third = await connect(5, device, { clientId });
    expect(await next((e) => e.topic === `$aws/events/presence/disconnected/${clientId}` && e.disconnectReason !== 'CLIENT_INITIATED_DISCONNECT')).toMatchObject({
      disconnectReason: 'DUPLICATE_CLIENTID',
      clientInitiatedDisconnect: false,
    });
    await end(again, third, watcher);
  });

  it('subscribed and unsubscribed events list the filters as sent, shared ones included', async () => {
    const { watcher, next } = await watchEvents();
    const clientId = unique('subs');
    const client = await connect(5, device, { clientId });
    await subscribe(client, ['a/b', '$share/g/c/+']);
    expect(await next((e) => e.topic === `$aws/events/subscriptions/subscribed/${clientId}`)).toMatchObject({ clientId, eventType: 'subscribed', topics: ['a/b', '$share/g/c/+'] });
    await client.unsubscribeAsync('$share/g/c/+');
    expect(await next((e) => e.topic === `$aws/events/subscriptions/unsubscribed/${clientId}`)).toMatchObject({ eventType: 'unsubscribed', topics: ['$share/g/c/+'] });
    await end(client, watcher);
  });

  it('events need iot:Subscribe and iot:Receive like any topic; clients may not publish there', async () => {
    const blind = await createDevice(t, { policy: doc(allow('iot:Connect', '*'), allow('iot:Subscribe', '*')) });
    const watcher = await connect(5, blind);
    await subscribe(watcher, '$aws/events/presence/+/+');
    const seen = collect(watcher);
    const clientId = unique('unseen');
    const client = await connect(5, device, { clientId });
    await t.event((e) => e.event === 'denied' && e.action === 'iot:Receive' && e.resource === `${ARN}:topic/$aws/events/presence/connected/${clientId}`);
    expect(seen.messages).toEqual([]);
    const err = (await client.publishAsync(`$aws/events/presence/connected/${clientId}`, '{}', { qos: 1 }).catch((e: Error & { code?: number }) => e)) as { code?: number };
    expect(err.code).toBe(0x90);
    await end(client, watcher);
  });
});
