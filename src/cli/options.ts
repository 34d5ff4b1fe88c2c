import { usageError } from '../core/errors.js';
import { checkName, type NameRule } from '../core/names.js';

/** commander reducer for repeatable options (`--attr a=1 --attr b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `k=v` pairs from a repeatable option, with the flag named in errors. */
export function parseKeyValues(pairs: string[] | undefined, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError('INVALID_KEY_VALUE', `${flag} expects key=value, got "${pair}".`, `e.g. ${flag} room=kitchen`);
    result[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return result;
}

/** Throws a usage error when a name breaks an AWS naming rule. */
export function requireName(rule: NameRule, value: string): string {
  const problem = checkName(rule, value);
  if (problem) throw usageError('INVALID_NAME', problem);
  return value;
}

/** A positive integer option value. */
export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw usageError('INVALID_NUMBER', `${flag} expects a positive whole number, got "${value}".`);
  return n;
}

/** Removes the SDK's response metadata before printing a result. */
export function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}
