import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { lintPolicy, renderTemplate } from '../../core/policy/index.js';
import { writeFileAtomic } from '../../io/files.js';
import { loadTemplate } from '../../policy/templates.js';
import { collect } from '../../cli/options.js';
import { parsePairs } from '../../core/parse.js';

interface Options {
  param?: string[];
  out?: string;
  force?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .argument('<template>', 'template name (see: iotctl policy templates)')
    .option('-p, --param <name=value>', 'a template parameter (repeatable); region and account default to *', collect)
    .option('-o, --out <file>', 'write the policy to a file instead of stdout')
    .option('--force', 'replace --out if it exists');
  examples(cmd, [
    'iotctl policy render device',
    'iotctl policy render home --param homeId=123_aws_ave --param region=us-east-1 --param account=123456789012',
    'iotctl policy render cognito-user --param prefix=foo --out cognito-user.json',
    'iotctl policy render device --json | jq .size',
  ]);
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const template = await loadTemplate(args[0] as string);
  const rendered = renderTemplate(template, Object.fromEntries(parsePairs(options.param, '--param')));
  for (const w of lintPolicy(rendered.parsed)) {
    if (w.severity === 'warning') ctx.out.warn(`${w.path ? w.path + ': ' : ''}${w.message}`);
    else ctx.out.log(`note: ${w.message}`);
  }
  if (options.out) await writeFileAtomic(options.out, rendered.text + '\n', { overwrite: options.force === true, overwriteFlag: '--force' });
  const result = {
    template: rendered.template,
    parameters: rendered.parameters,
    size: rendered.parsed.size,
    maxSize: rendered.parsed.maxSize,
    file: options.out ?? null,
    document: rendered.document,
  };
  ctx.out.result(result, (r, c) =>
    r.file ? `${c.green('wrote')} ${r.file} ${c.dim(`(${r.template}, ${r.size} of ${r.maxSize} characters)`)}` : rendered.text,
  );
  return 0;
}
