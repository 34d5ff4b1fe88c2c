import { defineCommand, hiddenAlias } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { parseRootChoice, rootCaFor } from '../../aws/root-ca.js';

export default defineCommand({
  declare: (cmd) =>
    hiddenAlias(
      cmd
        .option('--out <file>', 'write the CA here (default: print it)')
        .option('--root-ca <rsa|ec|all>', 'Amazon Root CA 1 (rsa, default), 3 (ec), or both (as provision --root-ca)', 'rsa')
        .option('--force', 'overwrite an existing file'),
      '--key <rsa|ec|all>',
      'rootCa',
    ),
  examples: ['iotctl ca fetch --out root-ca.pem', 'iotctl --profile local ca fetch --out local-ca.pem'],
  async run(ctx, _args, o) {
    const { pem, source } = rootCaFor(await ctx.settings(), parseRootChoice(o.rootCa));
    if (!o.out) {
      ctx.out.result({ source, pem }, (r) => r.pem);
      return ExitCode.OK;
    }
    await writeFileAtomic(o.out, pem, { overwrite: o.force === true });
    ctx.out.result({ source, file: o.out }, (r) => `wrote ${r.source} to ${r.file}`);
    return ExitCode.OK;
  },
});
