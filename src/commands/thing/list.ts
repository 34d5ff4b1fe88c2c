import { collect, defineCommand, hiddenAlias } from '../define.js';
import { parseKeyValues, parsePositiveInt } from '../../core/parse.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';

export default defineCommand({
  declare: (cmd) =>
    hiddenAlias(
      cmd
        .option('--attr <key=value>', 'only things with this attribute value (AWS allows one)', collect)
        .option('--thing-type <name>', 'only things of this type')
        .option('-n, --max <n>', 'stop after n things (default: all)'),
      '--type <name>',
      'thingType',
    ),
  examples: ['iotctl thing list', 'iotctl thing list --attr room=kitchen --json'],
  async run(ctx, _args, o) {
    const attributes = Object.entries(parseKeyValues(o.attr, '--attr'));
    if (attributes.length > 1) throw usageError('TOO_MANY_FILTERS', 'ListThings filters on one attribute at a time.', 'pass --attr once');
    const [name, value] = attributes[0] ?? [];
    const filter = {
      attribute: name === undefined ? undefined : { name, value: value! },
      thingType: o.thingType,
      max: o.max ? parsePositiveInt(o.max, '--max') : undefined,
    };
    const { listThings } = await import('../../iot/things.js');
    const things = await listThings(await ctx.iot(), filter);
    ctx.out.result({ things }, (r, c) =>
      r.things.length === 0
        ? c.dim('no things')
        : formatTable(
            ['NAME', 'TYPE', 'ATTRIBUTES'],
            r.things.map((t) => [t.thingName ?? '', t.thingTypeName ?? '-', Object.entries(t.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-']),
          ),
    );
    return ExitCode.OK;
  },
});
