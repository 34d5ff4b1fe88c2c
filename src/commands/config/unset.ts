import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { updateConfig } from '../../config/store.js';
import { requireSetting } from '../../config/keys.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<key>', 'setting name'),
  examples: ['iotctl config unset endpoint-url'],
  async run(ctx, [key]) {
    requireSetting(key);
    const profile = await ctx.profileToWrite();
    let removed = false;
    await updateConfig(ctx.env, (config) => {
      const entries = config.profiles[profile];
      if (entries && key in entries) {
        delete entries[key];
        removed = true;
      }
    });
    ctx.out.result({ profile, key, removed }, (r) => (r.removed ? `${r.profile}: ${r.key} removed` : `${r.profile}: ${r.key} was not set`));
    return ExitCode.OK;
  },
});
