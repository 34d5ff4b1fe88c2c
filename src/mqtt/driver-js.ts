/**
 * The pure-JavaScript driver, on MQTT.js: for machines aws-crt has no binary
 * for (32-bit ARM: every Pi Zero and Pi 1, and Pis on the 32-bit OS), or when
 * asked for with --driver js. Same Driver contract as driver-crt.ts: one
 * connection, never reconnecting (reconnectPeriod 0), failures named in the
 * CRT's vocabulary so diagnostics.ts reads both drivers alike.
 *
 * The transport stream is built here, not by MQTT.js: mutual TLS offers ALPN
 * x-amzn-mqtt-ca like the device SDK, SigV4 WebSockets use our own presigned
 * URL (credentials asked for on every connect), and every socket error is
 * seen (MQTT.js passes on only those with an errno code, and on a refused
 * WebSocket upgrade it emits just 'close').
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { FLUSH_FILTER, type AckResult, type Driver, type DriverEvents, type DriverFailure, type PublishCallback } from './driver.js';
import type { TlsMaterial } from './preflight.js';
import { presignMqttUrl } from './sigv4-url.js';
import type { ConnectionSpec, IncomingMessage, OutgoingMessage, PublishProperties, QoS } from './types.js';

const require = createRequire(import.meta.url);
// The client class alone: the package index also loads its URL parsing and every transport (about 30 ms more).
const Client = (require('mqtt/lib/client') as { default: typeof MqttClient }).default;

/** What the device SDK offers on mutual TLS (AWS IoT requires it on port 443). */
const MTLS_ALPN = ['x-amzn-mqtt-ca'];
const SUCCESS: AckResult = { code: 0 };

/** Socket errors by errno code, as the CRT names them. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'AWS_IO_SOCKET_CONNECTION_REFUSED',
  ENOTFOUND: 'AWS_IO_DNS_INVALID_NAME',
  EAI_AGAIN: 'AWS_IO_DNS_QUERY_FAILED',
  ETIMEDOUT: 'AWS_IO_SOCKET_TIMEOUT',
  EHOSTUNREACH: 'AWS_IO_SOCKET_NO_ROUTE_TO_HOST',
  ENETUNREACH: 'AWS_IO_SOCKET_NETWORK_DOWN',
  ENETDOWN: 'AWS_IO_SOCKET_NETWORK_DOWN',
};

/**
 * The CRT name for what went wrong. `secured`: the TLS handshake (and the
 * WebSocket upgrade) had completed, so a hang-up is the server closing on us,
 * not TLS refusing.
 */
export function failureName(err: Error | undefined, secured: boolean, mqtt5: boolean): string {
  if (!err) return secured ? 'AWS_ERROR_MQTT_UNEXPECTED_HANGUP' : 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE';
  const code = String((err as NodeJS.ErrnoException).code ?? '');
  if (NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (/^Unexpected server response: \d+/.test(err.message)) return 'AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE';
  if (/^ERR_SSL_|^ERR_TLS_|CERT|^UNABLE_TO_|SELF_SIGNED/.test(code)) return 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE';
  if (code === 'ECONNRESET' || code === 'EPIPE') return secured ? 'AWS_IO_SOCKET_CLOSED' : 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE';
  if (/connack timeout|Keepalive timeout/i.test(err.message)) return 'AWS_ERROR_MQTT_TIMEOUT';
  // mqtt-packet could not parse what the server sent.
  if (!code) return mqtt5 ? 'AWS_ERROR_MQTT5_DECODE_PROTOCOL_ERROR' : 'AWS_ERROR_MQTT_PROTOCOL_ERROR';
  return secured ? 'AWS_IO_SOCKET_CLOSED' : 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toMqttJsProperties(p: PublishProperties): NonNullable<IPublishPacket['properties']> {
  const out: NonNullable<IPublishPacket['properties']> = {};
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = asBuffer(p.correlationData);
  if (p.messageExpirySeconds !== undefined) out.messageExpiryInterval = p.messageExpirySeconds;
  if (p.payloadFormatUtf8) out.payloadFormatIndicator = true;
  if (p.userProperties?.length) {
    // MQTT.js takes an object: a name given more than once carries its values as an array.
    const users: Record<string, string | string[]> = {};
    for (const { name, value } of p.userProperties) {
      const seen = users[name];
      users[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    out.userProperties = users;
  }
  return out;
}

function fromMqttJsProperties(p: IPublishPacket['properties']): PublishProperties | undefined {
  if (!p) return undefined;
  const users = Object.entries(p.userProperties ?? {}).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ name, value })));
  const out: PublishProperties = {
    contentType: p.contentType,
    responseTopic: p.responseTopic,
    correlationData: p.correlationData,
    messageExpirySeconds: p.messageExpiryInterval,
    userProperties: users.length ? users : undefined,
    payloadFormatUtf8: p.payloadFormatIndicator ? true : undefined,
  };
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

type Reason = { code: number; reasonString?: string };

class JsDriver implements Driver {
  private client?: MqttClient;
  private state: 'new' | 'connecting' | 'up' | 'down' = 'new';
  /** The TLS handshake (and WebSocket upgrade) completed. */
  private secured = false;
  /** The first error the socket or MQTT.js reported. */
  private error?: Error;
  private connack?: Reason;
  private disconnect?: Reason;

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly material: TlsMaterial,
    private readonly events: DriverEvents,
  ) {}

  private mtlsStream(): Duplex {
    const { spec, material } = this;
    const socket = tls.connect({
      host: spec.endpoint,
      port: spec.port,
      // SNI for names only (node refuses an IP as servername).
      servername: net.isIP(spec.endpoint) ? undefined : spec.endpoint,
      ca: material.caPem,
      cert: material.certPem,
      key: material.keyPem,
      ALPNProtocols: MTLS_ALPN,
      rejectUnauthorized: true,
    });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => (this.secured = true));
    socket.on('error', (e) => (this.error ??= e));
    return socket;
  }

  private async wssStream(): Promise<() => Duplex> {
    const { spec, material } = this;
    const url = await presignMqttUrl({ host: spec.endpoint, port: spec.port, region: spec.region!, credentials: await spec.credentials!() });
    const { default: WebSocket, createWebSocketStream } = await import('ws');
    return () => {
      const ws = new WebSocket(url, ['mqtt'], { ca: material.caPem, rejectUnauthorized: true, perMessageDeflate: false, handshakeTimeout: spec.connectTimeoutMs });
      ws.once('upgrade', (res) => res.socket.setNoDelay(true));
      ws.once('open', () => (this.secured = true));
      ws.on('error', (e) => (this.error ??= e));
      const stream = createWebSocketStream(ws);
      stream.on('error', (e) => (this.error ??= e));
      // When the server closes, the stream only ends its readable side, and MQTT.js waits for 'close' to see a hang-up.
      stream.once('end', () => stream.destroy());
      return stream;
    };
  }

  async connect(): Promise<{ sessionPresent: boolean }> {
    const { spec } = this;
    this.state = 'connecting';
    let build: () => Duplex;
    if (spec.auth === 'sigv4') {
      try {
        build = await this.wssStream();
      } catch (err) {
        this.state = 'down';
        throw { name: 'AWS_AUTH_SIGNING_NO_CREDENTIALS', message: (err as Error).message ?? String(err), credentialsError: err } satisfies DriverFailure;
      }
      if (this.state !== 'connecting') throw { message: 'abandoned' } satisfies DriverFailure;
    } else build = () => this.mtlsStream();

    const options: IClientOptions = {
      protocolVersion: spec.mqtt === 5 ? 5 : 4,
      clientId: spec.clientId,
      clean: true,
      keepalive: spec.keepAliveSeconds ?? 1200,
      // One connection: a loss is reported, never repaired here.
      reconnectPeriod: 0,
      connectTimeout: spec.connectTimeoutMs,
      queueQoSZero: false,
      resubscribe: false,
      manualConnect: true,
    };
    // MQTT.js logs every packet through `debug`; even switched off, those calls cost about 4% of a long stream.
    if (!sdkLogging) options.log = () => {};
    const client = new Client(() => build(), options);
    this.client = client;
    client.on('error', (e) => (this.error ??= e));
    client.on('packetreceive', (p: Packet) => {
      if (p.cmd === 'connack') this.connack = { code: (spec.mqtt === 5 ? p.reasonCode : p.returnCode) ?? 0, reasonString: p.properties?.reasonString };
      else if (p.cmd === 'disconnect') this.disconnect = { code: p.reasonCode ?? 0, reasonString: p.properties?.reasonString };
    });
    client.on('message', (topic, payload, packet) =>
      this.events.message({ topic, payload, qos: packet.qos, retain: packet.retain, receivedAt: Date.now(), properties: fromMqttJsProperties(packet.properties) } satisfies IncomingMessage),
    );
    return new Promise((resolve, reject) => {
      client.once('connect', (connack) => {
        if (this.state !== 'connecting') return;
        this.state = 'up';
        resolve({ sessionPresent: connack.sessionPresent === true });
      });
      client.on('close', () => {
        if (this.state === 'connecting') {
          this.state = 'down';
          reject(this.connectFailure());
        } else if (this.state === 'up') {
          this.state = 'down';
          const e = this.error;
          const failure: DriverFailure = { name: failureName(e, true, spec.mqtt === 5), message: e?.message ?? 'connection closed' };
          if (this.disconnect) failure.disconnect = this.disconnect;
          this.events.lost(failure);
        }
      });
      client.connect();
    });
  }

  private connectFailure(): DriverFailure {
    const { connack, error } = this;
    if (connack && connack.code !== 0) {
      // MQTT 5 reason codes go to the session as they are; 3.1.1 return codes the CRT reports as a protocol error.
      return this.spec.mqtt === 5
        ? { message: error?.message ?? `CONNACK ${connack.code}`, connack }
        : { name: 'AWS_ERROR_MQTT_PROTOCOL_ERROR', message: error?.message ?? `CONNACK return code ${connack.code}` };
    }
    return { name: failureName(error, this.secured, this.spec.mqtt === 5), message: error?.message ?? 'connection closed before CONNACK' };
  }

  publish(m: OutgoingMessage, done: PublishCallback): void {
    const options: IClientPublishOptions = { qos: m.qos, retain: m.retain === true };
    if (m.properties && this.spec.mqtt === 5) options.properties = toMqttJsProperties(m.properties);
    this.client!.publish(m.topic, asBuffer(m.payload), options, (err, packet) => {
      const ack = packet as { reasonCode?: number; properties?: { reasonString?: string } } | undefined;
      // A PUBACK with a failure reason code comes as an error with the packet: it is an answer, not a failure to send.
      if (err && !(ack && typeof (err as { code?: unknown }).code === 'number')) return done(err);
      done(undefined, ack?.reasonCode ? { code: ack.reasonCode, reasonString: ack.properties?.reasonString } : SUCCESS);
    });
  }

  subscribe(filter: string, qos: QoS): Promise<AckResult> {
    return new Promise((resolve, reject) => {
      this.client!.subscribe(filter, { qos }, (err, _granted, packet) => {
        // A refusal (SUBACK 0x80 / 0x87...) comes as an error carrying the SUBACK.
        const code = packet?.granted?.[0];
        if (typeof code === 'number') resolve({ code, reasonString: packet?.properties?.reasonString });
        else reject(err ?? new Error('no SUBACK'));
      });
    });
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.client!.unsubscribe(FLUSH_FILTER, (err?: Error) => (err ? reject(err) : resolve())));
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const wasUp = this.state === 'up';
    this.state = 'down';
    if (!wasUp) {
      client.end(true);
      return;
    }
    // The session has already failed what is still in flight; MQTT.js would wait for it before DISCONNECT.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    await new Promise<void>((resolve) => {
      // A server that never closes its side does not hold us.
      const timer = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, 1000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  abandon(): void {
    this.state = 'down';
    this.client?.end(true);
    this.client = undefined;
  }
}

export function createDriver(spec: ConnectionSpec, material: TlsMaterial, events: DriverEvents): Driver {
  return new JsDriver(spec, material, events);
}

let sdkLogging = false;

/**
 * For --debug: MQTT.js's own log (every packet) on stderr, through its `debug` dependency. It holds
 * no secret on either transport: the key and the presigned URL stay in our stream builders.
 */
export function enableSdkLogging(): void {
  sdkLogging = true;
  const debug = createRequire(require.resolve('mqtt'))('debug') as { enable(namespaces: string): void };
  debug.enable('mqttjs*');
}
