import { defineCommand } from './define.js';
import { ExitCode } from '../core/errors.js';
import { refuseToOverwrite, writeFileAtomic } from '../io/files.js';
import { createKeyFile, describeSpec, keyFormatFrom, keySpecFrom } from '../identity/keys.js';
import { addKeyTypeOptions } from './key-options.js';

export default defineCommand({
  declare: (cmd) =>
    addKeyTypeOptions(cmd.requiredOption('--out <file>', 'private key file (written with mode 0600; never printed)'))
      .option('--public-out <file>', 'also write the public key (SPKI PEM)')
      .option('--force', 'overwrite existing files'),
  examples: ['iotctl keygen --out pi01.key', 'iotctl keygen --key-type rsa --bits 3072 --out pi02.key --json'],
  async run(ctx, _args, o) {
    const spec = keySpecFrom(o);
    const format = keyFormatFrom(o, spec);
    const overwrite = o.force === true;
    await refuseToOverwrite([o.out, o.publicOut], { overwrite });
    const keyPair = await createKeyFile(o.out, spec, format, overwrite);
    if (o.publicOut) {
      const { publicKeyToPem } = await import('../pki/keys.js');
      await writeFileAtomic(o.publicOut, publicKeyToPem(keyPair.publicKey), { overwrite });
    }
    ctx.out.result({ privateKeyFile: o.out, publicKeyFile: o.publicOut, keyType: describeSpec(spec), format }, (r) =>
      `wrote ${r.keyType} private key (${r.format}, mode 0600) to ${r.privateKeyFile}` + (r.publicKeyFile ? `\nwrote public key to ${r.publicKeyFile}` : ''),
    );
    return ExitCode.OK;
  },
});
