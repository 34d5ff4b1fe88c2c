import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { collect } from '../../cli/options.js';
import { usageError } from '../../core/errors.js';
import { formatPairs } from '../../io/table.js';

interface Options {
  identityPoolId?: string;
  login?: string[];
  format?: 'json' | 'env' | 'process';
  showSecrets?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--identity-pool-id <id>', "the identity pool, e.g. us-east-1:0123abcd-... (default: the profile's identity-pool-id)")
    .option('--login <provider=token>', 'a signed-in user (repeatable); `local=<user>` logs in with the local IoT Core', collect)
    .option('--format <json|env|process>', 'json (default), shell export lines, or an AWS credential_process document')
    .option('--show-secrets', 'print the secret key and token on a terminal too');
  examples(cmd, [
    'iotctl cognito credentials --identity-pool-id <pool id>',
    'eval "$(iotctl --profile local cognito credentials --identity-pool-id <pool id> --login local=alice --format env)"',
    'iotctl --profile local cognito credentials --identity-pool-id <pool id> --format process   # as credential_process in ~/.aws/config',
  ]);
  cmd.addHelpText('after', '\nOn a terminal the secret key and session token are masked unless --show-secrets; in a pipe or file they are printed.');
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  const format = options.format ?? 'json';
  if (!['json', 'env', 'process'].includes(format)) throw usageError('INVALID_FORMAT', `--format must be json, env or process, not "${options.format}".`);
  if (ctx.out.json && format !== 'json') {
    throw usageError('JSON_AND_FORMAT', `--json prints JSON and --format ${format} prints ${format === 'env' ? 'shell export lines' : 'a credential_process document'}: pass one of them.`);
  }
  const poolId = options.identityPoolId ?? (await ctx.settings()).get('identity-pool-id');
  if (!poolId) throw usageError('IDENTITY_POOL_REQUIRED', 'Which identity pool?', 'pass --identity-pool-id <region:uuid>, or: iotctl config set identity-pool-id <id>');
  if (!/^[\w-]+:[0-9a-f-]+$/.test(poolId)) {
    throw usageError('INVALID_POOL_ID', `"${poolId}" is not an identity pool id.`, 'it looks like us-east-1:01234567-89ab-cdef-0123-456789abcdef');
  }
  const { resolveLogins } = await import('../../cognito/logins.js');
  const { cognitoCredentials } = await import('../../cognito/credentials.js');
  const logins = await resolveLogins(options.login, await ctx.awsTarget());
  const creds = await cognitoCredentials(await ctx.cognitoIdentity(), ctx.env, poolId, logins);
  const reveal = options.showSecrets === true || ctx.streams.stdout.isTTY !== true;
  const secret = (value: string) => (reveal ? value : `${value.slice(0, 4)}… (hidden on a terminal; --show-secrets)`);
  const out = ctx.streams.stdout;
  if (format === 'env') {
    out.write(
      [
        `export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`,
        `export AWS_SECRET_ACCESS_KEY=${secret(creds.secretAccessKey)}`,
        `export AWS_SESSION_TOKEN=${secret(creds.sessionToken)}`,
        `export IOTCTL_COGNITO_IDENTITY_ID=${creds.identityId}`,
      ].join('\n') + '\n',
    );
    return 0;
  }
  if (format === 'process') {
    // The AWS SDKs and CLI read exactly this shape from a credential_process.
    out.write(
      JSON.stringify({ Version: 1, AccessKeyId: creds.accessKeyId, SecretAccessKey: secret(creds.secretAccessKey), SessionToken: secret(creds.sessionToken), Expiration: creds.expiration.toISOString() }) + '\n',
    );
    return 0;
  }
  const result = { ...creds, secretAccessKey: secret(creds.secretAccessKey), sessionToken: secret(creds.sessionToken), expiration: creds.expiration.toISOString() };
  if (ctx.out.json || !ctx.streams.stdout.isTTY) {
    out.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  out.write(
    formatPairs([
      ['identity id', result.identityId],
      ['signed in', result.authenticated ? 'yes' : 'no (unauthenticated)'],
      ['access key id', result.accessKeyId],
      ['secret key', result.secretAccessKey],
      ['session token', result.sessionToken],
      ['expires', result.expiration],
    ]) + '\n',
  );
  return 0;
}
