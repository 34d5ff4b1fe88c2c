import { Output } from '../io/output.js';
import { parseDuration } from '../core/duration.js';
import { usageError } from '../core/errors.js';
import { iotctlCommand } from '../core/shell.js';
import type { Streams } from '../io/streams.js';
import type { ConfigFile } from '../config/store.js';
import type { ResolvedSettings, SettingFlags } from '../config/settings.js';

/** Options every command accepts (see main.ts). */
export interface GlobalOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  requestTimeout?: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
  debug: boolean;
}

/**
 * What a command gets to do its work: the output policy, the environment, the
 * cancellation signal, and lazily computed configuration.
 */
export class Context {
  private configPromise?: Promise<ConfigFile>;
  private iotPromise?: Promise<import('@aws-sdk/client-iot').IoTClient>;
  private cognitoPromise?: Promise<import('@aws-sdk/client-cognito-identity').CognitoIdentityClient>;
  private iamPromise?: Promise<import('@aws-sdk/client-iam').IAMClient>;

  private constructor(
    readonly streams: Streams,
    readonly globals: GlobalOptions,
    readonly signal: AbortSignal,
    readonly out: Output,
  ) {}

  static async create(streams: Streams, globals: GlobalOptions, signal: AbortSignal): Promise<Context> {
    return new Context(streams, globals, signal, await Output.create(streams, { ...globals, signal }));
  }

  get env(): NodeJS.ProcessEnv {
    return this.streams.env;
  }

  /**
   * The global flags of this command line that pick the profile and control
   * plane (--profile, --region, --endpoint-url): a printed hint carries them,
   * so it runs as printed.
   */
  reachWords(): string[] {
    const g = this.globals;
    return [
      ...(g.profile ? ['--profile', g.profile] : []),
      ...(g.region ? ['--region', g.region] : []),
      ...(g.endpointUrl ? ['--endpoint-url', g.endpointUrl] : []),
    ];
  }

  /** `iotctl <reach flags> <words>`, quoted for a shell: a command line to print in a hint. */
  iotctl(...words: string[]): string {
    return iotctlCommand([...this.reachWords(), ...words]);
  }

  /**
   * Use this profile unless the user chose one (--profile, IOTCTL_PROFILE): a
   * device folder names the profile it was provisioned with. Call before settings are read.
   */
  preferProfile(name: string | undefined): void {
    if (name && !this.globals.profile && !this.env.IOTCTL_PROFILE) this.globals.profile = name;
  }

  /** The profile a config write goes to: --profile, IOTCTL_PROFILE, the current one, else "default". */
  async profileToWrite(): Promise<string> {
    const [config, { DEFAULT_PROFILE, requireProfileName }] = await Promise.all([this.config(), import('../config/store.js')]);
    return requireProfileName(this.globals.profile ?? this.env.IOTCTL_PROFILE ?? config.currentProfile ?? DEFAULT_PROFILE);
  }

  /** The config file, read once. */
  config(): Promise<ConfigFile> {
    this.configPromise ??= import('../config/store.js').then((m) => m.readConfig(this.env));
    return this.configPromise;
  }

  /** Region, endpoint and credentials for AWS calls, from the settings. */
  async awsTarget(commandFlags: SettingFlags = {}): Promise<import('../aws/target.js').AwsTarget> {
    const { awsTarget } = await import('../aws/target.js');
    const settings = await this.settings(commandFlags);
    return awsTarget(settings, this.env, requestTimeoutOf(settings.get('request-timeout'), settings.values['request-timeout']?.source));
  }

  /** A spinner on a terminal while an AWS call is slow (see aws/clients.ts); nothing elsewhere. */
  private readonly hooks: import('../aws/clients.js').ClientHooks = {
    onSlowCall: (operation) => {
      let spinner: { stop(): void } | undefined;
      let stopped = false;
      void this.out.spinner(`waiting for ${operation}`).then((s) => (stopped ? s.stop() : (spinner = s)));
      return () => {
        stopped = true;
        spinner?.stop();
      };
    },
  };

  /** The IoT control-plane client for the active profile (loads the AWS SDK on first use). */
  async iot(): Promise<import('@aws-sdk/client-iot').IoTClient> {
    this.iotPromise ??= this.awsTarget().then(async (t) => (await import('../aws/clients.js')).iotClient(t, this.hooks));
    return this.iotPromise;
  }

  async cognitoIdentity(): Promise<import('@aws-sdk/client-cognito-identity').CognitoIdentityClient> {
    this.cognitoPromise ??= this.awsTarget().then(async (t) => (await import('../aws/clients.js')).cognitoIdentityClient(t, this.hooks));
    return this.cognitoPromise;
  }

  async iam(): Promise<import('@aws-sdk/client-iam').IAMClient> {
    this.iamPromise ??= this.awsTarget().then(async (t) => (await import('../aws/clients.js')).iamClient(t, this.hooks));
    return this.iamPromise;
  }

  /** The active profile's settings, with the global flags (and any command flags) on top. */
  async settings(commandFlags: SettingFlags = {}): Promise<ResolvedSettings> {
    const { resolveSettings, checkGivenValues } = await import('../config/settings.js');
    const flags: SettingFlags = { region: this.globals.region, 'endpoint-url': this.globals.endpointUrl, 'request-timeout': this.globals.requestTimeout, ...commandFlags };
    return checkGivenValues(resolveSettings(await this.config(), this.env, this.globals.profile, flags));
  }
}

/** --request-timeout / the request-timeout setting, in milliseconds. */
function requestTimeoutOf(text: string | undefined, source: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    const from = source === 'flag' ? '--request-timeout' : source === 'env' ? 'IOTCTL_REQUEST_TIMEOUT' : 'the profile setting request-timeout';
    throw usageError('INVALID_DURATION', `${from} must be a duration such as 30s, 2m or 500ms, not "${text}".`);
  }
  return ms;
}
