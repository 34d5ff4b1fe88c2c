/**
 * The web app's port (`createEmulator({ web })`, `iotctl local start --web`)
 * with real clients: the AWS SDK's Cognito user pools client signs in through
 * it and Cognito Identity accepts the token; SigV4-signed registration calls
 * (service execute-api) as API Gateway would take them; MQTT.js over its plain
 * ws:// hop to the broker; and CORS preflights on every endpoint a page calls.
 * The page itself, in Chromium, is test/browser/web-app.test.ts.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connected, end, nextMessage, startBrokerTest, subscribe, type BrokerTest } from '../helpers/broker.js';
import { sdkError, type Credentials } from '../helpers/emulator.js';

let t: BrokerTest;
const web = () => t.emulator.endpoints.web!;
const PROVIDER = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_iotctlLocal';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A raw HTTP request (node:http lets a test send any Host header). */
function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const getWeb = (path: string, headers: Record<string, string> = {}) => request(web().port, path, { headers });

function userPool(): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint: web().url, region: 'us-east-1', credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' }, maxAttempts: 1 });
}

async function idToken(username: string): Promise<string> {
  const out = await userPool().send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'iotctl-local', AuthParameters: { USERNAME: username, PASSWORD: 'any' } }));
  return out.AuthenticationResult!.IdToken!;
}

/** An identity of the app's pool and its credentials: a guest, or a user signed in through the web port. */
async function identity(username?: string): Promise<{ identityId: string; credentials: Credentials }> {
  const Logins = username ? { [PROVIDER]: await idToken(username) } : undefined;
  const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: web().identityPoolId, Logins }));
  const { Credentials: c } = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins }));
  return { identityId: IdentityId!, credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretKey!, sessionToken: c!.SessionToken! } };
}

/** POST /register signed as API Gateway with IAM authorization takes it. */
async function registerAs(credentials: Credentials, service = 'execute-api'): Promise<Answer> {
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials, sha256: Sha256 });
  const host = `127.0.0.1:${web().port}`;
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: web().port, path: '/register', headers: { host, 'content-type': 'application/json' }, body: '{}' });
  return request(web().port, '/register', { method: 'POST', headers: signed.headers as Record<string, string>, body: '{}' });
}

/** A presigned URL for the web port's plain /mqtt (Host is the web port's). */
async function plainUrl(credentials: Credentials = t.emulator.credentials): Promise<string> {
  const signer = new SignatureV4({ service: 'iotdevicegateway', region: 'us-east-1', credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, sha256: Sha256 });
  const host = `127.0.0.1:${web().port}`;
  const signed = await signer.presign({ method: 'GET', protocol: 'ws:', hostname: '127.0.0.1', port: web().port, path: '/mqtt', query: {}, headers: { host } }, { expiresIn: 60 });
  const query = new URLSearchParams(signed.query as Record<string, string>);
  if (credentials.sessionToken) query.set('X-Amz-Security-Token', credentials.sessionToken);
  return `ws://${host}/mqtt?${query}`;
}

beforeAll(async () => {
  t = await startBrokerTest({ web: { port: 0 } });
});
afterAll(() => t.close());

describe('files', () => {
  it('serves the app, with MQTT.js for the browser, never cached', async () => {
    const index = await getWeb('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.text).toMatch(/<script type="module" src="app.js"><\/script>/);
    const app = await getWeb('/app.js');
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(app.text).toMatch(/from '\.\/vendor\/mqtt\.esm\.js'/);
    const vendor = await getWeb('/vendor/mqtt.esm.js');
    expect(vendor.status).toBe(200);
    expect(vendor.text).toMatch(/export default/);
  });

  it('/config.js names this local IoT Core: its pool, Cognito on the control plane, the web port for sign-in, registration and MQTT', async () => {
    const res = await getWeb('/config.js');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const config = JSON.parse(/export default ([\s\S]*);\n$/.exec(res.text)![1]!) as Record<string, unknown>;
    const origin = `http://127.0.0.1:${web().port}`;
    expect(config).toMatchObject({
      region: 'us-east-1',
      identityPoolId: web().identityPoolId,
      cognitoIdentityEndpoint: `${t.emulator.endpoints.controlPlane}/`,
      userPool: { id: 'us-east-1_iotctlLocal', clientId: 'iotctl-local', endpoint: `${origin}/` },
      iotEndpoint: `ws://127.0.0.1:${web().port}/mqtt`,
      registerUrl: `${origin}/register`,
      lamp: 'lamp-1',
      publicTopics: 'public/#',
    });
  });

  it.each(['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/.git/config', '/vendor/../../package.json', '/nothing.js', '/%00'])('%s: 404, nothing outside the folder', async (path) => {
    const res = await getWeb(path);
    expect(res.status).toBe(404);
    expect(res.text).not.toMatch(/"name": "iotctl"/);
  });

  it('answers only to this machine\'s names: another Host (DNS rebinding) gets 421', async () => {
    expect((await getWeb('/', { host: `localhost:${web().port}` })).status).toBe(200);
    const rebound = await getWeb('/config.js', { host: `evil.example:${web().port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.text).not.toMatch(/identityPoolId/);
  });
});

describe('your own folder (--web-dir)', () => {
  it('is served instead of the template, MQTT.js still from iotctl unless the folder has its own; no dotfiles, no links out of it', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'iotctl-web-own-'));
    writeFileSync(path.join(root, 'index.html'), '<h1>mine</h1>');
    writeFileSync(path.join(root, '.env'), 'SECRET=1');
    mkdirSync(path.join(root, 'pages'));
    writeFileSync(path.join(root, 'pages', 'index.html'), '<h1>sub</h1>');
    symlinkSync(path.join(os.tmpdir()), path.join(root, 'out'));
    const own = await startBrokerTest({ web: { port: 0, root } });
    try {
      const get = (p: string) => request(own.emulator.endpoints.web!.port, p);
      expect((await get('/')).text).toBe('<h1>mine</h1>');
      expect((await get('/pages/')).text).toBe('<h1>sub</h1>');
      expect((await get('/vendor/mqtt.esm.js')).status).toBe(200);
      expect((await get('/.env')).status).toBe(404);
      expect((await get('/out/')).status).toBe(404);
      expect((await get('/app.js')).status).toBe(404);
      mkdirSync(path.join(root, 'vendor'));
      writeFileSync(path.join(root, 'vendor', 'mqtt.esm.js'), 'export default "mine";');
      expect((await get('/vendor/mqtt.esm.js')).text).toBe('export default "mine";');
    } finally {
      await own.close();
    }
  });
});

describe('sign-in (Cognito user pools InitiateAuth)', () => {
  it('the SDK signs a user in; Cognito Identity takes the ID token as a login of the app\'s pool', async () => {
    const alice = await identity('alice');
    const again = await identity('alice');
    const bob = await identity('bob');
    expect(alice.identityId).toBe(again.identityId);
    expect(bob.identityId).not.toBe(alice.identityId);
  });

  it('answers InitiateAuth only: another user pools operation is UnknownOperationException', async () => {
    const res = await request(web().port, '/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'UnknownOperationException', message: expect.stringMatching(/answers AWSCognitoIdentityProviderService.InitiateAuth only, not AWSCognitoIdentityProviderService.SignUp/) });
  });

  it.each([
    [{ ClientId: 'someone-else' }, 'ResourceNotFoundException', /User pool client someone-else does not exist/],
    [{ AuthFlow: 'USER_SRP_AUTH' }, 'InvalidParameterException', /supports AuthFlow USER_PASSWORD_AUTH, not USER_SRP_AUTH/],
    [{ AuthParameters: { USERNAME: 'alice' } }, 'InvalidParameterException', /PASSWORD is required/],
    [{ AuthParameters: { USERNAME: 'has space', PASSWORD: 'x' } }, 'InvalidParameterException', /USERNAME must be/],
  ])('%j: the SDK raises %s', async (change, name, message) => {
    const input = { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'iotctl-local', AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' }, ...change };
    const err = await sdkError(userPool().send(new InitiateAuthCommand(input as never)));
    expect(err.name).toBe(name);
    expect(err.message).toMatch(message);
  });
});

describe('registration (what the Lambda behind API Gateway does)', () => {
  it("attaches the app's policy to the signed-in caller's own identity, once", async () => {
    const carol = await identity('carol');
    const first = await registerAs(carol.credentials);
    expect(first.status, first.text).toBe(200);
    expect(JSON.parse(first.text)).toEqual({ identityId: carol.identityId, policyName: 'iotctl-web-user', alreadyRegistered: false });
    expect(JSON.parse((await registerAs(carol.credentials)).text)).toMatchObject({ alreadyRegistered: true });
    const attached = await t.iot.send(new ListAttachedPoliciesCommand({ target: carol.identityId }));
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['iotctl-web-user']);
  });

  it('refuses guests, the root key, another service in the scope, and no signature (403, nothing attached)', async () => {
    const guest = await identity();
    const dave = await identity('dave');
    const cases: [Promise<Answer>, RegExp][] = [
      [registerAs(guest.credentials), /Guests are not registered/],
      [registerAs(t.emulator.credentials), /not an access key/],
      [registerAs(dave.credentials, 'iotdevicegateway'), /scoped to correct service: 'execute-api', not 'iotdevicegateway'/],
      [request(web().port, '/register', { method: 'POST', body: '{}' }), /Missing Authentication Token/],
    ];
    for (const [answer, message] of cases) {
      const res = await answer;
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text).message).toMatch(message);
    }
    for (const who of [guest, dave]) expect((await t.iot.send(new ListAttachedPoliciesCommand({ target: who.identityId }))).policies).toEqual([]);
  });
});

describe('ws://.../mqtt, the plain hop to the broker', () => {
  it('MQTT.js connects with a URL presigned for the web port, with no CA, and the broker enforces the identity\'s policies', async () => {
    const erin = await identity('erin');
    expect((await registerAs(erin.credentials)).status).toBe(200);
    const client = await connected(mqtt.connect(await plainUrl(erin.credentials), { clientId: `${erin.identityId}-web`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 }));
    expect(await subscribe(client, 'public/#')).toEqual([1]);
    expect(await subscribe(client, 'private/#')).toEqual([0x87]);
    const root = await connected(mqtt.connect(await plainUrl(), { reconnectPeriod: 0, connectTimeout: 5000 }));
    const got = nextMessage(client, 'public/sensors/s1');
    await root.publishAsync('public/sensors/s1', '21.5', { qos: 1 });
    expect((await got).payload).toBe('21.5');
    const denial = await t.event((e) => e.event === 'denied' && e.resource?.endsWith('topicfilter/private/#') === true);
    expect(denial).toMatchObject({ transport: 'wss', principal: erin.identityId });
    await end(client, root);
  });

  it('a wrong signature is refused by the broker, before MQTT, and logged', async () => {
    const url = (await plainUrl()).replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000');
    await expect(connected(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000 }))).rejects.toThrow(/before CONNACK/);
    await t.event((e) => e.event === 'auth-failed' && /signature we calculated does not match/.test(e.reason));
  });

  it('other upgrade paths and foreign Hosts get no WebSocket', async () => {
    const upgrade = (path: string, host: string) => request(web().port, path, { headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    expect((await upgrade('/other', `127.0.0.1:${web().port}`)).status).toBe(404);
    expect((await upgrade('/mqtt', `evil.example:${web().port}`)).status).toBe(404);
  });
});

describe('CORS: the preflight a browser sends before a SigV4 or JSON 1.1 call', () => {
  const preflight = (port: number, path: string, method: string, asked: string, tlsPort = false) =>
    tlsPort
      ? import('node:https').then(
          ({ default: https }) =>
            new Promise<Answer>((resolve, reject) => {
              const req = https.request(
                { host: '127.0.0.1', port, path, method: 'OPTIONS', ca: t.ca, agent: false, headers: { origin: 'http://127.0.0.1:9', 'access-control-request-method': method, 'access-control-request-headers': asked } },
                (res) => {
                  res.resume();
                  res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: '' }));
                },
              );
              req.on('error', reject);
              req.end();
            }),
        )
      : request(port, path, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:9', 'access-control-request-method': method, 'access-control-request-headers': asked } });

  it('control plane (Cognito Identity, IoT): any origin, the asked headers, no signature needed', async () => {
    const res = await preflight(t.emulator.endpoints.http.port, '/', 'POST', 'content-type,x-amz-target,x-amz-user-agent');
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type,x-amz-target,x-amz-user-agent' });
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
  });

  it('HTTPS data plane: answered before authentication, with the methods its routes serve', async () => {
    const res = await preflight(t.emulator.endpoints.https.port, '/topics/public%2Fx', 'POST', 'authorization,x-amz-date,x-amz-security-token,x-amz-content-sha256', true);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toBe('authorization,x-amz-date,x-amz-security-token,x-amz-content-sha256');
    expect(res.headers['access-control-allow-methods']).toBe('POST,GET,DELETE'); // publish, retained messages and shadows
  });
});
