import { defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { readUserFile, refuseToOverwrite, writeFileAtomic } from '../../io/files.js';
import { formatPairs } from '../../io/table.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .option('--csr <file>', 'register a certificate for this CSR (the private key stays on the device)')
      .option('--aws-keys', 'let AWS IoT create the key pair (the private key then travels over the network)')
      .option('--out <file>', 'write the certificate PEM here (default: print it)')
      .option('--key-out <file>', 'with --aws-keys: write the private key here (mode 0600); required')
      .option('--no-set-active', 'register the certificate INACTIVE')
      .option('--force', 'overwrite existing output files'),
  examples: [
    'iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr && iotctl cert create --csr pi01.csr --out pi01.pem',
    'iotctl cert create --aws-keys --out pi02.pem --key-out pi02.key --json',
  ],
  async run(ctx, _args, o) {
    if (Boolean(o.csr) === Boolean(o.awsKeys)) {
      throw usageError('CERT_SOURCE', 'Pass exactly one of --csr <file> or --aws-keys.', 'prefer --csr: the private key never leaves the device');
    }
    const overwrite = o.force === true;
    const active = o.setActive;
    const certificates = await import('../../iot/certificates.js');
    let issued: { certificateId: string; certificateArn: string; certificatePem: string };
    let keyFile: string | undefined;
    if (o.csr) {
      const csr = await readUserFile(o.csr, 'CSR file');
      if (!csr.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
        throw usageError('INVALID_CSR', `${o.csr} is not a PEM certificate signing request.`, 'make one with: iotctl csr create --cn <thing> --new-key <key file> --out <csr file>');
      }
      await refuseToOverwrite([o.out], { overwrite });
      issued = await certificates.registerCertificate(await ctx.iot(), csr, { active });
    } else {
      if (!o.keyOut) throw usageError('MISSING_KEY_OUT', '--aws-keys needs --key-out <file> for the private key.', 'the private key is returned once and never printed');
      await refuseToOverwrite([o.keyOut, o.out], { overwrite });
      ctx.out.warn('with --aws-keys the private key is made by AWS and sent over the network; --csr keeps it on the device.');
      const created = await certificates.createKeysAndCertificate(await ctx.iot(), { active });
      await writeFileAtomic(o.keyOut, created.privateKey, { mode: 0o600, overwrite });
      issued = created;
      keyFile = o.keyOut;
    }
    if (o.out) await writeFileAtomic(o.out, issued.certificatePem, { overwrite });
    const summary = {
      certificateId: issued.certificateId,
      certificateArn: issued.certificateArn,
      status: active ? 'ACTIVE' : 'INACTIVE',
      certificateFile: o.out,
      privateKeyFile: keyFile,
      certificatePem: o.out ? undefined : issued.certificatePem,
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
    return ExitCode.OK;
  },
});

