/**
 * Values as people type them on a command line, checked once for every
 * caller (commands and libraries alike): `key=value` pairs, whole numbers,
 * AWS names. Each problem is a usage error (exit 2) naming the flag. Pure.
 */
import { usageError } from './errors.js';
import { checkName, type NameRule } from './names.js';

/** `NAME=VALUE` items of a repeatable flag, in order; the value may contain `=`. */
export function parsePairs(items: readonly string[] | undefined, flag: string): [string, string][] {
  return (items ?? []).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usageError('INVALID_KEY_VALUE', `${flag} expects key=value, got "${item}".`, `e.g. ${flag} ${flag === '--param' ? 'homeId=123_aws_ave' : 'room=kitchen'}`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/** The same as a record: a later key wins. A table without a prototype, so a key such as `__proto__` is only a key. */
export function parseKeyValues(items: readonly string[] | undefined, flag: string): Record<string, string> {
  const result: Record<string, string> = Object.create(null);
  for (const [key, value] of parsePairs(items, flag)) result[key] = value;
  return { ...result };
}

/** A whole number of at least `min` (default 1). */
export function parsePositiveInt(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw usageError('INVALID_NUMBER', `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}".`);
  }
  return n;
}

/** Throws a usage error when a name breaks an AWS naming rule. */
export function requireName(rule: NameRule, value: string): string {
  const problem = checkName(rule, value);
  if (problem) throw usageError('INVALID_NAME', problem);
  return value;
}
