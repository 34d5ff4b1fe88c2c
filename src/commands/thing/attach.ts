import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { changeThingPrincipal, configurePrincipalChange } from './principal.js';

export function configure(cmd: Command): void {
  configurePrincipalChange(cmd);
  cmd.option('--exclusive', 'EXCLUSIVE_THING: this certificate may be attached to this thing only');
  examples(cmd, ['iotctl thing attach pi01 --principal arn:aws:iot:us-east-1:123456789012:cert/<id>']);
}

export async function run(ctx: Context, args: unknown[], options: { principal: string; exclusive?: boolean }): Promise<number> {
  return changeThingPrincipal(ctx, 'attach', args[0] as string, options);
}
