import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { listAll } from '../../aws/paginate.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name').option('--force', 'detach it from every target and delete its other versions first');
  examples(cmd, [
    'iotctl policy delete iotctl-device   # exit 1: refused while attached (--force detaches it first)',
    'iotctl policy delete iotctl-device --force --json',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: { force?: boolean }): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const detached: string[] = [];
  const deletedVersions: string[] = [];
  if (options.force) {
    const targets = await listAll(async (marker) => {
      const page = await iot.send(new sdk.ListTargetsForPolicyCommand({ policyName, marker }));
      return { items: page.targets ?? [], next: page.nextMarker };
    });
    for (const target of targets) {
      await iot.send(new sdk.DetachPolicyCommand({ policyName, target }));
      detached.push(target);
    }
    const versions = (await iot.send(new sdk.ListPolicyVersionsCommand({ policyName }))).policyVersions ?? [];
    for (const v of versions.filter((v) => !v.isDefaultVersion)) {
      await iot.send(new sdk.DeletePolicyVersionCommand({ policyName, policyVersionId: v.versionId }));
      deletedVersions.push(v.versionId!);
    }
  }
  await iot.send(new sdk.DeletePolicyCommand({ policyName }));
  ctx.out.result({ policyName, deleted: true, detachedTargets: detached, deletedVersions }, (r) =>
    [`deleted policy ${r.policyName}`, ...r.detachedTargets.map((t) => `  detached from ${t}`), ...r.deletedVersions.map((v) => `  deleted version ${v}`)].join('\n'),
  );
  return 0;
}
