import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { requireName } from '../../core/parse.js';
import { POLICY_NAME } from '../../core/names.js';

export function configure(cmd: Command): void {
  cmd.argument('<name>', 'policy name').option('--version <id>', 'a specific version (default: the default version)');
  examples(cmd, ['iotctl policy get iotctl-device', 'iotctl policy get iotctl-device --version 1 --json']);
}

export async function run(ctx: Context, args: unknown[], options: { version?: string }): Promise<number> {
  const policyName = requireName(POLICY_NAME, args[0] as string);
  const sdk = await import('@aws-sdk/client-iot');
  const iot = await ctx.iot();
  let result: { policyName: string; policyArn?: string; versionId?: string; isDefaultVersion: boolean; document: unknown };
  if (options.version) {
    const v = await iot.send(new sdk.GetPolicyVersionCommand({ policyName, policyVersionId: options.version }));
    result = { policyName, policyArn: v.policyArn, versionId: v.policyVersionId, isDefaultVersion: v.isDefaultVersion === true, document: parse(v.policyDocument) };
  } else {
    const p = await iot.send(new sdk.GetPolicyCommand({ policyName }));
    result = { policyName, policyArn: p.policyArn, versionId: p.defaultVersionId, isDefaultVersion: true, document: parse(p.policyDocument) };
  }
  // Human output is the document itself, so `iotctl policy get x > x.json` round-trips.
  ctx.out.result(result, (r) => JSON.stringify(r.document, null, 2));
  return 0;
}

function parse(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return text;
  }
}
