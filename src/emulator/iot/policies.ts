/** Policies, their versions, and attaching them to principals (certificates, Cognito identities). */
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { paginate } from '../pagination.js';
import { checkIotPolicyDocument } from '../policy-document.js';
import type { PolicyRecord } from '../store/model.js';
import { RULES, queryBoolean, requireString } from '../validate.js';
import { ValidationError } from '../errors.js';
import { epochSeconds, header, pageSize, resolvePrincipal } from './common.js';

const policyNameParam = (req: ServiceRequest) => requireString(req.params.policyName, 'policyName', RULES.policyName);
const versionIdParam = (req: ServiceRequest) => requireString(req.params.policyVersionId, 'policyVersionId', RULES.policyVersionId);

function tags(value: unknown): PolicyRecord['tags'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError("Value at 'tags' must be a list.");
  return value.map((t, i) => {
    const tag = t as Record<string, unknown>;
    return { Key: requireString(tag?.Key, `tags.${i + 1}.member.Key`, { min: 1, max: 128 }), Value: typeof tag.Value === 'string' ? tag.Value : undefined };
  });
}

function defaultDocument(policy: PolicyRecord): string {
  return policy.versions.find((v) => v.id === policy.defaultVersionId)!.document;
}

async function createPolicy(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  const body = req.json();
  const document = checkIotPolicyDocument(body.policyDocument, 'policyDocument');
  const policy = await ctx.store.mutate((r) => r.createPolicy(name, document, tags(body.tags), ctx.now()));
  return { policyName: name, policyArn: ctx.arns.policy(name), policyDocument: document, policyVersionId: policy.defaultVersionId };
}

function getPolicy(req: ServiceRequest, ctx: ServiceContext) {
  const policy = ctx.store.registry.requirePolicy(policyNameParam(req));
  return {
    policyName: policy.name,
    policyArn: ctx.arns.policy(policy.name),
    policyDocument: defaultDocument(policy),
    defaultVersionId: policy.defaultVersionId,
    creationDate: epochSeconds(policy.createdAt),
    lastModifiedDate: epochSeconds(policy.updatedAt),
    generationId: policy.generationId,
  };
}

async function deletePolicy(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  await ctx.store.mutate((r) => r.deletePolicy(name));
}

/** ListPolicies/ListPrincipalPolicies/ListAttachedPolicies entries. */
function policyEntries(names: string[], ctx: ServiceContext) {
  return names.map((policyName) => ({ policyName, policyArn: ctx.arns.policy(policyName) }));
}

function listPolicies(req: ServiceRequest, ctx: ServiceContext) {
  const ascending = queryBoolean(req.query.get('isAscendingOrder'), 'isAscendingOrder') ?? false;
  const policies = [...ctx.store.registry.policies.values()].sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  if (!ascending) policies.reverse();
  const page = paginate(policies, (p) => p.name, req.query.get('marker'), pageSize(req, 'pageSize'), 'marker');
  return { policies: policyEntries(page.items.map((p) => p.name), ctx), nextMarker: page.next };
}

async function createPolicyVersion(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  const setAsDefault = queryBoolean(req.query.get('setAsDefault'), 'setAsDefault') ?? false;
  const document = checkIotPolicyDocument(req.json().policyDocument, 'policyDocument');
  const version = await ctx.store.mutate((r) => r.createPolicyVersion(name, document, setAsDefault, ctx.now()));
  return { policyArn: ctx.arns.policy(name), policyDocument: document, policyVersionId: version.id, isDefaultVersion: setAsDefault };
}

function getPolicyVersion(req: ServiceRequest, ctx: ServiceContext) {
  const { policy, version } = ctx.store.registry.requirePolicyVersion(policyNameParam(req), versionIdParam(req));
  return {
    policyArn: ctx.arns.policy(policy.name),
    policyName: policy.name,
    policyDocument: version.document,
    policyVersionId: version.id,
    isDefaultVersion: version.id === policy.defaultVersionId,
    creationDate: epochSeconds(version.createdAt),
    lastModifiedDate: epochSeconds(policy.updatedAt),
    generationId: policy.generationId,
  };
}

function listPolicyVersions(req: ServiceRequest, ctx: ServiceContext) {
  const policy = ctx.store.registry.requirePolicy(policyNameParam(req));
  const versions = [...policy.versions].reverse();
  return {
    policyVersions: versions.map((v) => ({ versionId: v.id, isDefaultVersion: v.id === policy.defaultVersionId, createDate: epochSeconds(v.createdAt) })),
  };
}

async function setDefaultPolicyVersion(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  const versionId = versionIdParam(req);
  await ctx.store.mutate((r) => r.setDefaultPolicyVersion(name, versionId, ctx.now()));
}

async function deletePolicyVersion(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  const versionId = versionIdParam(req);
  await ctx.store.mutate((r) => r.deletePolicyVersion(name, versionId));
}

/** AttachPolicy and DetachPolicy take `target` in the body; the legacy *PrincipalPolicy ops take a header. */
function attachment(req: ServiceRequest, ctx: ServiceContext, legacy: boolean) {
  const name = policyNameParam(req);
  const text = legacy ? header(req, 'x-amzn-iot-principal') : requireString(req.json().target, 'target');
  return { name, principal: resolvePrincipal(text, legacy ? 'principal' : 'target', ctx).key };
}

async function attach(req: ServiceRequest, ctx: ServiceContext, legacy: boolean) {
  const { name, principal } = attachment(req, ctx, legacy);
  await ctx.store.mutate((r) => r.attachPolicy(name, principal));
}

async function detach(req: ServiceRequest, ctx: ServiceContext, legacy: boolean) {
  const { name, principal } = attachment(req, ctx, legacy);
  await ctx.store.mutate((r) => r.detachPolicy(name, principal));
}

function listAttachedPolicies(req: ServiceRequest, ctx: ServiceContext) {
  const target = resolvePrincipal(req.params.target, 'target', ctx);
  queryBoolean(req.query.get('recursive'), 'recursive'); // no thing groups locally, so recursion changes nothing
  ctx.store.registry.requirePrincipal(target.key);
  const page = paginate(ctx.store.registry.policyNamesFor(target.key), (n) => n, req.query.get('marker'), pageSize(req, 'pageSize'), 'marker');
  return { policies: policyEntries(page.items, ctx), nextMarker: page.next };
}

function listPrincipalPolicies(req: ServiceRequest, ctx: ServiceContext) {
  const principal = resolvePrincipal(header(req, 'x-amzn-iot-principal'), 'principal', ctx);
  ctx.store.registry.requirePrincipal(principal.key);
  const ascending = queryBoolean(req.query.get('isAscendingOrder'), 'isAscendingOrder') ?? false;
  const names = ctx.store.registry.policyNamesFor(principal.key);
  if (!ascending) names.reverse();
  const page = paginate(names, (n) => n, req.query.get('marker'), pageSize(req, 'pageSize'), 'marker');
  return { policies: policyEntries(page.items, ctx), nextMarker: page.next };
}

function listTargetsForPolicy(req: ServiceRequest, ctx: ServiceContext) {
  const name = policyNameParam(req);
  ctx.store.registry.requirePolicy(name);
  const targets = ctx.store.registry.targetsOf(name).map((key) => ctx.arns.principalText(key));
  const page = paginate(targets, (t) => t, req.query.get('marker'), pageSize(req, 'pageSize'), 'marker');
  return { targets: page.items, nextMarker: page.next };
}

export const policyRoutes: Route[] = [
  { method: 'POST', path: '/policies/{policyName}', operation: 'CreatePolicy', handler: createPolicy },
  { method: 'GET', path: '/policies/{policyName}', operation: 'GetPolicy', handler: getPolicy },
  { method: 'DELETE', path: '/policies/{policyName}', operation: 'DeletePolicy', handler: deletePolicy },
  { method: 'GET', path: '/policies', operation: 'ListPolicies', handler: listPolicies },
  { method: 'POST', path: '/policies/{policyName}/version', operation: 'CreatePolicyVersion', handler: createPolicyVersion },
  { method: 'GET', path: '/policies/{policyName}/version', operation: 'ListPolicyVersions', handler: listPolicyVersions },
  { method: 'GET', path: '/policies/{policyName}/version/{policyVersionId}', operation: 'GetPolicyVersion', handler: getPolicyVersion },
  { method: 'PATCH', path: '/policies/{policyName}/version/{policyVersionId}', operation: 'SetDefaultPolicyVersion', handler: setDefaultPolicyVersion },
  { method: 'DELETE', path: '/policies/{policyName}/version/{policyVersionId}', operation: 'DeletePolicyVersion', handler: deletePolicyVersion },
  { method: 'PUT', path: '/target-policies/{policyName}', operation: 'AttachPolicy', handler: (req, ctx) => attach(req, ctx, false) },
  { method: 'POST', path: '/target-policies/{policyName}', operation: 'DetachPolicy', handler: (req, ctx) => detach(req, ctx, false) },
  { method: 'PUT', path: '/principal-policies/{policyName}', operation: 'AttachPrincipalPolicy', handler: (req, ctx) => attach(req, ctx, true) },
  { method: 'DELETE', path: '/principal-policies/{policyName}', operation: 'DetachPrincipalPolicy', handler: (req, ctx) => detach(req, ctx, true) },
  { method: 'GET', path: '/principal-policies', operation: 'ListPrincipalPolicies', handler: listPrincipalPolicies },
  { method: 'POST', path: '/attached-policies/{target}', operation: 'ListAttachedPolicies', handler: listAttachedPolicies },
  { method: 'POST', path: '/policy-targets/{policyName}', operation: 'ListTargetsForPolicy', handler: listTargetsForPolicy },
];
