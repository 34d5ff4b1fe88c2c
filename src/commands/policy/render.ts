import { collect, defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { lintPolicy, renderTemplate } from '../../core/policy/index.js';
import { parsePairs } from '../../core/parse.js';
import { writeFileAtomic } from '../../io/files.js';
import { loadTemplate } from '../../policy-documents/templates.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .argument('<template>', 'template name (see: iotctl policy templates)')
      .option('-p, --param <name=value>', 'a template parameter (repeatable); region and account default to *', collect)
      .option('-o, --out <file>', 'write the policy to a file instead of stdout')
      .option('--force', 'replace --out if it exists'),
  examples: [
    'iotctl policy render device',
    'iotctl policy render home --param homeId=123_aws_ave --param region=us-east-1 --param account=123456789012',
    'iotctl policy render cognito-user --param prefix=foo --out cognito-user.json',
    'iotctl policy render device --json | jq .size',
  ],
  async run(ctx, [templateName], o) {
    const template = await loadTemplate(templateName);
    const rendered = renderTemplate(template, Object.fromEntries(parsePairs(o.param, '--param')));
    for (const w of lintPolicy(rendered.parsed)) {
      if (w.severity === 'warning') ctx.out.warn(`${w.path ? w.path + ': ' : ''}${w.message}`);
      else ctx.out.log(`note: ${w.message}`);
    }
    if (o.out) await writeFileAtomic(o.out, rendered.text + '\n', { overwrite: o.force === true, overwriteFlag: '--force' });
    const result = {
      template: rendered.template,
      parameters: rendered.parameters,
      size: rendered.parsed.size,
      maxSize: rendered.parsed.maxSize,
      file: o.out ?? null,
      document: rendered.document,
    };
    ctx.out.result(result, (r, c) =>
      r.file ? `${c.green('wrote')} ${r.file} ${c.dim(`(${r.template}, ${r.size} of ${r.maxSize} characters)`)}` : rendered.text,
    );
    return ExitCode.OK;
  },
});
