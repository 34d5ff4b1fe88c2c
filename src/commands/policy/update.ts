import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';
import { IotctlError, ExitCode } from '../../core/errors.js';
import { addDocumentSourceOptions } from './document-options.js';
import type { DocumentSource as DocumentSourceOptions } from '../../policy/source.js';

/** AWS IoT keeps at most 5 versions of a policy. */
const MAX_VERSIONS = 5;

interface Options extends DocumentSourceOptions {
  prune?: boolean;
}

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name');
  addDocumentSourceOptions(cmd).option('--prune', 'at 5 versions, delete the oldest non-default version first');
  examples(cmd, [
    'iotctl policy render device --param prefix=dt --out device-v2.json',
    'iotctl policy update iotctl-device -f device-v2.json',
    'iotctl policy update iotctl-device --template device --prune',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const { loadDocument } = await import('../../policy/source.js');
  const { text, source } = await loadDocument(options, ctx.streams.stdin, (m) => ctx.out.warn(m));
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  const versions = (await iot.send(new sdk.ListPolicyVersionsCommand({ policyName }))).policyVersions ?? [];
  let pruned: string | undefined;
  if (versions.length >= MAX_VERSIONS) {
    const oldest = versions
      .filter((v) => !v.isDefaultVersion)
      .sort((a, b) => (a.createDate?.getTime() ?? 0) - (b.createDate?.getTime() ?? 0) || Number(a.versionId) - Number(b.versionId))[0];
    if (!options.prune || !oldest?.versionId) {
      throw new IotctlError('VersionsLimitExceededException', `The policy ${policyName} already has ${versions.length} versions, the most AWS IoT keeps.`, {
        exitCode: ExitCode.FAILURE,
        hint: `pass --prune to delete the oldest non-default version${oldest?.versionId ? ` (${oldest.versionId})` : ''} first`,
      });
    }
    await iot.send(new sdk.DeletePolicyVersionCommand({ policyName, policyVersionId: oldest.versionId }));
    pruned = oldest.versionId;
  }
  const created = await iot.send(new sdk.CreatePolicyVersionCommand({ policyName, policyDocument: text, setAsDefault: true }));
  ctx.out.result({ policyName, versionId: created.policyVersionId, isDefaultVersion: created.isDefaultVersion === true, prunedVersion: pruned, source }, (r) =>
    `${r.policyName}: version ${r.versionId} is now the default (from ${r.source})` + (r.prunedVersion ? `; deleted old version ${r.prunedVersion}` : ''),
  );
  return 0;
}
