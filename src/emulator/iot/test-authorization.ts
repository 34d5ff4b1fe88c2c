/**
 * TestAuthorization (POST /test-authorization?clientId=...): the same
 * evaluator and the same policy variables the broker uses, answered in AWS's
 * shape, from the one policy engine (core/policy/decide.ts). The policies are those attached to `principal` (default versions),
 * minus `policyNamesToSkip`, plus `policyNamesToAdd`. Each authInfo is decided
 * over all its resources: any explicit deny wins, then any implicit deny. A
 * policy named in policyNamesToAdd that does not exist is ResourceNotFoundException.
 */
import { buildVariables, decide, type Decision, type ExplainedDecision, type PolicySides } from '../../core/policy/index.js';
import { compileEffective } from '../authorization/authority.js';
import { certificatePrincipal, policyContext, type Principal } from '../authorization/principal.js';
import { ValidationError } from '../errors.js';
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import type { EffectivePolicy, Registry } from '../store/registry.js';
import { RULES, oneOf, optionalString, optionalStringList } from '../validate.js';
import { resolvePrincipal } from './common.js';

const ACTION_TYPES = ['PUBLISH', 'SUBSCRIBE', 'RECEIVE', 'CONNECT'] as const;
type ActionType = (typeof ACTION_TYPES)[number];
const ACTIONS: Record<ActionType, string> = { PUBLISH: 'iot:Publish', SUBSCRIBE: 'iot:Subscribe', RECEIVE: 'iot:Receive', CONNECT: 'iot:Connect' };
const MAX_AUTH_INFOS = 10;

interface AuthInfo {
  actionType: ActionType;
  resources: string[];
}

function authInfos(value: unknown): AuthInfo[] {
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError("1 validation error detected: Value at 'authInfos' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (value.length > MAX_AUTH_INFOS) {
    throw new ValidationError(`1 validation error detected: Value at 'authInfos' failed to satisfy constraint: Member must have length less than or equal to ${MAX_AUTH_INFOS}`);
  }
  return value.map((item, i) => {
    const info = (item ?? {}) as Record<string, unknown>;
    const field = `authInfos.${i + 1}.member`;
    const actionType = oneOf(optionalString(info.actionType, `${field}.actionType`), `${field}.actionType`, ACTION_TYPES);
    if (actionType === undefined) throw new ValidationError(`1 validation error detected: Value null at '${field}.actionType' failed to satisfy constraint: Member must not be null`);
    const resources = optionalStringList(info.resources, `${field}.resources`, { min: 1, max: 2048 }) ?? [];
    if (resources.length === 0) throw new ValidationError(`1 validation error detected: Value at '${field}.resources' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    for (const r of resources) if (!r.startsWith('arn:')) throw new ValidationError(`The resource ${r} is not an ARN (e.g. arn:aws:iot:<region>:<account>:topic/<name>).`);
    return { actionType, resources };
  });
}

/** The principal the variables describe; a Cognito identity counts as authenticated when it has linked logins. */
function principalOf(text: string | undefined, poolId: string | undefined, ctx: ServiceContext): Principal | undefined {
  if (text === undefined) return undefined;
  const registry = ctx.store.registry;
  const ref = resolvePrincipal(text, 'principal', ctx);
  registry.requirePrincipal(ref.key);
  if (ref.kind === 'cert') return certificatePrincipal(ref.id, registry.requireCertificate(ref.id).pem);
  const identity = registry.identities.get(ref.id);
  return {
    kind: 'cognito',
    accessKeyId: '',
    identityId: ref.id,
    poolId: poolId ?? identity?.poolId ?? '',
    authenticated: identity === undefined || Object.keys(identity.logins).length > 0,
    roleArn: '',
  };
}

function effective(registry: Registry, name: string): EffectivePolicy {
  const policy = registry.requirePolicy(name);
  const version = policy.versions.find((v) => v.id === policy.defaultVersionId)!;
  return { policyName: name, policyArn: registry.arns.policy(name), versionId: version.id, document: version.document };
}

const RANK: Record<Decision, number> = { ALLOWED: 0, IMPLICIT_DENY: 1, EXPLICIT_DENY: 2 };

function testAuthorization(req: ServiceRequest, ctx: ServiceContext) {
  const body = req.json();
  const registry = ctx.store.registry;
  const clientId = req.query.get('clientId');
  const infos = authInfos(body.authInfos);
  const poolId = optionalString(body.cognitoIdentityPoolId, 'cognitoIdentityPoolId', RULES.identityPoolId);
  const principal = principalOf(optionalString(body.principal, 'principal', { min: 1, max: 2048 }), poolId, ctx);
  const skip = new Set(optionalStringList(body.policyNamesToSkip, 'policyNamesToSkip', RULES.policyName) ?? []);
  const add = (optionalStringList(body.policyNamesToAdd, 'policyNamesToAdd', RULES.policyName) ?? []).map((name) => effective(registry, name));
  const attached = principal && principal.kind !== 'root' ? registry.policiesFor(principal.kind === 'certificate' ? principal.key : principal.identityId) : [];
  const selected = [...attached.filter((p) => !skip.has(p.policyName)), ...add.filter((p) => !attached.some((a) => a.policyName === p.policyName))];
  // The one policy engine, with the principal's IoT policies (TestAuthorization checks IoT policies, not roles).
  const sides: PolicySides = { iot: { policies: compileEffective(selected), owner: principal?.kind === 'cognito' ? 'identity' : 'certificate' } };
  const context = principal ? policyContext(registry, principal, { clientId }) : clientId !== undefined ? { clientId } : {};
  const bag = buildVariables(context);
  const ref = (name: string) => ({ policyName: name, policyArn: ctx.arns.policy(name) });

  const authResults = infos.map((info) => {
    const evaluations: ExplainedDecision[] = info.resources.map((resource) => decide(sides, { action: ACTIONS[info.actionType], resource }, bag));
    const decision = evaluations.reduce<Decision>((worst, e) => (RANK[e.decision] > RANK[worst] ? e.decision : worst), 'ALLOWED');
    const namesWhere = (pick: (e: ExplainedDecision) => boolean) => [...new Set(evaluations.filter(pick).flatMap((e) => e.deciding.map((d) => d.policyName)))];
    const allowing = decision === 'ALLOWED' ? namesWhere(() => true) : [];
    const denying = decision === 'EXPLICIT_DENY' ? namesWhere((e) => e.decision === 'EXPLICIT_DENY') : [];
    const implicit = decision === 'IMPLICIT_DENY' ? selected.map((p) => p.policyName) : [];
    const missing = [...new Set(evaluations.flatMap((e) => e.missingVariables))];
    return {
      authInfo: { actionType: info.actionType, resources: info.resources },
      allowed: { policies: allowing.map(ref) },
      denied: { implicitDeny: { policies: implicit.map(ref) }, explicitDeny: { policies: denying.map(ref) } },
      authDecision: decision,
      missingContextValues: missing,
    };
  });
  return { authResults };
}

export const testAuthorizationRoutes: Route[] = [{ method: 'POST', path: '/test-authorization', operation: 'TestAuthorization', handler: testAuthorization }];
