import type { Command } from 'commander';
import { examples, hiddenAlias } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { rootCaFor, type RootChoice } from '../../aws/root-ca.js';

interface Options {
  out?: string;
  rootCa?: RootChoice;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--out <file>', 'write the CA here (default: print it)')
    .option('--root-ca <rsa|ec|all>', 'Amazon Root CA 1 (rsa, default), 3 (ec), or both (as provision --root-ca)', 'rsa')
    .option('--force', 'overwrite an existing file');
  hiddenAlias(cmd, '--key <rsa|ec|all>', 'rootCa');
  examples(cmd, ['iotctl ca fetch --out root-ca.pem', 'iotctl --profile local ca fetch --out local-ca.pem']);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (options.rootCa && !['rsa', 'ec', 'all'].includes(options.rootCa)) throw usageError('INVALID_ROOT_CA', `--root-ca must be rsa, ec or all, not "${options.rootCa}".`);
  const { pem, source } = rootCaFor(await ctx.settings(), options.rootCa);
  if (!options.out) {
    if (ctx.out.json) ctx.out.result({ source, pem }, () => '');
    else ctx.out.stdout.write(pem);
    return 0;
  }
  await writeFileAtomic(options.out, pem, { overwrite: options.force === true });
  ctx.out.result({ source, file: options.out }, (r) => `wrote ${r.source} to ${r.file}`);
  return 0;
}
