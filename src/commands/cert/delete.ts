import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<certificate>', 'certificate id (64 hex) or ARN').option('--force', 'deactivate it and detach its policies and things first'),
  examples: [
    'iotctl cert delete <certificate id>   # exit 1: refused while ACTIVE or attached (--force cleans up first)',
    'iotctl cert delete <certificate id> --force --json',
  ],
  async run(ctx, [certificate], o) {
    const { deleteCertificate, requireCertificateId } = await import('../../iot/certificates.js');
    const deleted = await deleteCertificate(await ctx.iot(), requireCertificateId(certificate), { force: o.force === true });
    ctx.out.result(deleted, (r) =>
      [
        `deleted certificate ${r.certificateId}`,
        ...r.detachedPolicies.map((p) => `  detached policy ${p}`),
        ...r.detachedThings.map((t) => `  detached from thing ${t}`),
      ].join('\n'),
    );
    return ExitCode.OK;
  },
});
