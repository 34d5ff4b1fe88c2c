/**
 * Helpers for the data-plane tests: an ephemeral local IoT Core that records
 * its auth log, devices made through the control plane (the SDK), and MQTT.js
 * clients over mutual TLS and over SigV4-presigned WebSockets.
 */
import { readFileSync } from 'node:fs';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
} from '@aws-sdk/client-iot';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt, { type IClientOptions, type MqttClient, type IPublishPacket } from 'mqtt';
import type { AuthLogEvent, EmulatorOptions } from '../../src/emulator/index.js';
import { DEFAULT_EC, createCsr, generateKeyPair, privateKeyToPem } from '../../src/pki/index.js';
import { startEmulator, type Credentials, type TestEmulator } from './emulator.js';

export interface BrokerTest extends TestEmulator {
  ca: Buffer;
  events: AuthLogEvent[];
  /** Resolves with the first auth event (already seen or coming) that matches. */
  event(match: (e: AuthLogEvent) => boolean, timeoutMs?: number): Promise<AuthLogEvent>;
}

export async function startBrokerTest(options: Partial<EmulatorOptions> = {}): Promise<BrokerTest> {
  const events: AuthLogEvent[] = [];
  const waiters: { match: (e: AuthLogEvent) => boolean; resolve: (e: AuthLogEvent) => void }[] = [];
  const t = await startEmulator({
    ...options,
    log: {
      ...options.log,
      auth: (e) => {
        events.push(e);
        for (const w of [...waiters]) {
          if (w.match(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      },
    },
  });
  return {
    ...t,
    ca: readFileSync(t.emulator.endpoints.caFile),
    events,
    event(match, timeoutMs = 5000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching auth event; saw: ${JSON.stringify(events.map((e) => [e.event, e.action, e.reason]))}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

export const ALLOW_ALL_MQTT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] };

let seq = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

export interface Device {
  certificateId: string;
  certificateArn: string;
  cert: string;
  key: string;
  policyName?: string;
}

/**
 * A registered certificate with a policy (document or name) attached, and
 * optionally a thing. By default an EC key and CSR made here
 * (CreateCertificateFromCsr, fast); `awsKeys` uses CreateKeysAndCertificate (RSA, subject CN=AWS IoT Certificate).
 */
export async function createDevice(t: Pick<TestEmulator, 'iot'>, options: { policy?: object | string; thingName?: string; active?: boolean; awsKeys?: boolean; subject?: string } = {}): Promise<Device> {
  const setAsActive = options.active ?? true;
  let device: Device;
  if (options.awsKeys) {
    const keys = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive }));
    device = { certificateId: keys.certificateId!, certificateArn: keys.certificateArn!, cert: keys.certificatePem!, key: keys.keyPair!.PrivateKey! };
  } else {
    const keyPair = await generateKeyPair(DEFAULT_EC);
    const csr = await createCsr({ keyPair, subject: options.subject ?? 'CN=test device' });
    const out = await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive }));
    device = { certificateId: out.certificateId!, certificateArn: out.certificateArn!, cert: out.certificatePem!, key: privateKeyToPem(keyPair.privateKey) };
  }
  if (options.policy !== undefined) {
    let policyName: string;
    if (typeof options.policy === 'string') policyName = options.policy;
    else {
      policyName = unique('policy');
      await t.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(options.policy) }));
    }
    await t.iot.send(new AttachPolicyCommand({ policyName, target: device.certificateArn }));
    device.policyName = policyName;
  }
  if (options.thingName) {
    await t.iot.send(new CreateThingCommand({ thingName: options.thingName }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: options.thingName, principal: device.certificateArn }));
  }
  return device;
}

/** Connects and resolves once CONNACK arrived; a close or error before that rejects (MQTT.js emits only 'close' on some refusals). */
export function connected(client: MqttClient): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => (err?: Error) => {
      client.removeAllListeners('connect');
      client.end(true);
      reject(Object.assign(new Error(`${why}${err ? `: ${err.message}` : ''}`), { cause: err, code: (err as { code?: unknown } | undefined)?.code }));
    };
    client.once('connect', () => {
      client.removeListener('close', onClose);
      client.removeListener('error', onError);
      resolve(client);
    });
    const onClose = fail('closed before CONNACK');
    const onError = fail('error before CONNACK');
    client.once('close', onClose);
    client.once('error', onError);
  });
}

export function tlsClient(t: BrokerTest, device: Pick<Device, 'cert' | 'key'> | undefined, options: IClientOptions = {}): MqttClient {
  const { port } = t.emulator.endpoints.mqtt;
  return watch(mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    ca: t.ca,
    ...(device ? { cert: device.cert, key: device.key } : {}),
    clientId: unique('client'),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  }));
}

export const connectTls = (t: BrokerTest, device: Pick<Device, 'cert' | 'key'> | undefined, options: IClientOptions = {}) => connected(tlsClient(t, device, options));

export interface PresignOptions {
  credentials?: Credentials;
  service?: string;
  /** Sign Host without its port, as the CRT does. */
  bareHost?: boolean;
  /** Put the session token inside the signature (smithy's way) instead of appending it unsigned (AWS's way). */
  signToken?: boolean;
  signingDate?: Date;
  expiresIn?: number;
}

/** A SigV4-presigned wss:// URL for the broker's /mqtt, built with @smithy/signature-v4. */
export async function presignedUrl(t: BrokerTest, options: PresignOptions = {}): Promise<string> {
  const { port } = t.emulator.endpoints.ws;
  const creds = options.credentials ?? t.emulator.credentials;
  const signer = new SignatureV4({
    service: options.service ?? 'iotdevicegateway',
    region: t.emulator.endpoints.region,
    credentials: options.signToken ? creds : { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    sha256: Sha256,
  });
  const host = options.bareHost ? '127.0.0.1' : `127.0.0.1:${port}`;
  const signed = await signer.presign(
    { method: 'GET', protocol: 'wss:', hostname: '127.0.0.1', port, path: '/mqtt', query: {}, headers: { host } },
    { expiresIn: options.expiresIn ?? 300, signingDate: options.signingDate },
  );
  const query = { ...(signed.query as Record<string, string>) };
  if (!options.signToken && creds.sessionToken) query['X-Amz-Security-Token'] = creds.sessionToken;
  const search = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `wss://127.0.0.1:${port}/mqtt?${search}`;
}

export function wsClient(t: BrokerTest, url: string, options: IClientOptions = {}): MqttClient {
  return watch(mqtt.connect(url, { ca: t.ca, clientId: unique('ws'), reconnectPeriod: 0, connectTimeout: 5000, ...options }));
}

export async function connectWss(t: BrokerTest, presign: PresignOptions = {}, options: IClientOptions = {}): Promise<MqttClient> {
  return connected(wsClient(t, await presignedUrl(t, presign), options));
}

const closes = new WeakMap<MqttClient, Promise<void>>();

/** Remembers the client's first close, so a test can wait for it after the fact. */
function watch(client: MqttClient): MqttClient {
  closes.set(client, new Promise((resolve) => client.once('close', () => resolve())));
  return client;
}

/** Resolves when the client's connection closes (or has closed). */
export function closed(client: MqttClient, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection was not closed')), timeoutMs);
    void closes.get(client)!.then(() => (clearTimeout(timer), resolve()));
  });
}

/** The next message on a topic (any topic when omitted). */
export function nextMessage(client: MqttClient, topic?: string, timeoutMs = 5000): Promise<{ topic: string; payload: string; packet: IPublishPacket }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      reject(new Error(`no message${topic ? ` on ${topic}` : ''}`));
    }, timeoutMs);
    const onMessage = (t: string, payload: Buffer, packet: IPublishPacket) => {
      if (topic !== undefined && t !== topic) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve({ topic: t, payload: payload.toString(), packet });
    };
    client.on('message', onMessage);
  });
}

/** Collects every message until `stop` resolves. */
export function collect(client: MqttClient): { messages: { topic: string; payload: string; retain: boolean }[]; stop(): void } {
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  const on = (topic: string, payload: Buffer, packet: IPublishPacket) => messages.push({ topic, payload: payload.toString(), retain: packet.retain });
  client.on('message', on);
  return { messages, stop: () => client.removeListener('message', on) };
}

/** The QoS granted per filter, 128 for a refused one (MQTT.js rejects when any is refused; the SUBACK is on the error). */
export async function subscribe(client: MqttClient, filter: string | string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filter, { qos });
    return granted.map((g) => g.qos);
  } catch (err) {
    const suback = (err as { packet?: { granted?: number[] } }).packet;
    if (suback?.granted) return suback.granted;
    throw err;
  }
}

export async function end(...clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
}
