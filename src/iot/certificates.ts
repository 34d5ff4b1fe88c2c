/**
 * AWS IoT certificates: register one for a CSR (or let AWS make the keys),
 * list, describe with its attachments, change status, and delete with
 * --force's clean-up. Each function takes the IoT client and returns plain data.
 */
import {
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  UpdateCertificateCommand,
  type CertificateStatus,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { usageError } from '../core/errors.js';
import { certificateIdOf } from '../core/aws-ids.js';
import { ifExists, listAll } from '../aws/responses.js';
import { attachedPolicyNames, detachPolicy } from './policies.js';
import { detachThingPrincipal, principalThings } from './things.js';

export type { CertificateStatus };

export const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'] as const;

/** The certificate id in a 64-hex id or a certificate ARN; a usage error otherwise. */
export function requireCertificateId(idOrArn: string): string {
  const id = certificateIdOf(idOrArn);
  if (!id) {
    throw usageError('INVALID_CERTIFICATE_ID', `"${idOrArn}" is neither a certificate id (64 hex characters) nor a certificate ARN.`, 'iotctl cert list shows the ids');
  }
  return id;
}

/** A certificate ARN from an ARN or a 64-hex id (DescribeCertificate fills in region and account). */
export async function resolveCertificateArn(iot: IoTClient, idOrArn: string): Promise<string> {
  const id = requireCertificateId(idOrArn);
  if (idOrArn.startsWith('arn:')) return idOrArn;
  const described = await iot.send(new DescribeCertificateCommand({ certificateId: id }));
  return described.certificateDescription?.certificateArn ?? idOrArn;
}

export interface IssuedCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
}

/** CreateCertificateFromCsr: the private key stays where the CSR was made. */
export async function registerCertificate(iot: IoTClient, csr: string, options: { active: boolean }): Promise<IssuedCertificate> {
  const r = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: options.active }));
  return { certificateId: r.certificateId!, certificateArn: r.certificateArn!, certificatePem: r.certificatePem ?? '' };
}

/** CreateKeysAndCertificate: AWS makes the key pair and sends the private key back, once. */
export async function createKeysAndCertificate(iot: IoTClient, options: { active: boolean }): Promise<IssuedCertificate & { privateKey: string }> {
  const r = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: options.active }));
  return { certificateId: r.certificateId!, certificateArn: r.certificateArn!, certificatePem: r.certificatePem ?? '', privateKey: r.keyPair?.PrivateKey ?? '' };
}

export async function listCertificates(iot: IoTClient, filter: { status?: CertificateStatus; max?: number } = {}) {
  const all = await listAll(async (marker) => {
    const page = await iot.send(new ListCertificatesCommand({ marker, pageSize: 250 }));
    return { items: page.certificates ?? [], next: page.nextMarker };
  });
  return all.filter((c) => !filter.status || c.status === filter.status).slice(0, filter.max);
}

/** A certificate, with the policies and things attached to it. */
export async function describeCertificate(iot: IoTClient, certificateId: string) {
  const { certificateDescription: d } = await iot.send(new DescribeCertificateCommand({ certificateId }));
  const arn = d?.certificateArn ?? '';
  const [policies, things] = await Promise.all([attachedPolicyNames(iot, arn), principalThings(iot, arn)]);
  return {
    certificateId: d?.certificateId,
    certificateArn: arn,
    status: d?.status,
    creationDate: d?.creationDate,
    notBefore: d?.validity?.notBefore,
    notAfter: d?.validity?.notAfter,
    caCertificateId: d?.caCertificateId,
    policies,
    things,
    certificatePem: d?.certificatePem,
  };
}

export async function setCertificateStatus(iot: IoTClient, certificateId: string, status: CertificateStatus): Promise<void> {
  await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: status }));
}

export interface DeletedCertificate {
  certificateId: string;
  deleted: true;
  detachedPolicies: string[];
  detachedThings: string[];
}

/**
 * Deletes a certificate. AWS refuses while it is ACTIVE or attached; `force`
 * deactivates it and detaches its policies and things first.
 */
export async function deleteCertificate(iot: IoTClient, certificateId: string, options: { force: boolean }): Promise<DeletedCertificate> {
  const detached = options.force ? await releaseCertificate(iot, certificateId) : { policies: [], things: [] };
  await iot.send(new DeleteCertificateCommand({ certificateId }));
  return { certificateId, deleted: true, detachedPolicies: detached.policies, detachedThings: detached.things };
}

/** Deactivates a certificate and detaches everything from it, so it can be deleted. */
async function releaseCertificate(iot: IoTClient, certificateId: string): Promise<{ policies: string[]; things: string[] }> {
  const { certificateDescription: d } = await iot.send(new DescribeCertificateCommand({ certificateId }));
  const arn = d?.certificateArn ?? '';
  if (d?.status === 'ACTIVE') await setCertificateStatus(iot, certificateId, 'INACTIVE');
  const policies = await attachedPolicyNames(iot, arn);
  for (const policyName of policies) await detachPolicy(iot, policyName, arn);
  const things = await principalThings(iot, arn);
  for (const thingName of things) await detachThingPrincipal(iot, thingName, arn);
  return { policies, things };
}

/** A certificate's status and ARN, or undefined when it does not exist. */
export async function certificateState(iot: IoTClient, certificateId: string): Promise<{ status?: CertificateStatus; arn: string } | undefined> {
  const described = await ifExists(iot.send(new DescribeCertificateCommand({ certificateId })));
  const d = described?.certificateDescription;
  return d ? { status: d.status, arn: d.certificateArn ?? '' } : undefined;
}
