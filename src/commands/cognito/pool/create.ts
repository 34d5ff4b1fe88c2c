import { collect, defineCommand } from '../../define.js';
import { parseKeyValues } from '../../../core/parse.js';
import { ExitCode, usageError } from '../../../core/errors.js';
import { parseRoleArn } from '../../../core/aws-ids.js';
import { formatPairs } from '../../../io/table.js';

const POOL_NAME = /^[\w\s+=,.@-]{1,128}$/;

export default defineCommand({
  declare: (cmd) =>
    cmd
      .argument('<name>', 'identity pool name')
      .option('--allow-unauthenticated', 'let guests (no login) get credentials')
      .option('--login-provider <provider=clientId>', 'a Cognito user pool provider and its app client id (repeatable)', collect)
      .option('--no-local-logins', 'local IoT Core: do not accept its own login provider (iotctl local login)')
      .option('--auth-role-arn <arn>', 'use this existing IAM role for signed-in identities (no role is made)')
      .option('--unauth-role-arn <arn>', 'use this existing IAM role for guests (no role is made)')
      .option('--auth-template <name>', 'role policy template for signed-in identities (default cognito-auth)')
      .option('--unauth-template <name>', 'role policy template for guests (default cognito-unauth)')
      .option('--param <key=value>', 'role template parameter (repeatable)', collect),
  examples: [
    'iotctl --profile local cognito pool create demo --allow-unauthenticated',
    'iotctl cognito pool create app --login-provider cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC=4l5k6j --auth-role-arn arn:aws:iam::123456789012:role/app-auth',
  ],
  notes:
    "Unless you pass role ARNs, iotctl makes the pool's roles with the IAM API, on AWS and on the local IoT Core alike:\n<pool name>-auth-<id> and <pool name>-unauth-<id>, trusting only this pool, with an inline policy from templates/roles.\nOn AWS that needs iam:CreateRole and iam:PutRolePolicy. If a step fails, what was made is deleted again.",
  async run(ctx, [name], o) {
    if (!POOL_NAME.test(name)) throw usageError('INVALID_NAME', `"${name}" is not a valid identity pool name (letters, digits, spaces and _ + = , . @ -).`);
    for (const arn of [o.authRoleArn, o.unauthRoleArn]) {
      if (arn && !parseRoleArn(arn)) throw usageError('INVALID_ROLE_ARN', `"${arn}" is not an IAM role ARN.`, 'e.g. arn:aws:iam::123456789012:role/my-role');
    }
    const loginProviders = Object.entries(parseKeyValues(o.loginProvider, '--login-provider')).map(([provider, clientId]) => ({ provider, clientId }));
    const params = parseKeyValues(o.param, '--param');
    const target = await ctx.awsTarget();
    const { isLocalIotCore } = await import('../../../aws/target.js');
    if (o.localLogins && (await isLocalIotCore(target))) {
      const { localLoginProvider, LOCAL_LOGIN_CLIENT_ID } = await import('../../../emulator/cognito/local-login.js');
      loginProviders.push({ provider: localLoginProvider(target.region ?? 'us-east-1'), clientId: LOCAL_LOGIN_CLIENT_ID });
    }
    const { createIdentityPool } = await import('../../../cognito/pools.js');
    const pool = await createIdentityPool(
      {
        name,
        allowUnauthenticated: o.allowUnauthenticated === true,
        loginProviders,
        roleArns: { authenticated: o.authRoleArn, unauthenticated: o.unauthRoleArn },
        authTemplate: o.authTemplate,
        unauthTemplate: o.unauthTemplate,
        params,
      },
      { cognito: await ctx.cognitoIdentity(), iam: () => ctx.iam(), warn: (m) => ctx.out.warn(m) },
    );
    ctx.out.result(pool, (r) =>
      formatPairs([
        ['identity pool id', r.identityPoolId],
        ['name', r.identityPoolName],
        ['guests', r.allowUnauthenticated ? 'allowed' : 'not allowed'],
        ['login providers', r.loginProviders.join(', ') || '(none)'],
        ['authenticated role', r.roles.authenticated ?? '(none)'],
        ['unauthenticated role', r.roles.unauthenticated ?? '(none)'],
      ]),
    );
    return ExitCode.OK;
  },
});
