/**
 * Where a connection comes from: flags over a device folder (from `iotctl
 * provision`) over the profile's settings over defaults. When nothing names
 * the data endpoint, it is discovered with DescribeEndpoint (iot:Data-ATS) and
 * cached in the profile. Everything the AWS side needs comes in through
 * `ResolveDeps`, so this module is testable without AWS and without the SDK.
 */
import { usageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { checkClientId } from '../core/topic.js';
import { regionOfIotHost } from '../core/aws-ids.js';
import type { DeviceFolder } from '../device/folder.js';
import type { AuthMode, ConnectionSpec, CredentialSource, DriverName, MqttVersion } from './types.js';

/** The connection flags pub, sub and tail share (strings as commander hands them over). */
export interface ConnectionFlags {
  device?: string;
  endpoint?: string;
  port?: string;
  cert?: string;
  key?: string;
  ca?: string;
  clientId?: string;
  auth?: string;
  mqtt?: string;
  /** crt or js (drivers.ts). */
  driver?: string;
  connectTimeout?: string;
  /** --auth cognito: the identity pool, and the logins of a signed-in user. */
  identityPoolId?: string;
  login?: string[];
}

/** How the session's connection was asked to authenticate: cognito is SigV4 with an identity pool's credentials. */
export type AuthChoice = AuthMode | 'cognito';

/** Who uses the session: a second session of a device must not take over the device's own connection. */
export type SessionRole = 'pub' | 'sub' | 'tail' | 'shadow';

export interface ResolveDeps {
  /** A resolved profile setting (data-endpoint, mqtt-port, ws-port, ca-file, auth, region, endpoint-url, driver). */
  setting(name: string): string | undefined;
  readDevice(dir: string): Promise<DeviceFolder>;
  /** DescribeEndpoint iot:Data-ATS. */
  discoverEndpoint(): Promise<string>;
  /** Remember a discovered endpoint in the profile. */
  cacheEndpoint(host: string): Promise<void>;
  /** SigV4 credentials (re-asked on every handshake) and the SDK chain's region. */
  sigv4(): Promise<{ credentials: CredentialSource; region?: string; identityId?: string }>;
  /** Credentials of a Cognito identity (minted anew at every handshake), and its identity id (the default client id). */
  cognito?(identityPoolId: string, login: string[] | undefined): Promise<{ credentials: CredentialSource; identityId: string; region?: string }>;
  randomClientId?(): string;
  log?(line: string): void;
  /** The global flags that reach the control plane in use (--profile local ...), for printed `policy test` checks. */
  reach?: string[];
}

export const DEFAULT_MTLS_PORT = 8883;
export const DEFAULT_WS_PORT = 443;
/** AWS IoT's HTTPS data plane: client certificates on 8443 (or 443 with ALPN x-amzn-http-ca), SigV4 on 443. */
export const DEFAULT_HTTPS_MTLS_PORT = 8443;
export const DEFAULT_HTTPS_SIGV4_PORT = 443;

/** What the session speaks: MQTT (pub, sub, tail) or the HTTPS data-plane API (pub --http, retained). */
export type Transport = 'mqtt' | 'https';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export function randomClientId(): string {
  return `iotctl-${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(5))).toString('hex')}`;
}

export function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw usageError('INVALID_PORT', `${flag} must be a port number (1-65535), not "${text}".`);
  return Number(text);
}

export function parseAuth(text: string, from = '--auth'): AuthChoice {
  if (text === 'mtls' || text === 'sigv4' || text === 'cognito') return text;
  throw usageError('INVALID_AUTH', `${from} must be mtls, sigv4 or cognito, not "${text}".`);
}

export function parseMqttVersion(text: string): MqttVersion {
  if (text === '5') return 5;
  if (text === '3' || text === '3.1.1' || text === '311') return 3;
  throw usageError('INVALID_MQTT_VERSION', `--mqtt must be 5 or 3 (3.1.1), not "${text}".`);
}

export function parseDriver(text: string, from = '--driver'): DriverName {
  if (text === 'crt' || text === 'js') return text;
  throw usageError('INVALID_DRIVER', `${from} must be crt (the AWS IoT Device SDK) or js (MQTT.js), not "${text}".`);
}

export function parsePositiveDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw usageError('INVALID_DURATION', `${flag} must be a duration such as 500ms, 10s or 2m, not "${text}".`);
  return ms;
}

export interface ParsedEndpoint {
  host: string;
  port?: number;
  auth?: AuthMode;
}

/** `host`, `host:port`, `[v6]:port`, or a URL: mqtts:// (mutual TLS), wss:// (SigV4) or https:// (the HTTPS data plane, either). */
export function parseEndpoint(text: string): ParsedEndpoint {
  const bad = () => usageError('INVALID_ENDPOINT', `--endpoint must be a host name, host:port, mqtts://host[:port], wss://host[:port] or https://host[:port], not "${text}".`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const kind = scheme[1]!.toLowerCase();
    const auth: AuthMode | undefined = kind === 'wss' ? 'sigv4' : ['mqtts', 'ssl', 'tls', 'mqtt+ssl'].includes(kind) ? 'mtls' : undefined;
    if (!auth && kind !== 'https') throw bad();
    let url: URL;
    try {
      url = new URL(text.replace(/^[^:]+/, 'endpoint')); // a non-special scheme keeps :443 as given
    } catch {
      throw bad();
    }
    if (!url.hostname) throw bad();
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : undefined, auth };
  }
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? parsePort(v6[2], '--endpoint') : undefined };
  const m = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(text);
  if (!m) throw bad();
  return { host: m[1]!, port: m[2] ? parsePort(m[2], '--endpoint') : undefined };
}



/** Checks the flags that need no I/O (port, auth, version, timeout, client id): call before anything connects. */
export function checkConnectionFlags(flags: ConnectionFlags): void {
  if (flags.port !== undefined) parsePort(flags.port, '--port');
  if (flags.auth !== undefined) parseAuth(flags.auth);
  if (flags.mqtt !== undefined) parseMqttVersion(flags.mqtt);
  if (flags.driver !== undefined) parseDriver(flags.driver);
  if (flags.connectTimeout !== undefined) parsePositiveDuration(flags.connectTimeout, '--connect-timeout');
  if (flags.endpoint !== undefined) parseEndpoint(flags.endpoint);
  if (flags.clientId !== undefined) requireClientId(flags.clientId);
  // The pool may come from the profile (identity-pool-id), so its absence is checked when resolving.
  const cognito = flags.auth === 'cognito';
  if (flags.auth !== undefined && !cognito && (flags.identityPoolId || flags.login?.length)) {
    throw usageError('COGNITO_FLAGS', '--identity-pool-id and --login go with --auth cognito.', 'add --auth cognito');
  }
  if ((flags.cert === undefined) !== (flags.key === undefined) && !flags.device) {
    throw usageError('CERT_AND_KEY_REQUIRED', `Mutual TLS needs both --cert and --key; only ${flags.cert ? '--cert' : '--key'} was given.`);
  }
}

function requireClientId(id: string): string {
  const problem = checkClientId(id);
  if (problem) throw usageError(problem.code, problem.message);
  return id;
}

/**
 * The default client id. A device folder names the device's own: pub, sub and
 * tail run beside the device's own connection, so they add a suffix
 * (`<id>-pub-<random>`), because AWS IoT closes the older of two connections
 * with one client id; but only where the device's policy allows it
 * (device.json's extraClientIds, found at provisioning; the device template
 * allows <thing>-*). A Cognito identity id gets the suffix too.
 */
export function defaultClientId(baseClientId: string | undefined, role: SessionRole | undefined, random: () => string, suffixAllowed = true): string {
  if (!baseClientId) return random();
  if (role && suffixAllowed) return `${baseClientId}-${role}-${random().slice(-4)}`;
  return baseClientId;
}

export async function resolveConnection(
  flags: ConnectionFlags,
  deps: ResolveDeps,
  extra: { keepAliveSeconds?: number; role?: SessionRole; transport?: Transport } = {},
): Promise<ConnectionSpec> {
  checkConnectionFlags(flags);
  const device = flags.device ? await deps.readDevice(flags.device) : undefined;
  const endpointFlag = flags.endpoint ? parseEndpoint(flags.endpoint) : undefined;
  const profileAuth = deps.setting('auth');

  const choice: AuthChoice = flags.auth
    ? parseAuth(flags.auth)
    : (endpointFlag?.auth ??
      (device || flags.cert ? 'mtls' : profileAuth ? parseAuth(profileAuth, 'The profile setting "auth"') : 'mtls'));
  const identityPoolId = flags.identityPoolId ?? deps.setting('identity-pool-id');
  if (choice === 'cognito' && !identityPoolId) {
    throw usageError('IDENTITY_POOL_REQUIRED', 'Cognito authentication needs the identity pool.', 'pass --identity-pool-id <region:uuid>, or: iotctl config set identity-pool-id <id>');
  }
  const auth: AuthMode = choice === 'cognito' ? 'sigv4' : choice;

  let endpoint = endpointFlag?.host ?? device?.endpoint ?? deps.setting('data-endpoint');
  let endpointSource: 'flag' | 'device' | 'profile' | 'discovered' = endpointFlag ? 'flag' : device ? 'device' : 'profile';
  if (!endpoint) {
    endpoint = await deps.discoverEndpoint();
    endpointSource = 'discovered';
    await deps.cacheEndpoint(endpoint);
    deps.log?.(`data endpoint ${endpoint} (DescribeEndpoint iot:Data-ATS), cached in the profile as data-endpoint`);
  }

  // A device folder records its MQTT port; its HTTPS port comes from the profile (https-port) or AWS's default.
  const https = extra.transport === 'https';
  const portSetting = https ? 'https-port' : auth === 'mtls' ? 'mqtt-port' : 'ws-port';
  const settingPort = deps.setting(portSetting);
  const defaultPort = https ? (auth === 'mtls' ? DEFAULT_HTTPS_MTLS_PORT : DEFAULT_HTTPS_SIGV4_PORT) : auth === 'mtls' ? DEFAULT_MTLS_PORT : DEFAULT_WS_PORT;
  const port = flags.port
    ? parsePort(flags.port, '--port')
    : (endpointFlag?.port ?? (endpointSource === 'device' && auth === 'mtls' && !https ? device!.port : settingPort ? parsePort(settingPort, portSetting) : defaultPort));

  // MQTT 5 by default, against AWS IoT and the local IoT Core alike: refusals come with reason codes.
  const mqtt: MqttVersion = flags.mqtt ? parseMqttVersion(flags.mqtt) : 5;

  const spec: ConnectionSpec = {
    endpoint,
    port,
    auth,
    mqtt,
    clientId: flags.clientId ? requireClientId(flags.clientId) : defaultClientId(device?.clientId, extra.role, deps.randomClientId ?? randomClientId, device?.extraClientIds !== false),
    caFile: flags.ca ?? device?.rootCaPath ?? deps.setting('ca-file'),
    connectTimeoutMs: flags.connectTimeout ? parsePositiveDuration(flags.connectTimeout, '--connect-timeout') : DEFAULT_CONNECT_TIMEOUT_MS,
    keepAliveSeconds: extra.keepAliveSeconds,
    principal: device?.certificateArn ?? device?.certificateId,
  };
  // The printed `policy test` check: the device folder knows its principal and profile; otherwise the principal on this control plane.
  spec.checkWith = flags.device ? ['--device', flags.device] : [...(deps.reach ?? [])];
  const driver = flags.driver ?? deps.setting('driver');
  if (driver !== undefined) spec.driver = parseDriver(driver, flags.driver !== undefined ? '--driver' : 'The setting "driver"');
  if (auth === 'mtls') {
    spec.certFile = flags.cert ?? device?.certificatePath;
    spec.keyFile = flags.key ?? device?.privateKeyPath;
    if (!spec.certFile || !spec.keyFile) {
      throw usageError('CERT_AND_KEY_REQUIRED', 'Mutual TLS needs a client certificate and its private key.', 'pass --device <folder> (from iotctl provision), or --cert and --key; or use --auth sigv4');
    }
  } else {
    let source: { credentials: CredentialSource; region?: string; identityId?: string };
    if (choice === 'cognito') {
      if (!deps.cognito) throw usageError('AUTH_UNSUPPORTED', 'Cognito authentication is not available here.');
      source = await deps.cognito(identityPoolId!, flags.login);
    } else source = await deps.sigv4();
    // A Cognito identity's credentials (minted here, or exported by `cognito credentials --format env`): policies for
    // app users commonly allow client/${cognito-identity.amazonaws.com:sub} (the templates also <sub>-*).
    if (source.identityId) {
      if (!flags.clientId) spec.clientId = defaultClientId(source.identityId, extra.role, deps.randomClientId ?? randomClientId);
      spec.principal = source.identityId;
      spec.checkWith = [...(deps.reach ?? []), '--principal', source.identityId];
    }
    const { credentials, region } = source;
    spec.credentials = credentials;
    spec.region = deps.setting('region') ?? device?.region ?? region ?? regionOfIotHost(endpoint);
    if (!spec.region) throw usageError('NO_REGION', 'SigV4 needs a region and none is configured.', 'pass --region, set AWS_REGION, or run: iotctl config set region <region>');
  }
  return spec;
}
