/**
 * Condition blocks, compiled once. IAM semantics: values of one key are ORed,
 * keys and operators are ANDed; negated operators (StringNotEquals, ...) hold
 * when the request value matches none of the values. A key without a value makes
 * the condition false, except with IfExists (true), ForAllValues (true, as in
 * IAM) and Null (which tests exactly that).
 */
import type { ConditionSpec } from './document.js';
import { arnSegments } from './document.js';
import { cidrContains, parseCidr, parseIp, type CidrBlock } from './ip.js';
import { parseOperator, type OperatorSpec } from './operators.js';
import { CompiledPattern, MATCH, NO_MATCH, UNRESOLVED, type Outcome } from './pattern.js';
import { parseVariableRef, type VariableBag, type VariableRef } from './variables.js';

/** One value of a condition: tests a request value against it. */
interface ValueTest {
  test(requestValue: string, bag: VariableBag): Outcome;
  /** Variables of the value that have no value in the bag. */
  missing(bag: VariableBag): readonly string[];
  /** The value after substitution, for explanations. */
  show(bag: VariableBag): string;
}

function patternTest(pattern: CompiledPattern): ValueTest {
  return {
    test: (v, bag) => pattern.test(v, bag),
    missing: (bag) => pattern.missing(bag),
    show: (bag) => pattern.substituted(bag),
  };
}

/** ArnLike/ArnEquals (identical in IAM): each of the six `:` segments is matched on its own. */
function arnTest(value: string, substitute: boolean): ValueTest {
  const segments = arnSegments(value).map((s) => new CompiledPattern(s, { wildcards: true, substitute }));
  return {
    test(v, bag) {
      const parts = arnSegments(v);
      if (parts.length !== segments.length) return NO_MATCH;
      let outcome: Outcome = MATCH;
      for (let i = 0; i < segments.length; i++) {
        const r = segments[i]!.test(parts[i]!, bag);
        if (r === UNRESOLVED) return UNRESOLVED;
        if (r === NO_MATCH) outcome = NO_MATCH;
      }
      return outcome;
    },
    missing: (bag) => segments.flatMap((s) => s.missing(bag)),
    show: (bag) => segments.map((s) => s.substituted(bag)).join(':'),
  };
}

function ipTest(value: string): ValueTest {
  const block = parseCidr(value) as CidrBlock; // validated by parsePolicy
  return {
    test(v) {
      const ip = parseIp(v);
      return ip && cidrContains(block, ip) ? MATCH : NO_MATCH;
    },
    missing: () => [],
    show: () => value,
  };
}

function numericTest(value: string, compare: NonNullable<OperatorSpec['compare']>): ValueTest {
  const expected = Number(value);
  return {
    test(v) {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) return NO_MATCH;
      const ok = compare === 'eq' ? n === expected : compare === 'lt' ? n < expected : compare === 'le' ? n <= expected : compare === 'gt' ? n > expected : n >= expected;
      return ok ? MATCH : NO_MATCH;
    },
    missing: () => [],
    show: () => value,
  };
}

function valueTest(op: OperatorSpec, value: string, substitute: boolean): ValueTest {
  switch (op.family) {
    case 'string':
    case 'bool':
      return patternTest(new CompiledPattern(value, { wildcards: false, ignoreCase: op.ignoreCase, substitute }));
    case 'like':
      return patternTest(new CompiledPattern(value, { wildcards: true, substitute }));
    case 'arn':
      return arnTest(value, substitute);
    case 'ip':
      return ipTest(value);
    case 'numeric':
      return numericTest(value, op.compare ?? 'eq');
    case 'null':
      return { test: () => NO_MATCH, missing: () => [], show: () => value };
  }
}

export interface ConditionTrace {
  operator: string;
  key: string;
  matched: boolean;
  /** The request's value(s) of the key; null when it has none. */
  requestValues: string[] | null;
  /** The condition's values after variable substitution. */
  values: string[];
  reason: string;
  missingVariables: string[];
}

export class CompiledCondition {
  readonly operator: string;
  readonly key: string;
  private readonly op: OperatorSpec;
  private readonly keyRef: VariableRef;
  private readonly tests: ValueTest[];
  private readonly multi: boolean;
  /** Null: true = the key must be absent. */
  private readonly expectAbsent: boolean;

  constructor(spec: ConditionSpec, substitute: boolean) {
    const op = parseOperator(spec.operator);
    if ('error' in op) throw new Error(op.error); // parsePolicy rejects these first
    this.op = op;
    this.operator = spec.operator;
    this.key = spec.key;
    this.keyRef = parseVariableRef(spec.key);
    this.multi = op.set !== undefined || this.keyRef.select === 'list';
    this.tests = spec.values.map((v) => valueTest(op, v, substitute));
    this.expectAbsent = op.family === 'null' && spec.values[0]?.toLowerCase() === 'true';
  }

  /** The request's values of the key, or undefined when it has none. */
  private requestValues(bag: VariableBag): readonly string[] | undefined {
    if (this.multi) return bag.list(this.keyRef);
    const value = bag.value(this.keyRef);
    return value === undefined ? undefined : [value];
  }

  /** How one request value fares against all the values (ORed): MATCH beats UNRESOLVED beats NO_MATCH. */
  private against(value: string, bag: VariableBag): Outcome {
    let outcome: Outcome = NO_MATCH;
    for (const t of this.tests) {
      const r = t.test(value, bag);
      if (r === MATCH) return MATCH;
      if (r === UNRESOLVED) outcome = UNRESOLVED;
    }
    return outcome;
  }

  private passes(value: string, bag: VariableBag): boolean {
    const r = this.against(value, bag);
    // A negated operator cannot hold when a value could not be resolved.
    return this.op.negated ? r === NO_MATCH : r === MATCH;
  }

  /** Whether the condition holds; names of variables/keys without a value go to `missing`. */
  evaluate(bag: VariableBag, missing?: string[]): boolean {
    const values = this.requestValues(bag);
    if (this.op.family === 'null') return this.expectAbsent ? values === undefined : values !== undefined;
    if (values === undefined) {
      if (this.op.ifExists || this.op.set === 'all') return true;
      missing?.push(this.keyRef.name);
      return false;
    }
    let ok: boolean;
    if (this.op.set === 'all') ok = values.every((v) => this.passes(v, bag));
    else if (this.multi) ok = values.some((v) => this.passes(v, bag));
    else ok = this.passes(values[0]!, bag);
    if (!ok && missing) for (const t of this.tests) missing.push(...t.missing(bag));
    return ok;
  }

  explain(bag: VariableBag): ConditionTrace {
    const missing: string[] = [];
    const matched = this.evaluate(bag, missing);
    const values = this.requestValues(bag);
    const shown = this.tests.map((t) => t.show(bag));
    let reason: string;
    if (this.op.family === 'null') {
      reason = `${this.key} ${values === undefined ? 'has no value' : 'has a value'}; Null ${this.expectAbsent ? 'true' : 'false'} requires it ${this.expectAbsent ? 'absent' : 'present'}`;
    } else if (values === undefined) {
      reason = `${this.key} has no value` + (this.op.ifExists ? ' (IfExists: the condition holds)' : this.op.set === 'all' ? ' (ForAllValues holds on a missing key, as in IAM)' : '');
    } else {
      const req = values.length === 1 && !this.multi ? JSON.stringify(values[0]) : JSON.stringify(values);
      reason = `${this.key} is ${req}; ${this.operator} ${JSON.stringify(shown.length === 1 ? shown[0] : shown)} is ${matched}`;
    }
    if (missing.length > 0 && values !== undefined) reason += ` (no value for ${[...new Set(missing)].map((m) => '${' + m + '}').join(', ')})`;
    return {
      operator: this.operator,
      key: this.key,
      matched,
      requestValues: values === undefined ? null : [...values],
      values: shown,
      reason,
      missingVariables: [...new Set(missing)],
    };
  }
}
