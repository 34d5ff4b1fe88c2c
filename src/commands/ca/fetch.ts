import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { fileError, writeFileAtomic } from '../../io/files.js';
import { amazonRootCa } from '../../aws/root-ca.js';
import { isLocalEndpoint } from '../../aws/target.js';

interface Options {
  out?: string;
  key?: 'rsa' | 'ec' | 'all';
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--out <file>', 'write the CA here (default: print it)')
    .option('--key <rsa|ec|all>', 'Amazon Root CA 1 (rsa, default), 3 (ec), or both', 'rsa')
    .option('--force', 'overwrite an existing file');
  examples(cmd, ['iotctl ca fetch --out root-ca.pem', 'iotctl --profile local ca fetch --out local-ca.pem']);
}

/** The CA a client of the profile's data endpoint must trust: the local IoT Core's own, or Amazon's roots (no network). */
export async function rootCaFor(ctx: Context, key: Options['key'] = 'rsa'): Promise<{ pem: string; source: string }> {
  const settings = await ctx.settings();
  const localCa = settings.get('ca-file');
  if (localCa && isLocalEndpoint(settings.get('endpoint-url'))) {
    try {
      return { pem: readFileSync(localCa, 'utf8'), source: localCa };
    } catch (err) {
      throw fileError(err, localCa, 'local CA file');
    }
  }
  if (key === 'ec') return { pem: amazonRootCa('AmazonRootCA3'), source: 'Amazon Root CA 3' };
  if (key === 'all') return { pem: amazonRootCa('AmazonRootCA1') + amazonRootCa('AmazonRootCA3'), source: 'Amazon Root CA 1 + 3' };
  return { pem: amazonRootCa('AmazonRootCA1'), source: 'Amazon Root CA 1' };
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (options.key && !['rsa', 'ec', 'all'].includes(options.key)) throw usageError('INVALID_KEY_TYPE', `--key must be rsa, ec or all, not "${options.key}".`);
  const { pem, source } = await rootCaFor(ctx, options.key);
  if (!options.out) {
    if (ctx.out.json) ctx.out.result({ source, pem }, () => '');
    else ctx.out.stdout.write(pem);
    return 0;
  }
  await writeFileAtomic(options.out, pem, { overwrite: options.force === true });
  ctx.out.result({ source, file: options.out }, (r) => `wrote ${r.source} to ${r.file}`);
  return 0;
}
