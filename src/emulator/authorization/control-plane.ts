/**
 * The control plane's `authorize` hook, backed by the policy evaluator:
 * temporary Cognito credentials may call an operation when their role's
 * policy allows it (IAM-style: Action `iot:CreateThing`, Resource the thing's
 * ARN or `*`). An unknown role or a document the evaluator cannot read grants nothing.
 */
import { buildVariables, compilePolicy, isAllowed } from '../../core/policy/index.js';
import type { Arns } from '../arns.js';
import type { ControlPlaneAuthorizer } from '../control-plane.js';

export function roleAuthorizer(arns: Arns): ControlPlaneAuthorizer {
  return ({ principal, action, rolePolicy, resource }) => {
    if (rolePolicy === undefined) return false;
    const { session } = principal;
    let policy;
    try {
      policy = compilePolicy({ name: `role/${arns.roleName(session.roleArn) ?? session.roleArn}`, document: rolePolicy, kind: 'iam' });
    } catch {
      return false;
    }
    const bag = buildVariables({
      cognito: { identityId: session.identityId, poolId: session.poolId, amr: [session.authenticated ? 'authenticated' : 'unauthenticated'] },
    });
    return isAllowed([policy], { action, resource }, bag);
  };
}
