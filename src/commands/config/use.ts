import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { notFoundError } from '../../core/errors.js';
import { DEFAULT_PROFILE, updateConfig } from '../../config/store.js';
import { requireProfileName } from './validate.js';

export function configure(cmd: Command): void {
  cmd.argument('<profile>', 'profile name');
  examples(cmd, ['iotctl config use local', 'iotctl config use default']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const profile = requireProfileName(args[0] as string);
  const config = await ctx.config();
  if (!config.profiles[profile] && profile !== DEFAULT_PROFILE) {
    const known = Object.keys(config.profiles);
    throw notFoundError('PROFILE_NOT_FOUND', `The profile "${profile}" does not exist.`, known.length ? `known profiles: ${known.join(', ')}` : `create it with: iotctl --profile ${profile} config set region <region>`);
  }
  await updateConfig(ctx.env, (c) => {
    c.currentProfile = profile;
  });
  ctx.out.result({ currentProfile: profile }, (r) => `current profile: ${r.currentProfile}`);
  return 0;
}
