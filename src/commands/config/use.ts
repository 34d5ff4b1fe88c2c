import { defineCommand } from '../define.js';
import { ExitCode, notFoundError } from '../../core/errors.js';
import { DEFAULT_PROFILE, requireProfileName, updateConfig } from '../../config/store.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<profile>', 'profile name'),
  examples: ['iotctl config use local', 'iotctl config use default'],
  async run(ctx, [name]) {
    const profile = requireProfileName(name);
    const config = await ctx.config();
    if (!config.profiles[profile] && profile !== DEFAULT_PROFILE) {
      const known = Object.keys(config.profiles);
      throw notFoundError('PROFILE_NOT_FOUND', `The profile "${profile}" does not exist.`, known.length ? `known profiles: ${known.join(', ')}` : `create it with: iotctl --profile ${profile} config set region <region>`);
    }
    await updateConfig(ctx.env, (c) => {
      c.currentProfile = profile;
    });
    ctx.out.result({ currentProfile: profile }, (r) => `current profile: ${r.currentProfile}`);
    return ExitCode.OK;
  },
});
