/**
 * What pub, sub and tail share: the connection options (declared once), how
 * the context turns them into a ConnectionSpec and a session, QoS and filter
 * checks. The output options of sub and tail are in output-options.ts.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { collect } from './define.js';
import type { Context } from './context.js';
import { IotctlError, usageError } from '../core/errors.js';
import { checkTopicFilter } from '../core/topic.js';
import { parsePositiveInt } from '../core/parse.js';
import type { ConnectionFlags, SessionRole, Transport } from '../mqtt/resolve.js';
import type { ConnectionSpec, MqttSession, QoS } from '../mqtt/types.js';

/** Where to connect and with which certificate: every transport's. */
function endpointOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>, portHelp: string) {
  return cmd
    .option('--device <folder>', 'device folder from iotctl provision: certificate, key, root CA, endpoint, client id')
    .option('--endpoint <host[:port]>', "data endpoint (default: the profile's data-endpoint, else DescribeEndpoint iot:Data-ATS, cached)")
    .option('--port <port>', portHelp)
    .option('--cert <file>', 'client certificate, PEM (mtls)')
    .option('--key <file>', 'private key of the certificate, PEM (mtls)')
    .option('--ca <file>', "root CA, PEM (default: the device folder's, the profile's ca-file, else the system trust store)");
}

function authOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('--auth <mode>', 'mtls (X.509 certificate), sigv4 (signed with AWS credentials) or cognito (sigv4 with an identity pool); default: the profile, else mtls')
    .option('--identity-pool-id <id>', '--auth cognito: the identity pool (credentials are minted at every connection)')
    .option('--login <provider=token>', '--auth cognito: a signed-in user (repeatable); local=<user> signs in with the local IoT Core', collect);
}

function connectTimeoutOption<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd.option('--connect-timeout <duration>', 'give up connecting after this long (exit 5)', '10s');
}

/** The connection options of pub, sub and tail, declared once. */
export function addConnectionOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  const endpoint = endpointOptions(cmd, "port (default: the profile's mqtt-port/ws-port, else 8883 for mtls, 443 for sigv4; with --http: https-port, else 8443 for mtls, 443 for sigv4)");
  return connectTimeoutOption(
    authOptions(endpoint.option('--client-id <id>', "MQTT client id (default: the device's (its thing name; sub and tail add -sub-/-tail-<random>), the Cognito identity id, else iotctl-<random>)"))
      .option('--mqtt <version>', 'MQTT version: 5 (the default) or 3 (3.1.1)')
      .option('--driver <name>', "MQTT client library: crt (AWS IoT Device SDK) or js (MQTT.js); default: the profile's driver, else crt where aws-crt loads (not on 32-bit ARM), else js"),
  );
}

/** The connection options of a command that only speaks the HTTPS data-plane API (retained): no client id, no MQTT version. */
export function addHttpsConnectionOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return connectTimeoutOption(authOptions(endpointOptions(cmd, "port (default: the profile's https-port, else 8443 for mtls, 443 for sigv4)")));
}

export function parseQos(text: string): QoS {
  if (text === '0' || text === '1') return Number(text) as QoS;
  if (text === '2') throw usageError('QOS_UNSUPPORTED', 'AWS IoT does not support QoS 2.', 'use --qos 1 (at least once)');
  throw usageError('INVALID_QOS', `--qos must be 0 or 1, not "${text}".`);
}

/** A count flag (`--count 0` is allowed). */
export const parseCount = (text: string, flag: string, min = 0): number => parsePositiveInt(text, flag, min);

/** AWS IoT allows 50 subscriptions per connection. */
export const MAX_SUBSCRIPTIONS = 50;

export function checkFilters(filters: string[]): void {
  for (const f of filters) {
    const problem = checkTopicFilter(f);
    if (problem) throw usageError(problem.code, problem.message);
  }
  if (filters.length > MAX_SUBSCRIPTIONS) {
    throw usageError('TOO_MANY_FILTERS', `${filters.length} topic filters given; AWS IoT allows ${MAX_SUBSCRIPTIONS} subscriptions per connection.`, 'use wildcards (+, #) to cover more topics with one filter');
  }
}

/** The ConnectionSpec for these flags and the active profile (may call DescribeEndpoint once). */
export async function resolveFromContext(
  ctx: Context,
  flags: ConnectionFlags,
  extra: { keepAliveSeconds?: number; role?: SessionRole; transport?: Transport } = {},
): Promise<ConnectionSpec> {
  const [{ resolveConnection }, settings] = await Promise.all([import('../mqtt/resolve.js'), ctx.settings()]);
  return resolveConnection(
    flags,
    {
      setting: (name) => settings.get(name),
      reach: ctx.reachWords(),
      readDevice: async (dir) => (await import('../device/folder.js')).readDeviceFolder(dir),
      discoverEndpoint: async () => {
        try {
          const { dataEndpoint } = await import('../iot/endpoints.js');
          return await dataEndpoint(await ctx.iot());
        } catch (err) {
          const { toIotctlError } = await import('../aws/errors.js');
          const e = toIotctlError(err);
          throw new IotctlError(e.code, `Cannot find the MQTT data endpoint with DescribeEndpoint: ${e.message}`, {
            exitCode: e.exitCode,
            hint: 'pass --endpoint <host> or --device <folder>, or set it once: iotctl config set data-endpoint <host>',
            cause: err,
          });
        }
      },
      cacheEndpoint: async (host) => {
        const { updateConfig } = await import('../config/store.js');
        await updateConfig(ctx.env, (config) => {
          config.profiles[settings.profile] = { ...config.profiles[settings.profile], 'data-endpoint': host };
        });
      },
      sigv4: async () => {
        const target = await ctx.awsTarget();
        const { describeCredentials } = await import('../aws/target.js');
        ctx.out.log(`signing with ${describeCredentials(target, ctx.env)}`);
        if (target.credentials) {
          const fixed = target.credentials;
          return { credentials: async () => fixed, region: target.region };
        }
        // The SDK's chain (AWS_PROFILE, SSO, IMDS...), memoized and refreshed before expiry. Keys that
        // `cognito credentials --format env` exported name their identity too.
        const iot = await ctx.iot();
        const identityId = ctx.env.AWS_ACCESS_KEY_ID ? ctx.env.IOTCTL_COGNITO_IDENTITY_ID || undefined : undefined;
        return { credentials: () => iot.config.credentials(), region: await iot.config.region().catch(() => undefined), identityId };
      },
      cognito: async (identityPoolId, login) => {
        const [{ cognitoCredentials }, { resolveLogins }] = await Promise.all([import('../cognito/credentials.js'), import('../cognito/logins.js')]);
        const target = await ctx.awsTarget();
        const client = await ctx.cognitoIdentity();
        // Fresh logins and credentials for every handshake: a reconnect never uses expired ones.
        const mint = async () => cognitoCredentials(client, ctx.env, identityPoolId, await resolveLogins(login, target));
        const first = await mint();
        let pending: typeof first | undefined = first;
        return {
          identityId: first.identityId,
          region: target.region,
          credentials: async () => {
            const creds = pending ?? (await mint());
            pending = undefined;
            return creds;
          },
        };
      },
      log: (line) => ctx.out.info(line),
    },
    extra,
  );
}

/** Opens the session for a spec (loads the device SDK on first use). */
export function connector(ctx: Context, spec: ConnectionSpec): () => Promise<MqttSession> {
  return async () => {
    const { connectSession } = await import('../mqtt/session.js');
    return connectSession(spec, {
      signal: ctx.signal,
      log: (line) => ctx.out.log(line),
      warn: (message) => ctx.out.warn(message),
      sdkLogging: ctx.globals.debug,
    });
  };
}

export function describeTarget(spec: ConnectionSpec): string {
  return `${spec.endpoint}:${spec.port} (MQTT ${spec.mqtt === 5 ? '5' : '3.1.1'}, ${spec.auth}) as ${spec.clientId}`;
}

/**
 * A client of the HTTPS data plane for these flags and the active profile. A
 * device folder's profile is preferred (it knows the local IoT Core's
 * https-port, which device.json does not record).
 */
export async function dataPlaneFromContext(ctx: Context, flags: ConnectionFlags): Promise<import('../dataplane/client.js').DataPlaneClient> {
  if (flags.device) {
    const { profile } = await (await import('../device/folder.js')).readDeviceFolder(flags.device);
    if (profile && (await ctx.config()).profiles[profile]) ctx.preferProfile(profile);
  }
  const spec = await resolveFromContext(ctx, flags, { transport: 'https' });
  const [{ DataPlaneClient }, target] = await Promise.all([import('../dataplane/client.js'), ctx.awsTarget()]);
  return DataPlaneClient.open(spec, { requestTimeoutMs: target.requestTimeoutMs, log: (line) => ctx.out.log(line), warn: (message) => ctx.out.warn(message) });
}
