/**
 * The local IoT Core's HTTPS data plane, with real TLS and real clients:
 * node:https with device certificates (the curl of the AWS docs, in-process),
 * @aws-sdk/client-iot-data-plane with SigV4, and MQTT.js subscribers that
 * must receive what HTTP published exactly as if it came over MQTT.
 * Refusals are checked as a client sees them (status, x-amzn-ErrorType,
 * message) and in the auth log.
 */
import https from 'node:https';
import tls from 'node:tls';
import { AttachThingPrincipalCommand, CreatePolicyVersionCommand, CreateThingCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand, IoTDataPlaneClient, ListRetainedMessagesCommand, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL_MQTT, collect, connectTls, createDevice, end, nextMessage, startBrokerTest, subscribe, unique, type BrokerTest, type Device } from '../helpers/broker.js';
import { sdkError } from '../helpers/emulator.js';

let t: BrokerTest;
let allowAll: Device;

interface Answer {
  status: number;
  errorType?: string;
  json?: Record<string, unknown>;
  /** The client port of the connection that carried the request. */
  localPort?: number;
}

interface Call {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  device?: Pick<Device, 'cert' | 'key'>;
  agent?: https.Agent;
}

/** One HTTPS request to the data plane, with the device's certificate when given (mutual TLS). */
function call(c: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: t.emulator.endpoints.https.port,
        method: c.method ?? 'POST',
        path: c.path,
        headers: c.headers,
        ca: t.ca,
        ...(c.device ? { cert: c.device.cert, key: c.device.key } : {}),
        agent: c.agent ?? false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, errorType: res.headers['x-amzn-errortype'] as string | undefined, json, localPort: res.socket?.localPort });
        });
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

const publish = (device: Call['device'], topic: string, body: string | Buffer, query = 'qos=1', extra: Partial<Call> = {}) =>
  call({ path: `/topics/${encodeURIComponent(topic)}${query ? `?${query}` : ''}`, body, device, ...extra });

function dataClient(credentials = t.emulator.credentials): IoTDataPlaneClient {
  return new IoTDataPlaneClient({
    endpoint: t.emulator.endpoints.https.url,
    region: t.emulator.endpoints.region,
    credentials,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca: t.ca }) },
  });
}

beforeAll(async () => {
  t = await startBrokerTest({ listeners: { authenticateTimeoutMs: 500 } });
  allowAll = await createDevice(t, { policy: ALLOW_ALL_MQTT });
});
afterAll(async () => t?.close());

describe('mutual TLS: the curl of the AWS docs', () => {
  it('a publish with a device certificate reaches an MQTT subscriber; the topic may be sent with its slashes or %2F-encoded', async () => {
    const sub = await connectTls(t, allowAll);
    await subscribe(sub, 'button/#');
    const got = collect(sub);
    const body = '{ "serialNumber": "G030JF053216F1BS", "clickType": "SINGLE", "batteryVoltage": "2000mV" }';
    const first = await call({ path: '/topics/button/press?qos=1', body, device: allowAll });
    expect(first).toMatchObject({ status: 200, json: { message: 'OK' } });
    expect(first.json!.traceId).toMatch(/^[0-9a-f-]{36}$/);
    const second = nextMessage(sub, 'button/again');
    expect((await publish(allowAll, 'button/again', 'two')).status).toBe(200);
    await second;
    expect(got.messages).toEqual([
      { topic: 'button/press', payload: body, retain: false },
      { topic: 'button/again', payload: 'two', retain: false },
    ]);
    await end(sub);
  });

  it('a denied topic is 403 ForbiddenException with the reason; the subscriber gets nothing; the auth log explains it', async () => {
    const device = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/allowed/*' }] } });
    const sub = await connectTls(t, allowAll);
    await subscribe(sub, '#');
    const got = collect(sub);
    const denied = await publish(device, 'secret/x', 'nope');
    expect(denied.status).toBe(403);
    expect(denied.errorType).toBe('ForbiddenException');
    expect(denied.json!.message).toMatch(/^Forbidden: no statement of the certificate's policies \(policy-[\w-]+\) allows it$/);
    const event = await t.event((e) => e.transport === 'https' && e.event === 'denied' && e.resource?.endsWith('topic/secret/x') === true);
    expect(event).toMatchObject({ action: 'iot:Publish', decision: 'IMPLICIT_DENY', principal: device.certificateArn, principalKind: 'certificate', outcome: 'HTTP 403' });
    // The next allowed message is the first one the subscriber sees.
    const allowed = nextMessage(sub);
    expect((await publish(device, 'allowed/y', 'yes')).status).toBe(200);
    expect((await allowed).topic).toBe('allowed/y');
    expect(got.messages.map((m) => m.topic)).toEqual(['allowed/y']);
    await end(sub);
  });

  it('thing policy variables do not resolve over HTTPS (AWS resolves them only for MQTT): the 403 says so', async () => {
    const thingName = unique('lamp');
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/things/${iot:Connection.Thing.ThingName}/*' },
      ],
    };
    const device = await createDevice(t, { policy });
    // Attached exclusively, as iotctl provision does: over MQTT the thing resolves whatever the client id.
    await t.iot.send(new CreateThingCommand({ thingName }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName, principal: device.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    const mqttClient = await connectTls(t, device, { clientId: unique('any-client-id') });
    await mqttClient.publishAsync(`things/${thingName}/state`, 'on over MQTT', { qos: 1 });
    await end(mqttClient);
    const denied = await publish(device, `things/${thingName}/state`, 'on');
    expect(denied.status).toBe(403);
    expect(denied.json!.message).toMatch(/over HTTPS a request has no client id and no thing/);
    const event = await t.event((e) => e.transport === 'https' && e.resource?.endsWith(`topic/things/${thingName}/state`) === true);
    expect(event.missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
  });

  it('a revoked certificate completes the TLS handshake and gets 403 for what it asks', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    expect((await publish(device, 'revoked/before', 'ok')).status).toBe(200);
    await t.iot.send(new UpdateCertificateCommand({ certificateId: device.certificateId, newStatus: 'REVOKED' }));
    const after = await publish(device, 'revoked/after', 'nope');
    expect(after).toMatchObject({ status: 403, errorType: 'ForbiddenException' });
    expect(after.json!.message).toBe(`Forbidden: the certificate ${device.certificateId} is REVOKED; only ACTIVE certificates may connect`);
    await t.event((e) => e.transport === 'https' && e.event === 'auth-failed' && e.principal === device.certificateArn && e.outcome === 'HTTP 403');
  });

  it('a certificate the registry does not know is 403; no certificate and no signature is 401 UnauthorizedException', async () => {
    const stranger = await createDevice(t);
    await t.iot.send(new UpdateCertificateCommand({ certificateId: stranger.certificateId, newStatus: 'INACTIVE' }));
    expect(await publish(stranger, 'a/b', 'x')).toMatchObject({ status: 403, errorType: 'ForbiddenException' });
    const anonymous = await publish(undefined, 'a/b', 'x');
    expect(anonymous).toMatchObject({ status: 401, errorType: 'UnauthorizedException' });
    expect(anonymous.json!.message).toMatch(/present a client certificate \(mutual TLS, as on port 8443\) or sign the request with SigV4 \(service iotdata\)/);
    await t.event((e) => e.transport === 'https' && e.event === 'auth-failed' && e.outcome === 'HTTP 401');
  });

  it('iot:RetainPublish is needed to retain; a retained message is kept, delivered to a later subscriber with RETAIN, and an empty one clears it', async () => {
    const noRetain = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }] } });
    expect(await publish(noRetain, 'keep/a', 'v1', 'qos=1&retain=true')).toMatchObject({ status: 403, errorType: 'ForbiddenException' });
    expect(await call({ method: 'GET', path: '/retainedMessage/keep%2Fa', device: allowAll })).toMatchObject({ status: 404, errorType: 'ResourceNotFoundException' });

    expect((await publish(allowAll, 'keep/a', 'v1', 'qos=1&retain=true')).status).toBe(200);
    const late = await connectTls(t, allowAll);
    const retained = nextMessage(late, 'keep/a');
    await subscribe(late, 'keep/a');
    expect(await retained).toMatchObject({ payload: 'v1', packet: { retain: true } });
    await end(late);

    expect((await publish(allowAll, 'keep/a', '', 'retain=true')).status).toBe(200);
    expect(await call({ method: 'GET', path: '/retainedMessage/keep%2Fa', device: allowAll })).toMatchObject({ status: 404, errorType: 'ResourceNotFoundException' });
  });

  it('a QoS 1 publish is kept for an offline persistent session, as an MQTT one is', async () => {
    const clientId = unique('persistent');
    const first = await connectTls(t, allowAll, { clientId, clean: false });
    await subscribe(first, 'queue/#', 1);
    await end(first);
    expect((await publish(allowAll, 'queue/x', 'while away', 'qos=1')).status).toBe(200);
    const back = await connectTls(t, allowAll, { clientId, clean: false });
    expect(await nextMessage(back, 'queue/x')).toMatchObject({ payload: 'while away' });
    await end(back);
  });

  it('a policy change reaches a kept-alive connection at its next request', async () => {
    const device = await createDevice(t, { policy: ALLOW_ALL_MQTT });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await publish(device, 'change/a', 'x', 'qos=0', { agent });
    expect(first.status).toBe(200);
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: '*' }, { Effect: 'Allow', Action: 'iot:*', Resource: '*' }] };
    await t.iot.send(new CreatePolicyVersionCommand({ policyName: device.policyName!, policyDocument: JSON.stringify(deny), setAsDefault: true }));
    const second = await publish(device, 'change/a', 'x', 'qos=0', { agent });
    expect(second).toMatchObject({ status: 403, localPort: first.localPort });
    expect(second.json!.message).toMatch(/explicitly denied/);
    agent.destroy();
  });
});

describe('bad requests, in AWS shapes', () => {
  it.each<[string, Partial<Call>, number, string]>([
    ['QoS 2', { path: '/topics/a?qos=2', body: 'x' }, 400, 'InvalidRequestException'],
    ['a wildcard topic', { path: '/topics/a%2F%23?qos=0', body: 'x' }, 400, 'InvalidRequestException'],
    ['a topic with more than 7 slashes', { path: '/topics/1/2/3/4/5/6/7/8/9', body: 'x' }, 400, 'InvalidRequestException'],
    ['retain=maybe', { path: '/topics/a?retain=maybe', body: 'x' }, 400, 'InvalidRequestException'],
    ['user properties that are not base64 JSON', { path: '/topics/a', body: 'x', headers: { 'x-amz-mqtt5-user-properties': 'not json' } }, 400, 'InvalidRequestException'],
    ['UTF8_DATA with a payload that is not UTF-8', { path: '/topics/a', body: Buffer.from([0xff, 0xfe]), headers: { 'x-amz-mqtt5-payload-format-indicator': 'UTF8_DATA' } }, 400, 'InvalidRequestException'],
    ['GET on /topics', { method: 'GET', path: '/topics/a' }, 405, 'MethodNotAllowedException'],
    ['a path it does not serve', { method: 'GET', path: '/nope' }, 404, 'UnknownOperationException'],
  ])('%s', async (_name, request, status, errorType) => {
    const r = await call({ device: allowAll, ...request });
    expect(r).toMatchObject({ status, errorType });
    expect(typeof r.json!.message).toBe('string');
  });

  it('a payload over 128 KB is 413 RequestEntityTooLargeException; 128 KB exactly is accepted', async () => {
    expect((await publish(allowAll, 'big/ok', Buffer.alloc(128 * 1024, 97))).status).toBe(200);
    const over = await publish(allowAll, 'big/no', Buffer.alloc(128 * 1024 + 1, 97));
    expect(over).toMatchObject({ status: 413, errorType: 'RequestEntityTooLargeException' });
    await t.event((e) => e.transport === 'https' && e.event === 'refused' && e.outcome === 'HTTP 413');
  });

  it('a huge declared body is refused from its header, before any of it is read', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.emulator.endpoints.https.port, ca: t.ca, cert: allowAll.cert, key: allowAll.key });
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(`POST /topics/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${500 * 1024 * 1024}\r\n\r\n`);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/x-amzn-errortype: RequestEntityTooLargeException/i);
  });

  it('a connection that completes the TLS handshake and sends no request is closed at the authentication deadline', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.emulator.endpoints.https.port, ca: t.ca, cert: allowAll.cert, key: allowAll.key });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    await new Promise((resolve) => socket.once('close', resolve));
    const event = await t.event((e) => e.transport === 'https' && /did not authenticate within 0\.5 s/.test(e.reason));
    expect(event.event).toBe('auth-failed');
  });
});

describe('SigV4: @aws-sdk/client-iot-data-plane', () => {
  it('Publish, GetRetainedMessage and ListRetainedMessages (paged) with the root key', async () => {
    const client = dataClient();
    const sub = await connectTls(t, allowAll);
    await subscribe(sub, 'sdk/#');
    const delivered = nextMessage(sub, 'sdk/one');
    await client.send(new PublishCommand({ topic: 'sdk/one', qos: 1, retain: true, payload: Buffer.from('{"t":21}') }));
    expect((await delivered).payload).toBe('{"t":21}');
    await client.send(new PublishCommand({ topic: 'sdk/two', qos: 0, retain: true, payload: Buffer.from('2') }));

    const one = await client.send(new GetRetainedMessageCommand({ topic: 'sdk/one' }));
    expect({ topic: one.topic, payload: Buffer.from(one.payload!).toString(), qos: one.qos }).toEqual({ topic: 'sdk/one', payload: '{"t":21}', qos: 1 });
    expect(one.lastModifiedTime).toBeGreaterThan(Date.now() - 60_000);

    const first = await client.send(new ListRetainedMessagesCommand({ maxResults: 1 }));
    const rest = await client.send(new ListRetainedMessagesCommand({ maxResults: 200, nextToken: first.nextToken }));
    const topics = [...first.retainedTopics!, ...rest.retainedTopics!].map((m) => m.topic).filter((topic) => topic!.startsWith('sdk/'));
    expect(topics).toEqual(['sdk/one', 'sdk/two']);
    expect(first.retainedTopics).toHaveLength(1);
    expect(first.nextToken).toBeTruthy();

    const missing = await sdkError(client.send(new GetRetainedMessageCommand({ topic: 'sdk/none' })));
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    client.destroy();
    await end(sub);
  });

  it('a wrong secret is InvalidSignatureException (403), and nothing is published', async () => {
    const client = dataClient({ accessKeyId: t.emulator.credentials.accessKeyId, secretAccessKey: 'wrong' });
    const err = await sdkError(client.send(new PublishCommand({ topic: 'sdk/bad', payload: Buffer.from('x') })));
    expect(err).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    await t.event((e) => e.transport === 'https' && e.event === 'auth-failed' && e.principal === t.emulator.credentials.accessKeyId);
    client.destroy();
  });

  it('a certificate may read retained messages too, with iot:GetRetainedMessage; iot:ListRetainedMessages takes resource *', async () => {
    const reader = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:GetRetainedMessage', Resource: 'arn:aws:iot:*:*:topic/sdk/*' }] } });
    const got = await call({ method: 'GET', path: '/retainedMessage/sdk%2Fone', device: reader });
    expect(got).toMatchObject({ status: 200, json: { topic: 'sdk/one', payload: Buffer.from('{"t":21}').toString('base64'), qos: 1 } });
    expect(await call({ method: 'GET', path: '/retainedMessage/other', device: reader })).toMatchObject({ status: 403, errorType: 'ForbiddenException' });
    expect(await call({ method: 'GET', path: '/retainedMessage', device: reader })).toMatchObject({ status: 403, errorType: 'ForbiddenException' });
    const lister = await createDevice(t, { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:ListRetainedMessages', Resource: '*' }] } });
    const list = await call({ method: 'GET', path: '/retainedMessage?maxResults=200', device: lister });
    expect(list.status).toBe(200);
    expect((list.json!.retainedTopics as { topic: string }[]).map((m) => m.topic)).toContain('sdk/one');
    expect(await call({ method: 'GET', path: '/retainedMessage?maxResults=0', device: lister })).toMatchObject({ status: 400, errorType: 'InvalidRequestException' });
  });
});
