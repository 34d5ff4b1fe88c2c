import type { Command } from 'commander';
import { examples } from '../../../cli/command.js';
import type { Context } from '../../../cli/context.js';
import { collect, parseKeyValues } from '../../../cli/options.js';
import { usageError } from '../../../core/errors.js';
import { formatPairs } from '../../../io/table.js';
import { isLocalEndpoint } from '../../../aws/target.js';

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
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export function configure(cmd: Command): void {
  cmd
    .argument('<name>', 'identity pool name')
    .option('--allow-unauthenticated', 'let guests (no login) get credentials')
    .option('--login-provider <provider=clientId>', 'a Cognito user pool provider and its app client id (repeatable)', collect)
    .option('--no-local-logins', 'local IoT Core: do not accept its own login provider (iotctl local login)')
    .option('--auth-role-arn <arn>', 'existing IAM role for signed-in identities')
    .option('--unauth-role-arn <arn>', 'existing IAM role for guests')
    .option('--auth-template <name>', 'local IoT Core: role policy template for signed-in identities (default cognito-auth)')
    .option('--unauth-template <name>', 'local IoT Core: role policy template for guests (default cognito-unauth)')
    .option('--param <key=value>', 'role template parameter (repeatable)', collect);
  examples(cmd, [
    'iotctl --profile local cognito pool create demo --allow-unauthenticated',
    'iotctl cognito pool create app --login-provider cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC=4l5k6j --auth-role-arn arn:aws:iam::123456789012:role/app-auth',
  ]);
  cmd.addHelpText(
    'after',
    '\nOn the local IoT Core, the roles are created from templates/roles (IAM-style policies the broker enforces).\nOn AWS, create the roles in IAM and pass their ARNs; iotctl does not create IAM roles there.',
  );
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const name = args[0] as string;
  if (!POOL_NAME.test(name)) throw usageError('INVALID_NAME', `"${name}" is not a valid identity pool name (letters, digits, spaces and _ + = , . @ -).`);
  for (const arn of [options.authRoleArn, options.unauthRoleArn]) {
    if (arn && !ROLE_ARN.test(arn)) throw usageError('INVALID_ROLE_ARN', `"${arn}" is not an IAM role ARN.`, 'e.g. arn:aws:iam::123456789012:role/my-role');
  }
  const target = await ctx.awsTarget();
  const local = isLocalEndpoint(target.endpoint);
  const providers = parseKeyValues(options.loginProvider, '--login-provider');
  const identityProviders = Object.entries(providers).map(([ProviderName, ClientId]) => ({ ProviderName, ClientId, ServerSideTokenCheck: false }));
  if (local && options.localLogins) {
    const { localLoginProvider } = await import('../../../emulator/cognito/local-login.js');
    identityProviders.push({ ProviderName: localLoginProvider(target.region ?? 'us-east-1'), ClientId: 'iotctl-local', ServerSideTokenCheck: false });
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
  const roles = await poolRoles(ctx, name, options, local);
  if (roles.authenticated || roles.unauthenticated) {
    await cognito.send(new sdk.SetIdentityPoolRolesCommand({ IdentityPoolId: poolId, Roles: roles as Record<string, string> }));
  } else {
    ctx.out.warn('no roles set: identities get no permissions until you run `iotctl cognito pool roles <id> --auth-role-arn ... --unauth-role-arn ...`.');
  }
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

/** Role ARNs given, or (locally) roles made from templates. */
async function poolRoles(ctx: Context, poolName: string, options: Options, local: boolean): Promise<{ authenticated?: string; unauthenticated?: string }> {
  const roles: { authenticated?: string; unauthenticated?: string } = { authenticated: options.authRoleArn, unauthenticated: options.unauthRoleArn };
  if (!local) {
    if (options.authTemplate || options.unauthTemplate) throw usageError('TEMPLATES_LOCAL_ONLY', 'Role templates apply on the local IoT Core only.', 'on AWS, pass --auth-role-arn / --unauth-role-arn');
    return roles;
  }
  const { renderRolePolicy, putLocalRole } = await import('../../../cognito/roles.js');
  const params = parseKeyValues(options.param, '--param');
  const target = await ctx.awsTarget();
  const roleBase = poolName.replace(/[^\w+=,.@-]/g, '_');
  if (!roles.authenticated) roles.authenticated = await putLocalRole(target, `${roleBase}-auth`, await renderRolePolicy(options.authTemplate ?? 'cognito-auth', {}));
  if (!roles.unauthenticated && options.allowUnauthenticated) {
    roles.unauthenticated = await putLocalRole(target, `${roleBase}-unauth`, await renderRolePolicy(options.unauthTemplate ?? 'cognito-unauth', params));
  }
  return roles;
}
