/**
 * The presigned URL for MQTT over WebSockets with SigV4, the way AWS IoT wants
 * it (aws-iot-facts.md §5.1): service `iotdevicegateway`, the `host` header
 * signed, an empty payload, and the session token appended AFTER signing (AWS
 * rejects a URL whose signature covers the token). Used by the MQTT.js driver;
 * the CRT driver has aws-crt sign the handshake itself.
 */
import type { AwsCredentials } from './types.js';

export const IOT_WS_SERVICE = 'iotdevicegateway';
const PATH = '/mqtt';

/** The Host header the WebSocket client sends: the port only when it is not the default one. */
export function hostHeader(host: string, port: number): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return port === 443 ? name : `${name}:${port}`;
}

export interface PresignInput {
  host: string;
  port: number;
  region: string;
  credentials: AwsCredentials;
  /** X-Amz-Expires: how long the URL opens a connection (default 300 s, for a handshake made at once). */
  expiresSeconds?: number;
  /** Tests fix the clock. */
  now?: Date;
}

/** `wss://host:port/mqtt?X-Amz-...&X-Amz-Signature=...[&X-Amz-Security-Token=...]`. */
export async function presignMqttUrl(input: PresignInput): Promise<string> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  const { accessKeyId, secretAccessKey, sessionToken } = input.credentials;
  // Signed without the token: it goes on afterwards.
  const signer = new SignatureV4({ service: IOT_WS_SERVICE, region: input.region, credentials: { accessKeyId, secretAccessKey }, sha256: Sha256 });
  const host = hostHeader(input.host, input.port);
  const signed = await signer.presign(
    { method: 'GET', protocol: 'wss:', hostname: input.host, port: input.port, path: PATH, query: {}, headers: { host } },
    // AWS IoT closes SigV4 WebSocket connections after 24 h at the latest; a URL used at once only needs to live through the handshake.
    { expiresIn: input.expiresSeconds ?? 300, signingDate: input.now },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const token = sessionToken ? `&X-Amz-Security-Token=${encodeURIComponent(sessionToken)}` : '';
  return `wss://${host}${PATH}?${query}${token}`;
}
