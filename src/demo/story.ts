/**
 * The story `iotctl demo` tells, as checks against a real local IoT Core,
 * over MQTT 5 (refusals come with AWS's reason codes) but for one step that
 * shows how MQTT 3.1.1 is refused (the connection dropped): a device
 * provisioned and talking; the home policies (Alice and Bob share home
 * 123_aws_ave, Chuck is refused there); a Cognito user from guest access,
 * through "denied until registered", to connected; and the lamp, whose
 * Device Shadow Alice sets from her app while Chuck may not even read it.
 */
import type { AwsCredentials } from '../mqtt/types.js';
import type { ProvisionResult } from '../identity/provision.js';
import { attempt, brokerReason, nextMessage, type Check } from './checks.js';
import type { World } from './world.js';

export interface Narrator {
  chapter(title: string, text: string): void;
  /** A step that takes a moment (spinner on a terminal). */
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  check(check: Check): void;
}

interface Expectation {
  chapter: string;
  title: string;
  expected: 'allowed' | 'denied';
  clientId?: string;
  action?: string;
}

/** Runs one operation, records whether AWS IoT's expected decision happened, with the broker's reason for denials. */
async function verify(world: World, narrator: Narrator, checks: Check[], e: Expectation, work: () => Promise<string | void>): Promise<Check> {
  const since = world.authEvents.length;
  const { actual, detail } = await attempt(work);
  const why = actual === 'denied' ? await brokerReason(world.authEvents, since, e.clientId, e.action) : undefined;
  const check: Check = { chapter: e.chapter, title: e.title, expected: e.expected, actual, ok: actual === e.expected, detail, why };
  checks.push(check);
  narrator.check(check);
  return check;
}

const text = (payload: Buffer) => payload.toString('utf8');

async function deviceChapter(world: World, n: Narrator, checks: Check[]): Promise<void> {
  const chapter = 'device';
  n.chapter('1. A device, provisioned and talking', 'Key and CSR made locally, certificate registered, thing and policy created, everything attached: one command, iotctl provision.');
  const sensor = await n.step('iotctl provision demo-sensor --template device', () => world.provision('demo-sensor', 'device'));
  const monitor = await n.step('a second session of the device (client demo-sensor-monitor) subscribes to its topics', async () => {
    const s = await world.deviceSession(sensor, 'demo-sensor-monitor');
    await s.subscribe('things/demo-sensor/#', 1);
    return s;
  });
  const device = await world.deviceSession(sensor, 'demo-sensor');
  await verify(world, n, checks, { chapter, title: 'demo-sensor publishes things/demo-sensor/temp, seen', expected: 'allowed' }, async () => {
    const arrival = nextMessage(monitor, 'things/demo-sensor/temp');
    await device.publish({ topic: 'things/demo-sensor/temp', payload: Buffer.from('{"celsius":21.5}'), qos: 1 });
    const message = await arrival;
    if (!message) throw new Error('the message did not arrive');
    return `received ${text(message.payload)}`;
  });
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'demo-sensor publishes things/other/temp (MQTT 5)', expected: 'denied', clientId: 'demo-sensor-pub', action: 'iot:Publish' },
    async () => {
      // A session of its own, as `iotctl pub` would open. MQTT 5: AWS answers with a reason code and keeps the connection.
      const pub = await world.deviceSession(sensor, 'demo-sensor-pub');
      await pub.publish({ topic: 'things/other/temp', payload: Buffer.from('{"celsius":99}'), qos: 1 });
    },
  );
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'the same on MQTT 3.1.1: the connection drops', expected: 'denied', clientId: 'demo-sensor-v3', action: 'iot:Publish' },
    async () => {
      // MQTT 3.1.1 has no way to say no to a PUBLISH: AWS IoT closes the connection.
      const pub = await world.deviceSession(sensor, 'demo-sensor-v3', 3);
      await pub.publish({ topic: 'things/other/temp', payload: Buffer.from('{"celsius":99}'), qos: 1 });
    },
  );
}

async function homeChapter(world: World, n: Narrator, checks: Check[]): Promise<{ chuck: ProvisionResult }> {
  const chapter = 'home';
  n.chapter('2. Home policies', 'Alice and Bob share home 123_aws_ave; Chuck lives at 456_iot_ln. One policy per home (template "home"), attached to each member\'s certificate.');
  const [alice, bob, chuck] = await n.step('provision alice, bob (home 123_aws_ave) and chuck (home 456_iot_ln)', async () => [
    // One after the other: alice's run creates the home's policy that bob's reuses.
    await world.provision('alice', 'home', { homeId: '123_aws_ave' }),
    await world.provision('bob', 'home', { homeId: '123_aws_ave' }),
    await world.provision('chuck', 'home', { homeId: '456_iot_ln' }),
  ]);
  const aliceSession = await world.deviceSession(alice, '123_aws_ave-alice');
  await verify(world, n, checks, { chapter, title: 'Alice subscribes to home/123_aws_ave/#', expected: 'allowed' }, async () => {
    await aliceSession.subscribe('home/123_aws_ave/#', 1);
    return 'SUBACK granted';
  });
  const bobSession = await world.deviceSession(bob, '123_aws_ave-bob');
  for (const topic of ['home/123_aws_ave/light_1/on', 'home/123_aws_ave/door_1/open']) {
    await verify(world, n, checks, { chapter, title: `Bob publishes ${topic.replace('home/123_aws_ave/', '')}, Alice gets it`, expected: 'allowed' }, async () => {
      const arrival = nextMessage(aliceSession, topic);
      await bobSession.publish({ topic, payload: Buffer.from('{"by":"bob"}'), qos: 1 });
      if (!(await arrival)) throw new Error('Alice did not receive it');
      return 'delivered to Alice';
    });
  }
  const chuckWatcher = await world.deviceSession(chuck, '456_iot_ln-chuck-watch');
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'Chuck subscribes to home/123_aws_ave/#', expected: 'denied', clientId: '456_iot_ln-chuck-watch', action: 'iot:Subscribe' },
    async () => {
      await chuckWatcher.subscribe('home/123_aws_ave/#', 1);
    },
  );
  const chuckSession = await world.deviceSession(chuck, '456_iot_ln-chuck');
  const leaked = nextMessage(aliceSession, 'home/123_aws_ave/door_1/open', 1000);
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'Chuck publishes home/123_aws_ave/door_1/open', expected: 'denied', clientId: '456_iot_ln-chuck', action: 'iot:Publish' },
    async () => {
      await chuckSession.publish({ topic: 'home/123_aws_ave/door_1/open', payload: Buffer.from('{"by":"chuck"}'), qos: 1 });
    },
  );
  await verify(world, n, checks, { chapter, title: "Chuck's message never reaches Alice", expected: 'denied' }, async () => {
    const message = await leaked;
    if (message && text(message.payload).includes('chuck')) return 'Alice received it';
    const { IotctlError, ExitCode } = await import('../core/errors.js');
    throw new IotctlError('NOT_DELIVERED', 'not delivered', { exitCode: ExitCode.DENIED });
  });
  return { chuck };
}

/** A signed-in user: her identity id and temporary credentials. */
type SignedIn = AwsCredentials & { identityId: string };

async function cognitoChapter(world: World, n: Narrator, checks: Check[]): Promise<{ alice: SignedIn }> {
  const chapter = 'cognito';
  n.chapter(
    '3. App users with Amazon Cognito',
    'Guests get the unauthenticated role. A signed-in user needs the authenticated role AND an IoT policy attached to their identity id, which cannot exist before the identity does: attach it on first connect (iotctl cognito register).',
  );
  const { createIdentityPool } = await import('../cognito/pools.js');
  const { localLoginProvider } = await import('../emulator/index.js');
  const { cognitoCredentials } = await import('../cognito/credentials.js');
  const { localLogin } = await import('../cognito/logins.js');
  const provider = localLoginProvider(world.region);
  const poolId = await n.step('create an identity pool with guest access and the local login provider', async () => {
    const arn = (role: string) => `arn:aws:iam::${world.emulator.endpoints.accountId}:role/${role}`;
    const pool = await createIdentityPool(
      { name: 'demo', allowUnauthenticated: true, loginProviders: [{ provider, clientId: 'iotctl-local' }], roleArns: { unauthenticated: arn('demo-unauth'), authenticated: arn('demo-auth') }, params: {} },
      // Both roles are given: no IAM role is made.
      { cognito: world.cognito, iam: () => Promise.reject(new Error('the demo makes no IAM roles')), warn: () => {} },
    );
    return pool.identityPoolId;
  });
  // No config directory of the user's is touched: identity ids are cached in the demo's folder.
  const env = { IOTCTL_CONFIG_DIR: world.dir };

  const guest = await cognitoCredentials(world.cognito, env, poolId, undefined);
  const guestSession = await world.webSocketSession(guest.identityId, guest);
  await verify(world, n, checks, { chapter, title: 'a guest subscribes to public/# over a SigV4 WebSocket', expected: 'allowed' }, async () => {
    await guestSession.subscribe('public/#', 1);
    return `identity ${guest.identityId}`;
  });
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'a guest publishes to users/<identity id>/hello', expected: 'denied', clientId: guest.identityId, action: 'iot:Publish' },
    async () => {
      await guestSession.publish({ topic: `users/${guest.identityId}/hello`, payload: Buffer.from('hi'), qos: 1 });
    },
  );

  const login = await localLogin({ endpoint: world.emulator.endpoints.controlPlane, region: world.region, credentials: world.emulator.credentials }, 'alice');
  const alice = await cognitoCredentials(world.cognito, env, poolId, { [login.provider]: login.idToken });
  await verify(
    world,
    n,
    checks,
    { chapter, title: 'Alice (signed in, no IoT policy yet) connects', expected: 'denied', clientId: alice.identityId, action: 'iot:Connect' },
    async () => {
      const s = await world.webSocketSession(alice.identityId, alice);
      await s.disconnect();
    },
  );
  await n.step(`iotctl cognito register --identity-id ${alice.identityId}`, async () => {
    const { registerIdentity } = await import('../cognito/registration.js');
    const { loadTemplate, templatePolicy } = await import('../policy-documents/templates.js');
    await registerIdentity(world.iot, alice.identityId, templatePolicy(await loadTemplate('cognito-user'), {}));
  });
  const topic = `users/${alice.identityId}/hello`;
  await verify(world, n, checks, { chapter, title: 'Alice (registered) uses users/<identity id>/#', expected: 'allowed' }, async () => {
    const s = await world.webSocketSession(alice.identityId, alice);
    await s.subscribe(`users/${alice.identityId}/#`, 1);
    const arrival = nextMessage(s, topic);
    await s.publish({ topic, payload: Buffer.from('hello from alice'), qos: 1 });
    if (!(await arrival)) throw new Error('her message did not come back');
    return 'published and received';
  });
  return { alice };
}

async function lampChapter(world: World, n: Narrator, checks: Check[], people: { alice: SignedIn; chuck: ProvisionResult }): Promise<void> {
  const chapter = 'lamp';
  n.chapter(
    '4. The lamp and its Device Shadow',
    'The shadow keeps what the app wants (desired) and what the lamp does (reported); the lamp catches up from the delta, even after being offline. Over MQTT, a shadow is its reserved topics $aws/things/lamp/shadow/...',
  );
  const prefix = '$aws/things/lamp/shadow';
  const lamp = await n.step('iotctl provision lamp --template shadow', () => world.provision('lamp', 'shadow'));
  const { alice, chuck } = people;
  await n.step("attach an IoT policy to Alice's identity: she may update the lamp's shadow and read the answers", async () => {
    const { registerIdentity } = await import('../cognito/registration.js');
    const arn = `arn:aws:iot:${world.region}:${world.emulator.endpoints.accountId}`;
    const document = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${arn}:topic/${prefix}/update`, `${arn}:topic/${prefix}/get`] },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}:topicfilter/${prefix}/*` },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: `${arn}:topic/${prefix}/*` },
      ],
    };
    await registerIdentity(world.iot, alice.identityId, { name: 'demo-lamp-app', document: JSON.stringify(document) });
  });
  const lampSession = await world.deviceSession(lamp, 'lamp');
  await lampSession.subscribe(`${prefix}/update/delta`, 1);
  const app = await world.webSocketSession(alice.identityId, alice);
  const delta = nextMessage(lampSession, `${prefix}/update/delta`);
  await verify(world, n, checks, { chapter, title: 'Alice sets desired.light = "on" (SigV4 WebSocket)', expected: 'allowed' }, async () => {
    await app.subscribe(`${prefix}/update/accepted`, 1);
    const accepted = nextMessage(app, `${prefix}/update/accepted`);
    await app.publish({ topic: `${prefix}/update`, payload: Buffer.from(JSON.stringify({ state: { desired: { light: 'on' } }, clientToken: 'alice-app' })), qos: 1 });
    const answer = await accepted;
    if (!answer) throw new Error('no answer on update/accepted');
    return `accepted, version ${String((JSON.parse(text(answer.payload)) as { version?: number }).version)}`;
  });
  await verify(world, n, checks, { chapter, title: 'the lamp (mutual TLS) gets the delta', expected: 'allowed' }, async () => {
    const message = await delta;
    if (!message) throw new Error('no delta arrived');
    return `delta ${JSON.stringify((JSON.parse(text(message.payload)) as { state?: unknown }).state)}`;
  });
  await verify(world, n, checks, { chapter, title: 'the lamp reports light = "on": the shadow is in sync', expected: 'allowed' }, async () => {
    for (const topic of [`${prefix}/update/accepted`, `${prefix}/get/accepted`]) await lampSession.subscribe(topic, 1);
    const reported = nextMessage(lampSession, `${prefix}/update/accepted`);
    await lampSession.publish({ topic: `${prefix}/update`, payload: Buffer.from(JSON.stringify({ state: { reported: { light: 'on' } } })), qos: 1 });
    if (!(await reported)) throw new Error('the report was not accepted');
    const got = nextMessage(lampSession, `${prefix}/get/accepted`);
    await lampSession.publish({ topic: `${prefix}/get`, payload: Buffer.from('{}'), qos: 1 });
    const answer = await got;
    if (!answer) throw new Error('no answer on get/accepted');
    const doc = JSON.parse(text(answer.payload)) as { state: { delta?: unknown; reported?: { light?: string } }; version: number };
    if (doc.state.delta !== undefined || doc.state.reported?.light !== 'on') throw new Error(`not in sync: ${JSON.stringify(doc.state)}`);
    return `version ${doc.version}, no delta`;
  });
  await verify(
    world,
    n,
    checks,
    { chapter, title: "Chuck reads the lamp's shadow (GetThingShadow)", expected: 'denied', action: 'iot:GetThingShadow' },
    async () => {
      const client = await world.httpsClient(chuck);
      try {
        await client.getShadow({ thingName: 'lamp' });
      } finally {
        client.close();
      }
    },
  );
}

/** Runs the whole story; never throws for a wrong decision (that is a failed check), only for a broken setup. */
export async function tellStory(world: World, narrator: Narrator): Promise<Check[]> {
  const checks: Check[] = [];
  await deviceChapter(world, narrator, checks);
  const { chuck } = await homeChapter(world, narrator, checks);
  const { alice } = await cognitoChapter(world, narrator, checks);
  await lampChapter(world, narrator, checks, { alice, chuck });
  return checks;
}
