import { defineCommand } from '../../define.js';
import { ExitCode } from '../../../core/errors.js';
import { formatPairs } from '../../../io/table.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .argument('<identity pool id>', 'e.g. us-east-1:0123abcd-...')
      .option('--auth-role-arn <arn>', 'set the role for signed-in identities')
      .option('--unauth-role-arn <arn>', 'set the role for guests'),
  examples: ['iotctl cognito pool roles <pool id>', 'iotctl cognito pool roles <pool id> --auth-role-arn arn:aws:iam::123456789012:role/app-auth'],
  async run(ctx, [identityPoolId], o) {
    const { changePoolRoles } = await import('../../../cognito/pools.js');
    const roles = await changePoolRoles(await ctx.cognitoIdentity(), identityPoolId, { authenticated: o.authRoleArn, unauthenticated: o.unauthRoleArn });
    ctx.out.result({ identityPoolId, roles }, (r) =>
      formatPairs([
        ['authenticated', r.roles.authenticated ?? '(none)'],
        ['unauthenticated', r.roles.unauthenticated ?? '(none)'],
      ]),
    );
    return ExitCode.OK;
  },
});
