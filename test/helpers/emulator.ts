/** Test helpers for the local IoT Core: an ephemeral emulator with SDK clients, and raw (signed or unsigned) requests. */
import { Sha256 } from '@aws-crypto/sha256-js';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { IAMClient } from '@aws-sdk/client-iam';
import { IoTClient } from '@aws-sdk/client-iot';
import { SignatureV4 } from '@smithy/signature-v4';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface TestEmulator {
  emulator: Emulator;
  iot: IoTClient;
  cognito: CognitoIdentityClient;
  endpoint: string;
  close(): Promise<void>;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function iotClient(emulator: Emulator, credentials: Credentials = emulator.credentials, extra: Record<string, unknown> = {}): IoTClient {
  return new IoTClient({ endpoint: emulator.endpoints.controlPlane, region: emulator.endpoints.region, credentials, maxAttempts: 1, ...extra });
}

export function cognitoClient(emulator: Emulator, credentials: Credentials = emulator.credentials, extra: Record<string, unknown> = {}): CognitoIdentityClient {
  return new CognitoIdentityClient({ endpoint: emulator.endpoints.controlPlane, region: emulator.endpoints.region, credentials, maxAttempts: 1, ...extra });
}

export function iamClient(emulator: Emulator, credentials: Credentials = emulator.credentials, extra: Record<string, unknown> = {}): IAMClient {
  return new IAMClient({ endpoint: emulator.endpoints.controlPlane, region: emulator.endpoints.region, credentials, maxAttempts: 1, ...extra });
}

export async function startEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const emulator = await createEmulator({ ephemeral: true, ports: { http: 0, mqtt: 0, ws: 0, https: 0 }, ...options });
  const iot = iotClient(emulator);
  const cognito = cognitoClient(emulator);
  return {
    emulator,
    iot,
    cognito,
    endpoint: emulator.endpoints.controlPlane,
    async close() {
      iot.destroy();
      cognito.destroy();
      await emulator.close();
    },
  };
}

/** The SDK error a promise rejects with (fails the test if it resolves). */
export async function sdkError(promise: Promise<unknown>): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number }; [k: string]: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected the call to fail');
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

async function toRaw(res: Response): Promise<RawResponse> {
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function rawRequest(endpoint: string, path: string, init: RequestInit = {}): Promise<RawResponse> {
  return toRaw(await fetch(new URL(path, endpoint), init));
}

export interface SignOptions {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  service?: string;
  region?: string;
  credentials: Credentials;
  signingDate?: Date;
  /** Sign without sending x-amz-content-sha256, as the AWS CLI does. */
  cliStyle?: boolean;
}

/** Signs with @smithy/signature-v4 (as the SDK does) and sends with fetch. */
export async function signedRequest(endpoint: string, options: SignOptions): Promise<RawResponse> {
  const url = new URL(endpoint);
  // applyChecksum false: no x-amz-content-sha256 header, the body hash is only inside the signature (the AWS CLI's way).
  const signer = new SignatureV4({
    service: options.service ?? 'iot',
    region: options.region ?? 'us-east-1',
    credentials: options.credentials,
    sha256: Sha256,
    applyChecksum: !options.cliStyle,
  });
  const body = options.body;
  const headers: Record<string, string> = { host: url.host, ...options.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const signed = await signer.sign(
    { method: options.method ?? 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: options.path, query: options.query ?? {}, headers, body },
    { signingDate: options.signingDate },
  );
  const search = new URLSearchParams(options.query ?? {}).toString().replace(/\+/g, '%20');
  const sent = { ...signed.headers };
  delete sent.host;
  return toRaw(await fetch(`${endpoint}${options.path}${search ? `?${search}` : ''}`, { method: options.method ?? 'GET', headers: sent, body }));
}

export const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
