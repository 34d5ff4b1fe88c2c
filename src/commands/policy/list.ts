import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';

export default defineCommand({
  declare: (cmd) => cmd,
  examples: ['iotctl policy list', 'iotctl policy list --json | jq -r ".policies[].policyName"'],
  async run(ctx) {
    const { listPolicies } = await import('../../iot/policies.js');
    const policies = await listPolicies(await ctx.iot());
    ctx.out.result({ policies }, (r, c) => (r.policies.length ? formatTable(['NAME', 'ARN'], r.policies.map((p) => [p.policyName ?? '', p.policyArn ?? ''])) : c.dim('no policies')));
    return ExitCode.OK;
  },
});
