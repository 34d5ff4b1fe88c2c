import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';
import { resolveCertificateArn } from '../../aws/principals.js';

export function configurePrincipalChange(cmd: Command): void {
  cmd.argument('<thing>', 'thing name').requiredOption('--principal <cert ARN | cert id>', 'the certificate (ARN or 64-hex id)');
}

/** AttachThingPrincipal / DetachThingPrincipal with a certificate given by ARN or id. */
export async function changeThingPrincipal(
  ctx: Context,
  change: 'attach' | 'detach',
  thing: string,
  options: { principal: string; exclusive?: boolean },
): Promise<number> {
  const thingName = requireName(THING_NAME, thing);
  const iot = await ctx.iot();
  const principal = await resolveCertificateArn(iot, options.principal);
  const sdk = await import('@aws-sdk/client-iot');
  if (change === 'attach') {
    await iot.send(new sdk.AttachThingPrincipalCommand({ thingName, principal, thingPrincipalType: options.exclusive ? 'EXCLUSIVE_THING' : undefined }));
  } else {
    await iot.send(new sdk.DetachThingPrincipalCommand({ thingName, principal }));
  }
  ctx.out.result({ thingName, principal, [change === 'attach' ? 'attached' : 'detached']: true }, () =>
    change === 'attach' ? `attached ${principal} to ${thingName}` : `detached ${principal} from ${thingName}`,
  );
  return 0;
}
