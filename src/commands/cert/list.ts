import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { parsePositiveInt } from '../../core/parse.js';
import { usageError } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';
import { listAll } from '../../aws/paginate.js';

const STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'];

export function configure(cmd: Command): void {
  cmd.option('--status <status>', `only certificates in this status (${STATUSES.slice(0, 3).join(', ')}, ...)`).option('-n, --max <n>', 'stop after n certificates');
  examples(cmd, ['iotctl cert list', 'iotctl cert list --status ACTIVE --json']);
}

export async function run(ctx: Context, _args: unknown[], options: { status?: string; max?: string }): Promise<number> {
  const status = options.status?.toUpperCase();
  if (status && !STATUSES.includes(status)) throw usageError('INVALID_STATUS', `Unknown status "${options.status}".`, `one of: ${STATUSES.join(', ')}`);
  const max = options.max ? parsePositiveInt(options.max, '--max') : undefined;
  const { ListCertificatesCommand } = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const all = await listAll(async (marker) => {
    const page = await iot.send(new ListCertificatesCommand({ marker, pageSize: 250 }));
    return { items: page.certificates ?? [], next: page.nextMarker };
  });
  const certificates = all.filter((c) => !status || c.status === status).slice(0, max);
  ctx.out.result({ certificates }, (r, c) =>
    r.certificates.length === 0
      ? c.dim('no certificates')
      : formatTable(
          ['CERTIFICATE ID', 'STATUS', 'CREATED'],
          r.certificates.map((cert) => [cert.certificateId ?? '', paintStatus(cert.status ?? '', c), cert.creationDate?.toISOString() ?? '']),
        ),
  );
  return 0;
}

export function paintStatus(status: string, c: { green: (s: string) => string; red: (s: string) => string; yellow: (s: string) => string }): string {
  if (status === 'ACTIVE') return c.green(status);
  if (status === 'REVOKED') return c.red(status);
  return c.yellow(status);
}
