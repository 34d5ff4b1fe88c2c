/** IoT policies enforced on every CONNECT, PUBLISH, SUBSCRIBE and delivery, denied the AWS MQTT 3.1.1 way, and explained in the auth log. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand, CreatePolicyVersionCommand, DetachPolicyCommand, UpdateThingCommand } from '@aws-sdk/client-iot';
import { CreateIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { renderTemplate } from '../../src/core/policy/index.js';
import { loadTemplate } from '../../src/policy-documents/templates.js';
import type { LoginValidators } from '../../src/emulator/index.js';
import {
  ALLOW_ALL_MQTT,
  closed,
  collect,
  connectTls,
  connectWss,
  createDevice,
  end,
  nextMessage,
  startBrokerTest,
  subscribe,
  unique,
  type BrokerTest,
} from '../helpers/broker.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const allow = (action: string | string[], resource: string | string[]) => ({ Effect: 'Allow', Action: action, Resource: resource });
const deny = (action: string | string[], resource: string | string[], sid?: string) => ({ Effect: 'Deny', Action: action, Resource: resource, ...(sid ? { Sid: sid } : {}) });
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });

const PROVIDER = 'login.test.local';
const loginValidators: LoginValidators = { [PROVIDER]: async (token) => ({ subject: token.replace(/^token-/, '') }) };

let t: BrokerTest;
beforeAll(async () => {
  t = await startBrokerTest({
    loginValidators,
    roles: {
      // The pool's roles: guests may only connect and read news; signed-in users may use their own topics.
      guest: doc(allow('iot:Connect', '*'), allow(['iot:Subscribe'], `${ARN}:topicfilter/news/*`), allow('iot:Receive', `${ARN}:topic/news/*`)),
      user: doc(allow(['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:ListThings'], '*')),
    },
  });
});
afterAll(() => t.close());

describe('denials, the AWS way', () => {
  it('a denied CONNECT closes the socket without CONNACK, and the log names the action, resource and reason', async () => {
    const device = await createDevice(t, { policy: doc(allow('iot:Connect', `${ARN}:client/sensor-*`)) });
    await expect(connectTls(t, device, { clientId: 'intruder' })).rejects.toThrow(/closed before CONNACK/);
    const e = await t.event((e) => e.event === 'denied' && e.clientId === 'intruder');
    expect(e).toMatchObject({
      action: 'iot:Connect',
      resource: `${ARN}:client/intruder`,
      decision: 'IMPLICIT_DENY',
      principal: device.certificateArn,
      principalKind: 'certificate',
      outcome: 'connection closed, no CONNACK',
      policies: [device.policyName],
    });
    expect(e.reason).toBe(`no statement of the certificate's policies (${device.policyName}) allows it`);
    const ok = await connectTls(t, device, { clientId: 'sensor-1' });
    await end(ok);
  });

  it('a denied PUBLISH closes the connection and reaches no subscriber; an explicit Deny is named in the log', async () => {
    const listener = await connectWss(t);
    await subscribe(listener, 'plant/#');
    const seen = collect(listener);
    const device = await createDevice(t, { policy: doc(allow(['iot:Connect', 'iot:Publish'], '*'), deny('iot:Publish', `${ARN}:topic/plant/valves/*`, 'NoValves')) });
    const client = await connectTls(t, device);
    const temperature = nextMessage(listener, 'plant/temperature');
    await client.publishAsync('plant/temperature', '21', { qos: 1 });
    await temperature;
    client.publish('plant/valves/main', 'open', { qos: 1 });
    await closed(client);
    const e = await t.event((e) => e.action === 'iot:Publish' && e.resource === `${ARN}:topic/plant/valves/main`);
    expect(e).toMatchObject({ decision: 'EXPLICIT_DENY', outcome: 'connection closed' });
    expect(e.deciding).toEqual([
      expect.objectContaining({ side: 'iot', policyName: device.policyName, policyVersionId: '1', statementIndex: 1, sid: 'NoValves', effect: 'Deny' }),
    ]);
    expect(e.reason).toBe(`explicitly denied by ${device.policyName} version 1, Statement[1] "NoValves"`);
    // A later message arrives; the denied one never did.
    const later = nextMessage(listener, 'plant/later');
    await listener.publishAsync('plant/later', 'x', { qos: 1 });
    await later;
    expect(seen.messages.map((m) => m.topic)).toEqual(['plant/temperature', 'plant/later']);
    await end(client, listener);
  });

  it('a denied SUBSCRIBE gets SUBACK 0x80 for that filter only', async () => {
    const device = await createDevice(t, { policy: doc(allow(['iot:Connect', 'iot:Receive'], '*'), allow('iot:Subscribe', `${ARN}:topicfilter/open/*`)) });
    const client = await connectTls(t, device);
    expect(await subscribe(client, ['open/a', 'secret/b'])).toEqual([1, 128]);
    expect(client.connected).toBe(true);
    const e = await t.event((e) => e.action === 'iot:Subscribe' && e.resource === `${ARN}:topicfilter/secret/b`);
    expect(e.outcome).toBe('SUBACK 0x80 for this filter');
    await end(client);
  });

  it('with subscribeDenied "close", a denied SUBSCRIBE closes the connection', async () => {
    const strict = await startBrokerTest({ subscribeDenied: 'close' });
    try {
      const device = await createDevice(strict, { policy: doc(allow(['iot:Connect', 'iot:Receive'], '*'), allow('iot:Subscribe', `${ARN}:topicfilter/open/*`)) });
      const client = await connectTls(strict, device);
      client.subscribe('secret/b');
      await closed(client);
      expect((await strict.event((e) => e.action === 'iot:Subscribe')).outcome).toBe('connection closed');
      await end(client);
    } finally {
      await strict.close();
    }
  });

  it('a denied Receive is silently not delivered (policy-wide wildcard subscriptions cannot widen it)', async () => {
    const device = await createDevice(t, {
      policy: doc(allow(['iot:Connect', 'iot:Subscribe'], '*'), allow('iot:Receive', `${ARN}:topic/shop/*`), deny('iot:Receive', `${ARN}:topic/shop/private/*`)),
    });
    const client = await connectTls(t, device);
    await subscribe(client, 'shop/#');
    const seen = collect(client);
    const pub = await connectWss(t);
    await pub.publishAsync('shop/private/till', 'cash', { qos: 1 });
    const last = nextMessage(client, 'shop/public/hours');
    await pub.publishAsync('shop/public/hours', '9-5', { qos: 1 });
    await last;
    expect(seen.messages.map((m) => m.topic)).toEqual(['shop/public/hours']);
    expect(client.connected).toBe(true);
    const e = await t.event((e) => e.action === 'iot:Receive');
    expect(e).toMatchObject({ resource: `${ARN}:topic/shop/private/till`, decision: 'EXPLICIT_DENY', outcome: 'not delivered' });
    await end(client, pub);
  });

  it('a Will the policy does not allow refuses the CONNECT', async () => {
    const device = await createDevice(t, { policy: doc(allow(['iot:Connect'], '*'), allow('iot:Publish', `${ARN}:topic/status/*`)) });
    await expect(connectTls(t, device, { will: { topic: 'alarm/gone', payload: Buffer.from('x'), qos: 1, retain: false } })).rejects.toThrow(/before CONNACK/);
    const e = await t.event((e) => e.action === 'iot:Publish' && e.resource === `${ARN}:topic/alarm/gone`);
    expect(e.outcome).toContain('Will topic');
    const ok = await connectTls(t, device, { will: { topic: 'status/gone', payload: Buffer.from('x'), qos: 1, retain: false } });
    await end(ok);
  });
});

describe('policy variables from the connection', () => {
  it('thing variables apply when the client id is the name of the attached thing (the device template)', async () => {
    const template = await loadTemplate('device');
    const policyName = unique('device-policy');
    await t.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(renderTemplate(template, {}).document) }));
    const thingName = unique('lamp');
    const device = await createDevice(t, { policy: policyName, thingName });
    const client = await connectTls(t, device, { clientId: thingName });
    expect(await subscribe(client, `things/${thingName}/#`)).toEqual([1]);
    const echo = nextMessage(client, `things/${thingName}/state`);
    await client.publishAsync(`things/${thingName}/state`, 'on', { qos: 1 });
    expect((await echo).payload).toBe('on');
    await end(client);

    // Another client id: no thing variables, so the Connect resource stays unresolved.
    await expect(connectTls(t, device, { clientId: 'not-the-thing' })).rejects.toThrow(/before CONNACK/);
    const e = await t.event((e) => e.clientId === 'not-the-thing');
    expect(e.missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
  });

  it('certificate fields and thing attributes are variables too', async () => {
    const thingName = unique('meter');
    const device = await createDevice(t, {
      policy: doc(
        allow('iot:Connect', '*'),
        allow('iot:Publish', `${ARN}:topic/cert/\${iot:Certificate.Subject.CommonName}/\${iot:Connection.Thing.Attributes[floor]}/\${iot:CertificateId}`),
      ),
      thingName,
      awsKeys: true,
    });
    await t.iot.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: { floor: '3' } } }));
    const client = await connectTls(t, device, { clientId: thingName });
    // CreateKeysAndCertificate's subject is CN=AWS IoT Certificate, as on AWS.
    await client.publishAsync(`cert/AWS IoT Certificate/3/${device.certificateId}`, 'x', { qos: 1 });
    expect(client.connected).toBe(true);
    await end(client);
  });
});

describe('changes reach live connections', () => {
  it('detaching a policy denies the next operation; a new default version applies at once', async () => {
    const policyName = unique('live');
    await t.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(doc(allow(['iot:Connect', 'iot:Publish'], '*'))) }));
    const device = await createDevice(t, { policy: policyName });
    const client = await connectTls(t, device);
    await client.publishAsync('live/a', '1', { qos: 1 });

    await t.iot.send(new CreatePolicyVersionCommand({ policyName, setAsDefault: true, policyDocument: JSON.stringify(doc(allow('iot:Connect', '*'), allow('iot:Publish', `${ARN}:topic/live/a`))) }));
    await client.publishAsync('live/a', '2', { qos: 1 });
    client.publish('live/b', '3', { qos: 1 });
    await closed(client);
    expect((await t.event((e) => e.resource === `${ARN}:topic/live/b`)).deciding).toEqual([]);

    const again = await connectTls(t, device);
    await t.iot.send(new DetachPolicyCommand({ policyName, target: device.certificateArn }));
    again.publish('live/a', '4', { qos: 1 });
    await closed(again);
    expect((await t.event((e) => e.resource === `${ARN}:topic/live/a` && e.principal === device.certificateArn)).reason).toBe('no IoT policy is attached to the certificate');
    await end(client, again);
  });
});

describe('the home scenario (Alice and Bob share home 123_aws_ave, Chuck lives at 456_iot_ln)', () => {
  it('lets Alice and Bob talk in their home and keeps Chuck out', async () => {
    const template = await loadTemplate('home');
    for (const homeId of ['123_aws_ave', '456_iot_ln']) {
      await t.iot.send(new CreatePolicyCommand({ policyName: `home-${homeId}`, policyDocument: JSON.stringify(renderTemplate(template, { homeId }).document) }));
    }
    const [alice, bob, chuck] = await Promise.all([
      createDevice(t, { policy: 'home-123_aws_ave' }),
      createDevice(t, { policy: 'home-123_aws_ave' }),
      createDevice(t, { policy: 'home-456_iot_ln' }),
    ]);
    const a = await connectTls(t, alice, { clientId: '123_aws_ave-alice' });
    const b = await connectTls(t, bob, { clientId: '123_aws_ave-bob' });
    expect(await subscribe(a, 'home/123_aws_ave/#')).toEqual([1]);
    const door = nextMessage(a, 'home/123_aws_ave/door_1/open');
    await b.publishAsync('home/123_aws_ave/door_1/open', 'yes', { qos: 1 });
    expect((await door).payload).toBe('yes');

    // Chuck cannot pose as a member of 123_aws_ave...
    await expect(connectTls(t, chuck, { clientId: '123_aws_ave-chuck' })).rejects.toThrow(/before CONNACK/);
    // ...and from his own home he can neither subscribe nor publish there.
    const c = await connectTls(t, chuck, { clientId: '456_iot_ln-chuck' });
    expect(await subscribe(c, ['home/123_aws_ave/#', 'home/456_iot_ln/#'])).toEqual([128, 1]);
    c.publish('home/123_aws_ave/door_1/open', 'muhaha', { qos: 1 });
    await closed(c);
    const e = await t.event((e) => e.clientId === '456_iot_ln-chuck' && e.action === 'iot:Publish');
    expect(e.reason).toBe(`no statement of the certificate's policies (home-456_iot_ln) allows it`);
    await end(a, b, c);
  });
});

describe('Cognito identities', () => {
  async function identity(login?: string) {
    const pool = await t.cognito.send(
      new CreateIdentityPoolCommand({ IdentityPoolName: unique('pool').replace(/-/g, '_'), AllowUnauthenticatedIdentities: true, SupportedLoginProviders: { [PROVIDER]: 'app' } }),
    );
    await t.cognito.send(
      new SetIdentityPoolRolesCommand({
        IdentityPoolId: pool.IdentityPoolId,
        Roles: { unauthenticated: 'arn:aws:iam::123456789012:role/guest', authenticated: 'arn:aws:iam::123456789012:role/user' },
      }),
    );
    const logins = login ? { [PROVIDER]: `token-${login}` } : undefined;
    const { IdentityId } = await t.cognito.send(new GetIdCommand({ IdentityPoolId: pool.IdentityPoolId, Logins: logins }));
    const { Credentials } = await t.cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
    return { identityId: IdentityId!, credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken! } };
  }

  it('an unauthenticated identity is governed by the unauthenticated role policy alone', async () => {
    const guest = await identity();
    const client = await connectWss(t, { credentials: guest.credentials });
    expect(await subscribe(client, ['news/#', 'private/#'])).toEqual([1, 128]);
    const e = await t.event((e) => e.principal === guest.identityId && e.action === 'iot:Subscribe');
    expect(e.principalKind).toBe('cognito-unauthenticated');
    expect(e.reason).toBe("no statement of the unauthenticated identity's role arn:aws:iam::123456789012:role/guest allows it");
    await end(client);
  });

  it('an authenticated identity is denied until an IoT policy is attached to its identity id, then allowed', async () => {
    const alice = await identity('alice');
    await expect(connectWss(t, { credentials: alice.credentials }, { clientId: 'alice-app' })).rejects.toThrow(/before CONNACK/);
    const e = await t.event((e) => e.principal === alice.identityId && e.action === 'iot:Connect');
    expect(e.principalKind).toBe('cognito-authenticated');
    expect(e.reason).toBe('the role policy allows it, but no IoT policy attached to the identity does: no IoT policy is attached to the identity');

    const policyName = unique('cognito-user');
    const template = await loadTemplate('cognito-user');
    await t.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(renderTemplate(template, {}).document) }));
    await t.iot.send(new AttachPolicyCommand({ policyName, target: alice.identityId }));
    const client = await connectWss(t, { credentials: alice.credentials }, { clientId: alice.identityId });
    const mine = `users/${alice.identityId}/inbox`;
    expect(await subscribe(client, mine)).toEqual([1]);
    const got = nextMessage(client, mine);
    await client.publishAsync(mine, 'hello me', { qos: 1 });
    expect((await got).payload).toBe('hello me');
    await end(client);
  });

  it('temporary credentials call the control plane when their role policy allows it (IAM-style), not otherwise', async () => {
    const { IoTClient, ListThingsCommand, CreateThingCommand } = await import('@aws-sdk/client-iot');
    const alice = await identity('bob');
    const iot = new IoTClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: alice.credentials, maxAttempts: 1 });
    await expect(iot.send(new ListThingsCommand({}))).resolves.toBeDefined();
    await expect(iot.send(new CreateThingCommand({ thingName: 'nope' }))).rejects.toMatchObject({ name: 'UnauthorizedException' });
    iot.destroy();
  });
});

it('the root key over WebSockets is the account root: allowed everything', async () => {
  const root = await connectWss(t);
  expect(await subscribe(root, ['#', '$aws/things/x/shadow/update/accepted'])).toEqual([1, 1]);
  await end(root);
  expect(ALLOW_ALL_MQTT.Statement).toHaveLength(1);
});
