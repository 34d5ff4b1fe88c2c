/** The document options of `policy create` and `policy update` (read by policy-documents/source.ts). */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { collect } from '../define.js';

export function addDocumentSourceOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('-f, --file <file>', 'the policy document (- reads stdin)')
    .option('--template <name>', 'render the document from a template (iotctl policy templates)')
    .option('-p, --param <key=value>', 'template parameter (repeatable)', collect);
}
