/**
 * A small IAM: roles with a trust policy and named inline policies, enough for
 * Cognito identity pools. The data plane evaluates a role's inline policies
 * for Cognito credentials (registry.rolePolicies); the trust policy is kept
 * and returned, not evaluated. Wire shapes follow botocore's iam model.
 */
import type { ServiceContext } from '../http/types.js';
import { paginate } from '../pagination.js';
import { ROLE_POLICY_LIMITS, TRUST_POLICY_LIMITS, checkPolicyDocument, policySize } from '../policy-document.js';
import type { RoleRecord } from '../store/model.js';
import { ServiceError, ValidationError } from '../errors.js';
import { RULES, requireString } from '../validate.js';
import type { QueryParams, XmlValue } from './query.js';

type Result = Record<string, XmlValue | undefined> | undefined;
export type IamOperation = (input: QueryParams, ctx: ServiceContext) => Result | Promise<Result>;

/** IAM's default quota for a trust policy (it can be raised to 4,096 on AWS). */
const MAX_TRUST_POLICY_CHARS = 2048;
const MAX_TAGS = 50;
const DEFAULT_MAX_ITEMS = 100;

/** A role's documents come back URL-encoded, as IAM returns them (the AWS CLI decodes them; SDK users call decodeURIComponent). */
const urlEncoded = (document: string) => encodeURIComponent(document);

function roleXml(role: RoleRecord, ctx: ServiceContext, detail: 'list' | 'full'): Record<string, XmlValue | undefined> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: ctx.arns.role(role.name, role.path),
    CreateDate: new Date(role.createdAt),
    AssumeRolePolicyDocument: urlEncoded(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    ...(detail === 'full' ? { Tags: role.tags.length > 0 ? role.tags : undefined, RoleLastUsed: {} } : {}),
  };
}

const roleNameOf = (input: QueryParams) => input.required('RoleName', RULES.roleName);
const policyNameOf = (input: QueryParams) => input.required('PolicyName', RULES.policyName);

function trustPolicyOf(input: QueryParams, member: string): string {
  const document = checkPolicyDocument(input.required(member, RULES.iamPolicyDocument), member, TRUST_POLICY_LIMITS);
  if (policySize(document) > MAX_TRUST_POLICY_CHARS) throw new ServiceError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${MAX_TRUST_POLICY_CHARS}`);
  return document;
}

function tagsOf(input: QueryParams): RoleRecord['tags'] {
  const tags = input.structures('Tags');
  if (tags.length > MAX_TAGS) throw new ValidationError(`1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TAGS}`);
  return tags.map((tag, i) => ({
    Key: requireString(tag.Key, `tags.${i + 1}.member.key`, RULES.tagKey),
    Value: requireString(tag.Value, `tags.${i + 1}.member.value`, RULES.tagValue),
  }));
}

/** One page of a list operation: `Marker`/`MaxItems` in, `IsTruncated`/`Marker` out. */
function page<T>(input: QueryParams, items: readonly T[], keyOf: (item: T) => string): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const maxItems = input.integer('MaxItems', { min: 1, max: 1000 }) ?? DEFAULT_MAX_ITEMS;
  const result = paginate(items, keyOf, input.optional('Marker', RULES.iamMarker), maxItems, 'marker');
  return { items: result.items, IsTruncated: result.next !== undefined, Marker: result.next };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function createRole(input: QueryParams, ctx: ServiceContext): Promise<Result> {
  const name = roleNameOf(input);
  const path = input.optional('Path', RULES.iamPath) ?? '/';
  const trustPolicy = trustPolicyOf(input, 'AssumeRolePolicyDocument');
  const description = input.optional('Description', RULES.roleDescription);
  const maxSessionDuration = input.integer('MaxSessionDuration', { min: 3600, max: 43200 }) ?? 3600;
  const tags = tagsOf(input);
  if (input.optional('PermissionsBoundary') !== undefined) {
    throw new ServiceError('InvalidInput', 'Permissions boundaries are not supported by the local IoT Core.');
  }
  const role = await ctx.store.mutate((r) => r.createRole({ name, path, trustPolicy, description, maxSessionDuration, tags }, ctx.now()));
  return { Role: roleXml(role, ctx, 'full') };
}

function getRole(input: QueryParams, ctx: ServiceContext): Result {
  return { Role: roleXml(ctx.store.registry.requireRole(roleNameOf(input)), ctx, 'full') };
}

function listRoles(input: QueryParams, ctx: ServiceContext): Result {
  const prefix = input.optional('PathPrefix', RULES.iamPathPrefix) ?? '/';
  const roles = [...ctx.store.registry.roles.values()].filter((r) => r.path.startsWith(prefix)).sort(byName);
  const { items, IsTruncated, Marker } = page(input, roles, (r) => r.name);
  return { Roles: items.map((r) => roleXml(r, ctx, 'list')), IsTruncated, Marker };
}

async function deleteRole(input: QueryParams, ctx: ServiceContext): Promise<Result> {
  const name = roleNameOf(input);
  await ctx.store.mutate((r) => r.deleteRole(name));
  return undefined;
}

async function updateAssumeRolePolicy(input: QueryParams, ctx: ServiceContext): Promise<Result> {
  const name = roleNameOf(input);
  const trustPolicy = trustPolicyOf(input, 'PolicyDocument');
  await ctx.store.mutate((r) => r.updateTrustPolicy(name, trustPolicy, ctx.now()));
  return undefined;
}

async function putRolePolicy(input: QueryParams, ctx: ServiceContext): Promise<Result> {
  const roleName = roleNameOf(input);
  const policyName = policyNameOf(input);
  const document = checkPolicyDocument(input.required('PolicyDocument', RULES.iamPolicyDocument), 'PolicyDocument', ROLE_POLICY_LIMITS);
  await ctx.store.mutate((r) => r.putRolePolicy(roleName, policyName, document, ctx.now()));
  return undefined;
}

function getRolePolicy(input: QueryParams, ctx: ServiceContext): Result {
  const roleName = roleNameOf(input);
  const policy = ctx.store.registry.requireRolePolicy(roleName, policyNameOf(input));
  return { RoleName: roleName, PolicyName: policy.name, PolicyDocument: urlEncoded(policy.document) };
}

async function deleteRolePolicy(input: QueryParams, ctx: ServiceContext): Promise<Result> {
  const roleName = roleNameOf(input);
  const policyName = policyNameOf(input);
  await ctx.store.mutate((r) => r.deleteRolePolicy(roleName, policyName));
  return undefined;
}

function listRolePolicies(input: QueryParams, ctx: ServiceContext): Result {
  const names = ctx.store.registry.requireRole(roleNameOf(input)).policies.map((p) => p.name).sort();
  const { items, IsTruncated, Marker } = page(input, names, (n) => n);
  return { PolicyNames: items, IsTruncated, Marker };
}

/** By the query protocol's `Action`. A Map, so `Action=constructor` finds nothing. */
export const iamOperations: ReadonlyMap<string, IamOperation> = new Map<string, IamOperation>([
  ['CreateRole', createRole],
  ['GetRole', getRole],
  ['ListRoles', listRoles],
  ['DeleteRole', deleteRole],
  ['UpdateAssumeRolePolicy', updateAssumeRolePolicy],
  ['PutRolePolicy', putRolePolicy],
  ['GetRolePolicy', getRolePolicy],
  ['DeleteRolePolicy', deleteRolePolicy],
  ['ListRolePolicies', listRolePolicies],
]);

/** A role policy given to createEmulator({ roles }): JSON text or an object, checked like PutRolePolicy's. */
export function seedPolicyDocument(value: unknown): string {
  return checkPolicyDocument(typeof value === 'object' && value !== null ? JSON.stringify(value) : value, 'policyDocument', ROLE_POLICY_LIMITS);
}
