import { defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { readUserFile, refuseToOverwrite, writeFileAtomic } from '../../io/files.js';
import { createKeyFile, describeSpec, keyFormatFrom, keySpecFrom } from '../../identity/keys.js';
import { buildSubject } from '../../identity/subject.js';
import { addKeyTypeOptions } from '../key-options.js';

export default defineCommand({
  declare: (cmd) =>
    addKeyTypeOptions(
      cmd
        .requiredOption('--cn <thing name>', 'common name, usually the thing name')
        .option('--key <file>', 'sign with this existing private key')
        .option('--new-key <file>', 'make a new private key here (mode 0600) and sign with it')
        .option('--subject <fields>', 'more subject fields, e.g. "O=Acme,C=US"')
        .option('--out <file>', 'write the CSR here (default: print it)'),
    ).option('--force', 'overwrite existing files'),
  examples: ['iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr', 'iotctl csr create --cn pi01 --key pi01.key --subject "O=Acme,C=US" > pi01.csr'],
  async run(ctx, _args, o) {
    if (Boolean(o.key) === Boolean(o.newKey)) {
      throw usageError('KEY_SOURCE', 'Pass exactly one of --key <existing key file> or --new-key <file to create>.');
    }
    if (o.key && (o.keyType || o.bits || o.curve || o.format)) {
      throw usageError('INVALID_KEY_OPTIONS', '--key-type, --bits, --curve and --format apply to --new-key only.');
    }
    const subject = buildSubject(o.cn, o.subject);
    const overwrite = o.force === true;
    await refuseToOverwrite([o.newKey, o.out], { overwrite });
    const pki = await import('../../pki/index.js');
    let keyPair;
    let keyType: string;
    if (o.newKey) {
      const spec = keySpecFrom(o);
      keyPair = await createKeyFile(o.newKey, spec, keyFormatFrom(o, spec), overwrite);
      keyType = describeSpec(spec);
    } else {
      keyPair = pki.loadPrivateKey(await readUserFile(o.key!, 'private key file'));
      keyType = pki.describeKey(keyPair.privateKey);
    }
    const csr = await pki.createCsr({ keyPair, subject });
    if (o.out) await writeFileAtomic(o.out, csr, { overwrite });
    const result = { subject, keyType, privateKeyFile: o.newKey ?? o.key, csrFile: o.out, csr: o.out ? undefined : csr };
    // Without --out the CSR itself is the result, so `> pi01.csr` works.
    ctx.out.result(result, (r) => r.csr ?? `wrote CSR for ${r.subject} (${r.keyType}) to ${r.csrFile}`);
    return ExitCode.OK;
  },
});
