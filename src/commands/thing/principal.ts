/** What `thing attach` and `thing detach` share: the thing, the certificate, one call. */
import { defineCommand, type CommandModule } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { requireName } from '../../core/parse.js';
import { THING_NAME } from '../../core/names.js';

export function thingPrincipalCommand(change: 'attach' | 'detach'): CommandModule {
  return defineCommand({
    declare: (cmd) => {
      const declared = cmd.argument('<thing>', 'thing name').requiredOption('--principal <cert ARN | cert id>', 'the certificate (ARN or 64-hex id)');
      return change === 'attach' ? declared.option('--exclusive', 'EXCLUSIVE_THING: this certificate may be attached to this thing only') : declared;
    },
    examples: [`iotctl thing ${change} pi01 --principal arn:aws:iot:us-east-1:123456789012:cert/<id>`],
    async run(ctx, [thing], o) {
      const thingName = requireName(THING_NAME, thing);
      const [{ resolveCertificateArn }, things] = await Promise.all([import('../../iot/certificates.js'), import('../../iot/things.js')]);
      const iot = await ctx.iot();
      const principal = await resolveCertificateArn(iot, o.principal);
      if (change === 'attach') await things.attachThingPrincipal(iot, thingName, principal, { exclusive: 'exclusive' in o && o.exclusive === true });
      else await things.detachThingPrincipal(iot, thingName, principal);
      ctx.out.result({ thingName, principal, [change === 'attach' ? 'attached' : 'detached']: true }, () =>
        change === 'attach' ? `attached ${principal} to ${thingName}` : `detached ${principal} from ${thingName}`,
      );
      return ExitCode.OK;
    },
  });
}
