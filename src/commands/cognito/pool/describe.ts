import { defineCommand } from '../../define.js';
import { ExitCode } from '../../../core/errors.js';
import { formatPairs } from '../../../io/table.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<identity pool id>', 'e.g. us-east-1:0123abcd-...'),
  examples: ['iotctl cognito pool describe <pool id> --json'],
  async run(ctx, [identityPoolId]) {
    const { describeIdentityPool } = await import('../../../cognito/pools.js');
    const pool = await describeIdentityPool(await ctx.cognitoIdentity(), identityPoolId);
    ctx.out.result(pool, (r) =>
      formatPairs([
        ['identity pool id', r.IdentityPoolId],
        ['name', r.IdentityPoolName],
        ['guests', r.AllowUnauthenticatedIdentities ? 'allowed' : 'not allowed'],
        ['login providers', (r.CognitoIdentityProviders ?? []).map((p) => p.ProviderName).join(', ') || '(none)'],
        ['authenticated role', r.Roles.authenticated ?? '(none)'],
        ['unauthenticated role', r.Roles.unauthenticated ?? '(none)'],
      ]),
    );
    return ExitCode.OK;
  },
});
