/**
 * The policy decisions for one principal on one connection: the compiled
 * policies and the variable bag are built once and reused for every
 * CONNECT, PUBLISH, SUBSCRIBE and delivery, and rebuilt when the registry's
 * generation moves (a policy, attachment, thing or role changed), so changes
 * apply to live connections at their next operation.
 *
 * - certificate: the IoT policies attached to it (default versions);
 * - unauthenticated Cognito identity: the inline policies of the pool's unauthenticated role alone;
 * - authenticated Cognito identity: its role's inline policies AND the IoT
 *   policies attached to its identity id (none attached: denied);
 * - root key: the account root, allowed everything.
 *
 * `allowed()` is the hot path; `report()` explains a decision for the logs.
 */
import {
  compilePolicy,
  failClosedPolicy,
  decide,
  isAllowedBy,
  buildVariables,
  type CompiledPolicy,
  type DecidingStatementOf,
  type ExplainedDecision,
  type PolicyInput,
  type PolicySides,
  type VariableBag,
} from '../../core/policy/index.js';
import type { Arns } from '../arns.js';
import type { EffectivePolicy, Registry } from '../store/registry.js';
import type { RoleInlinePolicy } from '../store/model.js';
import { policyContext, principalKey, type ConnectionFacts, type Principal } from './principal.js';

export interface AuthorityOptions {
  registry: () => Registry;
  arns: Arns;
  /** Moves whenever something a decision depends on changed; cached state is rebuilt at the next decision. */
  generation?: () => number;
  /** A stored policy with statements the evaluator cannot read (they fail closed), reported at each compilation. */
  onUnreadable?: OnUnreadable;
}

/** A statement that decided, with the side it came from for Cognito identities. */
export type DecidingStatementReport = DecidingStatementOf;

/** The decision and its explanation: core/policy/decide.ts's, as the logs keep it. */
export type DecisionReport = Omit<ExplainedDecision, 'cognito' | 'trace'>;

/** Called with a compiled stored policy that has statements the evaluator cannot read. */
export type OnUnreadable = (policy: CompiledPolicy) => void;

interface Compiled {
  sides: PolicySides;
  bag: VariableBag;
  /** Decisions made with these policies and variables, by action then resource (a device repeats the same few). */
  decisions: Map<string, Map<string, boolean>>;
}

/** Distinct resources remembered per action; past it the action's decisions start over (a client may walk endless topics). */
const DECISIONS_PER_ACTION = 4096;

export class Authority {
  private facts: ConnectionFacts;
  private compiled: Compiled | undefined;
  private generation = Number.NaN;

  constructor(
    readonly principal: Principal,
    facts: ConnectionFacts,
    private readonly options: AuthorityOptions,
  ) {
    this.facts = { ...facts };
  }

  get connection(): Readonly<ConnectionFacts> {
    return this.facts;
  }

  /** Sets what CONNECT tells (client id, connect attributes); the next decision rebuilds the variables. */
  update(facts: Partial<ConnectionFacts>): void {
    this.facts = { ...this.facts, ...facts };
    this.compiled = undefined;
  }

  /** The certificate's status when it is not ACTIVE (then everything is refused). */
  inactiveStatus(): string | undefined {
    if (this.principal.kind !== 'certificate') return undefined;
    const status = this.options.registry().certificate(this.principal.certificateId)?.status ?? 'DELETED';
    return status === 'ACTIVE' ? undefined : status;
  }

  /**
   * The decision alone: for every PUBLISH and every delivery. Remembered until
   * the policies or variables are rebuilt (state()): a decision depends on
   * nothing else (the certificate's status is read at each call).
   */
  allowed(action: string, resource: string): boolean {
    if (this.principal.kind === 'root') return true;
    if (this.inactiveStatus() !== undefined) return false;
    const c = this.state();
    let byResource = c.decisions.get(action);
    if (byResource === undefined) c.decisions.set(action, (byResource = new Map()));
    let allowed = byResource.get(resource);
    if (allowed === undefined) {
      allowed = isAllowedBy(c.sides, { action, resource }, c.bag);
      if (byResource.size >= DECISIONS_PER_ACTION) byResource.clear();
      byResource.set(resource, allowed);
    }
    return allowed;
  }

  /** The decision with its explanation (deciding statements, missing variables, a reason), from the one policy engine. */
  report(action: string, resource: string): DecisionReport {
    const base = { action, resource, deciding: [] as DecidingStatementReport[], missingVariables: [] as string[], policies: [] as string[], unreadable: [] as DecidingStatementReport[] };
    if (this.principal.kind === 'root') return { ...base, decision: 'ALLOWED', allowed: true, reason: 'the root key is the account root: allowed everything' };
    const status = this.inactiveStatus();
    if (status !== undefined) {
      return { ...base, decision: 'IMPLICIT_DENY', allowed: false, reason: `the certificate is ${status}; only ACTIVE certificates may connect` };
    }
    const c = this.state();
    const { cognito: _sides, trace: _trace, ...decision } = decide(c.sides, { action, resource }, c.bag);
    return decision;
  }

  private state(): Compiled {
    const generation = this.options.generation?.() ?? 0;
    if (this.compiled && generation === this.generation) return this.compiled;
    const registry = this.options.registry();
    this.compiled = { sides: principalSides(registry, this.options, this.principal), bag: buildVariables(policyContext(registry, this.principal, this.facts)), decisions: new Map() };
    this.generation = generation;
    return this.compiled;
  }
}

/**
 * The policies that decide for a principal: a certificate's IoT policies; a
 * Cognito identity's role (its inline policies), plus, when authenticated, the
 * IoT policies attached to its identity id (an unauthenticated identity's are
 * irrelevant: AWS evaluates its role alone).
 */
export function principalSides(registry: Registry, options: Pick<AuthorityOptions, 'arns' | 'onUnreadable'>, p: Principal): PolicySides {
  const key = principalKey(p);
  if (p.kind === 'cognito') {
    const inline = registry.rolePolicies(p.roleArn);
    const role = { policies: inline ? compileRolePolicies(options.arns, p.roleArn, inline, options.onUnreadable) : [], roleArn: p.roleArn, known: inline !== undefined, authenticated: p.authenticated };
    if (!p.authenticated) return { role };
    return { role, iot: { policies: compileEffective(key === undefined ? [] : registry.policiesFor(key), options.onUnreadable), owner: 'identity' } };
  }
  return { iot: { policies: compileEffective(key === undefined ? [] : registry.policiesFor(key), options.onUnreadable), owner: 'certificate' } };
}

/**
 * Compiles stored documents. None is dropped: a statement the evaluator cannot
 * read fails closed (core/policy/compile.ts), and a document that cannot be
 * compiled at all denies every action; either is reported.
 */
export function compileStored(inputs: PolicyInput[], onUnreadable?: OnUnreadable): CompiledPolicy[] {
  return inputs.map((input) => {
    let policy: CompiledPolicy;
    try {
      policy = compilePolicy({ ...input, stored: true });
    } catch (err) {
      policy = failClosedPolicy(input.name, input.versionId, `it cannot be compiled (${(err as Error)?.message ?? String(err)})`);
    }
    if (policy.statements.some((s) => s.unreadable !== undefined)) onUnreadable?.(policy);
    return policy;
  });
}

/** How a role's inline policy is named in decisions and logs: role/<role name>/<policy name>. */
function rolePolicyLabel(arns: Arns, roleArn: string, policyName: string): string {
  return `role/${arns.roleName(roleArn) ?? roleArn}/${policyName}`;
}

/** A role's inline policies, compiled as IAM policies; evaluated together, an explicit Deny in any of them wins. */
export function compileRolePolicies(arns: Arns, roleArn: string, policies: readonly RoleInlinePolicy[], onUnreadable?: OnUnreadable): CompiledPolicy[] {
  return compileStored(
    policies.map((policy) => ({ name: rolePolicyLabel(arns, roleArn, policy.name), document: policy.document, kind: 'iam' as const })),
    onUnreadable,
  );
}

/** The registry's default versions, compiled (cached by name, version and document). */
export function compileEffective(policies: EffectivePolicy[], onUnreadable?: OnUnreadable): CompiledPolicy[] {
  return compileStored(
    policies.map((e) => ({ name: e.policyName, versionId: e.versionId, document: e.document })),
    onUnreadable,
  );
}
