import { readFileSync } from 'node:fs';
import { IotctlError, ExitCode, usageError } from '../core/errors.js';
import { writeFileAtomic } from '../io/files.js';
import { configFile } from './paths.js';

export type Profile = Record<string, string>;

export interface ConfigFile {
  currentProfile?: string;
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function requireProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw usageError('INVALID_PROFILE_NAME', `"${name}" is not a valid profile name.`, 'use 1-64 letters, digits, dots, dashes or underscores');
  }
  return name;
}

/** Reads the config file; a missing file is an empty config, a corrupt one a clear error. */
export async function readConfig(env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  const file = configFile(env);
  let text: string;
  try {
    // Synchronous on purpose: one small file at startup, and it spares loading fs/promises.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: Object.create(null) };
    throw new IotctlError('CONFIG_UNREADABLE', `Cannot read the config file ${file}: ${(err as Error).message}`, { exitCode: ExitCode.FAILURE });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new IotctlError('CONFIG_INVALID', `The config file ${file} is not valid JSON: ${(err as Error).message}`, {
      hint: `fix or remove it (iotctl config path prints its location)`,
    });
  }
  return normalise(parsed, file);
}

function normalise(value: unknown, file: string): ConfigFile {
  const invalid = (why: string) =>
    new IotctlError('CONFIG_INVALID', `The config file ${file} is invalid: ${why}.`, { hint: 'fix or remove it (iotctl config path prints its location)' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('expected a JSON object');
  const obj = value as Record<string, unknown>;
  // Looked up by --profile names: no prototype, so `constructor` or `__proto__` is just a profile that does not exist.
  const profiles: Record<string, Profile> = Object.create(null);
  const rawProfiles = obj.profiles ?? {};
  if (typeof rawProfiles !== 'object' || rawProfiles === null || Array.isArray(rawProfiles)) throw invalid('"profiles" must be an object');
  for (const [name, profile] of Object.entries(rawProfiles)) {
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw invalid(`profile "${name}" must be an object`);
    const entries: Profile = {};
    for (const [k, v] of Object.entries(profile)) {
      if (typeof v === 'string') entries[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') entries[k] = String(v);
      else throw invalid(`profile "${name}" key "${k}" must be a string`);
    }
    profiles[name] = entries;
  }
  if (obj.currentProfile !== undefined && typeof obj.currentProfile !== 'string') throw invalid('"currentProfile" must be a string');
  return { currentProfile: obj.currentProfile as string | undefined, profiles };
}

/** Writes the whole config atomically with mode 0600 (profiles may hold local credentials). */
export async function writeConfig(env: NodeJS.ProcessEnv, config: ConfigFile): Promise<void> {
  await writeFileAtomic(configFile(env), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

/** Read-modify-write of the config file. */
export async function updateConfig(env: NodeJS.ProcessEnv, change: (config: ConfigFile) => void): Promise<ConfigFile> {
  const config = await readConfig(env);
  change(config);
  await writeConfig(env, config);
  return config;
}
