import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'policy name').option('--force', 'detach it from every target and delete its other versions first'),
  examples: [
    'iotctl policy delete iotctl-device   # exit 1: refused while attached (--force detaches it first)',
    'iotctl policy delete iotctl-device --force --json',
  ],
  async run(ctx, [name], o) {
    const policyName = requireName(POLICY_NAME, name);
    const { deletePolicy } = await import('../../iot/policies.js');
    const deleted = await deletePolicy(await ctx.iot(), policyName, { force: o.force === true });
    ctx.out.result(deleted, (r) =>
      [`deleted policy ${r.policyName}`, ...r.detachedTargets.map((t) => `  detached from ${t}`), ...r.deletedVersions.map((v) => `  deleted version ${v}`)].join('\n'),
    );
    return ExitCode.OK;
  },
});
