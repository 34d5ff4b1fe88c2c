import type { IoTClient } from '@aws-sdk/client-iot';
import { usageError } from '../core/errors.js';
import { certificateIdOf } from '../core/aws-ids.js';

/** A certificate ARN from an ARN or a 64-hex id (DescribeCertificate fills in region and account). */
export async function resolveCertificateArn(iot: IoTClient, idOrArn: string): Promise<string> {
  const id = requireCertificateId(idOrArn);
  if (idOrArn.startsWith('arn:')) return idOrArn;
  const { DescribeCertificateCommand } = await import('@aws-sdk/client-iot');
  const described = await iot.send(new DescribeCertificateCommand({ certificateId: id }));
  return described.certificateDescription?.certificateArn ?? idOrArn;
}

export function requireCertificateId(idOrArn: string): string {
  const id = certificateIdOf(idOrArn);
  if (!id) {
    throw usageError('INVALID_CERTIFICATE_ID', `"${idOrArn}" is neither a certificate id (64 hex characters) nor a certificate ARN.`, 'iotctl cert list shows the ids');
  }
  return id;
}

/** Names of the policies attached to a target (certificate ARN or Cognito identity id). */
export async function attachedPolicyNames(iot: IoTClient, target: string): Promise<string[]> {
  const { ListAttachedPoliciesCommand } = await import('@aws-sdk/client-iot');
  const { listAll } = await import('./paginate.js');
  return listAll(async (marker) => {
    const page = await iot.send(new ListAttachedPoliciesCommand({ target, marker }));
    return { items: (page.policies ?? []).map((p) => p.policyName ?? ''), next: page.nextMarker };
  });
}

/** Things a principal (certificate ARN) is attached to. */
export async function principalThings(iot: IoTClient, principal: string): Promise<string[]> {
  const { ListPrincipalThingsCommand } = await import('@aws-sdk/client-iot');
  const { listAll } = await import('./paginate.js');
  return listAll(async (nextToken) => {
    const page = await iot.send(new ListPrincipalThingsCommand({ principal, nextToken }));
    return { items: page.things ?? [], next: page.nextToken };
  });
}

/** Principals attached to a thing. */
export async function thingPrincipals(iot: IoTClient, thingName: string): Promise<string[]> {
  const { ListThingPrincipalsCommand } = await import('@aws-sdk/client-iot');
  const { listAll } = await import('./paginate.js');
  return listAll(async (nextToken) => {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, nextToken }));
    return { items: page.principals ?? [], next: page.nextToken };
  });
}
