import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<name>', 'thing name'),
  examples: ['iotctl thing describe pi01', 'iotctl thing describe pi01 --json | jq .principals'],
  async run(ctx, [name]) {
    const thingName = requireName(THING_NAME, name);
    const { describeThing } = await import('../../iot/things.js');
    const thing = await describeThing(await ctx.iot(), thingName);
    ctx.out.result(thing, (r, c) =>
      formatPairs([
        ['thing', c.bold(r.thingName ?? '')],
        ['arn', r.thingArn],
        ['id', r.thingId],
        ['type', r.thingTypeName],
        ['version', String(r.version)],
        ['attributes', Object.entries(r.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || c.dim('(none)')],
        ['principals', r.principals.length ? r.principals.join('\n' + ' '.repeat(12)) : c.dim('(none)')],
      ]),
    );
    return ExitCode.OK;
  },
});
