import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { formatPairs } from '../../io/table.js';
import { attachedPolicyNames, principalThings, requireCertificateId } from '../../aws/principals.js';
import { paintStatus } from './list.js';

export function configure(cmd: Command): void {
  cmd.argument('<certificate>', 'certificate id (64 hex) or ARN').option('--pem', 'print only the certificate PEM');
  examples(cmd, ['iotctl cert describe <certificate id>', 'iotctl cert describe <certificate id> --pem > device.pem']);
}

export async function run(ctx: Context, args: unknown[], options: { pem?: boolean }): Promise<number> {
  const certificateId = requireCertificateId(args[0] as string);
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const { certificateDescription: d } = await iot.send(new sdk.DescribeCertificateCommand({ certificateId }));
  const arn = d?.certificateArn ?? '';
  const [policies, things] = await Promise.all([attachedPolicyNames(iot, arn), principalThings(iot, arn)]);
  if (options.pem && !ctx.out.json) {
    ctx.out.stdout.write(d?.certificatePem ?? '');
    return 0;
  }
  const result = {
    certificateId: d?.certificateId,
    certificateArn: arn,
    status: d?.status,
    creationDate: d?.creationDate,
    notBefore: d?.validity?.notBefore,
    notAfter: d?.validity?.notAfter,
    caCertificateId: d?.caCertificateId,
    policies,
    things,
    certificatePem: d?.certificatePem,
  };
  ctx.out.result(result, (r, c) =>
    formatPairs([
      ['certificate id', r.certificateId],
      ['arn', r.certificateArn],
      ['status', paintStatus(r.status ?? '', c)],
      ['valid', `${r.notBefore?.toISOString() ?? '?'} .. ${r.notAfter?.toISOString() ?? '?'}`],
      ['policies', r.policies.join(', ') || c.dim('(none)')],
      ['things', r.things.join(', ') || c.dim('(none)')],
    ]),
  );
  return 0;
}
