import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { rootCaFor, type RootChoice } from '../../aws/root-ca.js';

interface Options {
  out?: string;
  key?: RootChoice;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--out <file>', 'write the CA here (default: print it)')
    .option('--key <rsa|ec|all>', 'Amazon Root CA 1 (rsa, default), 3 (ec), or both', 'rsa')
    .option('--force', 'overwrite an existing file');
  examples(cmd, ['iotctl ca fetch --out root-ca.pem', 'iotctl --profile local ca fetch --out local-ca.pem']);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (options.key && !['rsa', 'ec', 'all'].includes(options.key)) throw usageError('INVALID_KEY_TYPE', `--key must be rsa, ec or all, not "${options.key}".`);
  const { pem, source } = rootCaFor(await ctx.settings(), options.key);
  if (!options.out) {
    if (ctx.out.json) ctx.out.result({ source, pem }, () => '');
    else ctx.out.stdout.write(pem);
    return 0;
  }
  await writeFileAtomic(options.out, pem, { overwrite: options.force === true });
  ctx.out.result({ source, file: options.out }, (r) => `wrote ${r.source} to ${r.file}`);
  return 0;
}
