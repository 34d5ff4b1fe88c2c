/**
 * The AWS IoT Device SDK v2 (aws-crt) against the broker, its MQTT 3.1.1
 * client and its MQTT 5 client (Mqtt5Client): mutual TLS (the SDK offers ALPN
 * x-amzn-mqtt-ca and adds ?SDK=... to the username) and SigV4 WebSockets
 * signed by the CRT itself (connection;host, Host without port, token
 * unsigned). The MQTT 5 client reads AWS's reason codes and properties.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, mqtt, mqtt5, auth } from 'aws-iot-device-sdk-v2';
import { ALLOW_ALL_MQTT, createDevice, startBrokerTest, unique, type BrokerTest, type Device } from '../helpers/broker.js';

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

describe('the MQTT 5 client (Mqtt5Client)', () => {
  const ARN = 'arn:aws:iot:us-east-1:123456789012';
  const clients: mqtt5.Mqtt5Client[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
  });

  /** Starts the client and resolves with its CONNACK; rejects with the failure event. */
  function start(builder: iot.AwsIotMqtt5ClientConfigBuilder, clientId: string): Promise<{ client: mqtt5.Mqtt5Client; connack: mqtt5.ConnackPacket }> {
    const client = new mqtt5.Mqtt5Client(builder.withConnectProperties({ clientId, keepAliveIntervalSeconds: 1200 }).build());
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.once('connectionSuccess', (e) => resolve({ client, connack: e.connack }));
      client.once('connectionFailure', (e) => {
        client.stop();
        reject(e);
      });
      client.start();
    });
  }
  const stopped = (client: mqtt5.Mqtt5Client) => new Promise<void>((resolve) => (client.once('stopped', () => resolve()), client.stop()));
  const mtls = (d: Device) => iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory('127.0.0.1', d.cert, d.key).withCertificateAuthority(t.ca.toString()).withPort(t.emulator.endpoints.mqtt.port);

  it('over mutual TLS: CONNACK as AWS sends it, SUBACK [1, 135], PUBACK 135 for a denied topic, user properties delivered', async () => {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Receive'], Resource: '*' }, { Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe'], Resource: [`${ARN}:topic/sdk5/*`, `${ARN}:topicfilter/sdk5/*`] }] };
    const device = await createDevice(t, { policy });
    const { client, connack } = await start(mtls(device), unique('sdk5'));
    expect(connack).toMatchObject({ reasonCode: 0, maximumQos: 1, subscriptionIdentifiersAvailable: false, topicAliasMaximum: 8, receiveMaximum: 100, maximumPacketSize: 146 * 1024 });
    expect(connack.sharedSubscriptionsAvailable).not.toBe(false);
    const suback = await client.subscribe({ subscriptions: [{ topicFilter: 'sdk5/t', qos: 1 }, { topicFilter: 'other/t', qos: 1 }] });
    expect(suback.reasonCodes).toEqual([1, 135]);
    const denied = await client.publish({ topicName: 'other/t', qos: 1, payload: 'no' });
    expect(denied?.reasonCode).toBe(135);
    const received = new Promise<mqtt5.PublishPacket>((resolve) => client.on('messageReceived', (e) => resolve(e.message)));
    const ok = await client.publish({ topicName: 'sdk5/t', qos: 1, payload: 'yes', userProperties: [{ name: 'k', value: 'v' }], contentType: 'text/plain' });
    expect(ok?.reasonCode).toBe(0);
    const m = await received;
    expect(Buffer.from(m.payload as ArrayBuffer).toString()).toBe('yes');
    expect(m.userProperties).toEqual([{ name: 'k', value: 'v' }]);
    expect(m.contentType).toBe('text/plain');
    await stopped(client);
  });

  it('a client id outside the policy gets CONNACK 0x87', async () => {
    const device = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/only-me` }] } });
    const failure = (await start(mtls(device), 'not-me').catch((e: mqtt5.ConnectionFailureEvent) => e)) as mqtt5.ConnectionFailureEvent;
    expect(failure.connack?.reasonCode).toBe(135);
  });

  it('over SigV4 WebSockets signed by the CRT, with the root key', async () => {
    const { accessKeyId, secretAccessKey } = t.emulator.credentials;
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newWebsocketMqttBuilderWithSigv4Auth('127.0.0.1', { region: 'us-east-1', credentialsProvider: auth.AwsCredentialsProvider.newStatic(accessKeyId, secretAccessKey) })
      .withCertificateAuthority(t.ca.toString())
      .withPort(t.emulator.endpoints.ws.port);
    const { client } = await start(builder, unique('sdk5-wss'));
    const received = new Promise<mqtt5.PublishPacket>((resolve) => client.on('messageReceived', (e) => resolve(e.message)));
    expect((await client.subscribe({ subscriptions: [{ topicFilter: 'sdk5/wss', qos: 1 }] })).reasonCodes).toEqual([1]);
    await client.publish({ topicName: 'sdk5/wss', qos: 1, payload: 'signed' });
    expect(Buffer.from((await received).payload as ArrayBuffer).toString()).toBe('signed');
    await stopped(client);
  });
});
