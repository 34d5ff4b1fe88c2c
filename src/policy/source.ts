import type { Command } from 'commander';
import type { Context } from '../cli/context.js';
import { usageError } from '../core/errors.js';
import { collect } from '../cli/options.js';

/** A policy document from --file (or -), or rendered from --template/--param: shared by create and update. */
export interface DocumentSourceOptions {
  file?: string;
  template?: string;
  param?: string[];
}

export function addDocumentSourceOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', 'the policy document (- reads stdin)')
    .option('--template <name>', 'render the document from a template (iotctl policy templates)')
    .option('--param <key=value>', 'template parameter (repeatable)', collect);
}

/** The document text, validated (errors are usage errors; lint warnings go to stderr). */
export async function documentFrom(ctx: Context, options: DocumentSourceOptions): Promise<{ text: string; source: string }> {
  if (Boolean(options.file) === Boolean(options.template)) {
    throw usageError('POLICY_SOURCE', 'Pass exactly one of --file <policy.json> or --template <name>.', 'iotctl policy templates lists the templates');
  }
  if (options.template) {
    const { loadTemplate } = await import('./templates.js');
    const { renderTemplate } = await import('../core/policy/template.js');
    const { parseKeyValues } = await import('../cli/options.js');
    const rendered = renderTemplate(await loadTemplate(options.template), parseKeyValues(options.param, '--param'));
    return { text: rendered.text, source: `template ${options.template}` };
  }
  if (options.param?.length) throw usageError('PARAM_WITHOUT_TEMPLATE', '--param goes with --template.');
  const { readPolicyFile, requireValid } = await import('../commands/policy/shared.js');
  const file = await readPolicyFile(options.file!, ctx.streams.stdin, 'iot');
  requireValid(file, 'iot');
  for (const w of file.warnings) ctx.out.warn(`${file.name}: ${w.message}`);
  return { text: file.text, source: file.name };
}
