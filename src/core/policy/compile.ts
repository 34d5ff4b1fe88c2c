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
    this.statements = parsed.statements.map((spec) => {
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

const MAX_CACHED = 512;
const cache = new Map<string, CompiledPolicy>();

/** Compiles a valid policy (cached); throws PolicyError listing every problem when it is invalid. */
export function compilePolicy(input: PolicyInput | CompiledPolicy): CompiledPolicy {
  if (input instanceof CompiledPolicy) return input;
  const text = typeof input.document === 'string' ? input.document : JSON.stringify(input.document);
  const key = `${input.kind ?? 'iot'}\u0000${input.name}\u0000${input.versionId ?? ''}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) {
    // LRU: re-insert as the newest entry.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const parsed = parsePolicy(input.document, { kind: input.kind ?? 'iot' });
  if (parsed.errors.length > 0) throw new PolicyError(input.name, parsed.errors);
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
