// The baseline a developer would write with aws-iot-device-sdk-v2 alone:
// connect with mutual TLS, publish, disconnect. One message, or (--lines) one
// per line of stdin, all in flight at once, then wait for every PUBACK.
// Usage: node bench/sdk-pub.cjs <host> <port> <ca> <cert> <key> <topic> [--lines] [--qos 0|1] [--mqtt 3|5]
const { mqtt, mqtt5, iot } = require('aws-iot-device-sdk-v2');
const readline = require('node:readline');

const [host, port, ca, cert, key, topic, ...rest] = process.argv.slice(2);
const flag = (name, dflt) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : dflt);
const lines = rest.includes('--lines');
const qos = Number(flag('--qos', '1'));
const version = flag('--mqtt', '3');
const clientId = `sdk-bench-${process.pid}`;

async function connect() {
  if (version === '5') {
    const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(host, cert, key)
      .withCertificateAuthorityFromPath(undefined, ca)
      .withPort(Number(port))
      .withConnectProperties({ clientId, keepAliveIntervalSeconds: 1200 })
      .withExtendedValidationAndFlowControlOptions(mqtt5.ClientExtendedValidationAndFlowControl.None)
      .build();
    const client = new mqtt5.Mqtt5Client(config);
    await new Promise((resolve, reject) => {
      client.once('connectionSuccess', resolve);
      client.once('connectionFailure', (e) => reject(e.error));
      client.start();
    });
    return {
      publish: (payload) => client.publish({ topicName: topic, payload, qos }),
      // The MQTT 5 client keeps the process alive ~8 s after close(): a script exits explicitly.
      close: () => new Promise((r) => (client.once('stopped', r), client.stop())).then(() => (client.close(), process.exit(0))),
    };
  }
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(cert, key)
    .with_certificate_authority_from_path(undefined, ca)
    .with_endpoint(host)
    .with_port(Number(port))
    .with_client_id(clientId)
    .with_clean_session(true)
    .build();
  const conn = new mqtt.MqttClient().new_connection(config);
  await conn.connect();
  return { publish: (payload) => conn.publish(topic, payload, qos), close: () => conn.disconnect() };
}

(async () => {
  const c = await connect();
  if (!lines) {
    await c.publish('hello from the bare SDK');
  } else {
    const pending = [];
    for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (line.length > 0) pending.push(c.publish(line));
    }
    await Promise.all(pending);
  }
  await c.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
