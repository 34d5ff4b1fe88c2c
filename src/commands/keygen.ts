import type { Command } from 'commander';
import { examples } from '../cli/command.js';
import type { Context } from '../cli/context.js';
import { usageError } from '../core/errors.js';
import { exists, writeFileAtomic } from '../io/files.js';
import { createKeyFile, describeSpec, keyFormatFrom, keySpecFrom, type KeyTypeOptions } from '../identity/keys.js';
import { addKeyTypeOptions } from './key-options.js';

interface Options extends KeyTypeOptions {
  out: string;
  publicOut?: string;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd.requiredOption('--out <file>', 'private key file (written with mode 0600; never printed)');
  addKeyTypeOptions(cmd).option('--public-out <file>', 'also write the public key (SPKI PEM)').option('--force', 'overwrite existing files');
  examples(cmd, ['iotctl keygen --out pi01.key', 'iotctl keygen --key-type rsa --bits 3072 --out pi02.key --json']);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  const spec = keySpecFrom(options);
  const format = keyFormatFrom(options, spec);
  const overwrite = options.force === true;
  for (const file of [options.out, options.publicOut]) {
    if (file && !overwrite && (await exists(file))) throw usageError('FILE_EXISTS', `${file} already exists; refusing to overwrite it.`, 'pass --force to replace it');
  }
  const keyPair = await createKeyFile(options.out, spec, format, overwrite);
  if (options.publicOut) {
    const { publicKeyToPem } = await import('../pki/keys.js');
    await writeFileAtomic(options.publicOut, publicKeyToPem(keyPair.publicKey), { overwrite });
  }
  ctx.out.result({ privateKeyFile: options.out, publicKeyFile: options.publicOut, keyType: describeSpec(spec), format }, (r) =>
    `wrote ${r.keyType} private key (${r.format}, mode 0600) to ${r.privateKeyFile}` + (r.publicKeyFile ? `\nwrote public key to ${r.publicKeyFile}` : ''),
  );
  return 0;
}
