import type { Command } from 'commander';
import { examples } from '../../../cli/command.js';
import type { Context } from '../../../cli/context.js';
import { formatTable } from '../../../io/table.js';
import { listAll } from '../../../aws/paginate.js';

export function configure(cmd: Command): void {
  examples(cmd, ['iotctl cognito pool list', 'iotctl --profile local cognito pool list --json']);
}

export async function run(ctx: Context): Promise<number> {
  const { ListIdentityPoolsCommand } = await import('@aws-sdk/client-cognito-identity');
  const cognito = await ctx.cognitoIdentity();
  const pools = await listAll(async (NextToken) => {
    const page = await cognito.send(new ListIdentityPoolsCommand({ MaxResults: 60, NextToken }));
    return { items: (page.IdentityPools ?? []).map((p) => ({ identityPoolId: p.IdentityPoolId!, identityPoolName: p.IdentityPoolName! })), next: page.NextToken };
  });
  ctx.out.result({ pools }, (r, c) => (r.pools.length ? formatTable(['IDENTITY POOL ID', 'NAME'], r.pools.map((p) => [p.identityPoolId, p.identityPoolName])) : c.dim('no identity pools')));
  return 0;
}
