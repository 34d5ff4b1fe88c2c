import type { Command } from 'commander';
import type { CertificateStatus } from '@aws-sdk/client-iot';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireCertificateId } from '../../aws/principals.js';

/** The shared body of `cert activate | deactivate | revoke`. */
export function configureStatusChange(cmd: Command, verb: string): void {
  cmd.argument('<certificate>', 'certificate id (64 hex) or ARN');
  examples(cmd, [`iotctl cert ${verb} <certificate id>`, `iotctl cert ${verb} arn:aws:iot:us-east-1:123456789012:cert/<id> --json`]);
}

export async function setCertificateStatus(ctx: Context, idOrArn: string, newStatus: CertificateStatus): Promise<number> {
  const certificateId = requireCertificateId(idOrArn);
  const { UpdateCertificateCommand } = await import('@aws-sdk/client-iot');
  await (await ctx.iot()).send(new UpdateCertificateCommand({ certificateId, newStatus }));
  ctx.out.result({ certificateId, status: newStatus }, (r) => `${r.certificateId} is now ${r.status}`);
  return 0;
}
