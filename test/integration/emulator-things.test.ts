import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { createCsr, generateKeyPair } from '../../src/pki/index.js';
import { sdkError, startEmulator, type TestEmulator } from '../helpers/emulator.js';

let t: TestEmulator;
let csr: string;
beforeAll(async () => {
  t = await startEmulator();
  csr = await createCsr({ keyPair: await generateKeyPair(), subject: 'CN=thing-tests' });
});
afterAll(() => t.close());

const newCert = async () => (await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true }))).certificateArn!;

describe('CreateThing / DescribeThing', () => {
  it('creates a thing with attributes and describes it', async () => {
    const created = await t.iot.send(new CreateThingCommand({ thingName: 'lamp-1', attributePayload: { attributes: { room: 'kitchen', 'fw.version': '1.2' } } }));
    expect(created.thingArn).toBe('arn:aws:iot:us-east-1:123456789012:thing/lamp-1');
    expect(created.thingId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await t.iot.send(new DescribeThingCommand({ thingName: 'lamp-1' }));
    expect(d).toMatchObject({ thingName: 'lamp-1', defaultClientId: 'lamp-1', thingId: created.thingId, attributes: { room: 'kitchen', 'fw.version': '1.2' }, version: 1 });
  });

  it('is idempotent for an identical thing, ResourceAlreadyExistsException for a different one', async () => {
    const first = await t.iot.send(new CreateThingCommand({ thingName: 'twin', attributePayload: { attributes: { a: '1' } } }));
    const again = await t.iot.send(new CreateThingCommand({ thingName: 'twin', attributePayload: { attributes: { a: '1' } } }));
    expect(again.thingId).toBe(first.thingId);
    const err = await sdkError(t.iot.send(new CreateThingCommand({ thingName: 'twin', attributePayload: { attributes: { a: '2' } } })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceAlreadyExistsException', 409]);
    expect(err.resourceId).toBe(first.thingId);
  });

  it.each([
    ['a bad thing name', { thingName: 'has space' }],
    ['a thing name over 128 characters', { thingName: 'x'.repeat(129) }],
    ['a bad attribute name', { thingName: 'ok', attributePayload: { attributes: { 'bad name': 'v' } } }],
    ['a bad attribute value', { thingName: 'ok', attributePayload: { attributes: { a: 'no spaces allowed' } } }],
    ['4 attributes without a thing type', { thingName: 'ok', attributePayload: { attributes: { a: '1', b: '2', c: '3', d: '4' } } }],
  ])('refuses %s (InvalidRequestException)', async (_why, input) => {
    const err = await sdkError(t.iot.send(new CreateThingCommand(input)));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });

  it('has no thing types: naming one is ResourceNotFoundException', async () => {
    const err = await sdkError(t.iot.send(new CreateThingCommand({ thingName: 'typed', thingTypeName: 'Lamp' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
  });

  it('answers ResourceNotFoundException for an unknown thing', async () => {
    const err = await sdkError(t.iot.send(new DescribeThingCommand({ thingName: 'nope' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
  });
});

describe('UpdateThing / DeleteThing', () => {
  it('replaces or merges attributes, removes empty ones, and bumps the version', async () => {
    await t.iot.send(new CreateThingCommand({ thingName: 'upd', attributePayload: { attributes: { a: '1', b: '2' } } }));
    await t.iot.send(new UpdateThingCommand({ thingName: 'upd', attributePayload: { attributes: { c: '3' }, merge: true } }));
    expect((await t.iot.send(new DescribeThingCommand({ thingName: 'upd' }))).attributes).toEqual({ a: '1', b: '2', c: '3' });
    await t.iot.send(new UpdateThingCommand({ thingName: 'upd', attributePayload: { attributes: { a: '' }, merge: true }, expectedVersion: 2 }));
    expect((await t.iot.send(new DescribeThingCommand({ thingName: 'upd' }))).attributes).toEqual({ b: '2', c: '3' });
    await t.iot.send(new UpdateThingCommand({ thingName: 'upd', attributePayload: { attributes: { z: '9' } } }));
    const d = await t.iot.send(new DescribeThingCommand({ thingName: 'upd' }));
    expect(d.attributes).toEqual({ z: '9' });
    expect(d.version).toBe(4);
    const conflict = await sdkError(t.iot.send(new UpdateThingCommand({ thingName: 'upd', expectedVersion: 1 })));
    expect([conflict.name, conflict.$metadata.httpStatusCode]).toEqual(['VersionConflictException', 409]);
    const tooMany = await sdkError(
      t.iot.send(new UpdateThingCommand({ thingName: 'upd', attributePayload: { attributes: { a: '1', b: '2', c: '3' }, merge: true } })),
    );
    expect(tooMany.name).toBe('InvalidRequestException');
    const missing = await sdkError(t.iot.send(new UpdateThingCommand({ thingName: 'nope' })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('deletes a thing; deleting a missing thing succeeds as on AWS', async () => {
    await t.iot.send(new CreateThingCommand({ thingName: 'del-me' }));
    const conflict = await sdkError(t.iot.send(new DeleteThingCommand({ thingName: 'del-me', expectedVersion: 7 })));
    expect(conflict.name).toBe('VersionConflictException');
    await t.iot.send(new DeleteThingCommand({ thingName: 'del-me', expectedVersion: 1 }));
    const out = await t.iot.send(new DeleteThingCommand({ thingName: 'del-me' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect((await sdkError(t.iot.send(new DescribeThingCommand({ thingName: 'del-me' })))).name).toBe('ResourceNotFoundException');
  });

  it('refuses to delete a thing with principals (InvalidRequestException)', async () => {
    const cert = await newCert();
    await t.iot.send(new CreateThingCommand({ thingName: 'held' }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'held', principal: cert }));
    const err = await sdkError(t.iot.send(new DeleteThingCommand({ thingName: 'held' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    expect(err.message).toBe('Cannot delete. Thing held is still attached to one or more principals');
  });
});

describe('thing principals', () => {
  it('attaches, lists both ways, and detaches; the registry answers the data plane cheaply', async () => {
    const cert = await newCert();
    const cognito = 'us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    await t.iot.send(new CreateThingCommand({ thingName: 'dev-a' }));
    await t.iot.send(new CreateThingCommand({ thingName: 'dev-b' }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-a', principal: cert }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-a', principal: cert })); // idempotent
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-b', principal: cert }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-a', principal: cognito }));
    expect((await t.iot.send(new ListThingPrincipalsCommand({ thingName: 'dev-a' }))).principals).toEqual([cert, cognito]);
    expect((await t.iot.send(new ListPrincipalThingsCommand({ principal: cert }))).things).toEqual(['dev-a', 'dev-b']);
    expect(t.emulator.testHooks.thingsOf(cert)).toEqual([
      { thingName: 'dev-a', type: 'NON_EXCLUSIVE_THING' },
      { thingName: 'dev-b', type: 'NON_EXCLUSIVE_THING' },
    ]);
    await t.iot.send(new DetachThingPrincipalCommand({ thingName: 'dev-b', principal: cert }));
    expect((await t.iot.send(new ListPrincipalThingsCommand({ principal: cert }))).things).toEqual(['dev-a']);
  });

  it('keeps an exclusive attachment exclusive', async () => {
    const cert = await newCert();
    await t.iot.send(new CreateThingCommand({ thingName: 'ex-1' }));
    await t.iot.send(new CreateThingCommand({ thingName: 'ex-2' }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'ex-1', principal: cert, thingPrincipalType: 'EXCLUSIVE_THING' }));
    const err = await sdkError(t.iot.send(new AttachThingPrincipalCommand({ thingName: 'ex-2', principal: cert })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });

  it('refuses unknown things and certificates, and malformed principals', async () => {
    const cert = await newCert();
    const noThing = await sdkError(t.iot.send(new AttachThingPrincipalCommand({ thingName: 'ghost', principal: cert })));
    expect([noThing.name, noThing.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    await t.iot.send(new CreateThingCommand({ thingName: 'real' }));
    const noCert = await sdkError(
      t.iot.send(new AttachThingPrincipalCommand({ thingName: 'real', principal: `arn:aws:iot:us-east-1:123456789012:cert/${'d'.repeat(64)}` })),
    );
    expect(noCert.name).toBe('ResourceNotFoundException');
    const bad = await sdkError(t.iot.send(new AttachThingPrincipalCommand({ thingName: 'real', principal: 'nonsense' })));
    expect([bad.name, bad.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    const listMissing = await sdkError(t.iot.send(new ListThingPrincipalsCommand({ thingName: 'ghost' })));
    expect(listMissing.name).toBe('ResourceNotFoundException');
  });
});

describe('ListThings', () => {
  it('pages with maxResults/nextToken and filters by attribute', async () => {
    const fresh = await startEmulator();
    try {
      for (let i = 0; i < 9; i++) {
        await fresh.iot.send(new CreateThingCommand({ thingName: `sensor-${i}`, attributePayload: { attributes: { floor: String(i % 3), model: `m${i}` } } }));
      }
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await fresh.iot.send(new ListThingsCommand({ maxResults: 4, nextToken }));
        expect(page.things!.length).toBeLessThanOrEqual(4);
        names.push(...page.things!.map((th) => th.thingName!));
        nextToken = page.nextToken;
      } while (nextToken);
      expect(names).toEqual(Array.from({ length: 9 }, (_, i) => `sensor-${i}`));
      const floor1 = await fresh.iot.send(new ListThingsCommand({ attributeName: 'floor', attributeValue: '1' }));
      expect(floor1.things!.map((th) => th.thingName)).toEqual(['sensor-1', 'sensor-4', 'sensor-7']);
      expect(floor1.things![0]).toMatchObject({ thingArn: 'arn:aws:iot:us-east-1:123456789012:thing/sensor-1', version: 1, attributes: { floor: '1', model: 'm1' } });
      const prefix = await fresh.iot.send(new ListThingsCommand({ attributeName: 'model', attributeValue: 'm', usePrefixAttributeValue: true, maxResults: 2 }));
      expect(prefix.things).toHaveLength(2);
      expect(prefix.nextToken).toBeDefined();
      const err = await sdkError(fresh.iot.send(new ListThingsCommand({ maxResults: 251 })));
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    } finally {
      await fresh.close();
    }
  });

  it('pages ListThingPrincipals and ListPrincipalThings', async () => {
    const cert = await newCert();
    for (let i = 0; i < 5; i++) {
      await t.iot.send(new CreateThingCommand({ thingName: `pt-${i}` }));
      await t.iot.send(new AttachThingPrincipalCommand({ thingName: `pt-${i}`, principal: cert }));
    }
    const first = await t.iot.send(new ListPrincipalThingsCommand({ principal: cert, maxResults: 3 }));
    const second = await t.iot.send(new ListPrincipalThingsCommand({ principal: cert, maxResults: 3, nextToken: first.nextToken }));
    expect([...first.things!, ...second.things!]).toEqual(['pt-0', 'pt-1', 'pt-2', 'pt-3', 'pt-4']);
    expect(second.nextToken).toBeUndefined();
    const certs = [cert, await newCert(), await newCert()];
    for (const c of certs.slice(1)) await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'pt-0', principal: c }));
    const p1 = await t.iot.send(new ListThingPrincipalsCommand({ thingName: 'pt-0', maxResults: 2 }));
    const p2 = await t.iot.send(new ListThingPrincipalsCommand({ thingName: 'pt-0', maxResults: 2, nextToken: p1.nextToken }));
    expect([...p1.principals!, ...p2.principals!]).toEqual(certs);
  });
});

describe('DescribeEndpoint', () => {
  it.each([undefined, 'iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'])('answers the local host for %s', async (endpointType) => {
    const out = await t.iot.send(new DescribeEndpointCommand({ endpointType }));
    expect(out.endpointAddress).toBe('127.0.0.1');
  });

  it('refuses an unknown endpoint type', async () => {
    const err = await sdkError(t.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Bogus' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });
});
