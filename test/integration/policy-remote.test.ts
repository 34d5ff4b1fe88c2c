import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startLocalIot, type LocalIot } from '../helpers/local-iot.js';

let local: LocalIot;
const cli = (argv: string[], stdin?: string) => runCli(argv, { env: local.env, stdin });
const dir = () => mkdtempSync(path.join(os.tmpdir(), 'iotctl-policy-remote-'));

beforeAll(async () => {
  local = await startLocalIot();
});
afterAll(async () => local?.close());

async function newCertificate(): Promise<{ certificateArn: string; certificateId: string }> {
  const r = await cli(['--json', 'cert', 'create', '--aws-keys', '--key-out', path.join(dir(), 'k.pem'), '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { certificateArn: string; certificateId: string };
}

describe('policy commands against the control plane', () => {
  it('create from a template, get, list, versions, update with --prune, targets, detach and delete', async () => {
    expect((await cli(['policy', 'create', 'home-alice', '--template', 'home', '--param', 'homeId=123_aws_ave'])).code).toBe(0);
    const got = JSON.parse((await cli(['--json', 'policy', 'get', 'home-alice'])).stdout) as { versionId: string; document: { Statement: unknown[] } };
    expect(got.versionId).toBe('1');
    expect(got.document.Statement.length).toBeGreaterThan(0);
    // Human output is the bare document, so it round-trips through a file.
    const human = await cli(['policy', 'get', 'home-alice']);
    expect(JSON.parse(human.stdout)).toEqual(got.document);

    const list = JSON.parse((await cli(['--json', 'policy', 'list'])).stdout) as { policies: { policyName: string }[] };
    expect(list.policies.map((p) => p.policyName)).toContain('home-alice');

    for (let i = 2; i <= 5; i++) expect((await cli(['policy', 'update', 'home-alice', '--template', 'home', '--param', `homeId=home_${i}`])).code).toBe(0);
    const full = await cli(['policy', 'update', 'home-alice', '--template', 'home', '--param', 'homeId=home_6']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/already has 5 versions.*\nhint: pass --prune to delete the oldest non-default version \(1\)/);
    const pruned = JSON.parse((await cli(['--json', 'policy', 'update', 'home-alice', '--template', 'home', '--param', 'homeId=home_6', '--prune'])).stdout) as { versionId: string; prunedVersion: string };
    expect(pruned).toMatchObject({ versionId: '6', prunedVersion: '1' });
    const versions = JSON.parse((await cli(['--json', 'policy', 'versions', 'home-alice'])).stdout) as { versions: { versionId: string; isDefaultVersion: boolean }[] };
    expect(versions.versions.map((v) => v.versionId).sort()).toEqual(['2', '3', '4', '5', '6']);
    expect(versions.versions.find((v) => v.isDefaultVersion)?.versionId).toBe('6');

    const cert = await newCertificate();
    expect((await cli(['policy', 'attach', 'home-alice', '--target', cert.certificateId])).code).toBe(0);
    const targets = JSON.parse((await cli(['--json', 'policy', 'targets', 'home-alice'])).stdout) as { targets: string[] };
    expect(targets.targets).toEqual([cert.certificateArn]);
    const conflict = await cli(['policy', 'delete', 'home-alice']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/DeleteConflict|attached/i);
    const forced = JSON.parse((await cli(['--json', 'policy', 'delete', 'home-alice', '--force'])).stdout) as { detachedTargets: string[]; deletedVersions: string[] };
    expect(forced.detachedTargets).toEqual([cert.certificateArn]);
    expect(forced.deletedVersions.sort()).toEqual(['2', '3', '4', '5']);
    expect((await cli(['policy', 'get', 'home-alice'])).code).toBe(4);
  });

  it('validates documents before calling AWS, from a file or stdin', async () => {
    const bad = path.join(dir(), 'bad.json');
    writeFileSync(bad, '{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"iot:Connect","Resource":"*"}}');
    const r = await cli(['policy', 'create', 'bad', '-f', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Effect must be Allow or Deny/);
    expect((await cli(['policy', 'get', 'bad'])).code).toBe(4);
    const fromStdin = await cli(['policy', 'create', 'from-stdin', '-f', '-'], '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}}');
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stderr).toMatch(/warning: /); // Resource "*" is linted
    expect((await cli(['policy', 'create', 'x', '--template', 'home'])).stderr).toMatch(/needs the parameter "homeId"/);
    expect((await cli(['policy', 'attach', 'x', '--target', 'nonsense'])).stderr).toMatch(/neither a certificate .* nor a Cognito identity id/);
  });

  it('policy test --principal decides with the policies attached in AWS IoT and explains it (the Chuck scenario)', async () => {
    const rendered = await cli(['policy', 'render', 'home', '--param', 'homeId=456_iot_ln']);
    const file = path.join(dir(), 'chuck.json');
    writeFileSync(file, rendered.stdout);
    expect((await cli(['policy', 'create', 'home-chuck', '-f', file])).code).toBe(0);
    const cert = await newCertificate();
    expect((await cli(['policy', 'attach', 'home-chuck', '--target', cert.certificateArn])).code).toBe(0);

    const denied = await cli(['policy', 'test', '--principal', cert.certificateArn, '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/door_1/open']);
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/^DENIED .*iot:Publish on arn:aws:iot:us-east-1:123456789012:topic\/home\/123_aws_ave\/door_1\/open/);
    expect(denied.stdout).toContain('policies: home-chuck');

    const json = await cli(['--json', 'policy', 'test', '--principal', cert.certificateId, '--action', 'iot:Subscribe', '--resource', 'home/456_iot_ln/#']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { decision: string; deciding: { policyName: string; policyVersionId: string }[]; principal: { certificate: string } };
    expect(report.decision).toBe('ALLOWED');
    expect(report.deciding[0]).toMatchObject({ policyName: 'home-chuck', policyVersionId: '1' });
    expect(report.principal.certificate).toBe(cert.certificateId);

    const noPolicies = await newCertificate();
    const none = await cli(['policy', 'test', '--principal', noPolicies.certificateArn, '--action', 'iot:Connect', '--resource', 'c1']);
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(/IMPLICIT|implicit/);
  });

  it('policy test --principal picks up the attached thing for thing variables', async () => {
    const out = path.join(dir(), 'pi77');
    const prov = JSON.parse((await cli(['--json', 'provision', 'pi77', '--out-dir', out, '--yes'])).stdout) as { certificateArn: string };
    const own = await cli(['policy', 'test', '--principal', prov.certificateArn, '--action', 'iot:Publish', '--resource', 'things/pi77/temp']);
    expect(own.code, own.stdout).toBe(0);
    const other = await cli(['policy', 'test', '--principal', prov.certificateArn, '--action', 'iot:Publish', '--resource', 'things/pi78/temp']);
    expect(other.code).toBe(3);
  });

  it('policy test --device uses the device folder: its attached policies, certificate, thing and client id', async () => {
    const out = path.join(dir(), 'pi88');
    expect((await cli(['provision', 'pi88', '--out-dir', out, '--yes'])).code).toBe(0);
    const own = await cli(['--json', 'policy', 'test', '--device', out, '--action', 'iot:Connect', '--resource', 'pi88']);
    expect(own.code, own.stdout).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({ decision: 'ALLOWED', principal: { thing: 'pi88', 'client id': 'pi88' } });
    const other = await cli(['policy', 'test', '--device', out, '--action', 'iot:Subscribe', '--resource', 'things/pi89/#']);
    expect(other.code).toBe(3);
    // Offline, with a policy file instead of the attached policies: the device still supplies the certificate and thing.
    const file = path.join(dir(), 'device.json');
    writeFileSync(file, (await cli(['policy', 'render', 'device'])).stdout);
    const offline = await cli(['policy', 'test', '--device', out, '-f', file, '--action', 'iot:Publish', '--resource', 'things/pi88/temp']);
    expect(offline.code, offline.stdout).toBe(0);
  });
});
