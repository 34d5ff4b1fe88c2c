import { usageError } from '../../core/errors.js';
import { ATTRIBUTE_NAME, ATTRIBUTE_VALUE, checkName } from '../../core/names.js';
import { parseKeyValues } from '../../core/parse.js';

/** `--attr k=v` pairs, checked against AWS IoT's attribute rules; undefined when none were given. */
export function parseAttributes(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const attributes = parseKeyValues(pairs, '--attr');
  for (const [name, value] of Object.entries(attributes)) {
    const problem = checkName(ATTRIBUTE_NAME, name) ?? checkName(ATTRIBUTE_VALUE, value);
    if (problem) throw usageError('INVALID_ATTRIBUTE', problem);
  }
  return attributes;
}
