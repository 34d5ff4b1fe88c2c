import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { formatTable } from '../../io/table.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name');
  examples(cmd, ['iotctl policy versions iotctl-device']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const { ListPolicyVersionsCommand } = await import('@aws-sdk/client-iot');
  const listed = await (await ctx.iot()).send(new ListPolicyVersionsCommand({ policyName }));
  const versions = (listed.policyVersions ?? []).map((v) => ({ versionId: v.versionId, isDefaultVersion: v.isDefaultVersion === true, createDate: v.createDate }));
  ctx.out.result({ policyName, versions }, (r, c) =>
    formatTable(['VERSION', 'DEFAULT', 'CREATED'], r.versions.map((v) => [v.versionId ?? '', v.isDefaultVersion ? c.green('yes') : '', v.createDate?.toISOString() ?? ''])),
  );
  return 0;
}
