import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'policy name'),
  examples: ['iotctl policy targets iotctl-device', 'iotctl policy targets iotctl-device --json'],
  async run(ctx, [name]) {
    const policyName = requireName(POLICY_NAME, name);
    const { policyTargets } = await import('../../iot/policies.js');
    const targets = await policyTargets(await ctx.iot(), policyName);
    ctx.out.result({ policyName, targets }, (r, c) => (r.targets.length ? r.targets.join('\n') : c.dim(`${r.policyName} is attached to nothing`)));
    return ExitCode.OK;
  },
});
