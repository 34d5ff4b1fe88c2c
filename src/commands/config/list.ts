import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { findSetting } from '../../config/keys.js';
import { DEFAULT_PROFILE } from '../../config/store.js';
import { configFile } from '../../config/paths.js';

const MASK = '********';

export default defineCommand({
  declare: (cmd) => cmd.option('--show-secrets', 'print secret values instead of masking them'),
  examples: ['iotctl config list', 'iotctl config list --json | jq .profiles'],
  async run(ctx, _args, options) {
    const config = await ctx.config();
    const settings = await ctx.settings();
    const mask = (key: string, value: string) => (findSetting(key)?.secret && !options.showSecrets ? MASK : value);
    const profiles = Object.fromEntries(
      Object.entries(config.profiles).map(([name, p]) => [name, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, mask(k, v)]))]),
    );
    const effective = Object.fromEntries(Object.entries(settings.values).map(([k, v]) => [k, { value: mask(k, v.value), source: v.source }]));
    const result = {
      configFile: configFile(ctx.env),
      currentProfile: config.currentProfile ?? DEFAULT_PROFILE,
      activeProfile: settings.profile,
      profiles,
      effective,
    };
    ctx.out.result(result, (r, c) => {
      const lines = [`${c.dim('config file:')} ${r.configFile}`];
      const names = Object.keys(r.profiles);
      if (!names.includes(r.activeProfile)) names.unshift(r.activeProfile);
      for (const name of names) {
        const marker = name === r.activeProfile ? c.green('* ') : '  ';
        lines.push(`${marker}${c.bold(name)}${name === r.currentProfile ? c.dim(' (current)') : ''}`);
        const entries = Object.entries(r.profiles[name] ?? {});
        if (entries.length === 0) lines.push(c.dim('      (no settings)'));
        for (const [k, v] of entries) lines.push(`      ${k} = ${v}`);
      }
      const overrides = Object.entries(r.effective).filter(([, v]) => v.source === 'env' || v.source === 'flag');
      if (overrides.length > 0) {
        lines.push(c.dim('overridden now:'));
        for (const [k, v] of overrides) lines.push(`      ${k} = ${v.value} ${c.dim(`(${v.source})`)}`);
      }
      return lines.join('\n');
    });
    return ExitCode.OK;
  },
});
