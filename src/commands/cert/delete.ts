import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { attachedPolicyNames, principalThings, requireCertificateId } from '../../aws/principals.js';

export function configure(cmd: Command): void {
  cmd.argument('<certificate>', 'certificate id (64 hex) or ARN').option('--force', 'deactivate it and detach its policies and things first');
  examples(cmd, [
    'iotctl cert delete <certificate id>   # exit 1: refused while ACTIVE or attached (--force cleans up first)',
    'iotctl cert delete <certificate id> --force --json',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: { force?: boolean }): Promise<number> {
  const certificateId = requireCertificateId(args[0] as string);
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const detachedPolicies: string[] = [];
  const detachedThings: string[] = [];
  if (options.force) {
    const { certificateDescription: d } = await iot.send(new sdk.DescribeCertificateCommand({ certificateId }));
    const arn = d?.certificateArn ?? '';
    if (d?.status === 'ACTIVE') await iot.send(new sdk.UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    for (const policyName of await attachedPolicyNames(iot, arn)) {
      await iot.send(new sdk.DetachPolicyCommand({ policyName, target: arn }));
      detachedPolicies.push(policyName);
    }
    for (const thingName of await principalThings(iot, arn)) {
      await iot.send(new sdk.DetachThingPrincipalCommand({ thingName, principal: arn }));
      detachedThings.push(thingName);
    }
  }
  await iot.send(new sdk.DeleteCertificateCommand({ certificateId }));
  ctx.out.result({ certificateId, deleted: true, detachedPolicies, detachedThings }, (r) =>
    [
      `deleted certificate ${r.certificateId}`,
      ...r.detachedPolicies.map((p) => `  detached policy ${p}`),
      ...r.detachedThings.map((t) => `  detached from thing ${t}`),
    ].join('\n'),
  );
  return 0;
}
