import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { notFoundError } from '../../core/errors.js';
import { requireSetting } from './validate.js';

export function configure(cmd: Command): void {
  cmd.argument('<key>', 'setting name, e.g. region');
  examples(cmd, ['iotctl config get region', 'iotctl --profile local config get endpoint-url']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const key = args[0] as string;
  requireSetting(key);
  const settings = await ctx.settings();
  const resolved = settings.values[key];
  if (!resolved) throw notFoundError('SETTING_NOT_SET', `"${key}" is not set in profile "${settings.profile}".`, `set it with: iotctl config set ${key} <value>`);
  ctx.out.result({ profile: settings.profile, key, value: resolved.value, source: resolved.source }, (r) => r.value);
  return 0;
}
