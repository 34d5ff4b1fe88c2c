/**
 * Compiles a policy document into matchers once per (name, version, document)
 * and keeps a small LRU cache, so the broker can authorize every PUBLISH and
 * every delivery without re-parsing.
 */
import { IotctlError, ExitCode } from '../errors.js';
import { ActionMatcher } from './actions.js';
import { CompiledCondition } from './conditions.js';
import { parsePolicy, type Effect, type ParsedPolicy, type PolicyKind, type PolicyProblem, type StatementSpec } from './document.js';
import { CompiledPattern } from './pattern.js';

export interface PolicyInput {
  name: string;
  /** The policy version (AWS: the default version's id). */
  versionId?: string;
  /** JSON text or a parsed document. */
  document: string | object;
  kind?: PolicyKind;
  /**
   * A document already stored (AWS took it): never refused. What the
   * evaluator cannot read fails closed instead (see CompiledStatement.unreadable).
   * Without it, an invalid document is a PolicyError.
   */
  stored?: boolean;
}

export interface CompiledStatement {
  policyName: string;
  versionId?: string;
  index: number;
  sid?: string;
  effect: Effect;
  spec: StatementSpec;
  actions: ActionMatcher;
  notAction: boolean;
  resources: CompiledPattern[];
  notResource: boolean;
  conditions: CompiledCondition[];
  /**
   * Why the statement cannot be evaluated as written, when it cannot (an
   * operator iotctl does not implement, or, in a stored document, an error).
   * It then fails closed: it covers its actions (every action when they cannot
   * be read either) whatever the resource and the conditions, so a Deny denies
   * and an Allow grants nothing. An unreadable Effect counts as Deny.
   */
  unreadable?: string;
}

/** Distinct actions remembered per policy (a handful in practice). */
const MAX_ACTION_MEMO = 64;

export class CompiledPolicy {
  readonly statements: CompiledStatement[];
  private readonly byAction = new Map<string, readonly CompiledStatement[]>();

  constructor(
    readonly name: string,
    readonly versionId: string | undefined,
    readonly parsed: ParsedPolicy,
  ) {
    const substitute = parsed.substitutesVariables;
    const whole = documentProblem(parsed);
    const specs = whole && parsed.statements.length === 0 ? [denyEverything(parsed)] : parsed.statements;
    this.statements = specs.map((spec) => {
      const why = whole ?? unreadableReason(spec);
      if (why !== undefined) return unreadableStatement(name, versionId, spec, why);
      const s: CompiledStatement = {
        policyName: name,
        index: spec.index,
        effect: spec.effect,
        spec,
        actions: new ActionMatcher(spec.actions),
        notAction: spec.notAction,
        resources: spec.resources.map((r) => new CompiledPattern(r, { wildcards: true, substitute })),
        notResource: spec.notResource,
        conditions: spec.conditions.map((c) => new CompiledCondition(c, substitute)),
      };
      if (versionId !== undefined) s.versionId = versionId;
      if (spec.sid !== undefined) s.sid = spec.sid;
      return s;
    });
  }

  /** Whether a statement's Action/NotAction covers the (lowercased) action. */
  static coversAction(s: CompiledStatement, lowerAction: string): boolean {
    return s.actions.matches(lowerAction) !== s.notAction;
  }

  /** The statements whose Action/NotAction covers the lowercased action, memoized per action. */
  forAction(lowerAction: string): readonly CompiledStatement[] {
    let list = this.byAction.get(lowerAction);
    if (list === undefined) {
      list = this.statements.filter((s) => CompiledPolicy.coversAction(s, lowerAction));
      if (this.byAction.size < MAX_ACTION_MEMO) this.byAction.set(lowerAction, list);
    }
    return list;
  }
}

/** A problem of the document as a whole (not JSON, no statement, a bad Version...), which makes every statement unreadable. */
function documentProblem(parsed: ParsedPolicy): string | undefined {
  const problem = parsed.errors.find((e) => !e.path.startsWith('Statement') && e.code !== 'POLICY_TOO_LARGE') ?? (parsed.statements.length === 0 ? parsed.errors[0] : undefined);
  return problem?.message;
}

function unreadableReason(spec: StatementSpec): string | undefined {
  const problems = spec.problems;
  if (!problems?.length) return undefined;
  // The statement is named beside the reason: keep the element (`Condition has ...`), not the statement's path again.
  const first = problems[0]!.message.startsWith(`${spec.path}.`) ? problems[0]!.message.slice(spec.path.length + 1) : problems[0]!.message;
  return problems.length === 1 ? first : `${first} (and ${problems.length - 1} more)`;
}

/** What stands for a document with no readable statement at all: one that denies every action. */
function denyEverything(parsed: ParsedPolicy): StatementSpec {
  return { index: 0, path: 'Statement', effect: 'Deny', actions: ['*'], notAction: false, resources: ['*'], notResource: false, conditions: [], source: {}, problems: parsed.errors, effectReadable: false, actionsReadable: false };
}

function unreadableStatement(policyName: string, versionId: string | undefined, spec: StatementSpec, why: string): CompiledStatement {
  const s: CompiledStatement = {
    policyName,
    index: spec.index,
    effect: spec.effectReadable ? spec.effect : 'Deny',
    spec,
    actions: new ActionMatcher(spec.actionsReadable ? spec.actions : ['*']),
    notAction: spec.actionsReadable && spec.notAction,
    resources: [],
    notResource: false,
    conditions: [],
    unreadable: why,
  };
  if (versionId !== undefined) s.versionId = versionId;
  if (spec.sid !== undefined) s.sid = spec.sid;
  return s;
}

export class PolicyError extends IotctlError {
  constructor(
    readonly policyName: string,
    readonly problems: PolicyProblem[],
  ) {
    const first = problems[0]?.message ?? 'invalid';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super('MALFORMED_POLICY', `The policy "${policyName}" is invalid: ${first}${more}`, {
      exitCode: ExitCode.USAGE,
      hint: `run: iotctl policy validate <file>`,
      details: { policyName, problems },
    });
  }
}

/**
 * A policy that could not be compiled at all (a bug, or a document of an
 * unknown shape): it fails closed, as one statement that denies every action.
 */
export function failClosedPolicy(name: string, versionId: string | undefined, reason: string): CompiledPolicy {
  const errors = [{ code: 'POLICY_UNREADABLE', path: '', message: reason }];
  return new CompiledPolicy(name, versionId, { substitutesVariables: false, statements: [], size: 0, maxSize: 0, errors, unsupported: [], document: undefined });
}

const MAX_CACHED = 512;
const cache = new Map<string, CompiledPolicy>();

/** Compiles a policy (cached); throws PolicyError listing every problem when a new document is invalid (a stored one fails closed instead). */
export function compilePolicy(input: PolicyInput | CompiledPolicy): CompiledPolicy {
  if (input instanceof CompiledPolicy) return input;
  const text = typeof input.document === 'string' ? input.document : JSON.stringify(input.document);
  const key = `${input.kind ?? 'iot'}\u0000${input.stored ? 'stored' : 'new'}\u0000${input.name}\u0000${input.versionId ?? ''}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) {
    // LRU: re-insert as the newest entry.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const parsed = parsePolicy(input.document, { kind: input.kind ?? 'iot' });
  if (parsed.errors.length > 0 && !input.stored) throw new PolicyError(input.name, parsed.errors);
  const compiled = new CompiledPolicy(input.name, input.versionId, parsed);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, compiled);
  return compiled;
}

/** For tests and long-running hosts that want to drop compiled policies. */
export function clearPolicyCache(): void {
  cache.clear();
}

export function policyCacheSize(): number {
  return cache.size;
}
