import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { configFile } from '../../config/paths.js';

export function configure(cmd: Command): void {
  examples(cmd, ['iotctl config path', 'IOTCTL_CONFIG_DIR=/etc/iotctl iotctl config path']);
}

export async function run(ctx: Context): Promise<number> {
  ctx.out.result({ path: configFile(ctx.env) }, (r) => r.path);
  return 0;
}
