import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachThingPrincipalCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListTargetsForPolicyCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { createCsr, derToPem, generateKeyPair, pemToDer, type KeySpec } from '../../src/pki/index.js';
import { ALLOW_ALL, sdkError, startEmulator, type TestEmulator } from '../helpers/emulator.js';

let t: TestEmulator;
beforeAll(async () => {
  t = await startEmulator();
});
afterAll(() => t.close());

async function csrFor(spec: KeySpec = { type: 'ec', curve: 'P-256' }, subject = 'CN=thing1, O=Acme'): Promise<string> {
  return createCsr({ keyPair: await generateKeyPair(spec), subject });
}

async function certFromCsr(setAsActive = true) {
  return t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await csrFor(), setAsActive }));
}

const caPem = () => readFileSync(t.emulator.endpoints.caFile, 'utf8');

/** Made with `openssl req -new -newkey ed25519 -subj /CN=ed` (the pki module only makes keys AWS accepts). */
const ED25519_CSR = `-----BEGIN CERTIFICATE REQUEST-----
MIGMMEACAQAwDTELMAkGA1UEAwwCZWQwKjAFBgMrZXADIQC/1vO7DeuFdBTA6ZE4
vbSREcol4bVPeJVAEwolppr7vKAAMAUGAytlcANBABJ7+rncuQI/UwwaWXDuI5K9
5R3dqoJJPweYR37deWqflSgoeeQlXxeB76Jld6fluJYPo3Yz/KPnBeFBh5ciogI=
-----END CERTIFICATE REQUEST-----
`;

describe('CreateKeysAndCertificate', () => {
  it('issues an RSA-2048 key pair and a certificate like AWS: PKCS#1 private key, SPKI public key, CN=AWS IoT Certificate', async () => {
    const out = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    expect(out.keyPair?.PrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(out.keyPair?.PublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const cert = new X509Certificate(out.certificatePem!);
    expect(cert.subject).toBe('CN=AWS IoT Certificate');
    expect(cert.verify(new X509Certificate(caPem()).publicKey)).toBe(true);
    expect(createPublicKey(createPrivateKey(out.keyPair!.PrivateKey!)).export({ type: 'spki', format: 'pem' })).toBe(out.keyPair!.PublicKey);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(out.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(out.certificateArn).toBe(`arn:aws:iot:us-east-1:123456789012:cert/${out.certificateId}`);
    // A positive serial number: the DER integer's high bit is clear.
    expect(parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    const described = await t.iot.send(new DescribeCertificateCommand({ certificateId: out.certificateId }));
    expect(described.certificateDescription?.status).toBe('ACTIVE');
  });

  it('is INACTIVE without setAsActive', async () => {
    const out = await t.iot.send(new CreateKeysAndCertificateCommand({}));
    const described = await t.iot.send(new DescribeCertificateCommand({ certificateId: out.certificateId }));
    expect(described.certificateDescription?.status).toBe('INACTIVE');
  });
});

describe('CreateCertificateFromCsr', () => {
  it.each<[string, KeySpec]>([
    ['EC P-256', { type: 'ec', curve: 'P-256' }],
    ['EC P-384', { type: 'ec', curve: 'P-384' }],
    ['EC P-521', { type: 'ec', curve: 'P-521' }],
    ['RSA-2048', { type: 'rsa', bits: 2048 }],
  ])('signs a %s CSR with the CSR subject', async (_name, spec) => {
    const out = await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await csrFor(spec), setAsActive: true }));
    const cert = new X509Certificate(out.certificatePem!);
    expect(cert.subject).toBe('CN=thing1\nO=Acme');
    expect(cert.verify(new X509Certificate(caPem()).publicKey)).toBe(true);
    expect(out.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
  });

  it('issues a distinct certificate each time the same CSR is used', async () => {
    const csr = await csrFor();
    const a = await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr }));
    const b = await t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr }));
    expect(a.certificateId).not.toBe(b.certificateId);
  });

  it('refuses keys AWS refuses (RSA-1024, Ed25519) with InvalidRequestException', async () => {
    const rsa1024 = await csrFor({ type: 'rsa', bits: 1024 });
    const err = await sdkError(t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: rsa1024 })));
    expect(err.name).toBe('InvalidRequestException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const ed = await sdkError(t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: ED25519_CSR })));
    expect([ed.name, ed.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    expect(ed.message).toContain('unsupported key');
  });

  it('refuses garbage and a CSR whose signature does not verify', async () => {
    const garbage = await sdkError(t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: 'not a csr' })));
    expect([garbage.name, garbage.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    const der = pemToDer(await csrFor(), 'CERTIFICATE REQUEST');
    der[der.length - 3]! ^= 0x01;
    const tampered = await sdkError(t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: derToPem(der, 'CERTIFICATE REQUEST') })));
    expect(tampered.name).toBe('InvalidRequestException');
    expect(tampered.message).toMatch(/signature|not valid/);
  });

  it('needs certificateSigningRequest', async () => {
    const err = await sdkError(t.iot.send(new CreateCertificateFromCsrCommand({} as never)));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });
});

describe('DescribeCertificate / UpdateCertificate', () => {
  it('describes every field the SDK models', async () => {
    const { certificateId } = await certFromCsr(false);
    const d = (await t.iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!;
    expect(d).toMatchObject({ certificateId, status: 'INACTIVE', ownedBy: '123456789012', customerVersion: 1, certificateMode: 'DEFAULT' });
    expect(d.creationDate).toBeInstanceOf(Date);
    expect(d.validity?.notAfter?.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(d.certificatePem).toMatch(/BEGIN CERTIFICATE/);
  });

  it('moves between ACTIVE, INACTIVE and REVOKED; REVOKED is final (CertificateStateException)', async () => {
    const { certificateId } = await certFromCsr(false);
    const status = async () => (await t.iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status;
    await t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
    expect(await status()).toBe('ACTIVE');
    await t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    expect(await status()).toBe('INACTIVE');
    await t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' }));
    expect(await status()).toBe('REVOKED');
    const err = await sdkError(t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['CertificateStateException', 406]);
    const d = (await t.iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!;
    expect(d.customerVersion).toBe(4);
  });

  it('refuses statuses UpdateCertificate cannot set', async () => {
    const { certificateId } = await certFromCsr(false);
    for (const newStatus of ['PENDING_TRANSFER', 'REGISTER_INACTIVE', 'BOGUS'] as const) {
      const err = await sdkError(t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: newStatus as never })));
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    }
  });

  it('answers ResourceNotFoundException for an unknown certificate, InvalidRequestException for a malformed ID', async () => {
    const missing = await sdkError(t.iot.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
    const malformed = await sdkError(t.iot.send(new DescribeCertificateCommand({ certificateId: 'xyz' })));
    expect([malformed.name, malformed.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
  });
});

describe('DeleteCertificate', () => {
  it('refuses an ACTIVE certificate (CertificateStateException, 406)', async () => {
    const { certificateId } = await certFromCsr(true);
    const err = await sdkError(t.iot.send(new DeleteCertificateCommand({ certificateId })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['CertificateStateException', 406]);
    expect(err.message).toContain('Certificate must be deactivated (not ACTIVE) before deletion');
  });

  it('refuses a certificate with policies unless forceDelete, which detaches them', async () => {
    const { certificateId, certificateArn } = await certFromCsr(false);
    await t.iot.send(new CreatePolicyCommand({ policyName: 'del-cert-policy', policyDocument: ALLOW_ALL }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'del-cert-policy', target: certificateArn }));
    const err = await sdkError(t.iot.send(new DeleteCertificateCommand({ certificateId })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
    expect(err.message).toContain('Certificate policies must be detached before deletion');
    await t.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
    const gone = await sdkError(t.iot.send(new DescribeCertificateCommand({ certificateId })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect((await t.iot.send(new ListTargetsForPolicyCommand({ policyName: 'del-cert-policy' }))).targets).toEqual([]);
  });

  it('refuses a certificate attached to a thing, even with forceDelete', async () => {
    const { certificateId, certificateArn } = await certFromCsr(false);
    await t.iot.send(new CreateThingCommand({ thingName: 'cert-holder' }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'cert-holder', principal: certificateArn }));
    const err = await sdkError(t.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
    await t.iot.send(new DetachThingPrincipalCommand({ thingName: 'cert-holder', principal: certificateArn }));
    await t.iot.send(new DeleteCertificateCommand({ certificateId }));
  });

  it('answers ResourceNotFoundException for an unknown certificate', async () => {
    const err = await sdkError(t.iot.send(new DeleteCertificateCommand({ certificateId: 'b'.repeat(64) })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
  });

  it('ListAttachedPolicies of a deleted certificate is ResourceNotFoundException', async () => {
    const { certificateId, certificateArn } = await certFromCsr(false);
    await t.iot.send(new DeleteCertificateCommand({ certificateId }));
    const err = await sdkError(t.iot.send(new ListAttachedPoliciesCommand({ target: certificateArn })));
    expect(err.name).toBe('ResourceNotFoundException');
  });
});

describe('ListCertificates', () => {
  it('pages with pageSize and nextMarker, newest first by default, oldest first with ascendingOrder', async () => {
    const fresh = await startEmulator();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await fresh.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await csrFor() }))).certificateId!);
      }
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await fresh.iot.send(new ListCertificatesCommand({ pageSize: 2, marker }));
        seen.push(...page.certificates!.map((c) => c.certificateId!));
        marker = page.nextMarker;
        pages++;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const asc = await fresh.iot.send(new ListCertificatesCommand({ ascendingOrder: true }));
      expect(asc.certificates!.map((c) => c.certificateId)).toEqual(ids);
      expect(asc.nextMarker).toBeUndefined();
      expect(asc.certificates![0]).toMatchObject({ status: 'INACTIVE', certificateMode: 'DEFAULT' });
    } finally {
      await fresh.close();
    }
  });

  it('rejects page sizes outside 1-250 and a forged marker', async () => {
    for (const pageSize of [0, 251]) {
      const err = await sdkError(t.iot.send(new ListCertificatesCommand({ pageSize })));
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidRequestException', 400]);
    }
    const err = await sdkError(t.iot.send(new ListCertificatesCommand({ marker: 'garbage!' })));
    expect(err.name).toBe('InvalidRequestException');
  });

  it('defaults to 25 per page', async () => {
    const fresh = await startEmulator();
    try {
      const csr = await csrFor();
      await Promise.all(Array.from({ length: 27 }, () => fresh.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr }))));
      const page = await fresh.iot.send(new ListCertificatesCommand({}));
      expect(page.certificates).toHaveLength(25);
      expect(page.nextMarker).toBeDefined();
    } finally {
      await fresh.close();
    }
  });
});
