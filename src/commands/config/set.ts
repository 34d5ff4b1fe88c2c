import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { DEFAULT_PROFILE, updateConfig } from '../../config/store.js';
import { requireProfileName, requireSetting } from './validate.js';

export function configure(cmd: Command): void {
  cmd.argument('<key>', 'setting name, e.g. region').argument('<value>', 'new value');
  examples(cmd, ['iotctl config set region eu-west-1', 'iotctl --profile staging config set endpoint-url https://iot.eu-west-1.amazonaws.com']);
}

/** The profile a write goes to: --profile, IOTCTL_PROFILE, the current one, else "default". */
export async function targetProfile(ctx: Context): Promise<string> {
  const config = await ctx.config();
  return requireProfileName(ctx.globals.profile ?? ctx.env.IOTCTL_PROFILE ?? config.currentProfile ?? DEFAULT_PROFILE);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const [key, value] = args as [string, string];
  const spec = requireSetting(key);
  const problem = spec.validate?.(value);
  if (problem) throw usageError('INVALID_SETTING_VALUE', `Invalid value for ${key}: ${problem}.`);
  const profile = await targetProfile(ctx);
  await updateConfig(ctx.env, (config) => {
    config.profiles[profile] = { ...config.profiles[profile], [key]: value };
  });
  ctx.out.result({ profile, key, value: spec.secret ? '********' : value }, (r) => `${r.profile}: ${r.key} = ${r.value}`);
  return 0;
}
