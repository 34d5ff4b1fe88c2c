import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { changeThingPrincipal, configurePrincipalChange } from './principal.js';

export function configure(cmd: Command): void {
  configurePrincipalChange(cmd);
  examples(cmd, ['iotctl thing detach pi01 --principal arn:aws:iot:us-east-1:123456789012:cert/<id>']);
}

export async function run(ctx: Context, args: unknown[], options: { principal: string }): Promise<number> {
  return changeThingPrincipal(ctx, 'detach', args[0] as string, options);
}
