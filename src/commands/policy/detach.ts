import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { changeAttachment, configureAttachment } from './attachment.js';

export function configure(cmd: Command): void {
  configureAttachment(cmd);
  examples(cmd, ['iotctl policy detach iotctl-device --principal <certificate id>']);
}

export async function run(ctx: Context, args: unknown[], options: { principal?: string }): Promise<number> {
  return changeAttachment(ctx, 'detach', args[0] as string, options.principal);
}
