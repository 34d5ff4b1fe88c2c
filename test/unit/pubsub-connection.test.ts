import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IotctlError } from '../../src/core/errors.js';
import type { DeviceFolder } from '../../src/device/folder.js';
import { connectFailure, crtErrorName, likelyDenied, policyTestCommand, refused, tlsFailure } from '../../src/mqtt/diagnostics.js';
import { shellQuote } from '../../src/core/shell.js';
import { checkTlsMaterial } from '../../src/mqtt/preflight.js';
import { parseEndpoint, resolveConnection, type ResolveDeps } from '../../src/mqtt/resolve.js';
import { regionOfIotHost as regionFromHost } from '../../src/core/aws-ids.js';
import { classifyTlsError } from '../../src/mqtt/tls-probe.js';
import { isFatal } from '../../src/messaging/subscribe.js';
import { IotctlError as ErrorClass } from '../../src/core/errors.js';
import { createCertificateAuthority, generateKeyPair, issueCertificate, privateKeyToPem } from '../../src/pki/index.js';

describe('diagnostics', () => {
  const ctx = { clientId: 'pi01', auth: 'mtls' as const, principal: 'arn:aws:iot:eu-west-1:123456789012:cert/abc' };

  it('finds the CRT error name in a CrtError, an Error or the string the 3.1.1 client rejects with', () => {
    expect(crtErrorName({ error_name: 'AWS_IO_SOCKET_TIMEOUT' })).toBe('AWS_IO_SOCKET_TIMEOUT');
    expect(crtErrorName('Failed to connect: aws-c-io: AWS_IO_SOCKET_CONNECTION_REFUSED, socket connection refused.')).toBe('AWS_IO_SOCKET_CONNECTION_REFUSED');
    expect(crtErrorName(new Error('libaws-c-mqtt: AWS_ERROR_MQTT_UNEXPECTED_HANGUP, x'))).toBe('AWS_ERROR_MQTT_UNEXPECTED_HANGUP');
    expect(crtErrorName('nothing here')).toBeUndefined();
  });

  it('quotes shell words that need it', () => {
    expect(shellQuote('dt/pi01/temp')).toBe('dt/pi01/temp');
    expect(shellQuote('dt/+/temp')).toBe('dt/+/temp');
    expect(shellQuote('dt/#')).toBe("'dt/#'");
    expect(shellQuote('$aws/things/x/shadow/update')).toBe("'$aws/things/x/shadow/update'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('names the policy test command for each operation', () => {
    expect(policyTestCommand('connect', ctx)).toBe('iotctl policy test --principal arn:aws:iot:eu-west-1:123456789012:cert/abc --action iot:Connect --resource pi01 --client-id pi01');
    expect(policyTestCommand('subscribe', { ...ctx, topic: 'cmd/#' })).toBe("iotctl policy test --principal arn:aws:iot:eu-west-1:123456789012:cert/abc --action iot:Subscribe --resource 'cmd/#' --client-id pi01");
    expect(policyTestCommand('publish', { ...ctx, topic: 'dt/x', retain: true })).toContain('--action iot:RetainPublish --resource dt/x');
    expect(policyTestCommand('publish', { clientId: 'c', auth: 'mtls', topic: 't' })).toContain("--principal '<certificate ARN or id>'");
    expect(policyTestCommand('publish', { clientId: 'c', auth: 'sigv4', topic: 't' })).toContain("--principal '<Cognito identity id>'");
    // A device folder or the command line's profile goes into the check, so it runs as printed.
    expect(policyTestCommand('publish', { ...ctx, topic: 't', checkWith: ['--device', './pi01'] })).toBe('iotctl policy test --device ./pi01 --action iot:Publish --resource t --client-id pi01');
    expect(policyTestCommand('connect', { ...ctx, checkWith: ['--profile', 'local', '--principal', 'arn:x'] })).toBe('iotctl policy test --profile local --principal arn:x --action iot:Connect --resource pi01 --client-id pi01');
  });

  it('says which operation was denied when the server hangs up (for CONNECT, which one most likely was)', () => {
    const e = likelyDenied('publish', { ...ctx, topic: 'dt/other' }, 12);
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(
      'The server closed the connection in answer to PUBLISH to "dt/other" (12 ms later) instead of acknowledging it: on MQTT 3.1.1 that is how AWS IoT refuses it, so iot:Publish on "dt/other" for client id "pi01" was denied.',
    );
    expect(e.hint).toContain('iotctl policy test --principal arn:aws:iot:eu-west-1:123456789012:cert/abc --action iot:Publish --resource dt/other --client-id pi01');
    const c = likelyDenied('connect', ctx);
    expect(c.message).toBe('The server closed the connection in answer to CONNECT: most likely iot:Connect for client id "pi01" was denied.');
    expect(c.hint).toContain('not registered or not ACTIVE');
    expect(likelyDenied('subscribe', { ...ctx, topic: 'a/#' }).message).toContain('SUBSCRIBE to "a/#"');
  });

  it('on MQTT 5, where a refusal has a reason code, calls a bare hang-up after PUBLISH only the likely cause', () => {
    const e = likelyDenied('publish', { ...ctx, mqtt: 5, topic: 'dt/other' }, 2);
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe('The server closed the connection in answer to PUBLISH to "dt/other" (2 ms later) with no reason code: most likely iot:Publish on "dt/other" for client id "pi01" was denied.');
  });

  it('reports a SUBACK failure as "subscription refused", never as QoS 128', () => {
    const e = refused('subscribe', { ...ctx, topic: 'secret/#' }, 0x80, 'SUBACK');
    expect(e.code).toBe('SUBSCRIPTION_REFUSED');
    expect(e.message).toBe('Subscription refused for "secret/#" (client id "pi01"): the broker returned failure (0x80).');
    expect(e.message).not.toContain('128');
    expect(e.exitCode).toBe(3);
    expect(e.hint).toContain("--action iot:Subscribe --resource 'secret/#'");
    expect(refused('subscribe', { ...ctx, topic: 'x' }, 0x87, 'SUBACK').message).toContain('not authorized (0x87)');
    const p = refused('publish', { ...ctx, topic: 't' }, 0x87, 'PUBACK', 'policy');
    expect(p.message).toBe('Publish to "t" refused (client id "pi01"): not authorized (0x87): policy.');
    expect(refused('publish', { ...ctx, topic: 't' }, 0x97, 'PUBACK').exitCode).toBe(1);
  });

  it('names TLS causes, with a hint each', () => {
    const where = { endpoint: 'example.com', port: 8883, caFile: 'ca.pem' };
    expect(tlsFailure('unknown-ca', where).message).toBe("TLS failed with example.com:8883: unknown CA, the server's certificate does not chain to the CA file ca.pem.");
    expect(tlsFailure('unknown-ca', { ...where, caFile: undefined }).message).toContain('the system trust store');
    expect(tlsFailure('hostname-mismatch', where, 'the certificate names DNS:other').message).toBe(`TLS failed with example.com:8883: hostname mismatch, the server's certificate is not valid for "example.com" (the certificate names DNS:other).`);
    expect(tlsFailure('server-cert-expired', where).message).toContain('expired');
    expect(tlsFailure('client-cert-refused', where).hint).toContain('ACTIVE');
    for (const cause of ['unknown-ca', 'hostname-mismatch', 'server-cert-expired', 'client-cert-refused', 'handshake'] as const) expect(tlsFailure(cause, where).exitCode).toBe(5);
  });

  it('turns connect errors into exit 5 (and a refused WebSocket upgrade with SigV4 into exit 3)', () => {
    const where = { endpoint: 'h', port: 1 };
    expect(connectFailure('AWS_IO_SOCKET_CONNECTION_REFUSED', '', where, 'mtls')).toMatchObject({ exitCode: 5, message: 'Connection refused by h:1.' });
    expect(connectFailure('AWS_IO_DNS_INVALID_NAME', '', where, 'mtls').message).toBe('Cannot resolve the host name "h".');
    expect(connectFailure('AWS_IO_SOCKET_TIMEOUT', '', where, 'mtls').code).toBe('CONNECT_TIMEOUT');
    expect(connectFailure('AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE', '', where, 'sigv4').exitCode).toBe(3);
    expect(connectFailure('AWS_ERROR_MQTT5_DECODE_PROTOCOL_ERROR', '', where, 'mtls').hint).toContain('--mqtt 3');
    expect(connectFailure(undefined, 'weird', where, 'mtls').message).toBe('Cannot connect to h:1: weird');
  });

  it('classifies node:tls errors', () => {
    const err = (code: string, extra: object = {}) => Object.assign(new Error(code), { code, ...extra });
    expect(classifyTlsError(err('SELF_SIGNED_CERT_IN_CHAIN'))).toMatchObject({ cause: 'unknown-ca' });
    expect(classifyTlsError(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toMatchObject({ cause: 'unknown-ca' });
    expect(classifyTlsError(err('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subjectaltname: 'DNS:a.example' } }))).toEqual({ ok: false, cause: 'hostname-mismatch', detail: 'the certificate names DNS:a.example' });
    expect(classifyTlsError(err('CERT_HAS_EXPIRED'))).toMatchObject({ cause: 'server-cert-expired' });
    expect(classifyTlsError(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'))).toMatchObject({ cause: 'client-cert-refused' });
    expect(classifyTlsError(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toMatchObject({ cause: 'client-cert-refused' });
    expect(classifyTlsError(err('ECONNREFUSED'))).toMatchObject({ cause: 'network' });
  });

  it('tail gives up on denials and bad input, and retries network trouble', () => {
    const e = (code: string, exitCode: 2 | 3 | 5, details?: Record<string, unknown>) => new ErrorClass(code, 'x', { exitCode, details });
    expect(isFatal(e('DENIED_BY_HANGUP', 3), true)).toBe(true);
    expect(isFatal(e('INVALID_PORT', 2), true)).toBe(true);
    expect(isFatal(e('CONNECTION_FAILED', 5), false)).toBe(false);
    expect(isFatal(e('TLS_FAILED', 5), false)).toBe(true);
    expect(isFatal(e('TLS_FAILED', 5), true)).toBe(false);
    expect(isFatal(e('DISCONNECTED', 5, { reasonCode: 0x8e }), true)).toBe(true);
  });
});

describe('local TLS checks', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  let good: { cert: string; key: string; ca: string };
  let certId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-preflight-'));
    const ca = await createCertificateAuthority({ subject: 'CN=test-ca' });
    const keys = await generateKeyPair({ type: 'ec', curve: 'P-256' });
    const cert = await issueCertificate(ca, { publicKey: keys.publicKey, subject: 'CN=pi01', profile: 'client' });
    const other = await generateKeyPair({ type: 'ec', curve: 'P-256' });
    const expired = await issueCertificate(ca, { publicKey: keys.publicKey, subject: 'CN=old', profile: 'client', notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    good = { cert: file('cert.pem', cert), key: file('key.pem', privateKeyToPem(keys.privateKey, 'sec1')), ca: file('ca.pem', ca.certificatePem) };
    file('other.key', privateKeyToPem(other.privateKey, 'pkcs8'));
    file('expired.pem', expired);
    file('garbage.pem', 'hello');
    file('enc.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
    const { createHash, X509Certificate } = await import('node:crypto');
    certId = createHash('sha256').update(new X509Certificate(cert).raw).digest('hex');
  });

  const failure = async (files: Parameters<typeof checkTlsMaterial>[0]): Promise<IotctlError> => {
    try {
      await checkTlsMaterial(files);
    } catch (e) {
      return e as IotctlError;
    }
    throw new Error('expected a failure');
  };

  it('accepts a matching certificate and key and a CA, and computes the certificate id', async () => {
    const m = await checkTlsMaterial({ certFile: good.cert, keyFile: good.key, caFile: good.ca });
    expect(m.certificateId).toBe(certId);
    expect(m.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('refuses, with exit 2, missing files, non-PEM files, encrypted keys and a key of another certificate', async () => {
    expect(await failure({ certFile: path.join(dir, 'nope.pem'), keyFile: good.key })).toMatchObject({ code: 'FILE_NOT_FOUND', exitCode: 2 });
    expect(await failure({ certFile: path.join(dir, 'garbage.pem'), keyFile: good.key })).toMatchObject({ code: 'CERT_INVALID', exitCode: 2 });
    expect(await failure({ certFile: good.cert, keyFile: path.join(dir, 'garbage.pem') })).toMatchObject({ code: 'KEY_INVALID', exitCode: 2 });
    expect(await failure({ certFile: good.cert, keyFile: path.join(dir, 'enc.key') })).toMatchObject({ code: 'KEY_ENCRYPTED', exitCode: 2 });
    const mismatch = await failure({ certFile: good.cert, keyFile: path.join(dir, 'other.key') });
    expect(mismatch).toMatchObject({ code: 'KEY_MISMATCH', exitCode: 2 });
    expect(mismatch.message).toContain('does not match the certificate');
    expect(await failure({ certFile: good.cert })).toMatchObject({ code: 'CERT_AND_KEY_REQUIRED' });
    expect(await failure({ caFile: path.join(dir, 'garbage.pem') })).toMatchObject({ code: 'CA_INVALID', exitCode: 2 });
  });

  it('refuses an expired certificate before connecting', async () => {
    const e = await failure({ certFile: path.join(dir, 'expired.pem'), keyFile: good.key });
    expect(e.code).toBe('CERT_EXPIRED');
    expect(e.message).toContain('expired on 2021-01-01');
  });
});

describe('connection resolution', () => {
  const device: DeviceFolder = {
    version: 1,
    thingName: 'pi01',
    clientId: 'pi01',
    endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
    port: 8883,
    region: 'eu-west-1',
    certificateFile: 'certificate.pem',
    privateKeyFile: 'private.key',
    rootCaFile: 'root-ca.pem',
    certificateArn: 'arn:aws:iot:eu-west-1:123456789012:cert/abc',
    dir: '/d',
    certificatePath: '/d/certificate.pem',
    privateKeyPath: '/d/private.key',
    rootCaPath: '/d/root-ca.pem',
  };
  const deps = (settings: Record<string, string> = {}, calls: string[] = []): ResolveDeps => ({
    setting: (n) => settings[n],
    readDevice: async () => device,
    discoverEndpoint: async () => {
      calls.push('discover');
      return 'xyz-ats.iot.us-east-1.amazonaws.com';
    },
    cacheEndpoint: async (h) => void calls.push(`cache ${h}`),
    sigv4: async () => ({ credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 's' }), region: 'us-west-2' }),
    randomClientId: () => 'iotctl-r4nd0m',
  });

  it('takes everything from a device folder: endpoint, port, files, client id, principal; MQTT 5 on AWS', async () => {
    const spec = await resolveConnection({ device: '/d' }, deps());
    expect(spec).toMatchObject({
      endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
      port: 8883,
      auth: 'mtls',
      mqtt: 5,
      clientId: 'pi01',
      certFile: '/d/certificate.pem',
      keyFile: '/d/private.key',
      caFile: '/d/root-ca.pem',
      principal: 'arn:aws:iot:eu-west-1:123456789012:cert/abc',
      connectTimeoutMs: 10_000,
    });
  });

  it('lets flags override the device folder', async () => {
    const spec = await resolveConnection({ device: '/d', clientId: 'other', endpoint: 'h.example:1883', ca: 'my-ca.pem', mqtt: '3', connectTimeout: '2s' }, deps());
    expect(spec).toMatchObject({ endpoint: 'h.example', port: 1883, clientId: 'other', caFile: 'my-ca.pem', mqtt: 3, connectTimeoutMs: 2000 });
  });

  it('uses the profile, and MQTT 5 for the local IoT Core as for AWS (3.1.1 when asked)', async () => {
    const spec = await resolveConnection({ cert: 'c.pem', key: 'k.pem' }, deps({ 'data-endpoint': '127.0.0.1', 'mqtt-port': '4581', 'ca-file': '/l/ca.pem' }));
    expect(spec).toMatchObject({ endpoint: '127.0.0.1', port: 4581, mqtt: 5, clientId: 'iotctl-r4nd0m', caFile: '/l/ca.pem', certFile: 'c.pem' });
    const viaControlPlane = await resolveConnection({ cert: 'c.pem', key: 'k.pem' }, deps({ 'data-endpoint': 'iot.local.test', 'endpoint-url': 'http://127.0.0.1:4580' }));
    expect(viaControlPlane.mqtt).toBe(5);
    expect((await resolveConnection({ cert: 'c.pem', key: 'k.pem', mqtt: '3' }, deps({ 'data-endpoint': '127.0.0.1' }))).mqtt).toBe(3);
  });

  it('discovers the endpoint with DescribeEndpoint and caches it when nothing names one', async () => {
    const calls: string[] = [];
    const spec = await resolveConnection({ cert: 'c.pem', key: 'k.pem' }, deps({}, calls));
    expect(spec.endpoint).toBe('xyz-ats.iot.us-east-1.amazonaws.com');
    expect(calls).toEqual(['discover', 'cache xyz-ats.iot.us-east-1.amazonaws.com']);
    await resolveConnection({ cert: 'c.pem', key: 'k.pem' }, deps({ 'data-endpoint': 'cached' }, calls));
    expect(calls).toHaveLength(2);
  });

  it('SigV4: port 443 (or ws-port), credentials from the deps, region from the profile, the chain or the host', async () => {
    const spec = await resolveConnection({ auth: 'sigv4', endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com' }, deps());
    expect(spec).toMatchObject({ auth: 'sigv4', port: 443, region: 'us-west-2' });
    expect(await spec.credentials!()).toEqual({ accessKeyId: 'AKID', secretAccessKey: 's' });
    expect((await resolveConnection({ auth: 'sigv4' }, deps({ 'data-endpoint': 'x', region: 'ap-south-1', 'ws-port': '4582' })))).toMatchObject({ region: 'ap-south-1', port: 4582 });
    const fromHost = await resolveConnection({ endpoint: 'wss://abc-ats.iot.eu-west-1.amazonaws.com' }, { ...deps(), sigv4: async () => ({ credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) }) });
    expect(fromHost).toMatchObject({ auth: 'sigv4', region: 'eu-west-1' });
  });

  it('refuses bad flags with exit 2 before any lookup', async () => {
    const calls: string[] = [];
    const bad = async (flags: Parameters<typeof resolveConnection>[0]) => resolveConnection(flags, deps({}, calls)).catch((e: IotctlError) => e);
    expect(await bad({ port: '70000' })).toMatchObject({ code: 'INVALID_PORT', exitCode: 2 });
    expect(await bad({ auth: 'password' })).toMatchObject({ code: 'INVALID_AUTH', exitCode: 2 });
    expect(await bad({ auth: 'cognito' })).toMatchObject({ code: 'IDENTITY_POOL_REQUIRED', exitCode: 2 });
    expect(await bad({ mqtt: '4' })).toMatchObject({ code: 'INVALID_MQTT_VERSION', exitCode: 2 });
    expect(await bad({ connectTimeout: 'soon' })).toMatchObject({ code: 'INVALID_DURATION', exitCode: 2 });
    expect(await bad({ clientId: 'x'.repeat(129) })).toMatchObject({ code: 'CLIENT_ID_TOO_LONG', exitCode: 2 });
    expect(await bad({ cert: 'c.pem' })).toMatchObject({ code: 'CERT_AND_KEY_REQUIRED', exitCode: 2 });
    expect(await bad({ endpoint: 'http://x' })).toMatchObject({ code: 'INVALID_ENDPOINT', exitCode: 2 });
    expect(await bad({ endpoint: 'x', auth: 'mtls' })).toMatchObject({ code: 'CERT_AND_KEY_REQUIRED' });
    expect(calls).toEqual([]);
  });

  it("HTTPS (pub --http, retained): 8443 with a certificate and 443 with SigV4, else https-port; a device folder's MQTT port is not used", async () => {
    const https = { transport: 'https' as const };
    expect(await resolveConnection({ device: '/d' }, deps(), https)).toMatchObject({ endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8443, auth: 'mtls' });
    expect(await resolveConnection({ device: '/d' }, deps({ 'https-port': '4583', 'mqtt-port': '4581' }), https)).toMatchObject({ port: 4583 });
    expect(await resolveConnection({ auth: 'sigv4' }, deps({ 'data-endpoint': 'x', 'ws-port': '4582' }), https)).toMatchObject({ port: 443 });
    expect(await resolveConnection({ device: '/d', port: '443' }, deps({ 'https-port': '4583' }), https)).toMatchObject({ port: 443 });
    expect(await resolveConnection({ device: '/d', endpoint: 'https://h:9443' }, deps(), https)).toMatchObject({ endpoint: 'h', port: 9443, auth: 'mtls' });
  });

  it('parses endpoints and regions', () => {
    expect(parseEndpoint('h')).toEqual({ host: 'h', port: undefined });
    expect(parseEndpoint('h:8883')).toEqual({ host: 'h', port: 8883 });
    expect(parseEndpoint('[::1]:8883')).toEqual({ host: '::1', port: 8883 });
    expect(parseEndpoint('mqtts://h:443')).toEqual({ host: 'h', port: 443, auth: 'mtls' });
    expect(parseEndpoint('wss://h')).toEqual({ host: 'h', port: undefined, auth: 'sigv4' });
    expect(parseEndpoint('https://h:8443')).toEqual({ host: 'h', port: 8443, auth: undefined });
    expect(regionFromHost('abc-ats.iot.eu-central-1.amazonaws.com')).toBe('eu-central-1');
    expect(regionFromHost('127.0.0.1')).toBeUndefined();
  });
});
