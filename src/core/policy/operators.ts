/**
 * Condition operators: names (with the ForAnyValue:/ForAllValues: prefixes and
 * the IfExists suffix) and the values each accepts. Shared by the validator and
 * the condition compiler.
 */
import { parseCidr } from './ip.js';

export type OperatorFamily = 'string' | 'like' | 'arn' | 'bool' | 'ip' | 'null' | 'numeric';
export type NumericCompare = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

export interface OperatorSpec {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  name: string;
  /** Without prefix and suffix, e.g. `StringLike`. */
  base: string;
  family: OperatorFamily;
  /** StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike, NotIpAddress, NumericNotEquals. */
  negated: boolean;
  ignoreCase: boolean;
  set?: 'any' | 'all';
  ifExists: boolean;
  compare?: NumericCompare;
}

type Base = Omit<OperatorSpec, 'name' | 'base' | 'set' | 'ifExists'>;

/** Looked up by names from policy documents: a Map, so `constructor` or `toString` is just unknown. */
const BASES: ReadonlyMap<string, Base> = new Map(Object.entries({
  StringEquals: { family: 'string', negated: false, ignoreCase: false },
  StringNotEquals: { family: 'string', negated: true, ignoreCase: false },
  StringEqualsIgnoreCase: { family: 'string', negated: false, ignoreCase: true },
  StringNotEqualsIgnoreCase: { family: 'string', negated: true, ignoreCase: true },
  StringLike: { family: 'like', negated: false, ignoreCase: false },
  StringNotLike: { family: 'like', negated: true, ignoreCase: false },
  ArnEquals: { family: 'arn', negated: false, ignoreCase: false },
  ArnLike: { family: 'arn', negated: false, ignoreCase: false },
  ArnNotEquals: { family: 'arn', negated: true, ignoreCase: false },
  ArnNotLike: { family: 'arn', negated: true, ignoreCase: false },
  Bool: { family: 'bool', negated: false, ignoreCase: true },
  IpAddress: { family: 'ip', negated: false, ignoreCase: false },
  NotIpAddress: { family: 'ip', negated: true, ignoreCase: false },
  Null: { family: 'null', negated: false, ignoreCase: false },
  NumericEquals: { family: 'numeric', negated: false, ignoreCase: false, compare: 'eq' },
  NumericNotEquals: { family: 'numeric', negated: true, ignoreCase: false, compare: 'eq' },
  NumericLessThan: { family: 'numeric', negated: false, ignoreCase: false, compare: 'lt' },
  NumericLessThanEquals: { family: 'numeric', negated: false, ignoreCase: false, compare: 'le' },
  NumericGreaterThan: { family: 'numeric', negated: false, ignoreCase: false, compare: 'gt' },
  NumericGreaterThanEquals: { family: 'numeric', negated: false, ignoreCase: false, compare: 'ge' },
} satisfies Record<string, Base>));

/** Valid IAM operators this evaluator does not implement: rejected with a clear message rather than guessed. */
const UNSUPPORTED = /^(Date(Not)?Equals|DateLessThan(Equals)?|DateGreaterThan(Equals)?|BinaryEquals)$/;

export const OPERATOR_NAMES = [...BASES.keys()];

/** Parses an operator name; returns an error message for an unknown one. */
export function parseOperator(name: string): OperatorSpec | { error: string; unsupported?: true } {
  let rest = name;
  let set: 'any' | 'all' | undefined;
  if (rest.startsWith('ForAnyValue:')) [set, rest] = ['any', rest.slice('ForAnyValue:'.length)];
  else if (rest.startsWith('ForAllValues:')) [set, rest] = ['all', rest.slice('ForAllValues:'.length)];
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = BASES.get(rest);
  if (!base) {
    if (UNSUPPORTED.test(rest)) return { error: `the condition operator "${name}", which is valid IAM but not supported by iotctl's evaluator`, unsupported: true };
    const suggestion = OPERATOR_NAMES.find((n) => n.toLowerCase() === rest.toLowerCase());
    return { error: `unknown condition operator "${name}"` + (suggestion ? ` (did you mean ${name.replace(rest, suggestion)}?)` : '') };
  }
  if (base.family === 'null' && (set || ifExists)) return { error: `"${name}": Null takes no ForAnyValue:/ForAllValues: prefix and no IfExists suffix` };
  const spec: OperatorSpec = { name, base: rest, ...base, ifExists };
  if (set) spec.set = set;
  return spec;
}

/** Checks one condition value for an operator; returns an error message or undefined. */
export function checkConditionValue(op: OperatorSpec, value: string): string | undefined {
  switch (op.family) {
    case 'bool':
    case 'null':
      return /^(true|false)$/i.test(value) ? undefined : `${op.base} takes "true" or "false", not "${value}"`;
    case 'ip':
      if (value.includes('${')) return `${op.base} does not take policy variables ("${value}")`;
      return parseCidr(value) ? undefined : `"${value}" is not an IPv4 or IPv6 address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32)`;
    case 'numeric':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : `${op.base} takes a number, not "${value}"`;
    default:
      return undefined;
  }
}
