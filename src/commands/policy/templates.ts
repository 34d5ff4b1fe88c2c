import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { BUILTIN_PARAMETERS, templateParameters } from '../../core/policy/index.js';
import { loadTemplates } from '../../policy-documents/templates.js';

export default defineCommand({
  declare: (cmd) => cmd,
  examples: ['iotctl policy templates', 'iotctl policy templates --json | jq -r ".templates[].name"'],
  async run(ctx) {
    const templates = await loadTemplates();
    const result = {
      templates: templates.map((t) => ({
        name: t.name,
        description: t.description,
        parameters: templateParameters(t).map((p) => ({
          name: p.name,
          description: p.description,
          required: p.required === true,
          pattern: p.pattern ?? null,
          default: p.default ?? null,
          builtin: BUILTIN_PARAMETERS.some((b) => b.name === p.name) && !t.parameters.some((own) => own.name === p.name),
        })),
      })),
    };
    ctx.out.result(result, (r, c) => {
      const lines: string[] = [];
      for (const t of r.templates) {
        lines.push(`${c.bold(t.name)}  ${t.description}`);
        const own = t.parameters.filter((p) => !p.builtin);
        for (const p of own) {
          const how = p.required ? c.yellow('required') : `default ${JSON.stringify(p.default)}`;
          lines.push(`    ${p.name}  ${p.description} ${c.dim(`(${how})`)}`);
        }
        if (own.length === 0) lines.push(c.dim('    (no parameters)'));
        lines.push('');
      }
      lines.push(c.dim(`Every template also takes region and account (default "*"). Render one: iotctl policy render <template> --param name=value`));
      return lines.join('\n');
    });
    return ExitCode.OK;
  },
});
