/**
 * The AWS operations below the commands (src/iot, src/cognito), called as a
 * library with the real SDK clients against the local IoT Core: what the
 * --force, --prune and "undo on failure" paths leave behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, GetPolicyCommand, ListPolicyVersionsCommand, type IoTClient } from '@aws-sdk/client-iot';
import { DescribeIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { GetRoleCommand, ListRolesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { createCsr, generateKeyPair } from '../../src/pki/index.js';
import { deleteCertificate, describeCertificate, registerCertificate } from '../../src/iot/certificates.js';
import { attachThingPrincipal, createThing, deleteThing, describeThing } from '../../src/iot/things.js';
import { attachPolicy, deletePolicy, ensurePolicy, policyTargets, updatePolicy } from '../../src/iot/policies.js';
import { createIdentityPool } from '../../src/cognito/pools.js';
import { registerIdentity } from '../../src/cognito/registration.js';
import { iamClient, sdkError, startEmulator, type TestEmulator } from '../helpers/emulator.js';

const document = (topic: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${topic}` }] });

let t: TestEmulator;
let iot: IoTClient;
let iam: IAMClient;

beforeAll(async () => {
  t = await startEmulator();
  iot = t.iot;
  iam = iamClient(t.emulator);
});

afterAll(async () => {
  iam.destroy();
  await t.close();
});

async function activeCertificate(): Promise<{ certificateId: string; certificateArn: string }> {
  const keyPair = await generateKeyPair({ type: 'ec', curve: 'P-256' });
  return registerCertificate(iot, await createCsr({ keyPair, subject: 'CN=library' }), { active: true });
}

describe('certificates, things and policies', () => {
  it('deleteCertificate: refused while ACTIVE and attached; with force, deactivated, detached from its policy and thing, deleted', async () => {
    const cert = await activeCertificate();
    await createThing(iot, { thingName: 'lib-thing' });
    await ensurePolicy(iot, 'lib-policy', document('a'));
    await attachPolicy(iot, 'lib-policy', cert.certificateArn);
    await attachThingPrincipal(iot, 'lib-thing', cert.certificateArn);

    await expect(deleteCertificate(iot, cert.certificateId, { force: false })).rejects.toMatchObject({ name: 'CertificateStateException' });
    expect((await describeCertificate(iot, cert.certificateId)).status).toBe('ACTIVE');

    const deleted = await deleteCertificate(iot, cert.certificateId, { force: true });
    expect(deleted).toEqual({ certificateId: cert.certificateId, deleted: true, detachedPolicies: ['lib-policy'], detachedThings: ['lib-thing'] });
    expect((await sdkError(iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId })))).name).toBe('ResourceNotFoundException');
    expect(await policyTargets(iot, 'lib-policy')).toEqual([]);
    expect((await describeThing(iot, 'lib-thing')).principals).toEqual([]);
  });

  it('deleteThing: refused while a certificate is attached (a conflict, so --force is hinted); with force, detached first; a missing thing is deleted already', async () => {
    const cert = await activeCertificate();
    await createThing(iot, { thingName: 'lib-held', attributes: { room: 'hall' } });
    await attachThingPrincipal(iot, 'lib-held', cert.certificateArn);
    await expect(deleteThing(iot, 'lib-held', { force: false })).rejects.toMatchObject({ code: 'THING_HAS_PRINCIPALS', conflict: true });
    expect(await deleteThing(iot, 'lib-held', { force: true })).toEqual({ thingName: 'lib-held', deleted: true, detachedPrincipals: [cert.certificateArn] });
    expect(await deleteThing(iot, 'lib-held', { force: false })).toEqual({ thingName: 'lib-held', deleted: true, detachedPrincipals: [] });
  });

  it('updatePolicy: at 5 versions refused, naming the oldest non-default; with prune, that one goes and the new one is the default', async () => {
    await ensurePolicy(iot, 'lib-versions', document('v1'));
    for (const v of [2, 3, 4, 5]) await updatePolicy(iot, 'lib-versions', document(`v${v}`), { prune: false });
    const refused = await updatePolicy(iot, 'lib-versions', document('v6'), { prune: false }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'VersionsLimitExceededException', hint: expect.stringContaining('(1)') });

    const updated = await updatePolicy(iot, 'lib-versions', document('v6'), { prune: true });
    expect(updated).toMatchObject({ policyName: 'lib-versions', prunedVersion: '1', isDefaultVersion: true });
    const versions = (await iot.send(new ListPolicyVersionsCommand({ policyName: 'lib-versions' }))).policyVersions ?? [];
    expect(versions.map((v) => v.versionId).sort()).toEqual(['2', '3', '4', '5', '6']);
    expect((await iot.send(new GetPolicyCommand({ policyName: 'lib-versions' }))).policyDocument).toContain('topic/v6');
  });

  it('deletePolicy: with force, detached from every target and its other versions deleted first', async () => {
    const cert = await activeCertificate();
    await ensurePolicy(iot, 'lib-busy', document('x'));
    await updatePolicy(iot, 'lib-busy', document('y'), { prune: false });
    await attachPolicy(iot, 'lib-busy', cert.certificateArn);
    await expect(deletePolicy(iot, 'lib-busy', { force: false })).rejects.toMatchObject({ name: 'DeleteConflictException' });
    expect(await deletePolicy(iot, 'lib-busy', { force: true })).toEqual({ policyName: 'lib-busy', deleted: true, detachedTargets: [cert.certificateArn], deletedVersions: ['1'] });
    expect((await sdkError(iot.send(new GetPolicyCommand({ policyName: 'lib-busy' })))).name).toBe('ResourceNotFoundException');
  });

  it('ensurePolicy: creates once, reuses the same document however it is spaced, refuses another document', async () => {
    expect(await ensurePolicy(iot, 'lib-same', document('s'))).toEqual({ name: 'lib-same', created: true });
    expect(await ensurePolicy(iot, 'lib-same', JSON.stringify(JSON.parse(document('s')), null, 4))).toEqual({ name: 'lib-same', created: false });
    await expect(ensurePolicy(iot, 'lib-same', document('other'))).rejects.toMatchObject({ code: 'POLICY_EXISTS_DIFFERENT', exitCode: 2 });
    await expect(ensurePolicy(iot, 'lib-missing', undefined)).rejects.toMatchObject({ code: 'POLICY_NOT_FOUND', exitCode: 4 });
  });
});

describe('Cognito', () => {
  const deps = (warnings: string[]) => ({ cognito: t.cognito, iam: async () => iam, warn: (m: string) => void warnings.push(m) });

  it('createIdentityPool makes both roles from the templates, each trusting this pool only', async () => {
    const warnings: string[] = [];
    const pool = await createIdentityPool({ name: 'lib-pool', allowUnauthenticated: true, loginProviders: [], roleArns: {}, params: {} }, deps(warnings));
    expect(pool.roles.authenticated).toMatch(/:role\/lib-pool-auth-/);
    expect(pool.roles.unauthenticated).toMatch(/:role\/lib-pool-unauth-/);
    const role = await iam.send(new GetRoleCommand({ RoleName: pool.roles.authenticated!.split('/').pop()! }));
    expect(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).toContain(pool.identityPoolId);
    expect(warnings).toEqual([]);
  });

  it('createIdentityPool undoes itself when a role cannot be made: no pool and no role stay, and it says so', async () => {
    const warnings: string[] = [];
    const before = (await iam.send(new ListRolesCommand({}))).Roles?.length ?? 0;
    const failed = await createIdentityPool(
      { name: 'lib-broken', allowUnauthenticated: true, loginProviders: [], roleArns: {}, unauthTemplate: 'no-such-template', params: {} },
      deps(warnings),
    ).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect((await iam.send(new ListRolesCommand({}))).Roles?.length ?? 0).toBe(before);
    expect(warnings).toHaveLength(1);
    const poolId = /identity pool (\S+)/.exec(warnings[0]!)?.[1];
    expect((await sdkError(t.cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: poolId })))).name).toBe('ResourceNotFoundException');
  });

  it('registerIdentity attaches the policy once: a second call changes nothing', async () => {
    const identityId = 'us-east-1:01234567-89ab-4def-8123-456789abcdef';
    const policy = { name: 'lib-user', document: document('users/x') };
    expect(await registerIdentity(iot, identityId, policy)).toEqual({ identityId, policyName: 'lib-user', policyCreated: true, attached: true, alreadyRegistered: false });
    expect(await registerIdentity(iot, identityId, policy)).toEqual({ identityId, policyName: 'lib-user', policyCreated: false, attached: false, alreadyRegistered: true });
    expect(await policyTargets(iot, 'lib-user')).toEqual([identityId]);
  });
});
