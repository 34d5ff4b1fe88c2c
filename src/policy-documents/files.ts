/** Policy documents from files or stdin (`-`), parsed and linted; shared by every command that reads one. */
import { usageError } from '../core/errors.js';
import { lintPolicy, parsePolicy, type ParsedPolicy, type PolicyInput, type PolicyKind, type PolicyWarning } from '../core/policy/index.js';
import { readUserFile } from '../io/files.js';
import type { InStream } from '../io/streams.js';

async function readStdin(stdin: InStream): Promise<string> {
  if (stdin.isTTY) throw usageError('STDIN_IS_TERMINAL', 'Reading the policy from stdin ("-"), but stdin is a terminal.', 'pipe a document in (cat policy.json | iotctl policy validate -) or pass a file');
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}

export interface PolicyFile {
  /** The name shown in explanations: the path as given, or "stdin". */
  name: string;
  text: string;
  parsed: ParsedPolicy;
  warnings: PolicyWarning[];
}

/** Reads and validates a policy document from a file or `-` (stdin); never throws on invalid content. */
export async function readPolicyFile(file: string, stdin: InStream, kind: PolicyKind = 'iot'): Promise<PolicyFile> {
  const text = file === '-' ? await readStdin(stdin) : await readUserFile(file, 'policy file');
  const parsed = parsePolicy(text, { kind });
  return { name: file === '-' ? 'stdin' : file, text, parsed, warnings: parsed.errors.length === 0 ? lintPolicy(parsed, { kind }) : [] };
}

/** A valid policy as evaluator input; a usage error (first problem, and a pointer to validate) otherwise. */
export function requireValid(file: PolicyFile, kind: PolicyKind = 'iot'): PolicyInput {
  const { errors } = file.parsed;
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (${errors.length - 1} more)` : '';
    throw usageError('MALFORMED_POLICY', `${file.name} is not a valid policy: ${errors[0]!.message}${more}`, `see every problem with: iotctl policy validate ${file.name === 'stdin' ? '-' : file.name}`, {
      problems: errors,
    });
  }
  return { name: file.name, document: file.text, kind };
}
