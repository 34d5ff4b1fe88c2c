import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { readUserFile, writeFileAtomic } from '../../io/files.js';
import { formatPairs } from '../../io/table.js';

interface Options {
  csr?: string;
  awsKeys?: boolean;
  out?: string;
  keyOut?: string;
  setActive: boolean;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--csr <file>', 'register a certificate for this CSR (the private key stays on the device)')
    .option('--aws-keys', 'let AWS IoT create the key pair (the private key then travels over the network)')
    .option('--out <file>', 'write the certificate PEM here (default: print it)')
    .option('--key-out <file>', 'with --aws-keys: write the private key here (mode 0600); required')
    .option('--no-set-active', 'register the certificate INACTIVE')
    .option('--force', 'overwrite existing output files');
  examples(cmd, [
    'iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr && iotctl cert create --csr pi01.csr --out pi01.pem',
    'iotctl cert create --aws-keys --out pi02.pem --key-out pi02.key --json',
  ]);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (Boolean(options.csr) === Boolean(options.awsKeys)) {
    throw usageError('CERT_SOURCE', 'Pass exactly one of --csr <file> or --aws-keys.', 'prefer --csr: the private key never leaves the device');
  }
  const overwrite = options.force === true;
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  let result: { certificateId?: string; certificateArn?: string; certificatePem?: string; keyFile?: string };
  if (options.csr) {
    const csr = await readUserFile(options.csr, 'CSR file');
    if (!csr.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
      throw usageError('INVALID_CSR', `${options.csr} is not a PEM certificate signing request.`, 'make one with: iotctl csr create --cn <thing> --new-key <key file> --out <csr file>');
    }
    if (options.out) await assertWritable(options.out, overwrite);
    result = await iot.send(new sdk.CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: options.setActive }));
  } else {
    if (!options.keyOut) throw usageError('MISSING_KEY_OUT', '--aws-keys needs --key-out <file> for the private key.', 'the private key is returned once and never printed');
    await assertWritable(options.keyOut, overwrite);
    if (options.out) await assertWritable(options.out, overwrite);
    ctx.out.warn('with --aws-keys the private key is made by AWS and sent over the network; --csr keeps it on the device.');
    const created = await iot.send(new sdk.CreateKeysAndCertificateCommand({ setAsActive: options.setActive }));
    await writeFileAtomic(options.keyOut, created.keyPair?.PrivateKey ?? '', { mode: 0o600, overwrite });
    result = { ...created, keyFile: options.keyOut };
  }
  if (options.out) await writeFileAtomic(options.out, result.certificatePem ?? '', { overwrite });
  const summary = {
    certificateId: result.certificateId,
    certificateArn: result.certificateArn,
    status: options.setActive ? 'ACTIVE' : 'INACTIVE',
    certificateFile: options.out,
    privateKeyFile: result.keyFile,
    certificatePem: options.out ? undefined : result.certificatePem,
  };
  ctx.out.result(summary, (r) =>
    r.certificatePem && !r.certificateFile
      ? r.certificatePem
      : formatPairs([
          ['certificate id', r.certificateId],
          ['arn', r.certificateArn],
          ['status', r.status],
          ['certificate', r.certificateFile],
          ['private key', r.privateKeyFile],
        ]),
  );
  return 0;
}

/** Fails before calling AWS when an output file exists, so no certificate is created for nothing. */
async function assertWritable(file: string, overwrite: boolean): Promise<void> {
  const { exists } = await import('../../io/files.js');
  if (!overwrite && (await exists(file))) throw usageError('FILE_EXISTS', `${file} already exists; refusing to overwrite it.`, 'pass --force to replace it');
}
