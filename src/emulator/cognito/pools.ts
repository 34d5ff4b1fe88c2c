/** Identity pools: create, describe, list, update, delete, and their roles. */
import { randomUUID } from 'node:crypto';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { paginate } from '../pagination.js';
import type { IdentityPoolRecord } from '../store/model.js';
import { ValidationError } from '../errors.js';
import {
  RULES,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  optionalStringMap,
  requireBoolean,
  requireString,
} from '../validate.js';
import type { CognitoOperation } from './operation.js';

export const poolIdOf = (body: Record<string, unknown>) => requireString(body.IdentityPoolId, 'identityPoolId', RULES.identityPoolId);

function providers(value: unknown): IdentityPoolRecord['cognitoIdentityProviders'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError("Value at 'cognitoIdentityProviders' must be a list.");
  return value.map((p, i) => {
    const o = optionalObject(p, `cognitoIdentityProviders.${i + 1}.member`) ?? {};
    return {
      ProviderName: optionalString(o.ProviderName, 'providerName', { min: 1, max: 128 }),
      ClientId: optionalString(o.ClientId, 'clientId', { min: 1, max: 128 }),
      ServerSideTokenCheck: optionalBoolean(o.ServerSideTokenCheck, 'serverSideTokenCheck'),
    };
  });
}

/** The configurable fields of a pool, from a CreateIdentityPool or UpdateIdentityPool body. */
function poolFields(body: Record<string, unknown>) {
  return {
    name: requireString(body.IdentityPoolName, 'identityPoolName', RULES.identityPoolName),
    allowUnauthenticated: requireBoolean(body.AllowUnauthenticatedIdentities, 'allowUnauthenticatedIdentities'),
    allowClassicFlow: optionalBoolean(body.AllowClassicFlow, 'allowClassicFlow') ?? false,
    supportedLoginProviders: optionalStringMap(body.SupportedLoginProviders, 'supportedLoginProviders', { min: 1, max: 128 }, { min: 1, max: 128 }) ?? {},
    developerProviderName: optionalString(body.DeveloperProviderName, 'developerProviderName', { min: 1, max: 128 }),
    openIdConnectProviderArns: optionalStringList(body.OpenIdConnectProviderARNs, 'openIdConnectProviderARNs') ?? [],
    cognitoIdentityProviders: providers(body.CognitoIdentityProviders),
    samlProviderArns: optionalStringList(body.SamlProviderARNs, 'samlProviderARNs') ?? [],
    tags: optionalStringMap(body.IdentityPoolTags, 'identityPoolTags', { min: 1, max: 128 }, { max: 256 }) ?? {},
  };
}

export function poolView(pool: IdentityPoolRecord) {
  return {
    IdentityPoolId: pool.id,
    IdentityPoolName: pool.name,
    AllowUnauthenticatedIdentities: pool.allowUnauthenticated,
    AllowClassicFlow: pool.allowClassicFlow,
    SupportedLoginProviders: pool.supportedLoginProviders,
    DeveloperProviderName: pool.developerProviderName,
    OpenIdConnectProviderARNs: pool.openIdConnectProviderArns,
    CognitoIdentityProviders: pool.cognitoIdentityProviders,
    SamlProviderARNs: pool.samlProviderArns,
    IdentityPoolTags: pool.tags,
  };
}

async function createIdentityPool(req: ServiceRequest, ctx: ServiceContext) {
  const pool: IdentityPoolRecord = { id: `${ctx.arns.region}:${randomUUID()}`, ...poolFields(req.json()), roles: {}, createdAt: ctx.now() };
  await ctx.store.mutate((r) => r.putIdentityPool(pool));
  return poolView(pool);
}

function describeIdentityPool(req: ServiceRequest, ctx: ServiceContext) {
  return poolView(ctx.store.registry.requireIdentityPool(poolIdOf(req.json())));
}

async function updateIdentityPool(req: ServiceRequest, ctx: ServiceContext) {
  const body = req.json();
  const id = poolIdOf(body);
  const fields = poolFields(body);
  const pool = await ctx.store.mutate((r) => {
    const current = r.requireIdentityPool(id);
    const updated = { ...current, ...fields };
    r.putIdentityPool(updated);
    return updated;
  });
  return poolView(pool);
}

async function deleteIdentityPool(req: ServiceRequest, ctx: ServiceContext) {
  const id = poolIdOf(req.json());
  await ctx.store.mutate((r) => r.deleteIdentityPool(id));
}

function listIdentityPools(req: ServiceRequest, ctx: ServiceContext) {
  const body = req.json();
  const max = optionalInteger(body.MaxResults, 'maxResults', { min: 1, max: 60 });
  if (max === undefined) throw new ValidationError("1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null");
  const pools = [...ctx.store.registry.identityPools.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const page = paginate(pools, (p) => p.id, optionalString(body.NextToken, 'nextToken'), max, 'NextToken');
  return { IdentityPools: page.items.map((p) => ({ IdentityPoolId: p.id, IdentityPoolName: p.name })), NextToken: page.next };
}

const ROLE_KEYS = ['authenticated', 'unauthenticated'];

async function setIdentityPoolRoles(req: ServiceRequest, ctx: ServiceContext) {
  const body = req.json();
  const id = poolIdOf(body);
  const roles = optionalStringMap(body.Roles, 'roles', { min: 1, max: 128 }, RULES.roleArn);
  if (!roles) throw new ValidationError("1 validation error detected: Value null at 'roles' failed to satisfy constraint: Member must not be null");
  const unknown = Object.keys(roles).filter((k) => !ROLE_KEYS.includes(k));
  if (unknown.length > 0) throw new ValidationError(`Invalid role key(s) ${unknown.join(', ')}; use "authenticated" and "unauthenticated".`);
  const roleMappings = optionalObject(body.RoleMappings, 'roleMappings');
  await ctx.store.mutate((r) => {
    const pool = r.requireIdentityPool(id);
    r.putIdentityPool({ ...pool, roles, roleMappings });
  });
}

function getIdentityPoolRoles(req: ServiceRequest, ctx: ServiceContext) {
  const pool = ctx.store.registry.requireIdentityPool(poolIdOf(req.json()));
  return { IdentityPoolId: pool.id, Roles: pool.roles, RoleMappings: pool.roleMappings };
}

export const poolOperations: Record<string, CognitoOperation> = {
  CreateIdentityPool: { handler: createIdentityPool },
  DescribeIdentityPool: { handler: describeIdentityPool },
  UpdateIdentityPool: { handler: updateIdentityPool },
  DeleteIdentityPool: { handler: deleteIdentityPool },
  ListIdentityPools: { handler: listIdentityPools },
  SetIdentityPoolRoles: { handler: setIdentityPoolRoles },
  GetIdentityPoolRoles: { handler: getIdentityPoolRoles },
};
