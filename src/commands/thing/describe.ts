import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { withoutMetadata } from '../../cli/options.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';
import { formatPairs } from '../../io/table.js';
import { thingPrincipals } from '../../aws/principals.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'thing name');
  examples(cmd, ['iotctl thing describe pi01', 'iotctl thing describe pi01 --json | jq .principals']);
}

export async function run(ctx: Context, args: unknown[]): Promise<number> {
  const thingName = requireName(THING_NAME, args[0] as string);
  const { DescribeThingCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const thing = withoutMetadata(await iot.send(new DescribeThingCommand({ thingName })));
  const principals = await thingPrincipals(iot, thingName);
  ctx.out.result({ ...thing, principals }, (r, c) =>
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
  return 0;
}
