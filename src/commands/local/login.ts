import { defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .argument('<user>', 'any user name: the local IoT Core vouches for it')
      .option('--token-only', 'print just the ID token')
      .option('--as-login', 'print provider=token, ready for --login'),
  examples: [
    'iotctl --profile local local login alice',
    'iotctl --profile local cognito credentials --identity-pool-id <pool id> --login "$(iotctl --profile local local login alice --as-login)"',
  ],
  notes: "The token is an ID token from the local IoT Core's own login provider (a stand-in for a Cognito user pool), valid for an hour.\n`--login local=<user>` on iotctl commands does this for you.",
  async run(ctx, [user], o) {
    if (o.tokenOnly && o.asLogin) throw usageError('CONFLICTING_OPTIONS', '--token-only and --as-login exclude each other.');
    const { localLogin } = await import('../../cognito/logins.js');
    const login = await localLogin(await ctx.awsTarget(), user);
    if (o.tokenOnly) ctx.out.text(login.idToken);
    else if (o.asLogin) ctx.out.text(`${login.provider}=${login.idToken}`);
    else {
      ctx.out.result({ ...login, expiration: new Date(login.expiration * 1000).toISOString() }, (r) =>
        [`logged in ${r.username} (subject ${r.subject}), until ${r.expiration}`, `provider: ${r.provider}`, `use: --login local=${r.username}   (or --login ${r.provider}=<token>, token via --token-only)`].join('\n'),
      );
    }
    return ExitCode.OK;
  },
});
