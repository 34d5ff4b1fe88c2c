/** A policy document from a file (or `-`), or rendered from a template: shared by `policy create` and `policy update`. */
import { usageError } from '../core/errors.js';
import { parseKeyValues } from '../core/parse.js';
import type { InStream } from '../io/streams.js';

export interface DocumentSource {
  file?: string;
  template?: string;
  param?: string[];
}

/** The document text, validated (errors are usage errors; lint warnings go to `warn`). */
export async function loadDocument(source: DocumentSource, stdin: InStream, warn: (message: string) => void): Promise<{ text: string; source: string }> {
  if (Boolean(source.file) === Boolean(source.template)) {
    throw usageError('POLICY_SOURCE', 'Pass exactly one of --file <policy.json> or --template <name>.', 'iotctl policy templates lists the templates');
  }
  if (source.template) {
    const { loadTemplate } = await import('./templates.js');
    const { renderTemplate } = await import('../core/policy/template.js');
    const rendered = renderTemplate(await loadTemplate(source.template), parseKeyValues(source.param, '--param'));
    return { text: rendered.text, source: `template ${source.template}` };
  }
  if (source.param?.length) throw usageError('PARAM_WITHOUT_TEMPLATE', '--param goes with --template.');
  const { readPolicyFile, requireValid } = await import('./files.js');
  const file = await readPolicyFile(source.file!, stdin, 'iot');
  requireValid(file, 'iot');
  for (const w of file.warnings) warn(`${file.name}: ${w.message}`);
  return { text: file.text, source: file.name };
}
