import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { changeAttachment, configureAttachment } from './attachment.js';

export function configure(cmd: Command): void {
  configureAttachment(cmd);
  examples(cmd, [
    'iotctl policy attach iotctl-device --principal <cert ARN>',
    'iotctl policy create app-user --template cognito-user',
    'iotctl policy attach app-user --principal <identity id>',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: { principal?: string }): Promise<number> {
  return changeAttachment(ctx, 'attach', args[0] as string, options.principal);
}
