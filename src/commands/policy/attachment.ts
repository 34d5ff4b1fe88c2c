/** What `policy attach` and `policy detach` share: a policy, a principal (certificate or Cognito identity), one call. */
import { defineCommand, hiddenAlias, type CommandModule } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';

export function policyAttachmentCommand(change: 'attach' | 'detach', examples: string[]): CommandModule {
  return defineCommand({
    declare: (cmd) =>
      hiddenAlias(cmd.argument('<name>', 'policy name').option('--principal <principal>', 'certificate ARN or id, or Cognito identity id'), '--target <principal>', 'principal'),
    examples,
    async run(ctx, [name], o) {
      const policyName = requireName(POLICY_NAME, name);
      if (!o.principal) throw usageError('MISSING_PRINCIPAL', `policy ${change} needs the principal: --principal <certificate ARN or id, or Cognito identity id>.`);
      const [{ parsePrincipal, principalTarget }, policies] = await Promise.all([import('../../iot/principals.js'), import('../../iot/policies.js')]);
      const principal = parsePrincipal(o.principal, '--principal');
      const iot = await ctx.iot();
      const target = await principalTarget(iot, principal);
      if (change === 'attach') await policies.attachPolicy(iot, policyName, target);
      else await policies.detachPolicy(iot, policyName, target);
      ctx.out.result({ policyName, target, [change === 'attach' ? 'attached' : 'detached']: true }, () =>
        change === 'attach' ? `attached ${policyName} to ${target}` : `detached ${policyName} from ${target}`,
      );
      return ExitCode.OK;
    },
  });
}
