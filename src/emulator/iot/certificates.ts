/** Certificates: created from server-generated keys or from a CSR, signed by the local CA. */
import { randomUUID } from 'node:crypto';
import { DEFAULT_RSA, generateKeyPair, privateKeyToPem, publicKeyToPem, type KeySpec } from '../../pki/keys.js';
import { issueCertificate } from '../../pki/ca.js';
import { parseCsr } from '../../pki/csr.js';
import { certificateId, parseCertificate } from '../../pki/certificate.js';
import { invalidRequest } from '../errors.js';
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { paginate } from '../pagination.js';
import type { CertificateRecord, CertificateStatus } from '../store/model.js';
import { RULES, oneOf, queryBoolean, requireString } from '../validate.js';
import { epochSeconds, pageSize } from './common.js';

/** AWS-issued certificates are valid until the end of 2049. */
const AWS_NOT_AFTER = new Date('2049-12-31T23:59:59Z');
const AWS_SUBJECT = 'CN=AWS IoT Certificate';
const SETTABLE: CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'];

function certificateIdParam(req: ServiceRequest): string {
  return requireString(req.params.certificateId, 'certificateId', RULES.certificateId).toLowerCase();
}

async function register(ctx: ServiceContext, pem: string, setAsActive: boolean): Promise<CertificateRecord> {
  const info = parseCertificate(pem);
  const now = ctx.now();
  const record: CertificateRecord = {
    id: certificateId(pem),
    pem,
    status: setAsActive ? 'ACTIVE' : 'INACTIVE',
    createdAt: now,
    updatedAt: now,
    customerVersion: 1,
    generationId: randomUUID(),
    notBefore: info.notBefore.getTime(),
    notAfter: info.notAfter.getTime(),
  };
  await ctx.store.mutate((r) => r.addCertificate(record));
  return record;
}

async function createKeysAndCertificate(req: ServiceRequest, ctx: ServiceContext) {
  const setAsActive = queryBoolean(req.query.get('setAsActive'), 'setAsActive') ?? false;
  const keyPair = await generateKeyPair(DEFAULT_RSA);
  const pem = await issueCertificate(ctx.ca, { publicKey: keyPair.publicKey, subject: AWS_SUBJECT, profile: 'client', notAfter: AWS_NOT_AFTER });
  const record = await register(ctx, pem, setAsActive);
  return {
    certificateArn: ctx.arns.cert(record.id),
    certificateId: record.id,
    certificatePem: pem,
    // AWS returns the private key once, as PKCS#1, and the public key as SPKI.
    keyPair: { PublicKey: publicKeyToPem(keyPair.publicKey), PrivateKey: privateKeyToPem(keyPair.privateKey, 'pkcs1') },
  };
}

/** AWS IoT signs CSRs for RSA keys of 2048 bits or more and EC keys on the NIST curves. */
function acceptedKey(spec: KeySpec | undefined): boolean {
  return spec !== undefined && (spec.type === 'ec' || spec.bits >= 2048);
}

async function createCertificateFromCsr(req: ServiceRequest, ctx: ServiceContext) {
  const setAsActive = queryBoolean(req.query.get('setAsActive'), 'setAsActive') ?? false;
  const csrPem = requireString(req.json().certificateSigningRequest, 'certificateSigningRequest', { min: 1, max: 4096 });
  let csr;
  try {
    csr = await parseCsr(csrPem);
  } catch (err) {
    throw invalidRequest(`The certificate signing request is not valid: ${(err as Error).message}`);
  }
  if (!acceptedKey(csr.keySpec)) {
    throw invalidRequest('The certificate signing request uses an unsupported key: use RSA with at least 2048 bits, or EC on P-256, P-384 or P-521.');
  }
  const pem = await issueCertificate(ctx.ca, { publicKey: csr.publicKey, subject: csr.subjectName, profile: 'client', notAfter: AWS_NOT_AFTER });
  const record = await register(ctx, pem, setAsActive);
  return { certificateArn: ctx.arns.cert(record.id), certificateId: record.id, certificatePem: pem };
}

function describeCertificate(req: ServiceRequest, ctx: ServiceContext) {
  const cert = ctx.store.registry.requireCertificate(certificateIdParam(req));
  return {
    certificateDescription: {
      certificateArn: ctx.arns.cert(cert.id),
      certificateId: cert.id,
      status: cert.status,
      certificatePem: cert.pem,
      ownedBy: ctx.arns.accountId,
      creationDate: epochSeconds(cert.createdAt),
      lastModifiedDate: epochSeconds(cert.updatedAt),
      customerVersion: cert.customerVersion,
      transferData: {},
      generationId: cert.generationId,
      validity: { notBefore: epochSeconds(cert.notBefore), notAfter: epochSeconds(cert.notAfter) },
      certificateMode: 'DEFAULT',
    },
  };
}

async function updateCertificate(req: ServiceRequest, ctx: ServiceContext) {
  const id = certificateIdParam(req);
  const status = oneOf(requireString(req.query.get('newStatus'), 'newStatus'), 'newStatus', SETTABLE)!;
  if (status === 'PENDING_TRANSFER' || status === 'PENDING_ACTIVATION') throw invalidRequest(`The status ${status} cannot be set with UpdateCertificate.`);
  if (status === 'REGISTER_INACTIVE') throw invalidRequest('The status REGISTER_INACTIVE is deprecated; use INACTIVE.');
  await ctx.store.mutate((r) => r.setCertificateStatus(id, status, ctx.now()));
}

async function deleteCertificate(req: ServiceRequest, ctx: ServiceContext) {
  const id = certificateIdParam(req);
  const force = queryBoolean(req.query.get('forceDelete'), 'forceDelete') ?? false;
  await ctx.store.mutate((r) => r.deleteCertificate(id, force));
}

function listCertificates(req: ServiceRequest, ctx: ServiceContext) {
  const ascending = queryBoolean(req.query.get('isAscendingOrder'), 'isAscendingOrder') ?? false;
  const certs = [...ctx.store.registry.certificates.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  if (!ascending) certs.reverse();
  const page = paginate(certs, (c) => c.id, req.query.get('marker'), pageSize(req, 'pageSize'), 'marker');
  return {
    certificates: page.items.map((c) => ({
      certificateArn: ctx.arns.cert(c.id),
      certificateId: c.id,
      status: c.status,
      certificateMode: 'DEFAULT',
      creationDate: epochSeconds(c.createdAt),
    })),
    nextMarker: page.next,
  };
}

export const certificateRoutes: Route[] = [
  { method: 'POST', path: '/keys-and-certificate', operation: 'CreateKeysAndCertificate', handler: createKeysAndCertificate },
  { method: 'POST', path: '/certificates', operation: 'CreateCertificateFromCsr', handler: createCertificateFromCsr },
  { method: 'GET', path: '/certificates', operation: 'ListCertificates', handler: listCertificates },
  { method: 'GET', path: '/certificates/{certificateId}', operation: 'DescribeCertificate', handler: describeCertificate },
  { method: 'PUT', path: '/certificates/{certificateId}', operation: 'UpdateCertificate', handler: updateCertificate },
  { method: 'DELETE', path: '/certificates/{certificateId}', operation: 'DeleteCertificate', handler: deleteCertificate },
];
