import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { listAll } from '../../aws/paginate.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name');
  examples(cmd, ['iotctl policy targets iotctl-device', 'iotctl policy targets iotctl-device --json']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const { ListTargetsForPolicyCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const targets = await listAll(async (marker) => {
    const page = await iot.send(new ListTargetsForPolicyCommand({ policyName, marker, pageSize: 250 }));
    return { items: page.targets ?? [], next: page.nextMarker };
  });
  ctx.out.result({ policyName, targets }, (r, c) => (r.targets.length ? r.targets.join('\n') : c.dim(`${r.policyName} is attached to nothing`)));
  return 0;
}
