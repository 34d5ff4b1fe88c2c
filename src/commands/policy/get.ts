import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'policy name').option('--version <id>', 'a specific version (default: the default version)'),
  examples: ['iotctl policy get iotctl-device', 'iotctl policy get iotctl-device --version 1 --json'],
  async run(ctx, [name], o) {
    const policyName = requireName(POLICY_NAME, name);
    const { getPolicy } = await import('../../iot/policies.js');
    const policy = await getPolicy(await ctx.iot(), policyName, o.version);
    // Human output is the document itself, so `iotctl policy get x > x.json` round-trips.
    ctx.out.result(policy, (r) => JSON.stringify(r.document, null, 2));
    return ExitCode.OK;
  },
});
