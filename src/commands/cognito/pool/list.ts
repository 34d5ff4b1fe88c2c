import { defineCommand } from '../../define.js';
import { ExitCode } from '../../../core/errors.js';
import { formatTable } from '../../../io/table.js';

export default defineCommand({
  declare: (cmd) => cmd,
  examples: ['iotctl cognito pool list', 'iotctl --profile local cognito pool list --json'],
  async run(ctx) {
    const { listIdentityPools } = await import('../../../cognito/pools.js');
    const pools = await listIdentityPools(await ctx.cognitoIdentity());
    ctx.out.result({ pools }, (r, c) => (r.pools.length ? formatTable(['IDENTITY POOL ID', 'NAME'], r.pools.map((p) => [p.identityPoolId, p.identityPoolName])) : c.dim('no identity pools')));
    return ExitCode.OK;
  },
});
