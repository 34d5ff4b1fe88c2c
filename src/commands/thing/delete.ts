import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';
import { IotctlError } from '../../core/errors.js';
import { thingPrincipals } from '../../aws/principals.js';

interface Options {
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'thing name').option('--force', 'detach its principals (certificates) first');
  examples(cmd, ['iotctl thing delete pi01   # exit 1: refused while a certificate is attached', 'iotctl thing delete pi01 --force']);
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const thingName = requireName(THING_NAME, args[0] as string);
  const { DeleteThingCommand, DetachThingPrincipalCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const principals = await thingPrincipals(iot, thingName).catch((err: { name?: string }) => {
    // Deleting a thing that does not exist succeeds on AWS; keep that.
    if (err.name === 'ResourceNotFoundException') return [];
    throw err;
  });
  if (principals.length > 0 && !options.force) {
    throw new IotctlError('THING_HAS_PRINCIPALS', `The thing ${thingName} is still attached to ${principals.length} principal(s): ${principals.join(', ')}.`, { conflict: true });
  }
  for (const principal of principals) {
    await iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
  }
  await iot.send(new DeleteThingCommand({ thingName }));
  ctx.out.result({ thingName, deleted: true, detachedPrincipals: principals }, (r) =>
    [`deleted thing ${r.thingName}`, ...r.detachedPrincipals.map((p) => `  detached ${p}`)].join('\n'),
  );
  return 0;
}
