/**
 * Policy evaluation, AWS IoT rules: any matching Deny → EXPLICIT_DENY; else any
 * matching Allow → ALLOWED; else IMPLICIT_DENY. `evaluate` explains the decision
 * (deciding statements, matched patterns, missing variables); `explain` adds a
 * trace of every statement; `isAllowed` is the short-circuit path for brokers.
 */
import type { ConditionTrace } from './conditions.js';
import { compilePolicy, CompiledPolicy, type CompiledStatement, type PolicyInput } from './compile.js';
import type { Effect } from './document.js';
import { MATCH, NO_MATCH, UNRESOLVED, type Outcome } from './pattern.js';
import { buildVariables, VariableBag, type PolicyContext } from './variables.js';

export type Decision = 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

export interface AuthRequest {
  /** e.g. iot:Publish (any case). */
  action: string;
  /** The full resource ARN (see resourceForAction). */
  resource: string;
}

export interface DecidingStatement {
  policyName: string;
  policyVersionId?: string;
  statementIndex: number;
  sid?: string;
  effect: Effect;
  /** The Action pattern that matched, or null when the statement uses NotAction. */
  matchedAction: string | null;
  /** Resource: the patterns, after variable substitution, that matched. NotResource: empty. */
  matchedResources: string[];
  notResource: boolean;
  /** The statement as written. */
  statement: Record<string, unknown>;
  /** Why it cannot be evaluated as written, when it cannot: it was taken as matching (fail closed). */
  unreadable?: string;
}

export interface Evaluation {
  decision: Decision;
  allowed: boolean;
  action: string;
  resource: string;
  /** The matching Deny statements (EXPLICIT_DENY), the matching Allow statements (ALLOWED), or none. */
  deciding: DecidingStatement[];
  /** Variables and condition keys that had no value in statements for this action. */
  missingVariables: string[];
  /** Statements covering the action that cannot be evaluated: a Deny among them denied; an Allow granted nothing. */
  unreadable: DecidingStatement[];
}

export type PolicySource = CompiledPolicy | PolicyInput;
export type ContextSource = VariableBag | PolicyContext;

function toBag(context: ContextSource): VariableBag {
  return context instanceof VariableBag ? context : buildVariables(context);
}

/**
 * Whether the statement's Resource/NotResource covers the resource. A pattern
 * with a variable that has no value never matches; under NotResource it makes
 * the statement not apply at all (so neither an Allow nor a Deny takes effect).
 */
function resourceApplies(s: CompiledStatement, resource: string, bag: VariableBag): boolean {
  for (const p of s.resources) {
    const r = p.test(resource, bag);
    if (r === MATCH) return !s.notResource;
    if (r === UNRESOLVED && s.notResource) return false;
  }
  return s.notResource;
}

function conditionsHold(s: CompiledStatement, bag: VariableBag, missing?: string[]): boolean {
  for (const c of s.conditions) if (!c.evaluate(bag, missing)) return false;
  return true;
}

/** Names of unresolved variables in the statement's resource patterns. */
function missingInResources(s: CompiledStatement, bag: VariableBag, out: string[]): void {
  for (const p of s.resources) if (p.hasVariables) out.push(...p.missing(bag));
}

/** Whether an (action-matching) statement applies; missing variable names go to `missing`. */
function statementApplies(s: CompiledStatement, resource: string, bag: VariableBag, missing: string[]): boolean {
  // Fail closed: what cannot be read counts as matching (an unreadable Allow is skipped before this).
  if (s.unreadable !== undefined) return true;
  if (!resourceApplies(s, resource, bag)) {
    missingInResources(s, bag, missing);
    return false;
  }
  return conditionsHold(s, bag, missing);
}

/** Which statement: the fields every report of a statement starts with. */
function identify(s: CompiledStatement): Pick<DecidingStatement, 'policyName' | 'policyVersionId' | 'statementIndex' | 'sid' | 'effect'> {
  return { policyName: s.policyName, policyVersionId: s.versionId, statementIndex: s.index, sid: s.sid, effect: s.effect };
}

function deciding(s: CompiledStatement, lowerAction: string, resource: string, bag: VariableBag): DecidingStatement {
  const out: DecidingStatement = {
    ...identify(s),
    matchedAction: s.notAction || s.unreadable !== undefined ? null : (s.actions.find(lowerAction) ?? null),
    matchedResources: s.notResource || s.unreadable !== undefined ? [] : s.resources.filter((p) => p.test(resource, bag) === MATCH).map((p) => p.substituted(bag)),
    notResource: s.notResource,
    statement: s.spec.source,
  };
  if (s.unreadable !== undefined) out.unreadable = s.unreadable;
  return out;
}

/** Compiles (cached) unless already compiled. */
export function compileAll(policies: readonly PolicySource[]): CompiledPolicy[] {
  return policies.map((p) => compilePolicy(p));
}

/** Reused between calls (evaluate is synchronous); emptied after each call. */
const missingScratch: string[] = [];

/** The last action lowercased: a broker asks about the same few actions over and over. */
let lastAction = '';
let lastLower = '';
function lowerAction(action: string): string {
  if (action !== lastAction) [lastAction, lastLower] = [action, action.toLowerCase()];
  return lastLower;
}

/** Decides a request and says why. Pass CompiledPolicy objects and a VariableBag on hot paths. */
export function evaluate(policies: readonly PolicySource[], request: AuthRequest, context: ContextSource): Evaluation {
  const bag = toBag(context);
  const lower = lowerAction(request.action);
  const missing = missingScratch;
  let denies: CompiledStatement[] | undefined;
  let allows: CompiledStatement[] | undefined;
  let unreadable: CompiledStatement[] | undefined;
  for (const source of policies) {
    const policy = source instanceof CompiledPolicy ? source : compilePolicy(source);
    for (const s of policy.forAction(lower)) {
      if (s.unreadable !== undefined) (unreadable ??= []).push(s);
      if (s.effect === 'Allow') {
        if (s.unreadable !== undefined) continue;
        if (denies === undefined && statementApplies(s, request.resource, bag, missing)) (allows ??= []).push(s);
      } else if (statementApplies(s, request.resource, bag, missing)) (denies ??= []).push(s);
    }
  }
  // Once a Deny matched, Allow statements no longer matter and were skipped.
  const decision: Decision = denies ? 'EXPLICIT_DENY' : allows ? 'ALLOWED' : 'IMPLICIT_DENY';
  const decidingStatements = denies ?? allows ?? [];
  const result: Evaluation = {
    decision,
    allowed: decision === 'ALLOWED',
    action: request.action,
    resource: request.resource,
    deciding: decidingStatements.map((s) => deciding(s, lower, request.resource, bag)),
    missingVariables: missing.length === 0 ? [] : [...new Set(missing)],
    unreadable: unreadable ? unreadable.map((s) => deciding(s, lower, request.resource, bag)) : [],
  };
  if (missing.length > 0) missing.length = 0;
  return result;
}

/** The decision alone, stopping at the first matching Deny: for brokers (every PUBLISH, every delivery). */
export function isAllowed(policies: readonly CompiledPolicy[], request: AuthRequest, bag: VariableBag): boolean {
  const lower = lowerAction(request.action);
  let allowed = false;
  for (const policy of policies) {
    for (const s of policy.forAction(lower)) {
      if (s.effect === 'Allow' && (allowed || s.unreadable !== undefined)) continue;
      if (s.unreadable !== undefined || (resourceApplies(s, request.resource, bag) && conditionsHold(s, bag))) {
        if (s.effect === 'Deny') return false;
        allowed = true;
      }
    }
  }
  return allowed;
}

export interface PatternTrace {
  pattern: string;
  /** After variable substitution (variables without a value stay as `${name}`). */
  substituted: string;
  outcome: 'match' | 'no-match' | 'unresolved';
  missingVariables: string[];
}

export interface StatementTrace {
  policyName: string;
  policyVersionId?: string;
  statementIndex: number;
  sid?: string;
  effect: Effect;
  /** Action, Resource and Condition all matched: the statement takes part in the decision. */
  applies: boolean;
  action: { element: 'Action' | 'NotAction'; matched: boolean; matchedBy: string | null; patterns: string[] };
  resource: { element: 'Resource' | 'NotResource'; matched: boolean; patterns: PatternTrace[] };
  conditions: { matched: boolean; entries: ConditionTrace[] };
  statement: Record<string, unknown>;
  /** Why it cannot be evaluated as written: it counts as matching for a Deny and grants nothing as an Allow. */
  unreadable?: string;
}

export interface Explanation extends Evaluation {
  trace: StatementTrace[];
}

const OUTCOME_NAMES: Record<Outcome, PatternTrace['outcome']> = { [MATCH]: 'match', [NO_MATCH]: 'no-match', [UNRESOLVED]: 'unresolved' };

function traceStatement(s: CompiledStatement, lowerAction: string, resource: string, bag: VariableBag): StatementTrace {
  const actionMatched = CompiledPolicy.coversAction(s, lowerAction);
  // An unreadable statement has no resources or conditions compiled: they count as matching, and only a Deny applies.
  const unreadable = s.unreadable !== undefined;
  const resourceMatched = unreadable || resourceApplies(s, resource, bag);
  const entries = s.conditions.map((c) => c.explain(bag));
  const conditionsMatched = entries.every((e) => e.matched);
  const trace: StatementTrace = {
    ...identify(s),
    applies: actionMatched && resourceMatched && conditionsMatched && !(unreadable && s.effect === 'Allow'),
    action: {
      element: s.notAction ? 'NotAction' : 'Action',
      matched: actionMatched,
      matchedBy: s.actions.find(lowerAction) ?? null,
      patterns: [...s.actions.patterns],
    },
    resource: {
      element: s.notResource ? 'NotResource' : 'Resource',
      matched: resourceMatched,
      patterns: s.resources.map((p) => ({
        pattern: p.source,
        substituted: p.substituted(bag),
        outcome: OUTCOME_NAMES[p.test(resource, bag)],
        missingVariables: [...p.missing(bag)],
      })),
    },
    conditions: { matched: conditionsMatched, entries },
    statement: s.spec.source,
  };
  if (unreadable) trace.unreadable = s.unreadable;
  return trace;
}

/** evaluate() plus a trace of every statement of every policy, for `iotctl policy explain`. */
export function explain(policies: readonly PolicySource[], request: AuthRequest, context: ContextSource): Explanation {
  const bag = toBag(context);
  const compiled = compileAll(policies);
  const result = evaluate(compiled, request, bag);
  const lower = request.action.toLowerCase();
  const trace = compiled.flatMap((p) => p.statements.map((s) => traceStatement(s, lower, request.resource, bag)));
  return { ...result, trace };
}
