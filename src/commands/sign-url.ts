/** `iotctl sign-url`: a presigned `wss://.../mqtt?X-Amz-...` URL that any MQTT-over-WebSocket client can open with no headers. */
import { collect, defineCommand } from './define.js';
import { ExitCode, usageError } from '../core/errors.js';
import { formatPairs } from '../io/table.js';
import { checkConnectionFlags, parseAuth, parsePositiveDuration, type ConnectionFlags } from '../mqtt/resolve.js';
import { checkUrlLifetime } from '../mqtt/sign-url.js';
import { resolveFromContext } from './mqtt-options.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .option('--auth <mode>', "sigv4 (the profile's AWS credentials) or cognito (an identity pool's); default: the profile's auth if cognito, else sigv4")
      .option('--identity-pool-id <id>', "--auth cognito: the identity pool (default: the profile's identity-pool-id)")
      .option('--login <provider=token>', '--auth cognito: a signed-in user (repeatable); local=<user> signs in with the local IoT Core', collect)
      .option('--expires <duration>', "how long the URL opens connections (1s to 7d; never past the credentials' own expiry)", '15m')
      .option('--client-id <id>', 'the client id to report (default: the Cognito identity id, else iotctl-<random>); the URL itself does not fix it')
      .option('--endpoint <host[:port]>', "data endpoint (default: the profile's data-endpoint, else DescribeEndpoint iot:Data-ATS)")
      .option('--port <port>', "WebSocket port (default: the profile's ws-port, else 443)"),
  examples: [
    'iotctl --profile local sign-url --auth cognito --identity-pool-id <pool id> --json',
    'iotctl --profile local sign-url --auth cognito --identity-pool-id <pool id> --login local=alice --expires 1h',
    'iotctl sign-url --expires 5m   # needs AWS',
  ],
  notes: [
    'The URL is signed for service iotdevicegateway with the Host the client will send; the session token is appended after',
    'signing, as AWS IoT requires. Anyone holding the URL can connect as you until it expires: treat it as a secret.',
    'It only has to be valid when the connection opens: AWS IoT keeps a SigV4 WebSocket connection up to 24 h.',
    'Connect with the client id it reports (--json "clientId"): the identity\'s policy allows that one.',
    'Output: the URL alone (for $(...)); --json {"url","clientId","identityId","expiresAt"}.',
    'Exit codes: 0 ok, 1 failure, 2 usage, 4 pool or identity not found, 5 connection.',
  ].join('\n'),
  async run(ctx, _args, o) {
    const lifetimeMs = checkUrlLifetime(parsePositiveDuration(o.expires, '--expires'));
    const profileAuth = (await ctx.settings()).get('auth');
    const auth = o.auth ? parseAuth(o.auth) : profileAuth === 'cognito' ? 'cognito' : 'sigv4';
    if (auth === 'mtls') {
      throw usageError('SIGV4_ONLY', 'A presigned URL is signed with AWS credentials: --auth mtls has no URL.', 'use --auth sigv4 or --auth cognito; devices with certificates connect with: iotctl pub|sub --device <folder>');
    }
    const flags: ConnectionFlags = { endpoint: o.endpoint, port: o.port, clientId: o.clientId, auth, identityPoolId: o.identityPoolId, login: o.login };
    checkConnectionFlags(flags);
    const spec = await resolveFromContext(ctx, flags);
    const { signMqttUrl } = await import('../mqtt/sign-url.js');
    const signed = await signMqttUrl(spec, { lifetimeMs, identityId: auth === 'cognito' ? spec.principal : undefined, warn: (m) => ctx.out.warn(m) });
    ctx.out.info(
      formatPairs([
        ['client id', signed.clientId],
        ['identity', signed.identityId ?? '(AWS credentials, not a Cognito identity)'],
        ['expires', signed.expiresAt],
      ]),
    );
    ctx.out.result(signed, (r) => r.url);
    return ExitCode.OK;
  },
});
