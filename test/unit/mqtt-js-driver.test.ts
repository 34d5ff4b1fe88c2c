/**
 * The MQTT.js driver's pure parts: the presigned WebSocket URL (checked with
 * the local IoT Core's own SigV4 verifier) and how socket errors are named in
 * the CRT's vocabulary that diagnostics.ts reads.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, readSignature, verifySignature } from '../../src/emulator/sigv4.js';
import { failureName } from '../../src/mqtt/driver-js.js';
import { hostHeader, presignMqttUrl } from '../../src/mqtt/sigv4-url.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE000000000', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FAKE/SESSION+TOKEN==abc' };

async function check(url: string, host: string, secret = credentials.secretAccessKey) {
  const u = new URL(url);
  const req = { method: 'GET', path: u.pathname, query: u.search.slice(1), headers: { host }, bodySha256: EMPTY_SHA256 };
  const reading = readSignature(req);
  if (reading.kind !== 'signed') throw new Error(`not signed: ${JSON.stringify(reading)}`);
  return { claim: reading.claim, ok: await verifySignature(req, reading.claim, secret) };
}

describe('the presigned MQTT-over-WebSocket URL', () => {
  it('is signed for iotdevicegateway with the Host the WebSocket client sends, and verifies', async () => {
    const url = await presignMqttUrl({ host: '127.0.0.1', port: 18841, region: 'eu-west-1', credentials });
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:18841\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    const { claim, ok } = await check(url, '127.0.0.1:18841');
    expect(claim).toMatchObject({ form: 'query', service: 'iotdevicegateway', region: 'eu-west-1', sessionToken: credentials.sessionToken });
    expect(ok).toBe(true);
    expect((await check(url, '127.0.0.1:18841', 'wrong-secret')).ok).toBe(false);
  });

  it('appends the session token after signing: the signature verifies without it (AWS rejects a signed token)', async () => {
    const url = await presignMqttUrl({ host: 'example-ats.iot.us-east-1.amazonaws.com', port: 443, region: 'us-east-1', credentials });
    expect(url).toMatch(/&X-Amz-Signature=[0-9a-f]{64}&X-Amz-Security-Token=FAKE%2FSESSION%2BTOKEN%3D%3Dabc$/);
    expect(url).toMatch(/X-Amz-SignedHeaders=host&/);
    const withoutToken = url.replace(/&X-Amz-Security-Token=.*$/, '');
    expect((await check(withoutToken, 'example-ats.iot.us-east-1.amazonaws.com')).ok).toBe(true);
  });

  it('has no token without a session token', async () => {
    const url = await presignMqttUrl({ host: 'h', port: 443, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
    expect(url).not.toMatch(/Security-Token/);
    expect(url.startsWith('wss://h/mqtt?')).toBe(true);
  });

  it('names the port only when it is not 443, and brackets IPv6', () => {
    expect(hostHeader('h', 443)).toBe('h');
    expect(hostHeader('h', 8443)).toBe('h:8443');
    expect(hostHeader('::1', 4582)).toBe('[::1]:4582');
  });
});

describe('socket errors in the CRT vocabulary', () => {
  const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  it.each([
    [err('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), false, 'AWS_IO_SOCKET_CONNECTION_REFUSED'],
    [err('getaddrinfo ENOTFOUND nope', 'ENOTFOUND'), false, 'AWS_IO_DNS_INVALID_NAME'],
    [err('connect EHOSTUNREACH', 'EHOSTUNREACH'), false, 'AWS_IO_SOCKET_NO_ROUTE_TO_HOST'],
    [err('Unexpected server response: 403'), false, 'AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE'],
    [err('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), false, 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE'],
    [err('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), true, 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE'],
    [err('read ECONNRESET', 'ECONNRESET'), false, 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE'],
    [err('read ECONNRESET', 'ECONNRESET'), true, 'AWS_IO_SOCKET_CLOSED'],
    [err('connack timeout'), true, 'AWS_ERROR_MQTT_TIMEOUT'],
    [err('Invalid header flag bits, must be 0x0 for connack packet'), true, 'AWS_ERROR_MQTT_PROTOCOL_ERROR'],
  ])('%s (handshake done: %s) is %s', (e, secured, name) => {
    expect(failureName(e, secured, false)).toBe(name);
  });

  it('a close without an error: a hang-up after the handshake, a refusal during it', () => {
    expect(failureName(undefined, true, false)).toBe('AWS_ERROR_MQTT_UNEXPECTED_HANGUP');
    expect(failureName(undefined, false, false)).toBe('AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE');
  });
});
