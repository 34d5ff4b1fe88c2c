import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';
import { addDocumentSourceOptions } from './document-options.js';
import type { DocumentSource as DocumentSourceOptions } from '../../policy/source.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name');
  addDocumentSourceOptions(cmd);
  examples(cmd, [
    'iotctl policy create home-alice --template home --param homeId=123_aws_ave',
    'iotctl policy render device --param prefix=lamps | iotctl policy create lamp -f - --json',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: DocumentSourceOptions): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const { loadDocument } = await import('../../policy/source.js');
  const { text, source } = await loadDocument(options, ctx.streams.stdin, (m) => ctx.out.warn(m));
  const { CreatePolicyCommand } = await import('@aws-sdk/client-iot');
  const created = await (await ctx.iot()).send(new CreatePolicyCommand({ policyName, policyDocument: text }));
  ctx.out.result({ policyName: created.policyName, policyArn: created.policyArn, versionId: created.policyVersionId, source }, (r) =>
    formatPairs([
      ['policy', r.policyName],
      ['arn', r.policyArn],
      ['version', r.versionId],
      ['from', r.source],
    ]),
  );
  return 0;
}
