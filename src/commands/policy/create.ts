import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';
import { addDocumentSourceOptions } from './document-options.js';

export default defineCommand({
  declare: (cmd) => addDocumentSourceOptions(cmd.argument('<name>', 'policy name')),
  examples: [
    'iotctl policy create home-alice --template home --param homeId=123_aws_ave',
    'iotctl policy render device --param prefix=lamps | iotctl policy create lamp -f - --json',
  ],
  async run(ctx, [name], o) {
    const policyName = requireName(POLICY_NAME, name);
    const { loadDocument } = await import('../../policy-documents/source.js');
    const { text, source } = await loadDocument(o, ctx.streams.stdin, (m) => ctx.out.warn(m));
    const { createPolicy } = await import('../../iot/policies.js');
    const created = await createPolicy(await ctx.iot(), policyName, text);
    ctx.out.result({ ...created, source }, (r) =>
      formatPairs([
        ['policy', r.policyName],
        ['arn', r.policyArn],
        ['version', r.versionId],
        ['from', r.source],
      ]),
    );
    return ExitCode.OK;
  },
});
