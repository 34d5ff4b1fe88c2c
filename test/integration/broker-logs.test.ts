/** `iotctl local logs` shows what AWS never tells: every denial with its deciding statement. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, runWatched, testEnv } from '../helpers/cli.js';
import { closed, connectTls, createDevice, end, startBrokerTest, type BrokerTest, type Device } from '../helpers/broker.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
let t: BrokerTest;
let dataDir: string;
let device: Device;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-logs-'));
  t = await startBrokerTest({ ephemeral: false, dataDir });
  device = await createDevice(t, {
    policy: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish'], Resource: '*' },
        { Sid: 'NoFirmware', Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/fw/*` },
      ],
    },
  });
});
afterAll(() => t.close());

async function deniedPublish(topic: string): Promise<void> {
  const client = await connectTls(t, device, { clientId: 'logger' });
  client.publish(topic, 'x', { qos: 1 });
  await closed(client);
  await end(client);
  await t.event((e) => e.resource === `${ARN}:topic/${topic}`);
  await t.emulator.testHooks.flushLog();
}

it('--json prints each event as stored, with the deciding statement; the plain form is one readable line', async () => {
  await deniedPublish('fw/v2');
  const env = testEnv();
  const json = await runCli(['local', 'logs', '--data-dir', dataDir, '--json'], { env });
  expect(json.code).toBe(0);
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const denial = events.find((e) => e.event === 'denied');
  expect(denial).toMatchObject({
    action: 'iot:Publish',
    resource: `${ARN}:topic/fw/v2`,
    decision: 'EXPLICIT_DENY',
    clientId: 'logger',
    principal: device.certificateArn,
    outcome: 'connection closed',
    deciding: [expect.objectContaining({ policyName: device.policyName, statementIndex: 1, sid: 'NoFirmware', effect: 'Deny', statement: expect.objectContaining({ Sid: 'NoFirmware' }) })],
  });

  const plain = await runCli(['local', 'logs', '--data-dir', dataDir, '-n', '1'], { env });
  expect(plain.stdout.trim().split('\n')).toHaveLength(1);
  expect(plain.stdout).toContain(`DENIED iot:Publish topic/fw/v2 (client logger, cert ${device.certificateId.slice(0, 12)}…, 127.0.0.1, mqtts): explicitly denied by`);
  expect(plain.stdout).toContain('Statement[1] "NoFirmware" → connection closed');
});

it('--follow prints events as they come, until interrupted', async () => {
  const controller = new AbortController();
  // On a terminal it says when it follows; -n 0: only what comes after that is printed.
  const following = runWatched(['local', 'logs', '--data-dir', dataDir, '--follow', '-n', '0', '--json'], { env: testEnv(), tty: true, signal: controller.signal });
  await following.said(/following /);
  await deniedPublish('fw/v3');
  await following.printed(1);
  controller.abort();
  const out = await following.done;
  expect(out.code).toBe(130); // follows until interrupted, like tail
  expect(out.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { resource: string }).resource)).toEqual([`${ARN}:topic/fw/v3`]);
});

it('local logs and policy test say the same sentence for the same denial (one policy engine)', async () => {
  await deniedPublish('fw/v9');
  const env = testEnv();
  const logged = (await runCli(['local', 'logs', '--data-dir', dataDir, '--json'], { env })).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { resource?: string; reason: string })
    .find((e) => e.resource === `${ARN}:topic/fw/v9`)!;
  expect(logged.reason).toBe(`explicitly denied by ${device.policyName} version 1, Statement[1] "NoFirmware"`);
  const cliEnv = testEnv({ IOTCTL_ENDPOINT_URL: t.endpoint, IOTCTL_REGION: 'us-east-1', IOTCTL_ACCESS_KEY_ID: t.emulator.credentials.accessKeyId, IOTCTL_SECRET_ACCESS_KEY: t.emulator.credentials.secretAccessKey });
  const tested = await runCli(['policy', 'test', '--principal', device.certificateArn, '--action', 'iot:Publish', '--resource', 'fw/v9', '--client-id', 'logger', '--json'], { env: cliEnv });
  expect(tested.code, tested.stderr).toBe(3);
  expect(JSON.parse(tested.stdout).reason).toBe(logged.reason);
  const human = await runCli(['policy', 'test', '--principal', device.certificateArn, '--action', 'iot:Publish', '--resource', 'fw/v9', '--client-id', 'logger'], { env: cliEnv });
  expect(human.stdout.split('\n')[1]).toBe(`  ${logged.reason}`);
});
