import type { Command } from 'commander';
import { hiddenAlias } from '../../cli/command.js';
import { usageError } from '../../core/errors.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { parsePrincipal, principalTarget } from '../../policy/remote.js';

/** The shared body of `policy attach` and `policy detach`. */
export function configureAttachment(cmd: Command): void {
  cmd.argument('<name>', 'policy name').option('--principal <principal>', 'certificate ARN or id, or Cognito identity id');
  hiddenAlias(cmd, '--target <principal>', 'principal');
}

export async function changeAttachment(ctx: Context, change: 'attach' | 'detach', name: string, principalFlag: string | undefined): Promise<number> {
  const policyName = requireName(POLICY_NAME, name);
  if (!principalFlag) throw usageError('MISSING_PRINCIPAL', `policy ${change} needs the principal: --principal <certificate ARN or id, or Cognito identity id>.`);
  const principal = parsePrincipal(principalFlag, '--principal');
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const target = await principalTarget(iot, principal);
  if (change === 'attach') await iot.send(new sdk.AttachPolicyCommand({ policyName, target }));
  else await iot.send(new sdk.DetachPolicyCommand({ policyName, target }));
  ctx.out.result({ policyName, target, [change === 'attach' ? 'attached' : 'detached']: true }, () =>
    change === 'attach' ? `attached ${policyName} to ${target}` : `detached ${policyName} from ${target}`,
  );
  return 0;
}
