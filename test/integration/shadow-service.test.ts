/**
 * The local IoT Core's Device Shadow service with real clients: MQTT.js on
 * the reserved topics (mutual TLS, MQTT 5 and 3.1.1) and
 * @aws-sdk/client-iot-data-plane on the HTTPS data plane (SigV4 with the root
 * key and with Cognito credentials, and device certificates), as a user of
 * AWS IoT sees it: the documents on the answer topics, the HTTP errors, the
 * auth log, and the shadows still there after a restart.
 */
import https from 'node:https';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AttachPolicyCommand, CreatePolicyCommand, CreateThingCommand, DeleteThingCommand } from '@aws-sdk/client-iot';
import { CreateIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import {
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginValidators } from '../../src/emulator/index.js';
import { ALLOW_ALL_MQTT, collect, connectTls, createDevice, end, nextMessage, startBrokerTest, subscribe, unique, type BrokerTest, type Device } from '../helpers/broker.js';
import { sdkError, startEmulator, type Credentials } from '../helpers/emulator.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });
const allow = (action: string | string[], resource: string | string[]) => ({ Effect: 'Allow', Action: action, Resource: resource });
const PROVIDER = 'login.shadow.test';
const loginValidators: LoginValidators = { [PROVIDER]: async (token) => ({ subject: token }) };

let t: BrokerTest;
let allowAll: Device;
let root: IoTDataPlaneClient;

const json = (s: string) => JSON.parse(s) as Record<string, any>;
const text = (payload: Uint8Array | undefined) => Buffer.from(payload ?? []).toString('utf8');
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

function dataPlane(credentials: Credentials): IoTDataPlaneClient {
  return new IoTDataPlaneClient({ endpoint: t.emulator.endpoints.https.url, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: { httpsAgent: new https.Agent({ ca: t.ca }) } });
}

/** A device client subscribed to the answer topics of a shadow (all of them by default). */
async function watcher(prefix: string, suffixes = ['get/accepted', 'get/rejected', 'update/accepted', 'update/rejected', 'update/delta', 'update/documents', 'delete/accepted', 'delete/rejected'], protocolVersion: 4 | 5 = 5) {
  const client = await connectTls(t, allowAll, { protocolVersion });
  expect(await subscribe(client, suffixes.map((s) => `${prefix}/${s}`))).toEqual(suffixes.map(() => 1));
  return client;
}

beforeAll(async () => {
  t = await startBrokerTest({
    loginValidators,
    roles: { user: doc(allow(['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:GetThingShadow', 'iot:UpdateThingShadow'], '*')) },
  });
  allowAll = await createDevice(t, { policy: ALLOW_ALL_MQTT });
  root = dataPlane(t.emulator.credentials);
});
afterAll(async () => {
  root.destroy();
  await t.close();
});

describe("the issue's done-when, through AWS's own SDK and an MQTT device", () => {
  it('an app sets desired over HTTP (version 1), the device gets the delta, reports over MQTT (version 2), and the shadow is in sync; a stale version is a 409', async () => {
    const thing = unique('lamp');
    const prefix = `$aws/things/${thing}/shadow`;
    const device = await watcher(prefix);
    const seen = collect(device);

    const delta = nextMessage(device, `${prefix}/update/delta`);
    const updated = await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { desired: { light: 'on' } } }) }));
    const accepted = json(text(updated.payload));
    expect(accepted).toMatchObject({ state: { desired: { light: 'on' } }, metadata: { desired: { light: { timestamp: expect.any(Number) } } }, version: 1, timestamp: expect.any(Number) });
    const d = json((await delta).payload);
    expect(d).toEqual({ version: 1, timestamp: accepted.timestamp, state: { light: 'on' }, metadata: { light: { timestamp: accepted.timestamp } } });

    // The device reports; the accepted document is version 2 and no delta is published.
    const reportAccepted = nextMessage(device, `${prefix}/update/accepted`);
    const documents = nextMessage(device, `${prefix}/update/documents`);
    await device.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: { light: 'on' } }, clientToken: 'lamp-1' }), { qos: 1 });
    expect(json((await reportAccepted).payload)).toMatchObject({ state: { reported: { light: 'on' } }, version: 2, clientToken: 'lamp-1' });
    expect(json((await documents).payload)).toMatchObject({
      previous: { state: { desired: { light: 'on' } }, version: 1 },
      current: { state: { desired: { light: 'on' }, reported: { light: 'on' } }, version: 2 },
      clientToken: 'lamp-1',
    });
    const got = json(text((await root.send(new GetThingShadowCommand({ thingName: thing }))).payload));
    expect(got.state).toEqual({ desired: { light: 'on' }, reported: { light: 'on' } });
    expect(got.version).toBe(2);

    // A stale version: 409 on update/rejected, with the client token and nothing else published.
    const rejected = nextMessage(device, `${prefix}/update/rejected`);
    await device.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: { light: 'off' } }, version: 1, clientToken: 'stale' }), { qos: 1 });
    expect(json((await rejected).payload)).toEqual({ code: 409, message: 'Version conflict', timestamp: expect.any(Number), clientToken: 'stale' });
    seen.stop();
    // In the order AWS publishes them: accepted, delta, documents for the desired update; then the report's.
    expect(seen.messages.map((m) => m.topic.slice(prefix.length + 1))).toEqual([
      'update/accepted',
      'update/delta',
      'update/documents',
      'update/accepted',
      'update/documents',
      'update/rejected',
    ]);
    const conflict = await sdkError(root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { desired: { light: 'off' } }, version: 1 }) })));
    expect(conflict).toMatchObject({ name: 'ConflictException', message: 'Version conflict', $metadata: { httpStatusCode: 409 } });
    await end(device);
  });
});

describe('over MQTT (the reserved topics)', () => {
  it('get of a shadow that does not exist: AWS\'s 404 document on get/rejected; then get/accepted with the delta and the client token', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const c = await watcher(prefix);
    const missing = nextMessage(c, `${prefix}/get/rejected`);
    await c.publishAsync(`${prefix}/get`, '', { qos: 1 });
    expect((await missing).payload).toBe(`{"code":404,"message":"No shadow exists with name: '${thing}'"}`);

    await c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { desired: { color: 'RED', state: 'STOP' }, reported: { color: 'GREEN', engine: 'ON' } } }), { qos: 1 });
    const got = nextMessage(c, `${prefix}/get/accepted`);
    await c.publishAsync(`${prefix}/get`, JSON.stringify({ clientToken: 'g1' }), { qos: 1 });
    const document = json((await got).payload);
    expect(document.state).toEqual({ desired: { color: 'RED', state: 'STOP' }, reported: { color: 'GREEN', engine: 'ON' }, delta: { color: 'RED', state: 'STOP' } });
    expect(Object.keys(document.metadata)).toEqual(['desired', 'reported']);
    expect(document).toMatchObject({ version: 1, clientToken: 'g1' });
    await end(c);
  });

  it('named shadows have topics of their own, and 404s name the shadow', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow/name/config`;
    const c = await watcher(prefix);
    const missing = nextMessage(c, `${prefix}/get/rejected`);
    await c.publishAsync(`${prefix}/get`, JSON.stringify({ clientToken: 'x' }), { qos: 1 });
    expect(json((await missing).payload)).toEqual({ code: 404, message: "No shadow exists with name: 'config'", clientToken: 'x' });
    const accepted = nextMessage(c, `${prefix}/update/accepted`);
    await c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: { interval: 60 } } }), { qos: 1 });
    expect(json((await accepted).payload)).toMatchObject({ state: { reported: { interval: 60 } }, version: 1 });
    // The classic shadow is another shadow: it does not exist.
    await expect(root.send(new GetThingShadowCommand({ thingName: thing }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: `No shadow exists with name: '${thing}'` });
    const named = json(text((await root.send(new GetThingShadowCommand({ thingName: thing, shadowName: 'config' }))).payload));
    expect(named.state).toEqual({ reported: { interval: 60 } });
    await end(c);
  });

  it('delete answers the version the shadow had; a shadow made again continues from it', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const c = await watcher(prefix);
    for (const v of [1, 2, 3]) await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { reported: { v } } }) }));
    const deleted = nextMessage(c, `${prefix}/delete/accepted`);
    await c.publishAsync(`${prefix}/delete`, JSON.stringify({ clientToken: 'd' }), { qos: 1 });
    expect(json((await deleted).payload)).toEqual({ version: 3, timestamp: expect.any(Number), clientToken: 'd' });
    const again = nextMessage(c, `${prefix}/delete/rejected`);
    await c.publishAsync(`${prefix}/delete`, '', { qos: 1 });
    expect(json((await again).payload)).toEqual({ code: 404, message: `No shadow exists with name: '${thing}'` });
    const accepted = nextMessage(c, `${prefix}/update/accepted`);
    await c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: { v: 4 } } }), { qos: 1 });
    expect(json((await accepted).payload).version).toBe(4);
    await end(c);
  });

  it.each<[string, string | Buffer, object]>([
    ['not JSON', '{"state": ', { code: 400, message: 'Invalid JSON' }],
    ['no state', '{"clientToken": "t1"}', { code: 400, message: 'Missing required node: state', clientToken: 't1' }],
    ['a state over 8 KB', JSON.stringify({ state: { reported: { blob: 'x'.repeat(9000) } } }), { code: 413, message: 'The payload exceeds the maximum size allowed' }],
    ['nesting deeper than 6', JSON.stringify({ state: { desired: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }), { code: 400, message: 'JSON contains too many levels of nesting; maximum is 6' }],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { code: 415, message: 'Unsupported documented encoding; supported encoding is UTF-8' }],
  ])('an update with %s is answered on update/rejected', async (_title, payload, expected) => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const c = await watcher(prefix, ['update/rejected']);
    const rejected = nextMessage(c, `${prefix}/update/rejected`);
    await c.publishAsync(`${prefix}/update`, payload, { qos: 1 });
    expect(json((await rejected).payload)).toEqual({ ...expected, timestamp: expect.any(Number) });
    await end(c);
  });

  it('works the same on MQTT 3.1.1', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const c = await watcher(prefix, ['update/accepted', 'update/delta'], 4);
    const delta = nextMessage(c, `${prefix}/update/delta`);
    await c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { desired: { light: 'on' } } }), { qos: 1 });
    expect(json((await delta).payload).state).toEqual({ light: 'on' });
    await end(c);
  });

  it('a client may not publish on an answer topic (MQTT 5: PUBACK 0x90), so nobody can fake a delta', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const device = await watcher(prefix, ['update/delta']);
    const seen = collect(device);
    const faker = await connectTls(t, allowAll, { protocolVersion: 5 });
    const ack = await new Promise<{ reasonCode?: number }>((resolve) =>
      faker.publish(`${prefix}/update/delta`, JSON.stringify({ state: { unlock: true } }), { qos: 1 }, (_err, packet) => resolve((packet ?? {}) as { reasonCode?: number })),
    );
    expect(ack.reasonCode).toBe(0x90);
    const e = await t.event((e) => e.event === 'refused' && e.reason.includes('update/delta'));
    expect(e.reason).toMatch(/is where the Device Shadow service answers; clients may subscribe to it, not publish/);
    // The HTTPS Publish API refuses it too.
    await expect(root.send(new PublishCommand({ topic: `${prefix}/update/accepted`, payload: body({}) }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
    // A real request still works, and the watcher saw only the service's delta.
    await faker.publishAsync(`${prefix}/update`, JSON.stringify({ state: { desired: { unlock: false } } }), { qos: 1 });
    await nextMessage(device, `${prefix}/update/delta`).catch(() => undefined);
    seen.stop();
    expect(seen.messages.map((m) => json(m.payload).state)).toEqual([{ unlock: false }]);
    await end(device, faker);
  });

  it('a request published through the HTTPS Publish API is a shadow request too', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const c = await watcher(prefix, ['update/accepted']);
    const accepted = nextMessage(c, `${prefix}/update/accepted`);
    await root.send(new PublishCommand({ topic: `${prefix}/update`, qos: 1, payload: body({ state: { reported: { via: 'http publish' } } }) }));
    expect(json((await accepted).payload)).toMatchObject({ state: { reported: { via: 'http publish' } }, version: 1 });
    await end(c);
  });

  it('answers are deliveries like any other: without iot:Receive on them, a device gets none (and the denial is logged)', async () => {
    const thing = unique('thing');
    const prefix = `$aws/things/${thing}/shadow`;
    const mute = await createDevice(t, {
      policy: doc(allow('iot:Connect', '*'), allow('iot:Publish', `${ARN}:topic/${prefix}/update`), allow('iot:Subscribe', `${ARN}:topicfilter/${prefix}/update/*`)),
    });
    const c = await connectTls(t, mute, { protocolVersion: 5 });
    expect(await subscribe(c, `${prefix}/update/accepted`)).toEqual([1]);
    const seen = collect(c);
    await c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: { a: 1 } } }), { qos: 1 });
    const e = await t.event((e) => e.action === 'iot:Receive' && e.resource === `${ARN}:topic/${prefix}/update/accepted`);
    expect(e.outcome).toBe('not delivered');
    seen.stop();
    expect(seen.messages).toEqual([]);
    // The update itself was accepted.
    expect(json(text((await root.send(new GetThingShadowCommand({ thingName: thing }))).payload)).version).toBe(1);
    await end(c);
  });
});

describe('over HTTPS (the REST API)', () => {
  it('ListNamedShadowsForThing lists named shadows only, page by page; an unknown thing has none', async () => {
    const thing = unique('thing');
    for (const name of ['b', 'a', 'c']) await root.send(new UpdateThingShadowCommand({ thingName: thing, shadowName: name, payload: body({ state: { reported: { n: name } } }) }));
    await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { reported: { classic: true } } }) }));
    const all = await root.send(new ListNamedShadowsForThingCommand({ thingName: thing }));
    expect(all.results).toEqual(['a', 'b', 'c']);
    expect(all.nextToken).toBeUndefined();
    expect(all.timestamp).toEqual(expect.any(Number));
    const first = await root.send(new ListNamedShadowsForThingCommand({ thingName: thing, pageSize: 2 }));
    expect(first.results).toEqual(['a', 'b']);
    const second = await root.send(new ListNamedShadowsForThingCommand({ thingName: thing, pageSize: 2, nextToken: first.nextToken }));
    expect(second.results).toEqual(['c']);
    expect((await root.send(new ListNamedShadowsForThingCommand({ thingName: unique('nothing') }))).results).toEqual([]);
  });

  it('DeleteThingShadow answers {version, timestamp} and publishes delete/accepted; a second delete is a 404', async () => {
    const thing = unique('thing');
    await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { reported: { a: 1 } } }) }));
    const c = await watcher(`$aws/things/${thing}/shadow`, ['delete/accepted']);
    const published = nextMessage(c, `$aws/things/${thing}/shadow/delete/accepted`);
    const out = json(text((await root.send(new DeleteThingShadowCommand({ thingName: thing }))).payload));
    expect(out).toEqual({ version: 1, timestamp: expect.any(Number) });
    expect(json((await published).payload)).toEqual(out);
    await expect(root.send(new DeleteThingShadowCommand({ thingName: thing }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await end(c);
  });

  it.each<[string, () => Promise<unknown>, string, number]>([
    ['an update that is not JSON', () => root.send(new UpdateThingShadowCommand({ thingName: 'x', payload: Buffer.from('nope') })), 'InvalidRequestException', 400],
    ['a state over 8 KB', () => root.send(new UpdateThingShadowCommand({ thingName: 'x', payload: body({ state: { reported: { blob: 'x'.repeat(9000) } } }) })), 'RequestEntityTooLargeException', 413],
    ['a body over 128 KB', () => root.send(new UpdateThingShadowCommand({ thingName: 'x', payload: body({ state: { reported: { blob: 'x'.repeat(140_000) } } }) })), 'RequestEntityTooLargeException', 413],
    ['bytes that are not UTF-8', () => root.send(new UpdateThingShadowCommand({ thingName: 'x', payload: Buffer.from([0x7b, 0xff, 0x7d]) })), 'UnsupportedDocumentEncodingException', 415],
    ['a shadow name AWS does not allow', () => root.send(new GetThingShadowCommand({ thingName: 'x', shadowName: 'bad name' })), 'InvalidRequestException', 400],
    ['a pageSize over 100', () => root.send(new ListNamedShadowsForThingCommand({ thingName: 'x', pageSize: 101 })), 'InvalidRequestException', 400],
  ])('%s is %s', async (_title, send, name, status) => {
    const e = await sdkError(send());
    expect(e.name).toBe(name);
    expect(e.$metadata.httpStatusCode).toBe(status);
  });

  it('a device certificate needs iot:GetThingShadow (etc.) on thing/<name>[/<shadow>]; a denial is a 403 that says why, and is in the auth log', async () => {
    const thing = unique('thing');
    await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { reported: { a: 1 } } }) }));
    await root.send(new UpdateThingShadowCommand({ thingName: thing, shadowName: 'config', payload: body({ state: { reported: { a: 1 } } }) }));
    const reader = await createDevice(t, { policy: doc(allow('iot:GetThingShadow', `${ARN}:thing/${thing}`)) });
    // With a certificate and no signature, as the curl of AWS's docs sends it (the SDK always signs).
    const get = (query = '') =>
      new Promise<{ status: number; type?: string; body: string }>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: t.emulator.endpoints.https.port, path: `/things/${thing}/shadow${query}`, method: 'GET', ca: t.ca, cert: reader.cert, key: reader.key, agent: false }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d)).on('end', () => resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined, body: b }));
        });
        req.on('error', reject).end();
      });
    expect((await get()).status).toBe(200);
    const named = await get('?name=config');
    expect(named).toMatchObject({ status: 403, type: 'ForbiddenException' });
    expect(json(named.body).message).toMatch(/^Forbidden: no statement of the certificate's policies/);
    const e = await t.event((e) => e.action === 'iot:GetThingShadow' && e.resource === `${ARN}:thing/${thing}/config`);
    expect(e).toMatchObject({ event: 'denied', transport: 'https', outcome: 'HTTP 403', decision: 'IMPLICIT_DENY' });
  });

  it('a signed-in Cognito identity needs its role AND an IoT policy attached to it', async () => {
    const pool = await t.cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: unique('pool').replace(/-/g, '_'), AllowUnauthenticatedIdentities: false, SupportedLoginProviders: { [PROVIDER]: 'app' } }));
    await t.cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: pool.IdentityPoolId, Roles: { authenticated: 'arn:aws:iam::123456789012:role/user' } }));
    const Logins = { [PROVIDER]: unique('alice') };
    const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId, Logins }));
    const { Credentials } = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins }));
    const alice = dataPlane({ accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! });
    const thing = unique('lamp');
    const update = () => alice.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { desired: { light: 'on' } } }) }));
    await expect(update()).rejects.toMatchObject({ name: 'ForbiddenException', message: expect.stringMatching(/no IoT policy is attached to the identity/) });
    const policyName = unique('lamp-app');
    await t.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(doc(allow(['iot:GetThingShadow', 'iot:UpdateThingShadow'], `${ARN}:thing/${thing}`))) }));
    await t.iot.send(new AttachPolicyCommand({ policyName, target: IdentityId }));
    expect(json(text((await update()).payload)).version).toBe(1);
    // Its role does not allow deleting: the IoT policy alone is not enough either way.
    await expect(alice.send(new DeleteThingShadowCommand({ thingName: thing }))).rejects.toMatchObject({ name: 'ForbiddenException' });
    alice.destroy();
  });
});

describe('what AWS leaves unclear: things outside the registry, and deleted things', () => {
  it('by default a shadow may exist for a thing not in the registry, and outlives its thing (AWS: "Deleting a thing object does not delete the corresponding device\'s shadow")', async () => {
    const thing = unique('thing');
    await t.iot.send(new CreateThingCommand({ thingName: thing }));
    await root.send(new UpdateThingShadowCommand({ thingName: thing, payload: body({ state: { reported: { a: 1 } } }) }));
    await t.iot.send(new DeleteThingCommand({ thingName: thing }));
    expect(json(text((await root.send(new GetThingShadowCommand({ thingName: thing }))).payload)).state).toEqual({ reported: { a: 1 } });
  });

  it('createEmulator({ shadows: { requireThing, deleteWithThing } }) makes shadows belong to registered things', async () => {
    const strict = await startEmulator({ shadows: { requireThing: true, deleteWithThing: true } });
    const agent = new https.Agent({ ca: readFileSync(strict.emulator.endpoints.caFile) });
    const client = new IoTDataPlaneClient({ endpoint: strict.emulator.endpoints.https.url, region: 'us-east-1', credentials: strict.emulator.credentials, maxAttempts: 1, requestHandler: { httpsAgent: agent } });
    const update = () => client.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: body({ state: { reported: { a: 1 } } }) }));
    await expect(update()).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Thing not found' });
    await strict.iot.send(new CreateThingCommand({ thingName: 'lamp' }));
    expect(json(text((await update()).payload)).version).toBe(1);
    await strict.iot.send(new DeleteThingCommand({ thingName: 'lamp' }));
    await strict.iot.send(new CreateThingCommand({ thingName: 'lamp' }));
    // Gone with its thing, version and all.
    await expect(client.send(new GetThingShadowCommand({ thingName: 'lamp' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: "No shadow exists with name: 'lamp'" });
    expect(json(text((await update()).payload)).version).toBe(1);
    client.destroy();
    await strict.close();
  });
});

describe('persistence', () => {
  it('shadows (and a deleted shadow\'s version) survive a restart, in shadows.json (0600)', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-shadow-persist-'));
    const open = async () => {
      const e = await startEmulator({ ephemeral: false, dataDir });
      const agent = new https.Agent({ ca: readFileSync(e.emulator.endpoints.caFile) });
      const client = new IoTDataPlaneClient({ endpoint: e.emulator.endpoints.https.url, region: 'us-east-1', credentials: e.emulator.credentials, maxAttempts: 1, requestHandler: { httpsAgent: agent } });
      return { e, client, close: async () => (client.destroy(), await e.close()) };
    };
    const first = await open();
    await first.client.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: body({ state: { desired: { light: 'on' }, reported: { light: 'off' } } }) }));
    await first.client.send(new UpdateThingShadowCommand({ thingName: 'lamp', shadowName: 'config', payload: body({ state: { desired: { interval: 60 } } }) }));
    await first.client.send(new UpdateThingShadowCommand({ thingName: 'old', payload: body({ state: { reported: { v: 1 } } }) }));
    await first.client.send(new UpdateThingShadowCommand({ thingName: 'old', payload: body({ state: { reported: { v: 2 } } }) }));
    await first.client.send(new DeleteThingShadowCommand({ thingName: 'old' }));
    const before = json(text((await first.client.send(new GetThingShadowCommand({ thingName: 'lamp' }))).payload));
    await first.close();
    expect(statSync(path.join(dataDir, 'shadows.json')).mode & 0o777).toBe(0o600);

    const second = await open();
    const after = json(text((await second.client.send(new GetThingShadowCommand({ thingName: 'lamp' }))).payload));
    expect({ ...after, timestamp: 0 }).toEqual({ ...before, timestamp: 0 });
    expect(after.state.delta).toEqual({ light: 'on' });
    expect((await second.client.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp' }))).results).toEqual(['config']);
    const again = await second.client.send(new UpdateThingShadowCommand({ thingName: 'old', payload: body({ state: { reported: { v: 3 } } }) }));
    expect(json(text(again.payload)).version).toBe(3);
    await second.close();
  });
});
