import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { formatTable } from '../../io/table.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'policy name'),
  examples: ['iotctl policy versions iotctl-device'],
  async run(ctx, [name]) {
    const policyName = requireName(POLICY_NAME, name);
    const { listPolicyVersions } = await import('../../iot/policies.js');
    const versions = await listPolicyVersions(await ctx.iot(), policyName);
    ctx.out.result({ policyName, versions }, (r, c) =>
      formatTable(['VERSION', 'DEFAULT', 'CREATED'], r.versions.map((v) => [v.versionId ?? '', v.isDefaultVersion ? c.green('yes') : '', v.createDate?.toISOString() ?? ''])),
    );
    return ExitCode.OK;
  },
});
