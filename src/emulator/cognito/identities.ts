/**
 * The unsigned identity flow: GetId, GetCredentialsForIdentity (the enhanced
 * flow: credentials for the pool's role, valid one hour) and GetOpenIdToken.
 * Minted credentials are remembered (with who they belong to) so the SigV4
 * verifier and the data plane can resolve them until they expire.
 */
import { randomUUID } from 'node:crypto';
import { ServiceError } from '../errors.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import type { IdentityPoolRecord, IdentityRecord, SessionRecord } from '../store/model.js';
import { RULES, optionalString, optionalStringMap, requireString } from '../validate.js';
import { newAccessKey, newSessionToken } from '../credentials.js';
import { notAuthorized, validateLogins } from './logins.js';
import type { CognitoOperation } from './operation.js';

export const CREDENTIALS_LIFETIME_MS = 3600 * 1000;
const OPENID_TOKEN_LIFETIME_S = 600;

const UNAUTH_NOT_SUPPORTED = 'Unauthenticated access is not supported for this identity pool.';
const LOGINS_DONT_MATCH = "Logins don't match. Please include at least one valid login for this identity or identity pool.";

function loginsOf(body: Record<string, unknown>): Record<string, string> {
  const logins = optionalStringMap(body.Logins, 'logins', { min: 1, max: 128 }, { min: 1, max: 50000 }) ?? {};
  if (Object.keys(logins).length > 10) throw new ServiceError('InvalidParameterException', 'At most 10 logins may be given.');
  return logins;
}

async function getId(req: ServiceRequest, ctx: ServiceContext) {
  const body = req.json();
  const poolId = requireString(body.IdentityPoolId, 'identityPoolId', RULES.identityPoolId);
  optionalString(body.AccountId, 'accountId', { pattern: /^\d+$/, min: 1, max: 15 });
  const logins = loginsOf(body);
  const pool = ctx.store.registry.requireIdentityPool(poolId);
  const subjects = Object.keys(logins).length > 0 ? await validateLogins(logins, pool, ctx.loginValidators) : {};
  const identity = await ctx.store.mutate((r) => {
    const current = r.requireIdentityPool(poolId);
    const linked = Object.entries(subjects)
      .map(([provider, subject]) => r.identityByLogin(poolId, provider, subject))
      .find((i) => i !== undefined);
    if (linked) {
      r.linkLogins(linked, subjects, ctx.now());
      return linked;
    }
    if (Object.keys(subjects).length === 0 && !current.allowUnauthenticated) throw notAuthorized(UNAUTH_NOT_SUPPORTED);
    const created: IdentityRecord = { id: `${ctx.arns.region}:${randomUUID()}`, poolId, logins: subjects, createdAt: ctx.now(), updatedAt: ctx.now() };
    r.addIdentity(created);
    return created;
  });
  return { IdentityId: identity.id };
}

/**
 * Checks the caller may act as the identity: an identity with linked logins
 * needs one of them again; one without needs the pool to allow guests.
 * Resolves whether the call is authenticated and the logins' subjects.
 */
async function authenticateIdentity(body: Record<string, unknown>, ctx: ServiceContext) {
  const identity = ctx.store.registry.requireIdentity(requireString(body.IdentityId, 'identityId', RULES.identityId));
  const pool = ctx.store.registry.requireIdentityPool(identity.poolId);
  const logins = loginsOf(body);
  const linked = Object.keys(identity.logins).length > 0;
  if (Object.keys(logins).length === 0) {
    if (linked) throw notAuthorized(LOGINS_DONT_MATCH);
    if (!pool.allowUnauthenticated) throw notAuthorized(UNAUTH_NOT_SUPPORTED);
    return { identity, pool, authenticated: false, subjects: {} as Record<string, string> };
  }
  const subjects = await validateLogins(logins, pool, ctx.loginValidators);
  if (linked && !Object.entries(subjects).some(([p, s]) => identity.logins[p] === s)) throw notAuthorized(LOGINS_DONT_MATCH);
  return { identity, pool, authenticated: true, subjects };
}

function roleFor(pool: IdentityPoolRecord, authenticated: boolean): string {
  const role = pool.roles[authenticated ? 'authenticated' : 'unauthenticated'];
  if (!role) throw new ServiceError('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.');
  return role;
}

async function getCredentialsForIdentity(req: ServiceRequest, ctx: ServiceContext) {
  const { identity, pool, authenticated, subjects } = await authenticateIdentity(req.json(), ctx);
  const roleArn = roleFor(pool, authenticated);
  const key = newAccessKey('ASIA');
  // Whole seconds: Expiration travels as epoch seconds.
  const expiresAt = Math.floor((ctx.now() + CREDENTIALS_LIFETIME_MS) / 1000) * 1000;
  const session: SessionRecord = {
    ...key,
    sessionToken: newSessionToken(),
    expiresAt,
    identityId: identity.id,
    poolId: pool.id,
    authenticated,
    roleArn,
  };
  await ctx.store.mutate((r) => {
    r.pruneSessions(ctx.now());
    if (authenticated) r.linkLogins(r.requireIdentity(identity.id), subjects, ctx.now());
    r.addSession(session);
  });
  return {
    IdentityId: identity.id,
    Credentials: { AccessKeyId: session.accessKeyId, SecretKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: expiresAt / 1000 },
  };
}

async function getOpenIdToken(req: ServiceRequest, ctx: ServiceContext) {
  const { identity, pool, authenticated, subjects } = await authenticateIdentity(req.json(), ctx);
  const iat = Math.floor(ctx.now() / 1000);
  const token = ctx.tokenSigner.sign({
    iss: 'https://cognito-identity.amazonaws.com',
    sub: identity.id,
    aud: pool.id,
    amr: authenticated ? ['authenticated', ...Object.keys(subjects)] : ['unauthenticated'],
    iat,
    exp: iat + OPENID_TOKEN_LIFETIME_S,
  });
  return { IdentityId: identity.id, Token: token };
}

export const identityOperations: Record<string, CognitoOperation> = {
  GetId: { handler: getId, unsigned: true },
  GetCredentialsForIdentity: { handler: getCredentialsForIdentity, unsigned: true },
  GetOpenIdToken: { handler: getOpenIdToken, unsigned: true },
};
