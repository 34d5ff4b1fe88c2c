import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'thing name').option('--force', 'detach its principals (certificates) first'),
  examples: ['iotctl thing delete pi01   # exit 1: refused while a certificate is attached', 'iotctl thing delete pi01 --force'],
  async run(ctx, [name], o) {
    const thingName = requireName(THING_NAME, name);
    const { deleteThing } = await import('../../iot/things.js');
    const deleted = await deleteThing(await ctx.iot(), thingName, { force: o.force === true });
    ctx.out.result(deleted, (r) => [`deleted thing ${r.thingName}`, ...r.detachedPrincipals.map((p) => `  detached ${p}`)].join('\n'));
    return ExitCode.OK;
  },
});
