import type { Command } from 'commander';
import { examples, hiddenAlias } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { collect } from '../../cli/options.js';
import { parseKeyValues, parsePositiveInt } from '../../core/parse.js';
import { usageError } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';
import { listAll } from '../../aws/paginate.js';

interface Options {
  attr?: string[];
  thingType?: string;
  max?: string;
}

export function configure(cmd: Command): void {
  cmd
    .option('--attr <key=value>', 'only things with this attribute value (AWS allows one)', collect)
    .option('--thing-type <name>', 'only things of this type')
    .option('-n, --max <n>', 'stop after n things (default: all)');
  hiddenAlias(cmd, '--type <name>', 'thingType');
  examples(cmd, ['iotctl thing list', 'iotctl thing list --attr room=kitchen --json']);
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  const filter = parseKeyValues(options.attr, '--attr');
  const entries = Object.entries(filter);
  if (entries.length > 1) throw usageError('TOO_MANY_FILTERS', 'ListThings filters on one attribute at a time.', 'pass --attr once');
  const max = options.max ? parsePositiveInt(options.max, '--max') : undefined;
  const { ListThingsCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const things = await listAll(async (nextToken) => {
    const page = await iot.send(
      new ListThingsCommand({ nextToken, maxResults: 250, thingTypeName: options.thingType, attributeName: entries[0]?.[0], attributeValue: entries[0]?.[1] }),
    );
    return { items: page.things ?? [], next: page.nextToken };
  }, max);
  ctx.out.result({ things }, (r, c) =>
    r.things.length === 0
      ? c.dim('no things')
      : formatTable(
          ['NAME', 'TYPE', 'ATTRIBUTES'],
          r.things.map((t) => [t.thingName ?? '', t.thingTypeName ?? '-', Object.entries(t.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-']),
        ),
  );
  return 0;
}
