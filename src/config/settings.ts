import { notFoundError, usageError } from '../core/errors.js';
import { SETTINGS, envName } from './keys.js';
import { DEFAULT_PROFILE, type ConfigFile } from './store.js';

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface ResolvedValue {
  value: string;
  source: SettingSource;
}

export interface ResolvedSettings {
  profile: string;
  profileSource: SettingSource;
  values: Record<string, ResolvedValue>;
  get(name: string): string | undefined;
}

/** Flags that override settings, keyed by setting name (e.g. { region: 'eu-west-1' }). */
export type SettingFlags = Record<string, string | undefined>;

/**
 * Resolves the active profile's settings: defaults < config file < environment < flags.
 * Computed once per command, never at import time.
 */
export function resolveSettings(config: ConfigFile, env: NodeJS.ProcessEnv, profileFlag: string | undefined, flags: SettingFlags): ResolvedSettings {
  let profile = DEFAULT_PROFILE;
  let profileSource: SettingSource = 'default';
  if (profileFlag) [profile, profileSource] = [profileFlag, 'flag'];
  else if (env.IOTCTL_PROFILE) [profile, profileSource] = [env.IOTCTL_PROFILE, 'env'];
  else if (config.currentProfile) [profile, profileSource] = [config.currentProfile, 'file'];

  const fromFile = config.profiles[profile];
  if (!fromFile && profile !== DEFAULT_PROFILE) {
    const known = Object.keys(config.profiles);
    const where = profileSource === 'flag' ? '--profile' : profileSource === 'env' ? 'IOTCTL_PROFILE' : 'the config file';
    throw notFoundError(
      'PROFILE_NOT_FOUND',
      `The profile "${profile}" (from ${where}) does not exist.`,
      known.length > 0
        ? `known profiles: ${known.join(', ')}; create it with: iotctl config set --profile ${profile} region <region>`
        : `create it with: iotctl config set --profile ${profile} region <region>` + (profile === 'local' ? ', or run: iotctl local start' : ''),
    );
  }

  const values: Record<string, ResolvedValue> = {};
  for (const spec of SETTINGS) {
    if (spec.default !== undefined) values[spec.name] = { value: spec.default, source: 'default' };
    const file = fromFile?.[spec.name];
    if (file !== undefined) values[spec.name] = { value: file, source: 'file' };
    const fromEnv = env[envName(spec.name)];
    if (fromEnv !== undefined && fromEnv !== '') values[spec.name] = { value: fromEnv, source: 'env' };
    const flag = flags[spec.name];
    if (flag !== undefined) values[spec.name] = { value: flag, source: 'flag' };
  }
  return { profile, profileSource, values, get: (name) => values[name]?.value };
}

/**
 * Values from flags and the environment are checked like `config set` checks
 * the file's: a bad `--region` or `IOTCTL_REGION` is a usage error (exit 2), not
 * an endpoint that cannot be reached.
 */
export function checkGivenValues(settings: ResolvedSettings): ResolvedSettings {
  for (const spec of SETTINGS) {
    const given = settings.values[spec.name];
    if (!given || (given.source !== 'flag' && given.source !== 'env') || !spec.validate) continue;
    const problem = spec.validate(given.value);
    if (problem) {
      const from = given.source === 'flag' ? `--${spec.name}` : envName(spec.name);
      throw usageError('INVALID_SETTING', `${from} "${given.value}" ${problem}.`);
    }
  }
  return settings;
}
