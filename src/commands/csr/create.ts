import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { exists, readUserFile, writeFileAtomic } from '../../io/files.js';
import { createKeyFile, describeSpec, keyFormatFrom, keySpecFrom, type KeyTypeOptions } from '../../identity/keys.js';
import { addKeyTypeOptions } from '../key-options.js';
import { buildSubject } from '../../identity/subject.js';

interface Options extends KeyTypeOptions {
  cn: string;
  key?: string;
  newKey?: string;
  subject?: string;
  out?: string;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .requiredOption('--cn <thing name>', 'common name, usually the thing name')
    .option('--key <file>', 'sign with this existing private key')
    .option('--new-key <file>', 'make a new private key here (mode 0600) and sign with it')
    .option('--subject <fields>', 'more subject fields, e.g. "O=Acme,C=US"')
    .option('--out <file>', 'write the CSR here (default: print it)');
  addKeyTypeOptions(cmd).option('--force', 'overwrite existing files');
  examples(cmd, ['iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr', 'iotctl csr create --cn pi01 --key pi01.key --subject "O=Acme,C=US" > pi01.csr']);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (Boolean(options.key) === Boolean(options.newKey)) {
    throw usageError('KEY_SOURCE', 'Pass exactly one of --key <existing key file> or --new-key <file to create>.');
  }
  if (options.key && (options.keyType || options.bits || options.curve || options.format)) {
    throw usageError('INVALID_KEY_OPTIONS', '--key-type, --bits, --curve and --format apply to --new-key only.');
  }
  const subject = buildSubject(options.cn, options.subject);
  const overwrite = options.force === true;
  for (const file of [options.newKey, options.out]) {
    if (file && !overwrite && (await exists(file))) throw usageError('FILE_EXISTS', `${file} already exists; refusing to overwrite it.`, 'pass --force to replace it');
  }
  const pki = await import('../../pki/index.js');
  let keyPair;
  let keyType: string;
  if (options.newKey) {
    const spec = keySpecFrom(options);
    keyPair = await createKeyFile(options.newKey, spec, keyFormatFrom(options, spec), overwrite);
    keyType = describeSpec(spec);
  } else {
    keyPair = pki.loadPrivateKey(await readUserFile(options.key!, 'private key file'));
    keyType = pki.describeKey(keyPair.privateKey);
  }
  const csr = await pki.createCsr({ keyPair, subject });
  if (options.out) await writeFileAtomic(options.out, csr, { overwrite });
  const result = { subject, keyType, privateKeyFile: options.newKey ?? options.key, csrFile: options.out, csr: options.out ? undefined : csr };
  if (!options.out && !ctx.out.json) {
    ctx.out.stdout.write(csr);
    return 0;
  }
  ctx.out.result(result, (r) => `wrote CSR for ${r.subject} (${r.keyType}) to ${r.csrFile}`);
  return 0;
}
