import { defineCommand } from '../define.js';
import type { CertificateStatus } from '../../iot/certificates.js';
import { parsePositiveInt } from '../../core/parse.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';
import { paintStatus } from './paint.js';

export default defineCommand({
  declare: (cmd) => cmd.option('--status <status>', 'only certificates in this status (ACTIVE, INACTIVE, REVOKED, ...)').option('-n, --max <n>', 'stop after n certificates'),
  examples: ['iotctl cert list', 'iotctl cert list --status ACTIVE --json'],
  async run(ctx, _args, o) {
    const { CERTIFICATE_STATUSES, listCertificates } = await import('../../iot/certificates.js');
    const status = o.status?.toUpperCase();
    if (status && !(CERTIFICATE_STATUSES as readonly string[]).includes(status)) {
      throw usageError('INVALID_STATUS', `Unknown status "${o.status}".`, `one of: ${CERTIFICATE_STATUSES.join(', ')}`);
    }
    const max = o.max ? parsePositiveInt(o.max, '--max') : undefined;
    const certificates = await listCertificates(await ctx.iot(), { status: status as CertificateStatus | undefined, max });
    ctx.out.result({ certificates }, (r, c) =>
      r.certificates.length === 0
        ? c.dim('no certificates')
        : formatTable(
            ['CERTIFICATE ID', 'STATUS', 'CREATED'],
            r.certificates.map((cert) => [cert.certificateId ?? '', paintStatus(cert.status ?? '', c), cert.creationDate?.toISOString() ?? '']),
          ),
    );
    return ExitCode.OK;
  },
});
