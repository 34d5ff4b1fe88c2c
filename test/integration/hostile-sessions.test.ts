/**
 * Persistent sessions (clean session 0) survive `iotctl local start`
 * restarts and kill -9: their subscriptions and every QoS 1 message the broker
 * acknowledged while they were offline.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { ALLOW_ALL_MQTT, createDevice, end, unique, type Device } from '../helpers/broker.js';
import { testEnv } from '../helpers/cli.js';
import { killLeftovers, spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

afterEach(killLeftovers);

function connect(local: SpawnedLocal, device: Device, clientId: string, clean: boolean): Promise<{ client: MqttClient; sessionPresent: boolean; received: string[] }> {
  const received: string[] = [];
  const client = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, clientId, clean, reconnectPeriod: 0 });
  client.on('message', (_t, payload) => received.push(payload.toString()));
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, sessionPresent: connack.sessionPresent, received }));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** Resolves once `received` holds `count` messages. */
function receivedAll(client: MqttClient, received: string[], count: number, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (received.length < count) return;
      client.off('message', check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`received ${received.length} of ${count}`)), timeoutMs);
    client.on('message', check);
    check();
  });
}

async function offlineSubscriber(local: SpawnedLocal, device: Device, clientId: string, topic: string): Promise<void> {
  const { client } = await connect(local, device, clientId, false);
  await client.subscribeAsync(topic, { qos: 1 });
  await end(client);
}

describe('persistent sessions across restarts', () => {
  for (const how of ['a clean stop (SIGTERM)', 'kill -9'] as const) {
    it(`subscriptions and 5 queued QoS 1 messages survive ${how}`, { timeout: 60_000 }, async () => {
      const env = testEnv();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-sessions-'));
      let local = await spawnLocal(['--data-dir', dataDir], env);
      const device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
      const clientId = unique('sleeper');
      const topic = unique('queued');
      await offlineSubscriber(local, device, clientId, topic);

      const { client: publisher } = await connect(local, device, unique('pub'), true);
      for (let i = 1; i <= 5; i++) await publisher.publishAsync(topic, `m${i}`, { qos: 1 });
      await end(publisher);
      await (how === 'kill -9' ? local.kill() : local.stop());

      local = await spawnLocal(['--data-dir', dataDir], env);
      const back = await connect(local, device, clientId, false);
      expect(back.sessionPresent).toBe(true);
      await receivedAll(back.client, back.received, 5);
      expect(back.received).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      // The subscription itself came back too: live messages arrive.
      const { client: again } = await connect(local, device, unique('pub'), true);
      await again.publishAsync(topic, 'live', { qos: 1 });
      await receivedAll(back.client, back.received, 6);
      await end(back.client, again);
      await local.stop();
    });
  }

  it('kill -9 while QoS 1 messages stream to an offline session: every message that got its PUBACK is delivered after the restart', { timeout: 60_000 }, async () => {
    const env = testEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-sessions-'));
    let local = await spawnLocal(['--data-dir', dataDir], env);
    const device = await createDevice(local, { policy: ALLOW_ALL_MQTT });
    const clientId = unique('sleeper');
    const topic = unique('stream');
    await offlineSubscriber(local, device, clientId, topic);

    const { client: publisher } = await connect(local, device, unique('pub'), true);
    publisher.on('error', () => {});
    const acked: string[] = [];
    let killed = false;
    const sending = (async () => {
      for (let i = 1; !killed && i <= 5000; i++) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => `m${i}-${j}`).map((m) => publisher.publishAsync(topic, m, { qos: 1 }).then(() => acked.push(m), () => {})));
        if (acked.length >= 300) {
          killed = true;
          void local.kill();
        }
      }
    })();
    await sending;
    await local.exit;
    publisher.end(true);
    expect(acked.length).toBeGreaterThanOrEqual(300);

    local = await spawnLocal(['--data-dir', dataDir], env);
    const back = await connect(local, device, clientId, false);
    await receivedAll(back.client, back.received, acked.length, 30_000);
    const missing = acked.filter((m) => !back.received.includes(m));
    expect(missing).toEqual([]);
    await end(back.client);
    await local.stop();
  });
});
