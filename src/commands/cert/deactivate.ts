import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { configureStatusChange, setCertificateStatus } from './status.js';

export function configure(cmd: Command): void {
  configureStatusChange(cmd, 'deactivate');
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  return setCertificateStatus(ctx, args[0] as string, 'INACTIVE');
}
