/** The document options of `policy create` and `policy update` (read by policy/source.ts). */
import type { Command } from 'commander';
import { collect } from '../../cli/options.js';

export function addDocumentSourceOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', 'the policy document (- reads stdin)')
    .option('--template <name>', 'render the document from a template (iotctl policy templates)')
    .option('-p, --param <key=value>', 'template parameter (repeatable)', collect);
}
