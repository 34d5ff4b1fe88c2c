/** The SigV4 verifier's query (presigned) form, which the MQTT-over-WebSocket upgrade will use. */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, checkSignatureTime, readSignature, verifySignature, type SignableRequest } from '../../src/emulator/sigv4.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE000000000', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FAKE/SESSION+TOKEN==abc' };

function toRequest(presigned: { query?: Record<string, string | string[] | null>; headers: Record<string, string> }, host: string): SignableRequest {
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { method: 'GET', path: '/mqtt', query, headers: { host, connection: 'Upgrade', upgrade: 'websocket' }, bodySha256: EMPTY_SHA256 };
}

async function presign(options: { host: string; withToken: boolean; signedHost?: string }) {
  const signer = new SignatureV4({
    service: 'iotdevicegateway',
    region: 'us-east-1',
    credentials: options.withToken ? credentials : { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: Sha256,
  });
  const [hostname, port] = options.host.split(':');
  const signed = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: hostname!, port: port ? Number(port) : undefined, path: '/mqtt', query: {}, headers: { host: options.signedHost ?? options.host } },
    { expiresIn: 300 },
  );
  // AWS style: the token appended after signing, outside the signature.
  if (!options.withToken) signed.query = { ...signed.query, 'X-Amz-Security-Token': credentials.sessionToken };
  return signed;
}

describe('presigned (query-form) SigV4', () => {
  it('verifies with the token outside the signature (AWS style) and inside it (smithy presign)', async () => {
    for (const withToken of [false, true]) {
      const signed = await presign({ host: '127.0.0.1:18841', withToken });
      const req = toRequest(signed, '127.0.0.1:18841');
      const reading = readSignature(req);
      expect(reading.kind).toBe('signed');
      if (reading.kind !== 'signed') return;
      expect(reading.claim).toMatchObject({ form: 'query', service: 'iotdevicegateway', sessionToken: credentials.sessionToken, expiresSeconds: 300 });
      expect(checkSignatureTime(reading.claim, new Date())).toBeUndefined();
      expect(await verifySignature(req, reading.claim, credentials.secretAccessKey)).toBe(true);
      expect(await verifySignature(req, reading.claim, 'wrong-secret')).toBe(false);
    }
  });

  it('accepts a Host signed without its port (the CRT) while the request carries the port', async () => {
    const signed = await presign({ host: '127.0.0.1', withToken: false });
    const req = toRequest(signed, '127.0.0.1:18841');
    const reading = readSignature(req);
    if (reading.kind !== 'signed') throw new Error('expected a signature');
    expect(await verifySignature(req, reading.claim, credentials.secretAccessKey)).toBe(true);
  });

  it('rejects an expired presigned URL and a missing parameter', async () => {
    const signed = await presign({ host: 'localhost', withToken: false });
    const reading = readSignature(toRequest(signed, 'localhost'));
    if (reading.kind !== 'signed') throw new Error('expected a signature');
    expect(checkSignatureTime(reading.claim, new Date(Date.now() + 301_000))?.code).toBe('InvalidSignatureException');
    const partial = toRequest({ query: { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Date': '20260101T000000Z' }, headers: {} }, 'localhost');
    const bad = readSignature(partial);
    expect(bad.kind).toBe('invalid');
  });

  it('treats a request without any signature as unsigned', () => {
    expect(readSignature({ headers: {}, query: 'a=1' }).kind).toBe('unsigned');
  });
});
