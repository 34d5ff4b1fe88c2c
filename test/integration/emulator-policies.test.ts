import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachPrincipalPolicyCommand,
  CreateCertificateFromCsrCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachPolicyCommand,
  DetachPrincipalPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListPrincipalPoliciesCommand,
  ListTargetsForPolicyCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iot';
import { createCsr, generateKeyPair } from '../../src/pki/index.js';
import { ALLOW_ALL, sdkError, startEmulator, type TestEmulator } from '../helpers/emulator.js';

let t: TestEmulator;
let csr: string;
beforeAll(async () => {
  t = await startEmulator();
  csr = await createCsr({ keyPair: await generateKeyPair(), subject: 'CN=policy-tests' });
});
afterAll(() => t.close());

const doc = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const newCert = async () => (await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr }))).certificateArn!;
const COGNITO_ID = 'us-east-1:11111111-2222-3333-4444-555555555555';

describe('CreatePolicy / GetPolicy / DeletePolicy', () => {
  it('creates version 1 as the default and returns it', async () => {
    const created = await t.iot.send(new CreatePolicyCommand({ policyName: 'p1', policyDocument: ALLOW_ALL, tags: [{ Key: 'env', Value: 'dev' }] }));
    expect(created).toMatchObject({ policyName: 'p1', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/p1', policyDocument: ALLOW_ALL, policyVersionId: '1' });
    const got = await t.iot.send(new GetPolicyCommand({ policyName: 'p1' }));
    expect(got).toMatchObject({ policyName: 'p1', policyDocument: ALLOW_ALL, defaultVersionId: '1' });
    expect(got.creationDate).toBeInstanceOf(Date);
    expect(got.generationId).toBeTruthy();
  });

  it('refuses a duplicate name with ResourceAlreadyExistsException carrying the resource ARN', async () => {
    await t.iot.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: ALLOW_ALL }));
    const err = await sdkError(t.iot.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: ALLOW_ALL })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceAlreadyExistsException', 409]);
    expect(err.message).toBe('Policy cannot be created - name already exists (name=dup)');
    expect(err.resourceArn).toBe('arn:aws:iot:us-east-1:123456789012:policy/dup');
  });

  it.each([
    ['not JSON', '{"Version": '],
    ['no Version', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] })],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' })],
    ['a bad Effect', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 'iot:*', Resource: '*' }] })],
    ['no Resource', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*' }] })],
    ['a JSON array', '[]'],
  ])('refuses a document with %s (MalformedPolicyException)', async (_why, policyDocument) => {
    const err = await sdkError(t.iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['MalformedPolicyException', 400]);
  });

  it('counts the 2,048-character limit without whitespace', async () => {
    const resources = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:iot:us-east-1:123456789012:topic/t${String(i).padStart(4, '0')}`);
    const sized = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: resources(n) }] }, null, 8);
    let n = 1;
    while (sized(n + 1).replace(/\s/g, '').length <= 2048) n++;
    expect(sized(n).length).toBeGreaterThan(2048); // the pretty-printed text is longer, and still fits
    await t.iot.send(new CreatePolicyCommand({ policyName: 'fits', policyDocument: sized(n) }));
    const err = await sdkError(t.iot.send(new CreatePolicyCommand({ policyName: 'too-big', policyDocument: sized(n + 1) })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['MalformedPolicyException', 400]);
  });

  it('validates the policy name', async () => {
    const err = await sdkError(t.iot.send(new CreatePolicyCommand({ policyName: 'has space', policyDocument: ALLOW_ALL })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    expect(err.message).toContain('regular expression pattern');
    const long = await sdkError(t.iot.send(new CreatePolicyCommand({ policyName: 'x'.repeat(129), policyDocument: ALLOW_ALL })));
    expect(long.name).toBe('InvalidRequestException');
  });

  it('deletes a detached policy; GetPolicy then says ResourceNotFoundException', async () => {
    await t.iot.send(new CreatePolicyCommand({ policyName: 'gone', policyDocument: ALLOW_ALL }));
    await t.iot.send(new DeletePolicyCommand({ policyName: 'gone' }));
    const err = await sdkError(t.iot.send(new GetPolicyCommand({ policyName: 'gone' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    const again = await sdkError(t.iot.send(new DeletePolicyCommand({ policyName: 'gone' })));
    expect(again.name).toBe('ResourceNotFoundException');
  });
});

describe('policy versions', () => {
  it('creates, lists, switches and deletes versions; at most 5', async () => {
    await t.iot.send(new CreatePolicyCommand({ policyName: 'versioned', policyDocument: doc('iot:Connect') }));
    const v2 = await t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:Publish') }));
    expect(v2).toMatchObject({ policyVersionId: '2', isDefaultVersion: false });
    const v3 = await t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:Subscribe'), setAsDefault: true }));
    expect(v3).toMatchObject({ policyVersionId: '3', isDefaultVersion: true });
    expect((await t.iot.send(new GetPolicyCommand({ policyName: 'versioned' }))).policyDocument).toBe(doc('iot:Subscribe'));
    await t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:Receive') }));
    await t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:*') }));
    const sixth = await sdkError(t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:Connect') })));
    expect([sixth.name, sixth.$metadata.httpStatusCode]).toEqual(['VersionsLimitExceededException', 409]);

    const listed = await t.iot.send(new ListPolicyVersionsCommand({ policyName: 'versioned' }));
    expect(listed.policyVersions!.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      ['5', false],
      ['4', false],
      ['3', true],
      ['2', false],
      ['1', false],
    ]);
    const v1 = await t.iot.send(new GetPolicyVersionCommand({ policyName: 'versioned', policyVersionId: '1' }));
    expect(v1).toMatchObject({ policyName: 'versioned', policyDocument: doc('iot:Connect'), isDefaultVersion: false, policyVersionId: '1' });

    await t.iot.send(new SetDefaultPolicyVersionCommand({ policyName: 'versioned', policyVersionId: '1' }));
    expect((await t.iot.send(new GetPolicyCommand({ policyName: 'versioned' }))).defaultVersionId).toBe('1');
    const delDefault = await sdkError(t.iot.send(new DeletePolicyVersionCommand({ policyName: 'versioned', policyVersionId: '1' })));
    expect([delDefault.name, delDefault.$metadata.httpStatusCode]).toEqual(['DeleteConflictException', 409]);

    const withVersions = await sdkError(t.iot.send(new DeletePolicyCommand({ policyName: 'versioned' })));
    expect([withVersions.name, withVersions.$metadata.httpStatusCode]).toEqual(['DeleteConflictException', 409]);

    for (const id of ['2', '3', '4', '5']) await t.iot.send(new DeletePolicyVersionCommand({ policyName: 'versioned', policyVersionId: id }));
    // IDs are never reused.
    const v6 = await t.iot.send(new CreatePolicyVersionCommand({ policyName: 'versioned', policyDocument: doc('iot:Publish') }));
    expect(v6.policyVersionId).toBe('6');
    await t.iot.send(new DeletePolicyVersionCommand({ policyName: 'versioned', policyVersionId: '6' }));
    await t.iot.send(new DeletePolicyCommand({ policyName: 'versioned' }));
  });

  it('answers ResourceNotFoundException for unknown versions and policies', async () => {
    await t.iot.send(new CreatePolicyCommand({ policyName: 'v-missing', policyDocument: ALLOW_ALL }));
    for (const call of [
      () => t.iot.send(new GetPolicyVersionCommand({ policyName: 'v-missing', policyVersionId: '9' })),
      () => t.iot.send(new SetDefaultPolicyVersionCommand({ policyName: 'v-missing', policyVersionId: '9' })),
      () => t.iot.send(new DeletePolicyVersionCommand({ policyName: 'v-missing', policyVersionId: '9' })),
      () => t.iot.send(new CreatePolicyVersionCommand({ policyName: 'nope', policyDocument: ALLOW_ALL })),
      () => t.iot.send(new ListPolicyVersionsCommand({ policyName: 'nope' })),
    ]) {
      const err = await sdkError(call());
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    }
    const badId = await sdkError(t.iot.send(new GetPolicyVersionCommand({ policyName: 'v-missing', policyVersionId: 'one' })));
    expect(badId.name).toBe('InvalidRequestException');
  });

  it('checks the document of a new version too', async () => {
    await t.iot.send(new CreatePolicyCommand({ policyName: 'v-doc', policyDocument: ALLOW_ALL }));
    const err = await sdkError(t.iot.send(new CreatePolicyVersionCommand({ policyName: 'v-doc', policyDocument: '{}' })));
    expect(err.name).toBe('MalformedPolicyException');
  });
});

describe('attaching policies', () => {
  it('attaches to certificates and Cognito identities; lists both ways; detaches', async () => {
    const cert = await newCert();
    await t.iot.send(new CreatePolicyCommand({ policyName: 'a1', policyDocument: ALLOW_ALL }));
    await t.iot.send(new CreatePolicyCommand({ policyName: 'a2', policyDocument: doc('iot:Connect') }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'a1', target: cert }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'a1', target: cert })); // idempotent
    await t.iot.send(new AttachPolicyCommand({ policyName: 'a2', target: cert }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'a1', target: COGNITO_ID }));
    const attached = await t.iot.send(new ListAttachedPoliciesCommand({ target: cert }));
    expect(attached.policies).toEqual([
      { policyName: 'a1', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/a1' },
      { policyName: 'a2', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/a2' },
    ]);
    expect((await t.iot.send(new ListAttachedPoliciesCommand({ target: COGNITO_ID }))).policies!.map((p) => p.policyName)).toEqual(['a1']);
    expect((await t.iot.send(new ListTargetsForPolicyCommand({ policyName: 'a1' }))).targets).toEqual([cert, COGNITO_ID]);

    // What the data plane will ask: the default versions attached to a principal.
    const effective = await Promise.all(attached.policies!.map(async (p) => t.iot.send(new GetPolicyCommand({ policyName: p.policyName }))));
    expect(effective.map((p) => [p.policyName, p.defaultVersionId, p.policyDocument])).toEqual([
      ['a1', '1', ALLOW_ALL],
      ['a2', '1', doc('iot:Connect')],
    ]);

    const inUse = await sdkError(t.iot.send(new DeletePolicyCommand({ policyName: 'a1' })));
    expect([inUse.name, inUse.$metadata.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
    expect(inUse.message).toBe('The policy cannot be deleted as the policy is attached to one or more principals (name=a1)');

    await t.iot.send(new DetachPolicyCommand({ policyName: 'a1', target: cert }));
    await t.iot.send(new DetachPolicyCommand({ policyName: 'a1', target: COGNITO_ID }));
    await t.iot.send(new DetachPolicyCommand({ policyName: 'a1', target: COGNITO_ID })); // nothing to do
    expect((await t.iot.send(new ListAttachedPoliciesCommand({ target: cert }))).policies!.map((p) => p.policyName)).toEqual(['a2']);
    await t.iot.send(new DeletePolicyCommand({ policyName: 'a1' }));
  });

  it('allows at most 10 policies per principal (LimitExceededException, 410)', async () => {
    const cert = await newCert();
    for (let i = 0; i < 11; i++) await t.iot.send(new CreatePolicyCommand({ policyName: `limit-${i}`, policyDocument: ALLOW_ALL }));
    for (let i = 0; i < 10; i++) await t.iot.send(new AttachPolicyCommand({ policyName: `limit-${i}`, target: cert }));
    const err = await sdkError(t.iot.send(new AttachPolicyCommand({ policyName: 'limit-10', target: cert })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['LimitExceededException', 410]);
    // Re-attaching one already there is not an eleventh.
    await t.iot.send(new AttachPolicyCommand({ policyName: 'limit-0', target: cert }));
  });

  it('refuses unknown policies, unknown certificates and targets that are neither', async () => {
    const cert = await newCert();
    const noPolicy = await sdkError(t.iot.send(new AttachPolicyCommand({ policyName: 'no-such-policy', target: cert })));
    expect([noPolicy.name, noPolicy.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    await t.iot.send(new CreatePolicyCommand({ policyName: 'target-check', policyDocument: ALLOW_ALL }));
    const noCert = await sdkError(t.iot.send(new AttachPolicyCommand({ policyName: 'target-check', target: `arn:aws:iot:us-east-1:123456789012:cert/${'c'.repeat(64)}` })));
    expect([noCert.name, noCert.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    const otherAccount = await sdkError(t.iot.send(new AttachPolicyCommand({ policyName: 'target-check', target: cert.replace('123456789012', '999999999999') })));
    expect(otherAccount.name).toBe('ResourceNotFoundException');
    const nonsense = await sdkError(t.iot.send(new AttachPolicyCommand({ policyName: 'target-check', target: 'not-a-principal' })));
    expect([nonsense.name, nonsense.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });

  it('supports the legacy principal-policy operations', async () => {
    const cert = await newCert();
    await t.iot.send(new CreatePolicyCommand({ policyName: 'legacy', policyDocument: ALLOW_ALL }));
    await t.iot.send(new AttachPrincipalPolicyCommand({ policyName: 'legacy', principal: cert }));
    const listed = await t.iot.send(new ListPrincipalPoliciesCommand({ principal: cert }));
    expect(listed.policies!.map((p) => p.policyName)).toEqual(['legacy']);
    await t.iot.send(new DetachPrincipalPolicyCommand({ policyName: 'legacy', principal: cert }));
    expect((await t.iot.send(new ListPrincipalPoliciesCommand({ principal: cert }))).policies).toEqual([]);
  });
});

describe('pagination of policy lists', () => {
  it('pages ListPolicies, ListAttachedPolicies and ListTargetsForPolicy with marker/pageSize', async () => {
    const fresh = await startEmulator();
    try {
      const names = Array.from({ length: 7 }, (_, i) => `pg-${i}`);
      for (const policyName of names) await fresh.iot.send(new CreatePolicyCommand({ policyName, policyDocument: ALLOW_ALL }));
      const collect = async (page: (marker?: string) => Promise<{ items: string[]; next?: string }>) => {
        const all: string[] = [];
        let marker: string | undefined;
        do {
          const p = await page(marker);
          expect(p.items.length).toBeLessThanOrEqual(3);
          all.push(...p.items);
          marker = p.next;
        } while (marker);
        return all;
      };
      const policies = await collect(async (marker) => {
        const r = await fresh.iot.send(new ListPoliciesCommand({ pageSize: 3, marker, ascendingOrder: true }));
        return { items: r.policies!.map((p) => p.policyName!), next: r.nextMarker };
      });
      expect(policies).toEqual(names);

      const certs: string[] = [];
      for (let i = 0; i < 5; i++) {
        const arn = (await fresh.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr }))).certificateArn!;
        certs.push(arn);
        await fresh.iot.send(new AttachPolicyCommand({ policyName: 'pg-0', target: arn }));
      }
      const targets = await collect(async (marker) => {
        const r = await fresh.iot.send(new ListTargetsForPolicyCommand({ policyName: 'pg-0', pageSize: 3, marker }));
        return { items: r.targets!, next: r.nextMarker };
      });
      expect(targets).toEqual(certs);

      for (const policyName of names) await fresh.iot.send(new AttachPolicyCommand({ policyName, target: certs[0] }));
      const attached = await collect(async (marker) => {
        const r = await fresh.iot.send(new ListAttachedPoliciesCommand({ target: certs[0], pageSize: 3, marker }));
        return { items: r.policies!.map((p) => p.policyName!), next: r.nextMarker };
      });
      expect(attached).toEqual(names);
    } finally {
      await fresh.close();
    }
  });
});
