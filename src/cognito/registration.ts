/**
 * On-demand registration of a Cognito identity with AWS IoT: a signed-in
 * identity may use AWS IoT only once an IoT policy is attached to its identity
 * id. Idempotent: an identity that has the policy is left as it is.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import { attachedPolicyNames, attachPolicy, ensurePolicy } from '../iot/policies.js';

export interface Registration {
  identityId: string;
  policyName: string;
  policyCreated: boolean;
  attached: boolean;
  alreadyRegistered: boolean;
}

/** `policy.document` undefined: the policy must exist; otherwise it is created when missing. */
export async function registerIdentity(iot: IoTClient, identityId: string, policy: { name: string; document?: string }): Promise<Registration> {
  const { created } = await ensurePolicy(iot, policy.name, policy.document);
  const already = (await attachedPolicyNames(iot, identityId)).includes(policy.name);
  if (!already) await attachPolicy(iot, policy.name, identityId);
  return { identityId, policyName: policy.name, policyCreated: created, attached: !already, alreadyRegistered: already };
}
