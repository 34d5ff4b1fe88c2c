import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { formatPairs } from '../../io/table.js';
import { paintStatus } from './paint.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<certificate>', 'certificate id (64 hex) or ARN').option('--pem', 'print only the certificate PEM'),
  examples: ['iotctl cert describe <certificate id>', 'iotctl cert describe <certificate id> --pem > device.pem'],
  async run(ctx, [certificate], o) {
    const { describeCertificate, requireCertificateId } = await import('../../iot/certificates.js');
    const described = await describeCertificate(await ctx.iot(), requireCertificateId(certificate));
    ctx.out.result(described, (r, c) =>
      o.pem
        ? (r.certificatePem ?? '')
        : formatPairs([
            ['certificate id', r.certificateId],
            ['arn', r.certificateArn],
            ['status', paintStatus(r.status ?? '', c)],
            ['valid', `${r.notBefore?.toISOString() ?? '?'} .. ${r.notAfter?.toISOString() ?? '?'}`],
            ['policies', r.policies.join(', ') || c.dim('(none)')],
            ['things', r.things.join(', ') || c.dim('(none)')],
          ]),
    );
    return ExitCode.OK;
  },
});
