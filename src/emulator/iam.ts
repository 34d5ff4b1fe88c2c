/**
 * A small local IAM: role name → policy document. Identity pools name roles
 * by ARN (arn:aws:iam::<account>:role/<name>); the data plane evaluates the
 * role's document for Cognito credentials. A role unknown here grants nothing.
 * Roles are managed with these local-only routes (signed with the root key):
 *   PUT    /_local/iam/roles/{roleName}   {"policyDocument": <JSON string or object>}
 *   GET    /_local/iam/roles[/{roleName}]
 *   DELETE /_local/iam/roles/{roleName}
 * or seeded with createEmulator({ roles }).
 */
import type { Route } from './http/router.js';
import type { ServiceContext, ServiceRequest } from './http/types.js';
import { ROLE_POLICY_LIMITS, checkPolicyDocument } from './policy-document.js';
import { RULES, requireString } from './validate.js';
import { ServiceError } from './errors.js';

/** A document given as a JSON object is stored as its JSON text. */
export function roleDocument(value: unknown): string {
  return checkPolicyDocument(typeof value === 'object' && value !== null ? JSON.stringify(value) : value, 'policyDocument', ROLE_POLICY_LIMITS);
}

const roleNameParam = (req: ServiceRequest) => requireString(req.params.roleName, 'roleName', RULES.roleName);

async function putRole(req: ServiceRequest, ctx: ServiceContext) {
  const name = roleNameParam(req);
  const document = roleDocument(req.json().policyDocument);
  await ctx.store.mutate((r) => r.putRole(name, document, ctx.now()));
  return { roleName: name, roleArn: ctx.arns.role(name) };
}

function getRole(req: ServiceRequest, ctx: ServiceContext) {
  const name = roleNameParam(req);
  const role = ctx.store.registry.roles.get(name);
  if (!role) throw new ServiceError('NoSuchEntity', `The role with name ${name} cannot be found.`, {}, 404);
  return { roleName: name, roleArn: ctx.arns.role(name), policyDocument: role.policyDocument };
}

function listRoles(_req: ServiceRequest, ctx: ServiceContext) {
  return { roles: [...ctx.store.registry.roles.values()].map((r) => ({ roleName: r.name, roleArn: ctx.arns.role(r.name) })) };
}

async function deleteRole(req: ServiceRequest, ctx: ServiceContext) {
  const name = roleNameParam(req);
  await ctx.store.mutate((r) => r.deleteRole(name));
}

export const iamRoutes: Route[] = [
  { method: 'PUT', path: '/_local/iam/roles/{roleName}', operation: 'PutRole', handler: putRole },
  { method: 'GET', path: '/_local/iam/roles/{roleName}', operation: 'GetRole', handler: getRole },
  { method: 'GET', path: '/_local/iam/roles', operation: 'ListRoles', handler: listRoles },
  { method: 'DELETE', path: '/_local/iam/roles/{roleName}', operation: 'DeleteRole', handler: deleteRole },
];
