import { collect, defineCommand, hiddenAlias } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME, THING_TYPE_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';
import { parseAttributes } from './attributes.js';

export default defineCommand({
  declare: (cmd) =>
    hiddenAlias(
      cmd
        .argument('<name>', 'thing name (letters, digits, : _ -)')
        .option('--attr <key=value>', 'attribute (repeatable; at most 3 without a thing type)', collect)
        .option('--thing-type <name>', 'thing type name'),
      '--type <name>',
      'thingType',
    ),
  examples: ['iotctl thing create lamp-1', 'iotctl thing create lamp-2 --attr room=kitchen --attr floor=1 --json'],
  async run(ctx, [name], o) {
    const thing = {
      thingName: requireName(THING_NAME, name),
      thingType: o.thingType === undefined ? undefined : requireName(THING_TYPE_NAME, o.thingType),
      attributes: parseAttributes(o.attr),
    };
    const { createThing } = await import('../../iot/things.js');
    const created = await createThing(await ctx.iot(), thing);
    ctx.out.result(created, (r) =>
      formatPairs([
        ['thing', r.thingName],
        ['arn', r.thingArn],
        ['id', r.thingId],
      ]),
    );
    return ExitCode.OK;
  },
});
