/**
 * runPolicyTest below the CLI, with real policy files, a real device folder
 * and the real engine: what the command hands it (deps) and when it asks for
 * each. The CLI's words and exit codes are tested as a user sees them in
 * test/integration/policy-commands.test.ts and policy-remote.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { runPolicyTest, type PolicyTestDeps, type PolicyTestOptions } from '../../src/policy-check/check.js';
import type { TestReport } from '../../src/policy-check/report.js';
import { certificateId } from '../../src/pki/certificate.js';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'iotctl-policy-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CERT = path.join(ROOT, 'test/fixtures/policy/lamp-1.cert.pem');

/** A thing may publish under its own name, and no client may be called "intruder". */
const POLICY = path.join(dir, 'things.json');
writeFileSync(
  POLICY,
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'OwnTopics', Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/things/${iot:Connection.Thing.ThingName}/*' },
      { Sid: 'NoIntruder', Effect: 'Deny', Action: 'iot:*', Resource: '*', Condition: { StringEquals: { 'iot:ClientId': 'intruder' } } },
    ],
  }),
);

/** A device folder as `iotctl provision` leaves it, provisioned with the profile "factory" in eu-central-1. */
const DEVICE = path.join(dir, 'lamp-1');
{
  mkdirSync(DEVICE);
  copyFileSync(CERT, path.join(DEVICE, 'certificate.pem'));
  const manifest = {
    version: 1,
    thingName: 'lamp-1',
    clientId: 'lamp-1-main',
    endpoint: 'localhost',
    port: 8883,
    region: 'eu-central-1',
    certificateFile: 'certificate.pem',
    privateKeyFile: 'private.key',
    rootCaFile: 'root-ca.pem',
    profile: 'factory',
  };
  writeFileSync(path.join(DEVICE, 'device.json'), JSON.stringify(manifest));
}

const publish = (resource: string, more: Partial<PolicyTestOptions> = {}): PolicyTestOptions => ({ action: 'iot:Publish', resource, policyFile: [POLICY], explain: false, ...more });

/**
 * Deps as the command builds them from its context, recording what is asked
 * for: the region the command line names changes when a device folder is used.
 * No AWS here: asking for the IoT client fails the test.
 */
function deps(given: { region?: string; profileRegion?: () => Promise<string | undefined> } = {}) {
  const asked: string[] = [];
  const reports: TestReport[] = [];
  let region = given.region;
  const d: PolicyTestDeps = {
    out: { result: (value) => void reports.push(value as TestReport) },
    stdin: Readable.from([]),
    iot: () => {
      asked.push('iot');
      return Promise.reject(new Error('policy files need no AWS call'));
    },
    useDevice(device) {
      asked.push(`useDevice ${device.profile} ${device.region}`);
      region ??= device.region;
    },
    region: () => {
      asked.push('region');
      return region;
    },
    profileRegion: given.profileRegion ?? (() => Promise.resolve(undefined)),
  };
  return { deps: d, asked, reports };
}

describe('runPolicyTest', () => {
  it('decides policy files offline: no IoT client, and a broken profile falls back to us-east-1', async () => {
    const { deps: d, asked, reports } = deps({ profileRegion: () => Promise.reject(new Error('the config file is broken')) });
    expect(await runPolicyTest(publish('things/lamp-1/state', { thing: 'lamp-1' }), d)).toBe(ExitCode.OK);
    expect(asked).not.toContain('iot');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ allowed: true, resource: 'arn:aws:iot:us-east-1:123456789012:topic/things/lamp-1/state', reason: 'allowed by ' + POLICY + ', Statement[0] "OwnTopics"' });
  });

  it.each([
    ['the command line names it', 'eu-west-1', 'ap-south-1', 'eu-west-1'],
    ['else the profile', undefined, 'ap-south-1', 'ap-south-1'],
    ['else us-east-1', undefined, undefined, 'us-east-1'],
  ])('the request ARN is in the region %s', async (_, region, profile, expected) => {
    const { deps: d, reports } = deps({ region, profileRegion: () => Promise.resolve(profile) });
    await runPolicyTest(publish('things/lamp-1/state', { thing: 'lamp-1' }), d);
    expect(reports[0]!.resource).toBe(`arn:aws:iot:${expected}:123456789012:topic/things/lamp-1/state`);
  });

  it("a device folder: its profile and region are offered before the region is read, and its certificate, thing and client id fill the flags not given; the caller's options stay as given", async () => {
    const { deps: d, asked, reports } = deps();
    const options = publish('things/lamp-1/state', { device: DEVICE });
    const given = structuredClone(options);
    expect(await runPolicyTest(options, d)).toBe(ExitCode.OK);
    expect(asked.indexOf('useDevice factory eu-central-1')).toBe(0);
    expect(asked).toContain('region');
    expect(asked).not.toContain('iot'); // --policy-file instead of the policies attached to its certificate
    expect(reports[0]!.resource).toBe('arn:aws:iot:eu-central-1:123456789012:topic/things/lamp-1/state');
    expect(reports[0]!.principal).toMatchObject({ 'client id': 'lamp-1-main', thing: 'lamp-1', certificate: certificateId(readFileSync(CERT, 'utf8')), region: 'eu-central-1' });
    expect(options).toEqual(given);
  });

  it('a device folder leaves the flags given on the command line alone', async () => {
    const { deps: d, reports } = deps({ region: 'us-west-2' });
    await runPolicyTest(publish('things/lamp-2/state', { device: DEVICE, thing: 'lamp-2', clientId: 'intruder' }), d);
    expect(reports[0]).toMatchObject({ decision: 'EXPLICIT_DENY', resource: 'arn:aws:iot:us-west-2:123456789012:topic/things/lamp-2/state', principal: { thing: 'lamp-2', 'client id': 'intruder' } });
  });
});
