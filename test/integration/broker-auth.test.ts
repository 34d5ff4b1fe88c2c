/** Who may connect: mutual TLS with registered ACTIVE certificates, SigV4-presigned WebSockets. MQTT.js is the independent client. */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { CreateIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { WebSocket } from 'ws';
import { createCertificateAuthority, issueServerCertificate } from '../../src/pki/index.js';
import {
  ALLOW_ALL_MQTT,
  closed,
  connectTls,
  connectWss,
  connected,
  createDevice,
  end,
  nextMessage,
  presignedUrl,
  startBrokerTest,
  subscribe,
  wsClient,
  type BrokerTest,
} from '../helpers/broker.js';

let t: BrokerTest;
beforeAll(async () => {
  t = await startBrokerTest({ roles: { guest: ALLOW_ALL_MQTT } });
});
afterAll(() => t.close());

describe('mutual TLS', () => {
  it('admits a registered ACTIVE certificate, with or without the ALPN the AWS SDK offers, by IP or localhost', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const plain = await connectTls(t, device);
    const alpn = await connectTls(t, device, { ALPNProtocols: ['x-amzn-mqtt-ca'] });
    expect((alpn.stream as import('node:tls').TLSSocket).alpnProtocol).toBe('x-amzn-mqtt-ca');
    // The server certificate names localhost and 127.0.0.1 (MQTT.js verifies the host name).
    const byName = await connectTls(t, device, { host: 'localhost' });
    await end(plain, alpn, byName);
  });

  it('refuses a certificate the local IoT Core never registered, and logs why', async () => {
    const ca = await createCertificateAuthority({ subject: 'CN=rogue CA' });
    const rogue = await issueServerCertificate(ca, ['rogue-device']);
    await expect(connectTls(t, { cert: rogue.certificatePem, key: rogue.privateKeyPem })).rejects.toThrow(/before CONNACK/);
    const e = await t.event((e) => e.event === 'auth-failed' && /is not registered/.test(e.reason));
    expect(e).toMatchObject({ transport: 'mqtts', sourceIp: '127.0.0.1', outcome: 'connection closed after the TLS handshake' });
    expect(e.principal).toMatch(/:cert\/[0-9a-f]{64}$/);
  });

  it('refuses a client without a certificate', async () => {
    await expect(connectTls(t, undefined)).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.event === 'auth-failed' && /presented no certificate/.test(e.reason));
  });

  it('refuses INACTIVE and REVOKED certificates', async () => {
    const inactive = await createDevice(t, { policy: ALLOW_ALL_MQTT, active: false });
    await expect(connectTls(t, inactive)).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.principal === inactive.certificateArn && /is INACTIVE/.test(e.reason));

    const revoked = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    await t.iot.send(new UpdateCertificateCommand({ certificateId: revoked.certificateId, newStatus: 'REVOKED' }));
    await expect(connectTls(t, revoked)).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.principal === revoked.certificateArn && /is REVOKED/.test(e.reason));
  });

  it('closes the connections of a certificate when it is revoked or deactivated', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const a = await connectTls(t, device);
    const b = await connectTls(t, device);
    await t.iot.send(new UpdateCertificateCommand({ certificateId: device.certificateId, newStatus: 'REVOKED' }));
    await Promise.all([closed(a), closed(b)]);
    const e = await t.event((e) => e.event === 'disconnected' && e.principal === device.certificateArn);
    expect(e.reason).toBe('the certificate was set REVOKED');

    const other = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const c = await connectTls(t, other);
    await t.iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'INACTIVE' }));
    await closed(c);
    await end(a, b, c);
  });
});

describe('SigV4 WebSockets', () => {
  it('admits the root key (allowed everything) with Host signed with or without its port', async () => {
    const sub = await connectWss(t);
    await subscribe(sub, 'ws/#');
    const pub = await connectWss(t, { bareHost: true });
    const got = nextMessage(sub, 'ws/hello');
    await pub.publishAsync('ws/hello', 'hi', { qos: 1 });
    expect((await got).payload).toBe('hi');
    await end(sub, pub);
  });

  it('accepts the mqttv3.1 subprotocol too', async () => {
    const url = await presignedUrl(t);
    const client = await connected(
      wsClient(t, url, { createWebsocket: (u: string, _protocols: string[], opts: { wsOptions?: object }) => new WebSocket(u, ['mqttv3.1'], opts.wsOptions) } as never),
    );
    await end(client);
  });

  it('admits Cognito temporary credentials, the token appended unsigned (AWS style) or signed', async () => {
    const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'ws guests', AllowUnauthenticatedIdentities: true }));
    await t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId, Roles: { unauthenticated: 'arn:aws:iam::123456789012:role/guest' } }));
    const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId }));
    const { Credentials } = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    const credentials = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! };
    const unsignedToken = await connectWss(t, { credentials });
    const signedToken = await connectWss(t, { credentials, signToken: true });
    await end(unsignedToken, signedToken);
  });

  /** The raw answer to an upgrade request. */
  function upgradeStatus(url: string, protocol = 'mqtt'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(url.replace(/^wss:/, 'https:'), {
        ca: t.ca,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': protocol },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.on('error', reject);
      req.end();
    });
  }

  it.each([
    ['a wrong secret', { credentials: { accessKeyId: '', secretAccessKey: 'wrong' } }, /signature we calculated does not match/],
    ['an expired signature', { signingDate: new Date(Date.now() - 3600_000), expiresIn: 60 }, /Signature expired/],
    ['the wrong service name', { service: 'iotdata' }, /scoped to correct service: 'iotdevicegateway', not 'iotdata'/],
  ])('refuses %s with HTTP 403 before the upgrade, and logs why', async (_name, presign, message) => {
    const options = { ...presign } as Parameters<typeof presignedUrl>[1] & object;
    if (options.credentials) options.credentials = { ...options.credentials, accessKeyId: t.emulator.credentials.accessKeyId };
    const url = await presignedUrl(t, options);
    const { status, body } = await upgradeStatus(url);
    expect(status).toBe(403);
    expect(JSON.parse(body).message).toMatch(message);
    await expect(connected(wsClient(t, url))).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.event === 'auth-failed' && e.transport === 'wss' && message.test(e.reason));
  });

  it('refuses an unsigned URL (403), another path (404) and a missing MQTT subprotocol (400)', async () => {
    const { port } = t.emulator.endpoints.ws;
    expect((await upgradeStatus(`wss://127.0.0.1:${port}/mqtt`)).status).toBe(403);
    expect((await upgradeStatus(`wss://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await upgradeStatus(await presignedUrl(t), 'chat')).status).toBe(400);
  });
});

describe('CONNECT', () => {
  it('refuses MQTT 3.1 with CONNACK 0x01', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const err = await connectTls(t, device, { protocolVersion: 3, protocolId: 'MQIsdp' }).catch((e: Error & { code?: number }) => e);
    expect((err as { code?: number }).code).toBe(1);
  });

  it('a second connection with the same client id takes over; the older one is closed', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const first = await connectTls(t, device, { clientId: 'same-id' });
    const second = await connectTls(t, device, { clientId: 'same-id' });
    await closed(first);
    expect(second.connected).toBe(true);
    await end(first, second);
  });

  it('ignores the AWS SDK metrics suffix of the username', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const client = await connectTls(t, device, { username: '?SDK=IoTDeviceSDK/JS&Platform=Unix&Metadata=(CRTVersion=1.33.1)' });
    await end(client);
  });

  it('refuses a client id over 128 bytes and an empty one, closing without CONNACK', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    await expect(connectTls(t, device, { clientId: 'x'.repeat(129) })).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.event === 'refused' && /128/.test(e.reason));
    await expect(connectTls(t, device, { clientId: '', clean: true })).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.event === 'refused' && /client id is empty/.test(e.reason));
  });
});
