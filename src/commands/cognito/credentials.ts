import { collect, defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { COGNITO_ID } from '../../core/aws-ids.js';
import { formatPairs } from '../../io/table.js';
import type { CognitoCredentials } from '../../cognito/credentials.js';

const FORMATS = ['json', 'env', 'process'] as const;
type Format = (typeof FORMATS)[number];

export default defineCommand({
  declare: (cmd) =>
    cmd
      .option('--identity-pool-id <id>', "the identity pool, e.g. us-east-1:0123abcd-... (default: the profile's identity-pool-id)")
      .option('--login <provider=token>', 'a signed-in user (repeatable); `local=<user>` logs in with the local IoT Core', collect)
      .option('--format <json|env|process>', 'json (default), shell export lines, or an AWS credential_process document')
      .option('--show-secrets', 'print the secret key and token on a terminal too'),
  examples: [
    'iotctl cognito credentials --identity-pool-id <pool id>',
    'eval "$(iotctl --profile local cognito credentials --identity-pool-id <pool id> --login local=alice --format env)"',
    'iotctl --profile local cognito credentials --identity-pool-id <pool id> --format process   # as credential_process in ~/.aws/config',
  ],
  notes: 'On a terminal the secret key and session token are masked unless --show-secrets; in a pipe or file they are printed.',
  async run(ctx, _args, o) {
    const format = (o.format ?? 'json') as Format;
    if (!FORMATS.includes(format)) throw usageError('INVALID_FORMAT', `--format must be json, env or process, not "${o.format}".`);
    if (ctx.out.json && format !== 'json') {
      throw usageError('JSON_AND_FORMAT', `--json prints JSON and --format ${format} prints ${format === 'env' ? 'shell export lines' : 'a credential_process document'}: pass one of them.`);
    }
    const poolId = o.identityPoolId ?? (await ctx.settings()).get('identity-pool-id');
    if (!poolId) throw usageError('IDENTITY_POOL_REQUIRED', 'Which identity pool?', 'pass --identity-pool-id <region:uuid>, or: iotctl config set identity-pool-id <id>');
    if (!COGNITO_ID.test(poolId)) throw usageError('INVALID_POOL_ID', `"${poolId}" is not an identity pool id.`, 'it looks like us-east-1:01234567-89ab-cdef-0123-456789abcdef');
    const [{ resolveLogins }, { cognitoCredentials }] = await Promise.all([import('../../cognito/logins.js'), import('../../cognito/credentials.js')]);
    const logins = await resolveLogins(o.login, await ctx.awsTarget());
    const creds = await cognitoCredentials(await ctx.cognitoIdentity(), ctx.env, poolId, logins);
    const toTerminal = ctx.streams.stdout.isTTY === true;
    const reveal = o.showSecrets === true || !toTerminal;
    const secret = (value: string) => (reveal ? value : `${value.slice(0, 4)}… (hidden on a terminal; --show-secrets)`);
    ctx.out.text(credentialsText(creds, format, secret, ctx.out.json || !toTerminal));
    return ExitCode.OK;
  },
});

/** The credentials as --format asks: shell export lines, a credential_process document, JSON, or (on a terminal) name/value pairs. */
function credentialsText(creds: CognitoCredentials, format: Format, secret: (value: string) => string, asJson: boolean): string {
  if (format === 'env') {
    return [
      `export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`,
      `export AWS_SECRET_ACCESS_KEY=${secret(creds.secretAccessKey)}`,
      `export AWS_SESSION_TOKEN=${secret(creds.sessionToken)}`,
      `export IOTCTL_COGNITO_IDENTITY_ID=${creds.identityId}`,
    ].join('\n');
  }
  if (format === 'process') {
    // The AWS SDKs and CLI read exactly this shape from a credential_process.
    return JSON.stringify({ Version: 1, AccessKeyId: creds.accessKeyId, SecretAccessKey: secret(creds.secretAccessKey), SessionToken: secret(creds.sessionToken), Expiration: creds.expiration.toISOString() });
  }
  const shown = { ...creds, secretAccessKey: secret(creds.secretAccessKey), sessionToken: secret(creds.sessionToken), expiration: creds.expiration.toISOString() };
  if (asJson) return JSON.stringify(shown, null, 2);
  return formatPairs([
    ['identity id', shown.identityId],
    ['signed in', shown.authenticated ? 'yes' : 'no (unauthenticated)'],
    ['access key id', shown.accessKeyId],
    ['secret key', shown.secretAccessKey],
    ['session token', shown.sessionToken],
    ['expires', shown.expiration],
  ]);
}
