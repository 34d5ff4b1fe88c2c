import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';

export function configure(cmd: Command): void {
  cmd.argument('<user>', 'any user name: the local IoT Core vouches for it').option('--token-only', 'print just the ID token');
  examples(cmd, [
    'iotctl --profile local local login alice',
    'iotctl --profile local cognito credentials --identity-pool-id <pool id> --login "$(iotctl --profile local local login alice --as-login)"',
  ]);
  cmd.option('--as-login', 'print provider=token, ready for --login');
  cmd.addHelpText('after', '\nThe token is an ID token from the local IoT Core\'s own login provider (a stand-in for a Cognito user pool), valid for an hour.\n`--login local=<user>` on iotctl commands does this for you.');
}

export async function run(ctx: Context, args: unknown[], options: { tokenOnly?: boolean; asLogin?: boolean }): Promise<number> {
  if (options.tokenOnly && options.asLogin) throw usageError('CONFLICTING_OPTIONS', '--token-only and --as-login exclude each other.');
  const { localLogin } = await import('../../cognito/logins.js');
  const login = await localLogin(await ctx.awsTarget(), args[0] as string);
  if (options.tokenOnly) ctx.streams.stdout.write(login.idToken + '\n');
  else if (options.asLogin) ctx.streams.stdout.write(`${login.provider}=${login.idToken}\n`);
  else {
    ctx.out.result({ ...login, expiration: new Date(login.expiration * 1000).toISOString() }, (r) =>
      [`logged in ${r.username} (subject ${r.subject}), until ${r.expiration}`, `provider: ${r.provider}`, `use: --login local=${r.username}   (or --login ${r.provider}=<token>, token via --token-only)`].join('\n'),
    );
  }
  return 0;
}
