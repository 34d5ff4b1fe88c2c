import { defineCommand } from '../define.js';
import { ExitCode, notFoundError } from '../../core/errors.js';
import { requireSetting } from '../../config/keys.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<key>', 'setting name, e.g. region'),
  examples: ['iotctl config get region', 'iotctl --profile local config get endpoint-url'],
  async run(ctx, [key]) {
    requireSetting(key);
    const settings = await ctx.settings();
    const resolved = settings.values[key];
    if (!resolved) throw notFoundError('SETTING_NOT_SET', `"${key}" is not set in profile "${settings.profile}".`, `set it with: iotctl config set ${key} <value>`);
    ctx.out.result({ profile: settings.profile, key, value: resolved.value, source: resolved.source }, (r) => r.value);
    return ExitCode.OK;
  },
});
