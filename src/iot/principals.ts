/**
 * Principals as commands name them (--principal: a certificate or a Cognito
 * identity) and what AWS IoT holds about them: the target string policies are
 * attached to, and everything the policy engine needs to decide for them.
 */
import { DescribeCertificateCommand, GetPolicyCommand, type IoTClient } from '@aws-sdk/client-iot';
import type { PolicyInput } from '../core/policy/index.js';
import { usageError } from '../core/errors.js';
import { certificateIdOf, isCognitoIdentityId } from '../core/aws-ids.js';
import { attachedPolicyNames } from './policies.js';
import { principalThings } from './things.js';

/** A principal as `--principal` names it: a certificate (id or ARN) or a Cognito identity. */
export type PrincipalRef = { kind: 'certificate'; certificateId: string; arn?: string } | { kind: 'cognito'; identityId: string };

export function parsePrincipal(value: string, flag: string): PrincipalRef {
  const certificateId = certificateIdOf(value);
  if (certificateId) return { kind: 'certificate', certificateId, arn: value.startsWith('arn:') ? value : undefined };
  if (isCognitoIdentityId(value)) return { kind: 'cognito', identityId: value };
  throw usageError('INVALID_PRINCIPAL', `${flag} "${value}" is neither a certificate (ARN or 64-hex id) nor a Cognito identity id.`, 'e.g. arn:aws:iot:us-east-1:123456789012:cert/<id> or us-east-1:<uuid>');
}

/** The target string AttachPolicy/ListAttachedPolicies want: the certificate ARN or the bare identity id. */
export async function principalTarget(iot: IoTClient, principal: PrincipalRef): Promise<string> {
  if (principal.kind === 'cognito') return principal.identityId;
  if (principal.arn) return principal.arn;
  const described = await iot.send(new DescribeCertificateCommand({ certificateId: principal.certificateId }));
  return described.certificateDescription!.certificateArn!;
}

export interface PrincipalPolicies {
  target: string;
  policies: PolicyInput[];
  /** For a certificate: its PEM (the facts policies see come from it: identity/certificate-facts.ts). */
  certificatePem?: string;
  /** Things the certificate is attached to. */
  things: string[];
}

/** Everything AWS IoT would evaluate for a principal: the default version of each attached policy, and the certificate. */
export async function fetchPrincipalPolicies(iot: IoTClient, principal: PrincipalRef): Promise<PrincipalPolicies> {
  const target = await principalTarget(iot, principal);
  const names = await attachedPolicyNames(iot, target);
  const policies = await Promise.all(
    names.map(async (policyName) => {
      const p = await iot.send(new GetPolicyCommand({ policyName }));
      // Stored: AWS took it, so it is evaluated as the broker does, never refused (what cannot be read fails closed).
      return { name: policyName, versionId: p.defaultVersionId, document: p.policyDocument ?? '{}', stored: true } satisfies PolicyInput;
    }),
  );
  if (principal.kind === 'cognito') return { target, policies, things: [] };
  const { certificateDescription } = await iot.send(new DescribeCertificateCommand({ certificateId: principal.certificateId }));
  return { target, policies, certificatePem: certificateDescription?.certificatePem ?? '', things: await principalThings(iot, target) };
}
