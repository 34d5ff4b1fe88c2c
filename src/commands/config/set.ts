import { defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { updateConfig } from '../../config/store.js';
import { requireSetting } from '../../config/keys.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<key>', 'setting name, e.g. region').argument('<value>', 'new value'),
  examples: ['iotctl config set region eu-west-1', 'iotctl --profile staging config set endpoint-url https://iot.eu-west-1.amazonaws.com'],
  async run(ctx, [key, value]) {
    const spec = requireSetting(key);
    const problem = spec.validate?.(value);
    if (problem) throw usageError('INVALID_SETTING_VALUE', `Invalid value for ${key}: ${problem}.`);
    const profile = await ctx.profileToWrite();
    await updateConfig(ctx.env, (config) => {
      config.profiles[profile] = { ...config.profiles[profile], [key]: value };
    });
    ctx.out.result({ profile, key, value: spec.secret ? '********' : value }, (r) => `${r.profile}: ${r.key} = ${r.value}`);
    return ExitCode.OK;
  },
});
