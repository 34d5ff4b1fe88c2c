/**
 * The AWS IoT Device SDK v2 (aws-crt) MQTT 3.1.1 client against the broker:
 * mutual TLS (the SDK offers ALPN x-amzn-mqtt-ca and adds ?SDK=... to the
 * username) and SigV4 WebSockets signed by the CRT itself (connection;host,
 * Host without port, token unsigned).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { iot, mqtt, auth } from 'aws-iot-device-sdk-v2';
import { ALLOW_ALL_MQTT, createDevice, startBrokerTest, type BrokerTest } from '../helpers/broker.js';

let t: BrokerTest;
beforeAll(async () => {
  t = await startBrokerTest();
});
afterAll(() => t.close());

async function roundTrip(connection: mqtt.MqttClientConnection, topic: string): Promise<string> {
  await connection.connect();
  let resolve!: (payload: string) => void;
  const got = new Promise<string>((r) => (resolve = r));
  const suback = await connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (_t, payload) => resolve(Buffer.from(payload).toString()));
  expect(suback.qos).toBe(mqtt.QoS.AtLeastOnce);
  await connection.publish(topic, 'from the sdk', mqtt.QoS.AtLeastOnce);
  const payload = await got;
  await connection.disconnect();
  return payload;
}

it('connects over mutual TLS, subscribes, publishes and receives', async () => {
  const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(device.cert, device.key)
    .with_certificate_authority(t.ca.toString())
    .with_endpoint('127.0.0.1')
    .with_port(t.emulator.endpoints.mqtt.port)
    .with_client_id('sdk-mtls')
    .with_clean_session(true)
    .build();
  expect(await roundTrip(new mqtt.MqttClient().new_connection(config), 'sdk/mtls')).toBe('from the sdk');
});

it('connects over WebSockets with the root key, signed by the CRT', async () => {
  const { accessKeyId, secretAccessKey } = t.emulator.credentials;
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({ region: 'us-east-1', credentials_provider: auth.AwsCredentialsProvider.newStatic(accessKeyId, secretAccessKey) })
    .with_certificate_authority(t.ca.toString())
    .with_endpoint('127.0.0.1')
    .with_port(t.emulator.endpoints.ws.port)
    .with_client_id('sdk-wss')
    .with_clean_session(true)
    .build();
  expect(await roundTrip(new mqtt.MqttClient().new_connection(config), 'sdk/wss')).toBe('from the sdk');
});
