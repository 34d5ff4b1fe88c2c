import type { Command } from 'commander';
import { examples } from '../../../cli/command.js';
import type { Context } from '../../../cli/context.js';
import { formatPairs } from '../../../io/table.js';
import { withoutMetadata } from '../../../cli/options.js';

export function configure(cmd: Command): void {
  cmd.argument('<identity pool id>', 'e.g. us-east-1:0123abcd-...');
  examples(cmd, ['iotctl cognito pool describe <pool id> --json']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const sdk = await import('@aws-sdk/client-cognito-identity');
  const cognito = await ctx.cognitoIdentity();
  const IdentityPoolId = args[0] as string;
  const [pool, roles] = await Promise.all([
    cognito.send(new sdk.DescribeIdentityPoolCommand({ IdentityPoolId })),
    cognito.send(new sdk.GetIdentityPoolRolesCommand({ IdentityPoolId })),
  ]);
  const result = { ...withoutMetadata(pool), Roles: roles.Roles ?? {} };
  ctx.out.result(result, (r) =>
    formatPairs([
      ['identity pool id', r.IdentityPoolId],
      ['name', r.IdentityPoolName],
      ['guests', r.AllowUnauthenticatedIdentities ? 'allowed' : 'not allowed'],
      ['login providers', (r.CognitoIdentityProviders ?? []).map((p) => p.ProviderName).join(', ') || '(none)'],
      ['authenticated role', r.Roles.authenticated ?? '(none)'],
      ['unauthenticated role', r.Roles.unauthenticated ?? '(none)'],
    ]),
  );
  return 0;
}
