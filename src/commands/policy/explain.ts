import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { configureTest, runTest, type TestOptions } from './test.js';

export function configure(cmd: Command): void {
  configureTest(cmd, 'explain');
}

export async function run(ctx: Context, _args: unknown[], options: TestOptions): Promise<number> {
  return runTest(ctx, options, true);
}
