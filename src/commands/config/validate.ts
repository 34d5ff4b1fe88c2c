import { usageError } from '../../core/errors.js';
import { SETTINGS, findSetting, type SettingSpec } from '../../config/keys.js';

/** The setting named by a user, or a usage error listing the known ones. */
export function requireSetting(name: string): SettingSpec {
  const spec = findSetting(name);
  if (!spec) {
    throw usageError('UNKNOWN_SETTING', `Unknown setting "${name}".`, `known settings: ${SETTINGS.map((s) => s.name).join(', ')}`);
  }
  return spec;
}

export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function requireProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw usageError('INVALID_PROFILE_NAME', `"${name}" is not a valid profile name.`, 'use 1-64 letters, digits, dots, dashes or underscores');
  }
  return name;
}
