/**
 * The control plane's `authorize` hook, backed by the policy evaluator:
 * temporary Cognito credentials may call an operation when their role's
 * inline policies allow it (IAM-style: Action `iot:CreateThing`, Resource the
 * thing's ARN or `*`; an explicit Deny in any of them wins). An unknown role
 * grants nothing, and neither does a document the evaluator cannot read.
 */
import { buildVariables, isAllowed } from '../../core/policy/index.js';
import type { Arns } from '../arns.js';
import type { ControlPlaneAuthorizer } from '../control-plane.js';
import { compileRolePolicies } from './authority.js';

export function roleAuthorizer(arns: Arns): ControlPlaneAuthorizer {
  return ({ principal, action, rolePolicies, resource }) => {
    if (rolePolicies === undefined) return false;
    const { session } = principal;
    const policies = compileRolePolicies(arns, session.roleArn, rolePolicies);
    const bag = buildVariables({
      cognito: { identityId: session.identityId, poolId: session.poolId, amr: [session.authenticated ? 'authenticated' : 'unauthenticated'] },
    });
    return isAllowed(policies, { action, resource }, bag);
  };
}
