/**
 * The MQTT session as the rest of iotctl sees it. Nothing here loads the
 * device SDK: only driver-crt.ts does, and session.ts imports it lazily.
 */
import type { IotctlError } from '../core/errors.js';

/** 3 means MQTT 3.1.1. */
export type MqttVersion = 3 | 5;
export type AuthMode = 'mtls' | 'sigv4';
export type QoS = 0 | 1;
/** The MQTT client library: the AWS IoT Device SDK v2 (aws-crt) or MQTT.js (pure JavaScript). */
export type DriverName = 'crt' | 'js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Temporary credentials stop working then (Cognito, STS, SSO); a long-term key has none. */
  expiration?: Date;
}

/** Called for every WebSocket handshake, so expiring credentials are refreshed on each (re)connect. */
export type CredentialSource = () => Promise<AwsCredentials>;

/**
 * Everything needed to open one connection. The CLI builds it from a device
 * folder, the profile and flags (resolve.ts); tests build it by hand for
 * mosquitto or the local IoT Core.
 */
export interface ConnectionSpec {
  /** Host name or IP (no scheme, no port). */
  endpoint: string;
  port: number;
  auth: AuthMode;
  mqtt: MqttVersion;
  clientId: string;
  /** Root CA file; otherwise the system trust store. */
  caFile?: string;
  /** mtls: client certificate and private key files (PEM). */
  certFile?: string;
  keyFile?: string;
  /** sigv4: signing region and credentials. */
  region?: string;
  credentials?: CredentialSource;
  /** Give up connecting after this long (TCP, TLS, CONNACK). */
  connectTimeoutMs: number;
  keepAliveSeconds?: number;
  /** For diagnostics: the principal (certificate ARN or id) to name in `iotctl policy test`. */
  principal?: string;
  /** For diagnostics: the `iotctl policy test` flags that find this principal's policies (see DenialContext.checkWith). */
  checkWith?: string[];
  /** Unset: the device SDK where aws-crt loads, else MQTT.js (drivers.ts). */
  driver?: DriverName;
}

export interface UserProperty {
  name: string;
  value: string;
}

/** MQTT 5 PUBLISH properties (refused on 3.1.1 before connecting). */
export interface PublishProperties {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  messageExpirySeconds?: number;
  userProperties?: UserProperty[];
  payloadFormatUtf8?: boolean;
}

export interface OutgoingMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  /** Date.now() when it arrived. */
  receivedAt: number;
  properties?: PublishProperties;
}

export interface SessionInfo {
  clientId: string;
  version: MqttVersion;
  endpoint: string;
  port: number;
  auth: AuthMode;
  sessionPresent: boolean;
}

/**
 * One connection's lifetime. It does not reconnect by itself: when the
 * connection is lost, `onLost` fires once (with the diagnosis) and the session
 * is over; `iotctl tail` opens a new one with its own backoff.
 */
export interface MqttSession {
  readonly info: SessionInfo;
  /** Resolves when written (QoS 0) or acknowledged (QoS 1); rejects with a diagnosed IotctlError. */
  publish(message: OutgoingMessage): Promise<void>;
  /** The same with a callback (called exactly once), for streams of messages: no promise per message. */
  send(message: OutgoingMessage, done: (error?: IotctlError) => void): void;
  /**
   * Resolves once the broker has processed every message sent before. QoS 0
   * needs it: the 3.1.1 client reports a QoS 0 publish done when it is queued
   * for the socket, so without it a fast stream piles up in native memory.
   */
  flush(): Promise<void>;
  /** Resolves with the granted QoS; rejects ("subscription refused") when the broker refuses the filter. */
  subscribe(filter: string, qos: QoS): Promise<QoS>;
  onMessage(handler: (message: IncomingMessage) => void): void;
  onLost(handler: (error: IotctlError) => void): void;
  /** Whether the connection is gone (lost or disconnected). */
  readonly closed: boolean;
  /** Sends DISCONNECT (when still connected) and releases the native client. Idempotent. */
  disconnect(): Promise<void>;
}

export interface SessionOptions {
  /** Aborts a pending connect (Ctrl-C). */
  signal?: AbortSignal;
  /** --verbose/--debug lines. */
  log?: (line: string) => void;
  /** Warnings the user should see (stderr, unless --quiet). */
  warn?: (message: string) => void;
  /** --debug: the device SDK's own log on stderr. */
  sdkLogging?: boolean;
}
