/**
 * The one module that loads aws-iot-device-sdk-v2 (session.ts imports it
 * lazily), through the aws-crt it is built on. Two drivers with one shape: MQTT 3.1.1 (`mqtt.MqttClientConnection`)
 * and MQTT 5 (`mqtt5.Mqtt5Client`). A driver is one connection: it never
 * reconnects (the SDK's own reconnection is held off and the driver stopped on
 * the first loss), so callers see every loss and decide what to do.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, OutgoingMessage, PublishProperties, QoS, ConnectionSpec } from './types.js';
import { FLUSH_FILTER, type AckResult, type Driver, type DriverEvents, type DriverFailure, type PublishCallback } from './driver.js';
import type { TlsMaterial } from './preflight.js';
import { collectReleasedClients } from './release.js';

type Sdk = typeof import('aws-iot-device-sdk-v2');
type HttpRequest = import('aws-iot-device-sdk-v2').http.HttpRequest;

// The SDK's index also loads its Greengrass IPC, shadow, jobs and identity
// clients (about 18 ms and 3 MB a start); its MQTT clients and config builders
// are aws-crt's, re-exported. So load the aws-crt the SDK itself resolves
// (its pinned version), with require(), which skips the ESM export scan.
const sdkRequire = createRequire(createRequire(import.meta.url).resolve('aws-iot-device-sdk-v2'));
const sdk = sdkRequire('aws-crt') as Sdk;

const SUCCESS: AckResult = { code: 0 };



function nameOf(err: unknown): string | undefined {
  const e = err as { error_name?: string; message?: string } | undefined;
  if (typeof e?.error_name === 'string') return e.error_name;
  return /\b(AWS_[A-Z0-9_]+)\b/.exec(typeof err === 'string' ? err : String(e?.message ?? err))?.[1];
}

function failureOf(err: unknown, extra: Partial<DriverFailure> = {}): DriverFailure {
  const message = typeof err === 'string' ? err : ((err as Error)?.message ?? String(err));
  return { name: nameOf(err), message, ...extra };
}

/** The SDK's timeouts are whole milliseconds; socket options take the connect timeout. */
function socketOptions(spec: ConnectionSpec) {
  return new sdk.io.SocketOptions(sdk.io.SocketType.STREAM, sdk.io.SocketDomain.IPV6, spec.connectTimeoutMs);
}

/**
 * SigV4 for the WebSocket upgrade, with credentials asked for on every
 * handshake (the SDK's builders take a fixed provider instead).
 */
function sigv4Transform(spec: ConnectionSpec, remember: (err: unknown) => void) {
  const { auth } = sdk;
  return (request: HttpRequest, done: (errorCode?: number) => void) => {
    (async () => {
      const c = await spec.credentials!();
      await auth.aws_sign_request(request, {
        algorithm: auth.AwsSigningAlgorithm.SigV4,
        signature_type: auth.AwsSignatureType.HttpRequestViaQueryParams,
        provider: auth.AwsCredentialsProvider.newStatic(c.accessKeyId, c.secretAccessKey, c.sessionToken),
        region: spec.region!,
        service: 'iotdevicegateway',
        signed_body_value: auth.AwsSignedBodyValue.EmptySha256,
        omit_session_token: true,
      });
    })().then(
      () => done(),
      (err: unknown) => {
        remember(err);
        done((err as { error_code?: number }).error_code ?? 1 /* AWS_ERROR_UNKNOWN */);
      },
    );
  };
}

function toBuffer(payload: ArrayBuffer | ArrayBufferView | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(payload);
}

/** How long an acknowledged operation (PUBLISH QoS 1, SUBSCRIBE, UNSUBSCRIBE) may wait for its answer. */
const OPERATION_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- MQTT 3.1.1

class Driver311 implements Driver {
  private conn?: import('aws-iot-device-sdk-v2').mqtt.MqttClientConnection;
  private state: 'new' | 'connecting' | 'up' | 'down' = 'new';
  private credentialsError?: unknown;

  constructor(
    private readonly spec: ConnectionSpec,
    material: TlsMaterial,
    private readonly events: DriverEvents,
  ) {
    const { iot, mqtt } = sdk;
    const builder =
      spec.auth === 'mtls' ? iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(material.certPem!, material.keyPem!) : iot.AwsIotMqttConnectionConfigBuilder.new_builder_for_websocket();
    if (material.caPem) builder.with_certificate_authority(material.caPem);
    builder
      .with_endpoint(spec.endpoint)
      .with_port(spec.port)
      .with_client_id(spec.clientId)
      .with_clean_session(true)
      .with_keep_alive_seconds(spec.keepAliveSeconds ?? 1200)
      .with_socket_options(socketOptions(spec))
      // A PUBACK or UNSUBACK that never comes fails its operation instead of holding the command.
      .with_protocol_operation_timeout_ms(OPERATION_TIMEOUT_MS)
      // The SDK would reconnect on its own; hold it off long enough for stop() to win.
      .with_reconnect_min_sec(120)
      .with_reconnect_max_sec(120);
    const config = builder.build();
    if (spec.auth === 'sigv4') config.websocket_handshake_transform = sigv4Transform(spec, (e) => (this.credentialsError = e));
    const conn = new mqtt.MqttClient().new_connection(config);
    conn.on('message', (topic: string, payload: ArrayBuffer, _dup: boolean, qos: number, retain: boolean) =>
      events.message({ topic, payload: toBuffer(payload), qos, retain, receivedAt: Date.now() }),
    );
    conn.on('interrupt', (err: unknown) => this.dropped(failureOf(err)));
    conn.on('closed', () => this.dropped({ name: 'AWS_IO_SOCKET_CLOSED', message: 'connection closed' }));
    this.conn = conn;
  }

  private dropped(failure: DriverFailure): void {
    if (this.state !== 'up') return;
    this.state = 'down';
    this.events.lost(failure);
    // Stop the SDK's automatic reconnection; the session is over.
    this.conn?.disconnect().catch(() => {});
  }

  private connecting?: Promise<boolean>;

  async connect(): Promise<{ sessionPresent: boolean }> {
    this.state = 'connecting';
    try {
      this.connecting = this.conn!.connect();
      const sessionPresent = await this.connecting;
      if (this.state === 'connecting') this.state = 'up';
      return { sessionPresent };
    } catch (err) {
      this.state = 'down';
      throw failureOf(err, this.credentialsError ? { credentialsError: this.credentialsError } : {});
    }
  }

  publish(m: OutgoingMessage, done: PublishCallback): void {
    this.conn!.publish(m.topic, m.payload, m.qos, m.retain === true).then(
      () => done(undefined, SUCCESS),
      (err: unknown) => done(err ?? 'publish failed'),
    );
  }

  async flush(): Promise<void> {
    await this.conn!.unsubscribe(FLUSH_FILTER);
  }

  async subscribe(filter: string, qos: QoS): Promise<AckResult> {
    const r = await this.conn!.subscribe(filter, qos);
    // The 3.1.1 SDK resolves a refused subscription with qos 128 (SUBACK 0x80).
    return { code: r.qos };
  }

  async stop(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.conn = undefined;
    // disconnect() alone: close() after it throws "already closed" (the SDK closes on 'closed').
    if (wasUp) await conn.disconnect().catch(() => {});
  }

  abandon(): void {
    const conn = this.conn;
    this.state = 'down';
    this.conn = undefined;
    // The attempt cannot be cancelled; should it still succeed, hang up at once.
    this.connecting?.then(
      () => conn?.disconnect().catch(() => {}),
      () => {},
    );
  }
}

// ------------------------------------------------------------------- MQTT 5

class Driver5 implements Driver {
  private client?: import('aws-iot-device-sdk-v2').mqtt5.Mqtt5Client;
  private state: 'new' | 'connecting' | 'up' | 'down' = 'new';
  private credentialsError?: unknown;
  private stopped?: Promise<void>;

  constructor(
    private readonly spec: ConnectionSpec,
    material: TlsMaterial,
    private readonly events: DriverEvents,
  ) {
    const { iot, mqtt5, auth } = sdk;
    const builder =
      spec.auth === 'mtls'
        ? iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(spec.endpoint, material.certPem!, material.keyPem!)
        : iot.AwsIotMqtt5ClientConfigBuilder.newWebsocketMqttBuilderWithSigv4Auth(spec.endpoint, {
            region: spec.region,
            // Replaced below by a transform that asks for credentials on every handshake.
            credentialsProvider: auth.AwsCredentialsProvider.newStatic('unused', 'unused'),
          });
    if (material.caPem) builder.withCertificateAuthority(material.caPem);
    builder
      .withPort(spec.port)
      .withConnectProperties({ clientId: spec.clientId, keepAliveIntervalSeconds: spec.keepAliveSeconds ?? 1200 })
      .withSessionBehavior(mqtt5.ClientSessionBehavior.Clean)
      .withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect)
      // iotctl paces publishes itself (pacing.ts), so --rate can lift the AWS defaults locally.
      .withExtendedValidationAndFlowControlOptions(mqtt5.ClientExtendedValidationAndFlowControl.None)
      .withConnackTimeoutMs(spec.connectTimeoutMs)
      .withAckTimeoutSeconds(OPERATION_TIMEOUT_MS / 1000)
      .withSocketOptions(socketOptions(spec))
      .withMinReconnectDelayMs(120_000)
      .withMaxReconnectDelayMs(120_000);
    const config = builder.build();
    if (spec.auth === 'sigv4') config.websocketHandshakeTransform = sigv4Transform(spec, (e) => (this.credentialsError = e));
    const client = new mqtt5.Mqtt5Client(config);
    client.on('messageReceived', (e) => {
      const p = e.message;
      events.message({ topic: p.topicName, payload: toBuffer(p.payload as ArrayBuffer | undefined), qos: p.qos, retain: p.retain === true, receivedAt: Date.now(), properties: propertiesOf(p) });
    });
    client.on('disconnection', (e) => {
      if (this.state !== 'up') return;
      this.state = 'down';
      const d = e.disconnect;
      events.lost(failureOf(e.error, d ? { disconnect: { code: d.reasonCode, reasonString: d.reasonString } } : {}));
      void this.stop();
    });
    this.client = client;
  }

  connect(): Promise<{ sessionPresent: boolean }> {
    const client = this.client!;
    this.state = 'connecting';
    return new Promise((resolve, reject) => {
      const onSuccess = (e: import('aws-iot-device-sdk-v2').mqtt5.ConnectionSuccessEvent) => {
        client.off('connectionFailure', onFailure);
        this.state = 'up';
        resolve({ sessionPresent: e.connack.sessionPresent });
      };
      const onFailure = (e: import('aws-iot-device-sdk-v2').mqtt5.ConnectionFailureEvent) => {
        client.off('connectionSuccess', onSuccess);
        this.state = 'down';
        const extra: Partial<DriverFailure> = {};
        if (e.connack) extra.connack = { code: e.connack.reasonCode, reasonString: e.connack.reasonString };
        if (this.credentialsError) extra.credentialsError = this.credentialsError;
        reject(failureOf(e.error, extra));
        // The client retries forever on its own; one failure is the answer.
        void this.stop();
      };
      client.once('connectionSuccess', onSuccess);
      client.once('connectionFailure', onFailure);
      client.start();
    });
  }

  publish(m: OutgoingMessage, done: PublishCallback): void {
    const packet: import('aws-iot-device-sdk-v2').mqtt5.PublishPacket = { topicName: m.topic, payload: m.payload, qos: m.qos };
    if (m.retain) packet.retain = true;
    // The native binding fails ("storage init failure") on properties present but undefined.
    const p = m.properties;
    if (p) {
      if (p.contentType !== undefined) packet.contentType = p.contentType;
      if (p.responseTopic !== undefined) packet.responseTopic = p.responseTopic;
      if (p.correlationData !== undefined) packet.correlationData = p.correlationData;
      if (p.messageExpirySeconds !== undefined) packet.messageExpiryIntervalSeconds = p.messageExpirySeconds;
      if (p.userProperties?.length) packet.userProperties = p.userProperties;
      if (p.payloadFormatUtf8) packet.payloadFormat = sdk.mqtt5.PayloadFormatIndicator.Utf8;
    }
    this.client!.publish(packet).then(
      (r) => done(undefined, r ? { code: r.reasonCode, reasonString: r.reasonString } : SUCCESS),
      (err: unknown) => done(err ?? 'publish failed'),
    );
  }

  async flush(): Promise<void> {
    await this.client!.unsubscribe({ topicFilters: [FLUSH_FILTER] });
  }

  async subscribe(filter: string, qos: QoS): Promise<AckResult> {
    const r = await this.client!.subscribe({ subscriptions: [{ topicFilter: filter, qos }] });
    return { code: r.reasonCodes[0] ?? 0x80, reasonString: r.reasonString };
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const client = this.client;
      this.state = 'down';
      if (!client) return resolve();
      client.once('stopped', () => {
        client.close();
        this.client = undefined;
        // The native client holds the event loop until it is garbage-collected (release.ts).
        collectReleasedClients();
        resolve();
      });
      client.stop({ reasonCode: sdk.mqtt5.DisconnectReasonCode.NormalDisconnection });
    });
    return this.stopped;
  }

  abandon(): void {
    this.state = 'down';
    // stop() takes effect only when the pending attempt fails; nobody waits for it.
    void this.stop();
  }
}

function propertiesOf(p: import('aws-iot-device-sdk-v2').mqtt5.PublishPacket): PublishProperties | undefined {
  if (p.contentType === undefined && p.responseTopic === undefined && p.correlationData === undefined && p.messageExpiryIntervalSeconds === undefined && !p.userProperties?.length && p.payloadFormat === undefined) {
    return undefined;
  }
  return {
    contentType: p.contentType,
    responseTopic: p.responseTopic,
    correlationData: p.correlationData ? toBuffer(p.correlationData as ArrayBuffer) : undefined,
    messageExpirySeconds: p.messageExpiryIntervalSeconds,
    userProperties: p.userProperties?.length ? p.userProperties.map((u) => ({ name: u.name, value: u.value })) : undefined,
    payloadFormatUtf8: p.payloadFormat === sdk.mqtt5.PayloadFormatIndicator.Utf8 ? true : undefined,
  };
}

export function createDriver(spec: ConnectionSpec, material: TlsMaterial, events: DriverEvents): Driver {
  return spec.mqtt === 5 ? new Driver5(spec, material, events) : new Driver311(spec, material, events);
}

/**
 * For --debug: the SDK's own log (TLS, sockets, MQTT) on stderr. Once per
 * process; it cannot be turned off. Its INFO level prints SigV4's canonical
 * request, string to sign and final signature, from which the WebSocket URL
 * can be rebuilt and replayed, and the native logger cannot be filtered from
 * here: so only a mutual-TLS connection (no secret on the wire) logs at INFO;
 * any other logs warnings and errors.
 */
export function enableSdkLogging(auth: ConnectionSpec['auth']): void {
  sdk.io.enable_logging(auth === 'mtls' ? sdk.io.LogLevel.INFO : sdk.io.LogLevel.WARN);
}
