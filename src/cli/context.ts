import { Output } from '../io/output.js';
import type { Streams } from '../io/streams.js';
import type { ConfigFile } from '../config/store.js';
import type { ResolvedSettings, SettingFlags } from '../config/settings.js';

/** Options every command accepts (see main.ts). */
export interface GlobalOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
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

  private constructor(
    readonly streams: Streams,
    readonly globals: GlobalOptions,
    readonly signal: AbortSignal,
    readonly out: Output,
  ) {}

  static async create(streams: Streams, globals: GlobalOptions, signal: AbortSignal): Promise<Context> {
    return new Context(streams, globals, signal, await Output.create(streams, globals));
  }

  get env(): NodeJS.ProcessEnv {
    return this.streams.env;
  }

  /** The config file, read once. */
  config(): Promise<ConfigFile> {
    this.configPromise ??= import('../config/store.js').then((m) => m.readConfig(this.env));
    return this.configPromise;
  }

  /** The active profile's settings, with the global flags (and any command flags) on top. */
  async settings(commandFlags: SettingFlags = {}): Promise<ResolvedSettings> {
    const { resolveSettings } = await import('../config/settings.js');
    const flags: SettingFlags = { region: this.globals.region, 'endpoint-url': this.globals.endpointUrl, ...commandFlags };
    return resolveSettings(await this.config(), this.env, this.globals.profile, flags);
  }
}
