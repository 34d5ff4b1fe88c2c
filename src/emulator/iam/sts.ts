/**
 * STS, as far as a local IoT Core needs it: GetCallerIdentity, which any
 * signed caller may call (AWS needs no permission for it), so that
 * `aws sts get-caller-identity` tells who the keys are.
 */
import type { Signer, ServiceContext } from '../http/types.js';
import type { XmlValue } from './query.js';

export function getCallerIdentity(principal: Signer, ctx: ServiceContext): Record<string, XmlValue> {
  const account = ctx.arns.accountId;
  if (principal.kind === 'session') {
    const { session } = principal;
    return { UserId: `${ctx.store.registry.roles.get(ctx.arns.roleName(session.roleArn) ?? '')?.id ?? 'AROA'}:CognitoIdentityCredentials`, Account: account, Arn: ctx.arns.assumedRole(session.roleArn) };
  }
  return { UserId: account, Account: account, Arn: `arn:aws:iam::${account}:root` };
}
