/** What `cert activate | deactivate | revoke` share: one argument, one UpdateCertificate. */
import { defineCommand, type CommandModule } from '../define.js';
import type { CertificateStatus } from '../../iot/certificates.js';
import { ExitCode } from '../../core/errors.js';

export function certificateStatusCommand(verb: string, status: CertificateStatus): CommandModule {
  return defineCommand({
    declare: (cmd) => cmd.argument('<certificate>', 'certificate id (64 hex) or ARN'),
    examples: [`iotctl cert ${verb} <certificate id>`, `iotctl cert ${verb} arn:aws:iot:us-east-1:123456789012:cert/<id> --json`],
    async run(ctx, [certificate]) {
      const { requireCertificateId, setCertificateStatus } = await import('../../iot/certificates.js');
      const certificateId = requireCertificateId(certificate);
      await setCertificateStatus(await ctx.iot(), certificateId, status);
      ctx.out.result({ certificateId, status }, (r) => `${r.certificateId} is now ${r.status}`);
      return ExitCode.OK;
    },
  });
}
