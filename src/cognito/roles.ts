/**
 * An identity pool's IAM roles, made with the IAM API (CreateRole +
 * PutRolePolicy), on AWS and on the local IoT Core alike: the trust policy lets
 * Cognito hand the role to this pool's identities only (aud = the pool id,
 * amr = authenticated or unauthenticated), and the inline policy comes from
 * templates/roles.
 */
import type { IAMClient } from '@aws-sdk/client-iam';

export const ROLE_TEMPLATES_DIR = new URL('../../templates/roles/', import.meta.url);
/** The inline policy iotctl puts on the roles it makes. */
export const ROLE_POLICY_NAME = 'iotctl';

export type PoolRoleKind = 'authenticated' | 'unauthenticated';

/** Renders an IAM role policy from templates/roles/ (same format and checks as the IoT policy templates). */
export async function renderRolePolicy(template: string, params: Record<string, string>): Promise<string> {
  const { loadTemplate } = await import('../policy-documents/templates.js');
  const { renderTemplate } = await import('../core/policy/template.js');
  return renderTemplate(await loadTemplate(template, ROLE_TEMPLATES_DIR), params).text;
}

/** The trust policy Cognito needs to give this pool's identities (of one kind) the role. */
export function poolTrustPolicy(poolId: string, kind: PoolRoleKind): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': poolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': kind },
        },
      },
    ],
  });
}

/**
 * The role name for a pool: `<pool name>-auth-<8 characters of the pool id>`,
 * so two pools with one name never share (or overwrite) a role. At most 64 characters.
 */
export function poolRoleName(poolName: string, poolId: string, kind: PoolRoleKind): string {
  const suffix = `-${kind === 'authenticated' ? 'auth' : 'unauth'}-${(poolId.split(':')[1] ?? poolId).replace(/-/g, '').slice(0, 8)}`;
  return poolName.replace(/[^\w+=,.@-]/g, '_').slice(0, 64 - suffix.length) + suffix;
}

/** Creates a role that this pool's identities of `kind` can assume, with `policyDocument` inline; returns its ARN. */
export async function createPoolRole(iam: IAMClient, roleName: string, poolId: string, kind: PoolRoleKind, policyDocument: string): Promise<string> {
  const { CreateRoleCommand, PutRolePolicyCommand } = await import('@aws-sdk/client-iam');
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: poolTrustPolicy(poolId, kind),
      Description: `Cognito identity pool ${poolId}, ${kind} identities (made by iotctl)`,
    }),
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_POLICY_NAME, PolicyDocument: policyDocument }));
  return created.Role!.Arn!;
}

/** Removes a role createPoolRole made (its inline policy first, as IAM requires). Best effort: used to undo. */
export async function deletePoolRole(iam: IAMClient, roleName: string): Promise<void> {
  const { DeleteRoleCommand, DeleteRolePolicyCommand } = await import('@aws-sdk/client-iam');
  await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_POLICY_NAME })).catch(() => undefined);
  await iam.send(new DeleteRoleCommand({ RoleName: roleName })).catch(() => undefined);
}
