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
  combineCognito,
  compilePolicy,
  evaluate,
  isAllowed,
  type CompiledPolicy,
  type Decision,
  type Evaluation,
  type PolicyInput,
  type VariableBag,
  buildVariables,
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
  /** A stored policy the evaluator cannot compile: it grants nothing, and is reported here. */
  onPolicyError?: (policyName: string, err: unknown) => void;
}

/** A statement that decided, with the side it came from for Cognito identities. */
export interface DecidingStatementReport {
  side: 'iot' | 'role';
  policyName: string;
  policyVersionId?: string;
  statementIndex: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  statement: Record<string, unknown>;
}

export interface DecisionReport {
  decision: Decision;
  allowed: boolean;
  action: string;
  resource: string;
  /** One sentence a person can act on. */
  reason: string;
  deciding: DecidingStatementReport[];
  missingVariables: string[];
  /** Names of the policies that were evaluated (a role's inline policies as role/<role name>/<policy name>). */
  policies: string[];
}

interface Compiled {
  iot: CompiledPolicy[];
  role: CompiledPolicy[];
  iotNames: string[];
  /** role/<role name>/<policy name> of each inline policy. */
  roleNames: string[];
  roleKnown: boolean;
  bag: VariableBag;
}

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

  /** The decision alone: for every PUBLISH and every delivery. */
  allowed(action: string, resource: string): boolean {
    const p = this.principal;
    if (p.kind === 'root') return true;
    if (this.inactiveStatus() !== undefined) return false;
    const c = this.state();
    const request = { action, resource };
    if (p.kind === 'certificate') return isAllowed(c.iot, request, c.bag);
    if (!isAllowed(c.role, request, c.bag)) return false;
    return !p.authenticated || isAllowed(c.iot, request, c.bag);
  }

  /** The decision with its explanation (deciding statements, missing variables, a reason). */
  report(action: string, resource: string): DecisionReport {
    const p = this.principal;
    const base = { action, resource, deciding: [] as DecidingStatementReport[], missingVariables: [] as string[], policies: [] as string[] };
    if (p.kind === 'root') return { ...base, decision: 'ALLOWED', allowed: true, reason: 'the root key is the account root: allowed everything' };
    const status = this.inactiveStatus();
    if (status !== undefined) {
      return { ...base, decision: 'IMPLICIT_DENY', allowed: false, reason: `the certificate is ${status}; only ACTIVE certificates may connect` };
    }
    const c = this.state();
    const request = { action, resource };
    const iotNames = c.iotNames;
    const roleLabel = c.roleNames;
    if (p.kind === 'certificate') {
      const ev = evaluate(c.iot, request, c.bag);
      return { ...summarize(ev, 'iot'), action, resource, policies: iotNames, reason: iotReason(ev, iotNames, 'certificate') };
    }
    const role = evaluate(c.role, request, c.bag);
    if (!p.authenticated) {
      return { ...summarize(role, 'role'), action, resource, policies: roleLabel, reason: roleReason(role, c, p.roleArn, 'unauthenticated identity') };
    }
    const iot = evaluate(c.iot, request, c.bag);
    const combined = combineCognito(role, iot);
    const deciding = [...summarize(role, 'role').deciding, ...summarize(iot, 'iot').deciding].filter((d) =>
      combined.decision === 'EXPLICIT_DENY' ? d.effect === 'Deny' : combined.allowed,
    );
    let reason = combined.reason;
    if (!combined.allowed && combined.decision === 'IMPLICIT_DENY') {
      const parts: string[] = [];
      if (!role.allowed) parts.push(roleReason(role, c, p.roleArn, 'authenticated identity'));
      if (!iot.allowed) parts.push(iotReason(iot, iotNames, 'identity'));
      reason = `${combined.reason}: ${parts.join('; ')}`;
    } else if (combined.decision === 'EXPLICIT_DENY') {
      reason = `explicitly denied by ${deciding.map(statementLabel).join(', ')}`;
    }
    return {
      decision: combined.decision,
      allowed: combined.allowed,
      action,
      resource,
      reason,
      deciding,
      missingVariables: combined.missingVariables,
      policies: [...roleLabel, ...iotNames],
    };
  }

  private state(): Compiled {
    const generation = this.options.generation?.() ?? 0;
    if (this.compiled && generation === this.generation) return this.compiled;
    const registry = this.options.registry();
    const p = this.principal;
    const key = principalKey(p);
    // An unauthenticated identity's attached IoT policies are irrelevant (AWS evaluates its role alone).
    const attached = key === undefined || (p.kind === 'cognito' && !p.authenticated) ? [] : registry.policiesFor(key);
    const iot = compileEffective(attached, this.options.onPolicyError);
    const inline = p.kind === 'cognito' ? registry.rolePolicies(p.roleArn) : undefined;
    const role = p.kind === 'cognito' && inline ? compileRolePolicies(this.options.arns, p.roleArn, inline, this.options.onPolicyError) : [];
    this.compiled = {
      iot,
      role,
      iotNames: attached.map((e) => e.policyName),
      roleNames: p.kind === 'cognito' && inline ? inline.map((policy) => rolePolicyLabel(this.options.arns, p.roleArn, policy.name)) : [],
      roleKnown: inline !== undefined,
      bag: buildVariables(policyContext(registry, p, this.facts)),
    };
    this.generation = generation;
    return this.compiled;
  }
}

/** Compiles what can be compiled; a document the evaluator rejects grants nothing and is reported. */
export function compileSafely(inputs: PolicyInput[], onError?: (policyName: string, err: unknown) => void): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  for (const input of inputs) {
    try {
      out.push(compilePolicy(input));
    } catch (err) {
      onError?.(input.name, err);
    }
  }
  return out;
}

/** How a role's inline policy is named in decisions and logs: role/<role name>/<policy name>. */
function rolePolicyLabel(arns: Arns, roleArn: string, policyName: string): string {
  return `role/${arns.roleName(roleArn) ?? roleArn}/${policyName}`;
}

/** A role's inline policies, compiled as IAM policies; evaluated together, an explicit Deny in any of them wins. */
export function compileRolePolicies(arns: Arns, roleArn: string, policies: readonly RoleInlinePolicy[], onError?: (policyName: string, err: unknown) => void): CompiledPolicy[] {
  return compileSafely(
    policies.map((policy) => ({ name: rolePolicyLabel(arns, roleArn, policy.name), document: policy.document, kind: 'iam' as const })),
    onError,
  );
}

/** The registry's default versions, compiled (cached by name, version and document). */
export function compileEffective(policies: EffectivePolicy[], onError?: (policyName: string, err: unknown) => void): CompiledPolicy[] {
  return compileSafely(
    policies.map((e) => ({ name: e.policyName, versionId: e.versionId, document: e.document })),
    onError,
  );
}

function summarize(ev: Evaluation, side: 'iot' | 'role'): Omit<DecisionReport, 'action' | 'resource' | 'reason' | 'policies'> {
  return {
    decision: ev.decision,
    allowed: ev.allowed,
    missingVariables: ev.missingVariables,
    deciding: ev.deciding.map((d) => {
      const out: DecidingStatementReport = { side, policyName: d.policyName, statementIndex: d.statementIndex, effect: d.effect, statement: d.statement };
      if (d.policyVersionId !== undefined) out.policyVersionId = d.policyVersionId;
      if (d.sid !== undefined) out.sid = d.sid;
      return out;
    }),
  };
}

/** "policy home-123 v1 statement 2 (Sid DenyDoors)" */
export function statementLabel(d: Pick<DecidingStatementReport, 'policyName' | 'policyVersionId' | 'statementIndex' | 'sid'>): string {
  return `${d.policyName}${d.policyVersionId ? ` v${d.policyVersionId}` : ''} statement ${d.statementIndex}${d.sid ? ` (Sid ${d.sid})` : ''}`;
}

function iotReason(ev: Evaluation, names: string[], owner: 'certificate' | 'identity'): string {
  if (ev.decision === 'ALLOWED') return `allowed by ${ev.deciding.map((d) => statementLabel(d)).join(', ')}`;
  if (ev.decision === 'EXPLICIT_DENY') return `explicitly denied by ${ev.deciding.map((d) => statementLabel(d)).join(', ')}`;
  if (names.length === 0) return `no IoT policy is attached to the ${owner}`;
  return `no statement of the ${owner}'s policies (${names.join(', ')}) allows it`;
}

function roleReason(ev: Evaluation, c: Compiled, roleArn: string, who: string): string {
  if (ev.decision === 'ALLOWED') return `allowed by the role policy of ${roleArn}`;
  if (ev.decision === 'EXPLICIT_DENY') return `explicitly denied by ${ev.deciding.map((d) => statementLabel(d)).join(', ')}`;
  if (!c.roleKnown) return `the ${who}'s role ${roleArn} is unknown to the local IoT Core, so it grants nothing`;
  if (c.roleNames.length === 0) return `the ${who}'s role ${roleArn} has no inline policy, so it grants nothing`;
  return `the ${who}'s role policy (${roleArn}) does not allow it`;
}
