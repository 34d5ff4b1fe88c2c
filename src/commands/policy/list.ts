import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { formatTable } from '../../io/table.js';
import { listAll } from '../../aws/paginate.js';

export function configure(cmd: Command): void {
  examples(cmd, ['iotctl policy list', 'iotctl policy list --json | jq -r ".policies[].policyName"']);
}

export async function run(ctx: Context): Promise<number> {
  const { ListPoliciesCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const policies = await listAll(async (marker) => {
    const page = await iot.send(new ListPoliciesCommand({ marker, pageSize: 250 }));
    return { items: (page.policies ?? []).map((p) => ({ policyName: p.policyName, policyArn: p.policyArn })), next: page.nextMarker };
  });
  ctx.out.result({ policies }, (r, c) => (r.policies.length ? formatTable(['NAME', 'ARN'], r.policies.map((p) => [p.policyName ?? '', p.policyArn ?? ''])) : c.dim('no policies')));
  return 0;
}
