import type { Command } from 'commander';
import { examples } from '../../../cli/command.js';
import type { Context } from '../../../cli/context.js';
import { formatPairs } from '../../../io/table.js';

export function configure(cmd: Command): void {
  cmd
    .argument('<identity pool id>', 'e.g. us-east-1:0123abcd-...')
    .option('--auth-role-arn <arn>', 'set the role for signed-in identities')
    .option('--unauth-role-arn <arn>', 'set the role for guests');
  examples(cmd, ['iotctl cognito pool roles <pool id>', 'iotctl cognito pool roles <pool id> --auth-role-arn arn:aws:iam::123456789012:role/app-auth']);
}

export async function run(ctx: Context, args: unknown[], options: { authRoleArn?: string; unauthRoleArn?: string }): Promise<number> {
  const sdk = await import('@aws-sdk/client-cognito-identity');
  const cognito = await ctx.cognitoIdentity();
  const IdentityPoolId = args[0] as string;
  if (options.authRoleArn || options.unauthRoleArn) {
    const current = (await cognito.send(new sdk.GetIdentityPoolRolesCommand({ IdentityPoolId }))).Roles ?? {};
    const Roles = { ...current, ...(options.authRoleArn ? { authenticated: options.authRoleArn } : {}), ...(options.unauthRoleArn ? { unauthenticated: options.unauthRoleArn } : {}) };
    await cognito.send(new sdk.SetIdentityPoolRolesCommand({ IdentityPoolId, Roles }));
  }
  const roles = (await cognito.send(new sdk.GetIdentityPoolRolesCommand({ IdentityPoolId }))).Roles ?? {};
  ctx.out.result({ identityPoolId: IdentityPoolId, roles }, (r) =>
    formatPairs([
      ['authenticated', r.roles.authenticated ?? '(none)'],
      ['unauthenticated', r.roles.unauthenticated ?? '(none)'],
    ]),
  );
  return 0;
}
