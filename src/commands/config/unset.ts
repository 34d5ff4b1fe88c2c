import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { updateConfig } from '../../config/store.js';
import { targetProfile } from './set.js';
import { requireSetting } from './validate.js';

export function configure(cmd: Command): void {
  cmd.argument('<key>', 'setting name');
  examples(cmd, ['iotctl config unset endpoint-url']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const key = args[0] as string;
  requireSetting(key);
  const profile = await targetProfile(ctx);
  let removed = false;
  await updateConfig(ctx.env, (config) => {
    const entries = config.profiles[profile];
    if (entries && key in entries) {
      delete entries[key];
      removed = true;
    }
  });
  ctx.out.result({ profile, key, removed }, (r) => (r.removed ? `${r.profile}: ${r.key} removed` : `${r.profile}: ${r.key} was not set`));
  return 0;
}
