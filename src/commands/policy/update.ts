import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { addDocumentSourceOptions } from './document-options.js';

export default defineCommand({
  declare: (cmd) => addDocumentSourceOptions(cmd.argument('<name>', 'policy name')).option('--prune', 'at 5 versions, delete the oldest non-default version first'),
  examples: [
    'iotctl policy render device --param prefix=dt --out device-v2.json',
    'iotctl policy update iotctl-device -f device-v2.json',
    'iotctl policy update iotctl-device --template device --prune',
  ],
  async run(ctx, [name], o) {
    const policyName = requireName(POLICY_NAME, name);
    const { loadDocument } = await import('../../policy-documents/source.js');
    const { text, source } = await loadDocument(o, ctx.streams.stdin, (m) => ctx.out.warn(m));
    const { updatePolicy } = await import('../../iot/policies.js');
    const updated = await updatePolicy(await ctx.iot(), policyName, text, { prune: o.prune === true });
    ctx.out.result({ ...updated, source }, (r) =>
      `${r.policyName}: version ${r.versionId} is now the default (from ${r.source})` + (r.prunedVersion ? `; deleted old version ${r.prunedVersion}` : ''),
    );
    return ExitCode.OK;
  },
});
