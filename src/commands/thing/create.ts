import type { Command } from 'commander';
import { examples, hiddenAlias } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { collect, withoutMetadata } from '../../cli/options.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME, THING_TYPE_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';
import { parseAttributes } from './attributes.js';

interface Options {
  attr?: string[];
  thingType?: string;
}

export function configure(cmd: Command): void {
  cmd
    .argument('<name>', 'thing name (letters, digits, : _ -)')
    .option('--attr <key=value>', 'attribute (repeatable; at most 3 without a thing type)', collect)
    .option('--thing-type <name>', 'thing type name');
  hiddenAlias(cmd, '--type <name>', 'thingType');
  examples(cmd, ['iotctl thing create lamp-1', 'iotctl thing create lamp-2 --attr room=kitchen --attr floor=1 --json']);
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const thingName = requireName(THING_NAME, args[0] as string);
  if (options.thingType) requireName(THING_TYPE_NAME, options.thingType);
  const attributes = parseAttributes(options.attr);
  const { CreateThingCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const created = await iot.send(
    new CreateThingCommand({ thingName, thingTypeName: options.thingType, attributePayload: attributes ? { attributes } : undefined }),
  );
  ctx.out.result(withoutMetadata(created), (r) =>
    formatPairs([
      ['thing', r.thingName],
      ['arn', r.thingArn],
      ['id', r.thingId],
    ]),
  );
  return 0;
}
