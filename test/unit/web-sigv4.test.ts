/**
 * The web app's SigV4 (templates/web/sigv4.js, WebCrypto, what the browser
 * runs) signs exactly as the AWS SDK's signer does: the same presigned MQTT
 * URL (the token appended unsigned) and the same Authorization header, for
 * local and AWS hosts, default and other ports, and a path with encoded slashes.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a browser module of the template, plain JavaScript without types
import { presignUrl, signRequest } from '../../templates/web/sigv4.js';

const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FQoG/token+with==' };
const now = new Date('2026-11-21T04:51:28Z');

describe("the page's presigned MQTT URL", () => {
  it.each([
    ['wss://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com/mqtt', 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com', undefined, 'eu-west-1'],
    ['ws://127.0.0.1:4584/mqtt', '127.0.0.1', 4584, 'us-east-1'],
  ])('%s: the SDK signer\'s signature, the token after it', async (url, hostname, port, region) => {
    const signed: string = await presignUrl({ url, region, credentials, expiresSeconds: 300, now });
    const sdk = await new SignatureV4({ service: 'iotdevicegateway', region, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, sha256: Sha256 }).presign(
      { method: 'GET', protocol: 'wss:', hostname, port, path: '/mqtt', query: {}, headers: { host: port ? `${hostname}:${port}` : hostname } },
      { expiresIn: 300, signingDate: now },
    );
    const q = new URL(signed).searchParams;
    expect(q.get('X-Amz-Signature')).toBe(sdk.query!['X-Amz-Signature']);
    expect(q.get('X-Amz-Credential')).toBe(sdk.query!['X-Amz-Credential']);
    expect(signed.endsWith(`&X-Amz-Security-Token=${encodeURIComponent(credentials.sessionToken)}`)).toBe(true);
  });
});

describe("the page's signed requests", () => {
  it.each([
    ['https://abc123.execute-api.us-east-1.amazonaws.com/prod/register', 'execute-api', 'POST', '{}'],
    ['http://127.0.0.1:4584/register', 'execute-api', 'POST', '{}'],
    ['https://127.0.0.1:4583/retainedMessage/public%2Fsensors%2Fsensor-1', 'iotdata', 'GET', ''],
  ])('%s (%s): the SDK signer\'s Authorization header', async (url, service, method, body) => {
    const headers: Record<string, string> = await signRequest({ method, url, region: 'us-east-1', service, credentials, body, now });
    const u = new URL(url);
    const sdk = await new SignatureV4({ service, region: 'us-east-1', credentials, sha256: Sha256, applyChecksum: false }).sign(
      { method, protocol: u.protocol, hostname: u.hostname, port: u.port ? Number(u.port) : undefined, path: u.pathname, query: {}, headers: { host: u.host }, body },
      { signingDate: now },
    );
    expect(headers.authorization).toBe(sdk.headers.authorization);
    expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
  });
});
