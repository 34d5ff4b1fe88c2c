import type { Command } from 'commander';
import { examples } from '../../../cli/command.js';
import type { Context } from '../../../cli/context.js';
import { collect } from '../../../cli/options.js';
import { parseKeyValues } from '../../../core/parse.js';
import { usageError } from '../../../core/errors.js';
import { formatPairs } from '../../../io/table.js';
import { isLocalIotCore } from '../../../aws/target.js';
import type { PoolRoleKind } from '../../../cognito/roles.js';
import { parseRoleArn } from '../../../core/aws-ids.js';

interface Options {
  allowUnauthenticated?: boolean;
  loginProvider?: string[];
  localLogins: boolean;
  authRoleArn?: string;
  unauthRoleArn?: string;
  unauthTemplate?: string;
  authTemplate?: string;
  param?: string[];
}

const POOL_NAME = /^[\w\s+=,.@-]{1,128}$/;

export function configure(cmd: Command): void {
  cmd
    .argument('<name>', 'identity pool name')
    .option('--allow-unauthenticated', 'let guests (no login) get credentials')
    .option('--login-provider <provider=clientId>', 'a Cognito user pool provider and its app client id (repeatable)', collect)
    .option('--no-local-logins', 'local IoT Core: do not accept its own login provider (iotctl local login)')
    .option('--auth-role-arn <arn>', 'use this existing IAM role for signed-in identities (no role is made)')
    .option('--unauth-role-arn <arn>', 'use this existing IAM role for guests (no role is made)')
    .option('--auth-template <name>', 'role policy template for signed-in identities (default cognito-auth)')
    .option('--unauth-template <name>', 'role policy template for guests (default cognito-unauth)')
    .option('--param <key=value>', 'role template parameter (repeatable)', collect);
  examples(cmd, [
    'iotctl --profile local cognito pool create demo --allow-unauthenticated',
    'iotctl cognito pool create app --login-provider cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC=4l5k6j --auth-role-arn arn:aws:iam::123456789012:role/app-auth',
  ]);
  cmd.addHelpText(
    'after',
    '\nUnless you pass role ARNs, iotctl makes the pool\'s roles with the IAM API, on AWS and on the local IoT Core alike:\n<pool name>-auth-<id> and <pool name>-unauth-<id>, trusting only this pool, with an inline policy from templates/roles.\nOn AWS that needs iam:CreateRole and iam:PutRolePolicy. If a step fails, what was made is deleted again.',
  );
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const name = args[0] as string;
  if (!POOL_NAME.test(name)) throw usageError('INVALID_NAME', `"${name}" is not a valid identity pool name (letters, digits, spaces and _ + = , . @ -).`);
  for (const arn of [options.authRoleArn, options.unauthRoleArn]) {
    if (arn && !parseRoleArn(arn)) throw usageError('INVALID_ROLE_ARN', `"${arn}" is not an IAM role ARN.`, 'e.g. arn:aws:iam::123456789012:role/my-role');
  }
  const target = await ctx.awsTarget();
  const local = await isLocalIotCore(target);
  const providers = parseKeyValues(options.loginProvider, '--login-provider');
  const identityProviders = Object.entries(providers).map(([ProviderName, ClientId]) => ({ ProviderName, ClientId, ServerSideTokenCheck: false }));
  if (local && options.localLogins) {
    const { localLoginProvider, LOCAL_LOGIN_CLIENT_ID } = await import('../../../emulator/cognito/local-login.js');
    identityProviders.push({ ProviderName: localLoginProvider(target.region ?? 'us-east-1'), ClientId: LOCAL_LOGIN_CLIENT_ID, ServerSideTokenCheck: false });
  }
  const sdk = await import('@aws-sdk/client-cognito-identity');
  const cognito = await ctx.cognitoIdentity();
  const pool = await cognito.send(
    new sdk.CreateIdentityPoolCommand({
      IdentityPoolName: name,
      AllowUnauthenticatedIdentities: options.allowUnauthenticated === true,
      CognitoIdentityProviders: identityProviders.length ? identityProviders : undefined,
    }),
  );
  const poolId = pool.IdentityPoolId!;
  const roles = await setPoolRoles(ctx, name, poolId, options);
  const result = { identityPoolId: poolId, identityPoolName: name, allowUnauthenticated: options.allowUnauthenticated === true, loginProviders: identityProviders.map((p) => p.ProviderName), roles };
  ctx.out.result(result, (r) =>
    formatPairs([
      ['identity pool id', r.identityPoolId],
      ['name', r.identityPoolName],
      ['guests', r.allowUnauthenticated ? 'allowed' : 'not allowed'],
      ['login providers', r.loginProviders.join(', ') || '(none)'],
      ['authenticated role', r.roles.authenticated ?? '(none)'],
      ['unauthenticated role', r.roles.unauthenticated ?? '(none)'],
    ]),
  );
  return 0;
}

type Roles = { authenticated?: string; unauthenticated?: string };

/**
 * The pool's roles: the ARNs given, else roles made with IAM from templates
 * (guests get one only with --allow-unauthenticated). If anything fails, the
 * roles made and the pool itself are deleted again, so no half-made pool stays.
 */
async function setPoolRoles(ctx: Context, poolName: string, poolId: string, options: Options): Promise<Roles> {
  const roles: Roles = { authenticated: options.authRoleArn, unauthenticated: options.unauthRoleArn };
  const made: string[] = [];
  const { renderRolePolicy, createPoolRole, deletePoolRole, poolRoleName } = await import('../../../cognito/roles.js');
  const sdk = await import('@aws-sdk/client-cognito-identity');
  const cognito = await ctx.cognitoIdentity();
  try {
    const params = parseKeyValues(options.param, '--param');
    const wanted: [PoolRoleKind, string | undefined][] = [
      ['authenticated', roles.authenticated ? undefined : options.authTemplate ?? 'cognito-auth'],
      ['unauthenticated', roles.unauthenticated || !options.allowUnauthenticated ? undefined : options.unauthTemplate ?? 'cognito-unauth'],
    ];
    for (const [kind, template] of wanted) {
      if (!template) continue;
      const document = await renderRolePolicy(template, kind === 'unauthenticated' ? params : {});
      const roleName = poolRoleName(poolName, poolId, kind);
      const iam = await ctx.iam();
      made.push(roleName);
      roles[kind] = await createPoolRole(iam, roleName, poolId, kind, document);
    }
    await cognito.send(new sdk.SetIdentityPoolRolesCommand({ IdentityPoolId: poolId, Roles: roles as Record<string, string> }));
    return roles;
  } catch (err) {
    if (made.length > 0) {
      const iam = await ctx.iam();
      for (const roleName of made) await deletePoolRole(iam, roleName);
    }
    await cognito.send(new sdk.DeleteIdentityPoolCommand({ IdentityPoolId: poolId })).catch(() => undefined);
    ctx.out.warn(`identity pool ${poolId}${made.length ? ` and the roles ${made.join(', ')}` : ''} deleted again, since setting the roles failed.`);
    throw err;
  }
}
