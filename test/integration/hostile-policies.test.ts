/**
 * The local IoT Core fails closed: a policy the evaluator cannot fully
 * understand never weakens a Deny. CreatePolicy refuses what AWS refuses;
 * what AWS accepts but the evaluator cannot evaluate (and documents stored
 * before, e.g. by an older iotctl) is enforced fail-closed, and the broker,
 * TestAuthorization and `iotctl policy test` give the same decision.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand, CreatePolicyVersionCommand, TestAuthorizationCommand } from '@aws-sdk/client-iot';
import mqtt from 'mqtt';
import { connected, createDevice, end, unique, type Device } from '../helpers/broker.js';
import { sdkError } from '../helpers/emulator.js';
import { spawnCli, testEnv } from '../helpers/cli.js';
import { killLeftovers, spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

afterEach(killLeftovers);

const ALLOW = { Effect: 'Allow', Action: 'iot:*', Resource: '*' };
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
/** A Deny that AWS accepts but iotctl cannot evaluate: a Date operator. */
const DENY_SECRET_DATED = { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/secret/*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } };

/** The three decisions for a publish: the broker (does the connection survive it), TestAuthorization, and policy test. */
async function decisions(local: SpawnedLocal, device: Device, clientId: string, topic: string): Promise<{ broker: string; testAuthorization: string; policyTest: number }> {
  const client = await connected(
    mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, clientId, reconnectPeriod: 0 }),
  );
  const closed = new Promise<string>((resolve) => client.once('close', () => resolve('denied (connection closed)')));
  const acked = client.publishAsync(topic, 'x', { qos: 1 }).then(
    () => 'allowed (PUBACK)',
    () => 'denied (connection closed)',
  );
  const broker = await Promise.race([acked, closed]);
  await end(client);
  const arn = `arn:aws:iot:${local.ready.region}:123456789012:topic/${topic}`;
  const out = await local.iot.send(new TestAuthorizationCommand({ principal: device.certificateArn, clientId, authInfos: [{ actionType: 'PUBLISH', resources: [arn] }] }));
  const policyTest = await spawnCli(['--profile', 'local', 'policy', 'test', '--principal', device.certificateArn, '--client-id', clientId, '--action', 'iot:Publish', '--resource', topic], { env: local.env });
  return { broker, testAuthorization: out.authResults![0]!.authDecision!, policyTest: policyTest.code };
}

describe('CreatePolicy refuses what AWS refuses, in its words', () => {
  it('an unknown condition operator, a resource that is not an ARN, a wrong Version: MalformedPolicyException', { timeout: 30_000 }, async () => {
    const local = await spawnLocal(['--ephemeral']);
    const cases: [string, string][] = [
      [doc(ALLOW, { Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { StringEqualz: { 'iot:ClientId': 'x' } } }), 'Policy document is Malformed: Invalid policy syntax. Statement[1].Condition has unknown condition operator "StringEqualz"'],
      [doc(ALLOW, { Effect: 'Deny', Action: 'iot:Publish', Resource: ['arn:aws:iot:*:*:topic/secret/*', 'topic/secret/*'] }), 'Policy document is Malformed: The following resources are invalid : topic/secret/*'],
      [JSON.stringify({ Version: '2012-10-18', Statement: [ALLOW] }), 'Policy document is Malformed: unsupported Version "2012-10-18".'],
    ];
    for (const [policyDocument, message] of cases) {
      const err = await sdkError(local.iot.send(new CreatePolicyCommand({ policyName: unique('p'), policyDocument })));
      expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(['MalformedPolicyException', 400, message]);
    }
    const name = unique('p');
    await local.iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: doc(ALLOW) }));
    const version = await sdkError(local.iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: cases[0]![0] })));
    expect(version.name).toBe('MalformedPolicyException');
    await local.stop();
  });
});

describe('what cannot be evaluated fails closed, the same everywhere', () => {
  it('a Deny with a Date operator (accepted, as AWS does): the broker, TestAuthorization and policy test all deny, and the auth log says why once', { timeout: 60_000 }, async () => {
    const local = await spawnLocal(['--ephemeral']);
    const deny = unique('dated');
    await local.iot.send(new CreatePolicyCommand({ policyName: deny, policyDocument: doc(DENY_SECRET_DATED) }));
    const device = await createDevice(local, { policy: { Version: '2012-10-17', Statement: [ALLOW] } });
    await local.iot.send(new AttachPolicyCommand({ policyName: deny, target: device.certificateArn }));

    expect(await decisions(local, device, unique('dev'), 'secret/door')).toEqual({ broker: 'denied (connection closed)', testAuthorization: 'EXPLICIT_DENY', policyTest: 3 });
    await decisions(local, device, unique('dev'), 'secret/window');
    const line = await local.stderrLine(/POLICY UNREADABLE/);
    expect(line).toContain(`${deny} version 1, Statement[0] cannot be evaluated: Condition has the condition operator "DateGreaterThan", which is valid IAM but not supported by iotctl's evaluator`);
    expect(line).toContain('enforced fail-closed: this Deny applies to every request its actions cover');
    expect(local.stderr().match(/POLICY UNREADABLE/g)).toHaveLength(1);
    await local.stop();
  });

  it("the issue's fail-open policies, stored before CreatePolicy refused them: their Deny still denies, everywhere", { timeout: 60_000 }, async () => {
    const env = testEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-failclosed-'));
    let local = await spawnLocal(['--data-dir', dataDir], env);
    const device = await createDevice(local, { policy: { Version: '2012-10-17', Statement: [ALLOW] } });
    const operator = unique('operator');
    const resource = unique('resource');
    for (const name of [operator, resource]) {
      await local.iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/secret/*' }) }));
      await local.iot.send(new AttachPolicyCommand({ policyName: name, target: device.certificateArn }));
    }
    await local.stop();
    // What an older iotctl stored: a Deny with an unknown operator, and a Deny with one non-ARN entry.
    const stateFile = path.join(dataDir, 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { policies: { name: string; versions: { document: string }[] }[] };
    for (const p of state.policies) {
      if (p.name === operator) p.versions[0]!.document = doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/secret/*', Condition: { StringEqualz: { 'iot:ClientId': 'x' } } });
      if (p.name === resource) p.versions[0]!.document = doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: ['arn:aws:iot:*:*:topic/secret/*', 'topic/secret/*'] });
    }
    writeFileSync(stateFile, JSON.stringify(state));

    local = await spawnLocal(['--data-dir', dataDir], env);
    expect(await decisions(local, device, unique('dev'), 'secret/door')).toEqual({ broker: 'denied (connection closed)', testAuthorization: 'EXPLICIT_DENY', policyTest: 3 });
    // The Allow still works where no Deny covers the action.
    const client = await connected(
      mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: local.mqttPort, ca: local.ca, cert: device.cert, key: device.key, clientId: unique('dev'), reconnectPeriod: 0 }),
    );
    await client.subscribeAsync('open/#', { qos: 1 });
    await end(client);
    await local.stop();
  });
});
