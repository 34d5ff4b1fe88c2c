/**
 * Cognito identity pools: create one with its roles (made with IAM from
 * templates/roles unless ARNs are given; undone if anything fails), describe,
 * list, and read or change its roles. Each function takes the clients and
 * returns plain data.
 */
import {
  CreateIdentityPoolCommand,
  DeleteIdentityPoolCommand,
  DescribeIdentityPoolCommand,
  GetIdentityPoolRolesCommand,
  ListIdentityPoolsCommand,
  SetIdentityPoolRolesCommand,
  type CognitoIdentityClient,
  type CognitoIdentityProvider,
} from '@aws-sdk/client-cognito-identity';
import type { IAMClient } from '@aws-sdk/client-iam';
import { listAll, withoutMetadata } from '../aws/responses.js';
import { createPoolRole, deletePoolRole, poolRoleName, renderRolePolicy, type PoolRoleKind } from './roles.js';

export type PoolRoles = { authenticated?: string; unauthenticated?: string };

export interface NewPool {
  name: string;
  allowUnauthenticated: boolean;
  /** Login providers and their app client ids. */
  loginProviders: { provider: string; clientId: string }[];
  /** Existing role ARNs; a kind without one gets a role made from a template. */
  roleArns: PoolRoles;
  /** Role policy templates (default cognito-auth and cognito-unauth) and the guests' template parameters. */
  authTemplate?: string;
  unauthTemplate?: string;
  params: Record<string, string>;
}

export interface CreatedPool {
  identityPoolId: string;
  identityPoolName: string;
  allowUnauthenticated: boolean;
  loginProviders: string[];
  roles: PoolRoles;
}

export interface PoolDeps {
  cognito: CognitoIdentityClient;
  /** Asked for only when a role is to be made. */
  iam: () => Promise<IAMClient>;
  warn(message: string): void;
}

export async function createIdentityPool(pool: NewPool, deps: PoolDeps): Promise<CreatedPool> {
  const providers: CognitoIdentityProvider[] = pool.loginProviders.map((p) => ({ ProviderName: p.provider, ClientId: p.clientId, ServerSideTokenCheck: false }));
  const created = await deps.cognito.send(
    new CreateIdentityPoolCommand({
      IdentityPoolName: pool.name,
      AllowUnauthenticatedIdentities: pool.allowUnauthenticated,
      CognitoIdentityProviders: providers.length ? providers : undefined,
    }),
  );
  const identityPoolId = created.IdentityPoolId!;
  const roles = await givePoolRoles(pool, identityPoolId, deps);
  return { identityPoolId, identityPoolName: pool.name, allowUnauthenticated: pool.allowUnauthenticated, loginProviders: pool.loginProviders.map((p) => p.provider), roles };
}

/**
 * The pool's roles: the ARNs given, else roles made with IAM from templates
 * (guests get one only when allowed). If anything fails, the roles made and
 * the pool itself are deleted again, so no half-made pool stays.
 */
async function givePoolRoles(pool: NewPool, poolId: string, deps: PoolDeps): Promise<PoolRoles> {
  const roles: PoolRoles = { ...pool.roleArns };
  const made: string[] = [];
  try {
    const wanted: [PoolRoleKind, string | undefined][] = [
      ['authenticated', roles.authenticated ? undefined : (pool.authTemplate ?? 'cognito-auth')],
      ['unauthenticated', roles.unauthenticated || !pool.allowUnauthenticated ? undefined : (pool.unauthTemplate ?? 'cognito-unauth')],
    ];
    for (const [kind, template] of wanted) {
      if (!template) continue;
      const document = await renderRolePolicy(template, kind === 'unauthenticated' ? pool.params : {});
      const roleName = poolRoleName(pool.name, poolId, kind);
      const iam = await deps.iam();
      made.push(roleName);
      roles[kind] = await createPoolRole(iam, roleName, poolId, kind, document);
    }
    await setPoolRoles(deps.cognito, poolId, roles);
    return roles;
  } catch (err) {
    if (made.length > 0) {
      const iam = await deps.iam();
      for (const roleName of made) await deletePoolRole(iam, roleName);
    }
    await deps.cognito.send(new DeleteIdentityPoolCommand({ IdentityPoolId: poolId })).catch(() => undefined);
    deps.warn(`identity pool ${poolId}${made.length ? ` and the roles ${made.join(', ')}` : ''} deleted again, since setting the roles failed.`);
    throw err;
  }
}

/** A pool and its roles. */
export async function describeIdentityPool(cognito: CognitoIdentityClient, identityPoolId: string) {
  const [pool, roles] = await Promise.all([
    cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: identityPoolId })),
    poolRoles(cognito, identityPoolId),
  ]);
  return { ...withoutMetadata(pool), Roles: roles };
}

export async function listIdentityPools(cognito: CognitoIdentityClient) {
  return listAll(async (NextToken) => {
    const page = await cognito.send(new ListIdentityPoolsCommand({ MaxResults: 60, NextToken }));
    return { items: (page.IdentityPools ?? []).map((p) => ({ identityPoolId: p.IdentityPoolId!, identityPoolName: p.IdentityPoolName! })), next: page.NextToken };
  });
}

export async function poolRoles(cognito: CognitoIdentityClient, identityPoolId: string): Promise<PoolRoles> {
  return (await cognito.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: identityPoolId }))).Roles ?? {};
}

export async function setPoolRoles(cognito: CognitoIdentityClient, identityPoolId: string, roles: PoolRoles): Promise<void> {
  await cognito.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: identityPoolId, Roles: roles as Record<string, string> }));
}

/** Sets the roles given, keeps the others; returns the roles now in force. */
export async function changePoolRoles(cognito: CognitoIdentityClient, identityPoolId: string, change: PoolRoles): Promise<PoolRoles> {
  if (change.authenticated || change.unauthenticated) {
    const current = await poolRoles(cognito, identityPoolId);
    await setPoolRoles(cognito, identityPoolId, {
      ...current,
      ...(change.authenticated ? { authenticated: change.authenticated } : {}),
      ...(change.unauthenticated ? { unauthenticated: change.unauthenticated } : {}),
    });
  }
  return poolRoles(cognito, identityPoolId);
}
