/**
 * The one decision and its explanation, for every path that authorizes a
 * request: `iotctl policy test`/`explain`, TestAuthorization, the broker (and
 * its auth log), and the HTTP data plane. It takes the principal's policies
 * as "sides" and returns the decision, the deciding statements, the missing
 * variables, and one sentence that names what decided. The same denial reads
 * the same wherever it is shown.
 *
 * - a certificate (or policy files): its IoT policies;
 * - an unauthenticated Cognito identity: its role's policies alone;
 * - an authenticated Cognito identity: its role's policies AND the IoT
 *   policies attached to its identity id (cognito.ts holds that rule).
 */
import { combineCognito } from './cognito.js';
import type { CompiledPolicy } from './compile.js';
import { evaluate, explain, isAllowed, type AuthRequest, type ContextSource, type DecidingStatement, type Decision, type Evaluation, type Explanation, type StatementTrace } from './evaluate.js';
import { buildVariables, VariableBag } from './variables.js';

/** Whose IoT policies these are: the words of the sentences. */
export type IotOwner = 'certificate' | 'identity' | 'files';

export interface PolicySides {
  /** IoT policies: a certificate's, an authenticated Cognito identity's, or policy files. */
  iot?: { policies: readonly CompiledPolicy[]; owner: IotOwner };
  /** A Cognito identity's role (its inline policies). Without `iot`, the role alone decides (unauthenticated identities). */
  role?: { policies: readonly CompiledPolicy[]; roleArn: string; known: boolean; authenticated: boolean };
}

/** A deciding statement and the side it came from. */
export interface DecidingStatementOf extends DecidingStatement {
  side: 'iot' | 'role';
}

export interface ExplainedDecision {
  decision: Decision;
  allowed: boolean;
  action: string;
  resource: string;
  /** One sentence that names what decided, e.g. `explicitly denied by home version 1, Statement[1] "NoDoors"`. */
  reason: string;
  deciding: DecidingStatementOf[];
  missingVariables: string[];
  /** The names of the policies evaluated (role policies first). */
  policies: string[];
  /** Statements covering the action that cannot be evaluated (they fail closed: a Deny denied, an Allow granted nothing). */
  unreadable: DecidingStatementOf[];
  /** For an authenticated Cognito identity: each side's decision. */
  cognito?: { decidedBy: 'both' | 'iam' | 'iot'; roleDecision: Decision; iotDecision: Decision };
  /** Statement by statement, when asked for (`policy explain`). */
  trace?: StatementTrace[];
}

const toBag = (context: ContextSource) => (context instanceof VariableBag ? context : buildVariables(context));

/** The decision alone: the hot path (every PUBLISH and every delivery). */
export function isAllowedBy(sides: PolicySides, request: AuthRequest, context: ContextSource): boolean {
  const bag = toBag(context);
  if (sides.role && !isAllowed(sides.role.policies, request, bag)) return false;
  if (sides.iot) return isAllowed(sides.iot.policies, request, bag);
  return sides.role !== undefined;
}

/** `home version 1, Statement[1] "NoDoors"`: how a statement is named everywhere. */
export function statementName(s: { policyName: string; policyVersionId?: string; statementIndex: number; sid?: string }): string {
  const version = s.policyVersionId !== undefined ? ` version ${s.policyVersionId}` : '';
  const sid = s.sid !== undefined ? ` "${s.sid}"` : '';
  return `${s.policyName}${version}, Statement[${s.statementIndex}]${sid}`;
}

/** A statement named, with why it cannot be evaluated when it cannot. */
const named = (d: DecidingStatement) => (d.unreadable === undefined ? statementName(d) : `${statementName(d)}, which iotctl cannot evaluate (${d.unreadable}) and so counts as matching`);
const listed = (deciding: readonly DecidingStatement[]) => deciding.map(named).join('; ');

/** Allow statements that could not be evaluated granted nothing: say so when the request was not allowed. */
function withIgnoredAllows(decision: ExplainedDecision): ExplainedDecision {
  const ignored = decision.unreadable.filter((d) => d.effect === 'Allow');
  if (decision.allowed || ignored.length === 0) return decision;
  const which = ignored.map((d) => `${statementName(d)} (${d.unreadable})`).join('; ');
  return { ...decision, reason: `${decision.reason}; ${which} cannot be evaluated by iotctl, so ${ignored.length === 1 ? 'it grants' : 'they grant'} nothing` };
}

function iotReason(ev: Evaluation, owner: IotOwner, names: string[]): string {
  if (ev.decision === 'ALLOWED') return `allowed by ${listed(ev.deciding)}`;
  if (ev.decision === 'EXPLICIT_DENY') return `explicitly denied by ${listed(ev.deciding)}`;
  if (names.length === 0) return owner === 'files' ? 'no policy was given' : `no IoT policy is attached to the ${owner}`;
  const whose = owner === 'files' ? 'the policies' : `the ${owner}'s policies`;
  return `no statement of ${whose} (${names.join(', ')}) allows it`;
}

function roleReason(ev: Evaluation, role: NonNullable<PolicySides['role']>): string {
  const who = `${role.authenticated ? 'authenticated' : 'unauthenticated'} identity's role ${role.roleArn}`;
  if (ev.decision === 'ALLOWED') return `allowed by ${listed(ev.deciding)} (the ${who})`;
  if (ev.decision === 'EXPLICIT_DENY') return `explicitly denied by ${listed(ev.deciding)}`;
  if (!role.known) return `the ${who} is unknown here, so it grants nothing`;
  if (role.policies.length === 0) return `the ${who} has no inline policy, so it grants nothing`;
  return `no statement of the ${who} allows it`;
}

const withSide = (side: 'iot' | 'role') => (d: DecidingStatement): DecidingStatementOf => ({ ...d, side });

/** Decides one request and explains it. `trace` adds every statement's verdict. */
export function decide(sides: PolicySides, request: AuthRequest, context: ContextSource, options: { trace?: boolean } = {}): ExplainedDecision {
  return withIgnoredAllows(decideSides(sides, request, context, options));
}

function decideSides(sides: PolicySides, request: AuthRequest, context: ContextSource, options: { trace?: boolean }): ExplainedDecision {
  const bag = toBag(context);
  const run = (policies: readonly CompiledPolicy[]): Evaluation & Partial<Explanation> => (options.trace ? explain(policies, request, bag) : evaluate(policies, request, bag));
  const iotNames = sides.iot?.policies.map((p) => p.name) ?? [];
  const roleNames = sides.role?.policies.map((p) => p.name) ?? [];
  const base = { action: request.action, resource: request.resource, policies: [...roleNames, ...iotNames] };

  if (!sides.role) {
    const ev = run(sides.iot?.policies ?? []);
    const owner = sides.iot?.owner ?? 'files';
    return { ...base, decision: ev.decision, allowed: ev.allowed, reason: iotReason(ev, owner, iotNames), deciding: ev.deciding.map(withSide('iot')), missingVariables: ev.missingVariables, unreadable: ev.unreadable.map(withSide('iot')), trace: ev.trace };
  }
  const role = run(sides.role.policies);
  if (!sides.iot) {
    return { ...base, decision: role.decision, allowed: role.allowed, reason: roleReason(role, sides.role), deciding: role.deciding.map(withSide('role')), missingVariables: role.missingVariables, unreadable: role.unreadable.map(withSide('role')), trace: role.trace };
  }

  const iot = run(sides.iot.policies);
  const combined = combineCognito(role, iot);
  const deciding = [...role.deciding.map(withSide('role')), ...iot.deciding.map(withSide('iot'))].filter((d) => (combined.decision === 'EXPLICIT_DENY' ? d.effect === 'Deny' : combined.allowed));
  let reason: string;
  if (combined.decision === 'EXPLICIT_DENY') reason = `explicitly denied by ${listed(deciding)}`;
  else if (combined.allowed) reason = `${combined.reason}: ${listed(deciding)}`;
  else {
    const why = [...(role.allowed ? [] : [roleReason(role, sides.role)]), ...(iot.allowed ? [] : [iotReason(iot, sides.iot.owner, iotNames)])];
    reason = `${combined.reason}: ${why.join('; ')}`;
  }
  return {
    ...base,
    decision: combined.decision,
    allowed: combined.allowed,
    reason,
    deciding,
    missingVariables: combined.missingVariables,
    unreadable: [...role.unreadable.map(withSide('role')), ...iot.unreadable.map(withSide('iot'))],
    cognito: { decidedBy: combined.decidedBy, roleDecision: role.decision, iotDecision: iot.decision },
    trace: options.trace ? [...(role.trace ?? []), ...(iot.trace ?? [])] : undefined,
  };
}
