import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { configFile } from '../../config/paths.js';

export default defineCommand({
  declare: (cmd) => cmd,
  examples: ['iotctl config path', 'IOTCTL_CONFIG_DIR=/etc/iotctl iotctl config path'],
  async run(ctx) {
    ctx.out.result({ path: configFile(ctx.env) }, (r) => r.path);
    return ExitCode.OK;
  },
});
