/** What the `local` commands share: where the data directory is, and the `local` profile. */
import path from 'node:path';
import type { Context } from '../context.js';
import { dataDir } from '../../config/paths.js';
import { usageError } from '../../core/errors.js';

export const LOCAL_PROFILE = 'local';

export function defaultLocalDataDir(env: NodeJS.ProcessEnv): string {
  return path.join(dataDir(env), 'local');
}

/**
 * The data directory a command acts on: --data-dir, else the one the `local`
 * profile records (where `local start` last ran), else the default.
 */
export async function localDataDir(ctx: Context, flag: string | undefined): Promise<string> {
  if (flag) return path.resolve(flag);
  const recorded = (await ctx.config()).profiles[LOCAL_PROFILE]?.['local-data-dir'];
  return recorded ? path.resolve(recorded) : defaultLocalDataDir(ctx.env);
}

export function parsePort(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw usageError('INVALID_PORT', `${flag} must be a port number (0-65535; 0 picks a free port), not "${value}".`);
  return Number(value);
}

export const DATA_DIR_OPTION = ['--data-dir <dir>', "the local IoT Core's data directory (default: the local profile's, else <data dir>/local)"] as const;
