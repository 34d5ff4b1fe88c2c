/**
 * The local IoT Core's own login provider, so the authenticated Cognito flow
 * can be tried without a real identity provider. It plays a Cognito user pool:
 * `POST /_local/login {"username"}` (signed with the root key; what
 * `iotctl local login <user>` calls) returns an ES256 ID token, and identity
 * pools that list the provider accept it in `Logins`, exactly as they would a
 * real user pool's ID token.
 */
import { createHash } from 'node:crypto';
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import type { LoginValidator } from './logins.js';
import { ValidationError } from '../errors.js';

/** ID tokens last an hour, like Cognito's. */
const TOKEN_LIFETIME_S = 3600;
const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

export const localUserPoolId = (region: string) => `${region}_iotctlLocal`;
/** The app client id of the local user pool: the ID tokens' audience, and the ClientId pools list with the provider. */
export const LOCAL_LOGIN_CLIENT_ID = 'iotctl-local';

/** The `Logins` key for the local provider, shaped like a Cognito user pool's. */
export const localLoginProvider = (region: string) => `cognito-idp.${region}.amazonaws.com/${localUserPoolId(region)}`;

/** A stable subject per user name, in Cognito's UUID shape. */
function subjectFor(username: string): string {
  const h = createHash('sha256').update(`iotctl-local-user:${username}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Whether a user name is one the local provider signs in: 1-128 printable characters, no spaces. */
export const isLocalUsername = (username: unknown): username is string => typeof username === 'string' && USERNAME.test(username);

function login(req: ServiceRequest, ctx: ServiceContext) {
  const username = req.json().username;
  if (!isLocalUsername(username)) throw new ValidationError('username must be 1-128 printable characters without spaces.');
  return issueIdToken(username, ctx);
}

/** An ID token for a user, as a Cognito user pool issues it after a sign-in (`iotctl local login`, and the web app's sign-in). */
export function issueIdToken(username: string, ctx: Pick<ServiceContext, 'tokenSigner' | 'region' | 'now'>) {
  const issuedAt = Math.floor(ctx.now() / 1000);
  const provider = localLoginProvider(ctx.region);
  const sub = subjectFor(username);
  const idToken = ctx.tokenSigner.sign({
    iss: `https://${provider}`,
    sub,
    aud: LOCAL_LOGIN_CLIENT_ID,
    token_use: 'id',
    'cognito:username': username,
    auth_time: issuedAt,
    iat: issuedAt,
    exp: issuedAt + TOKEN_LIFETIME_S,
  });
  return { username, subject: sub, provider, idToken, expiration: issuedAt + TOKEN_LIFETIME_S };
}

export const localLoginRoutes: Route[] = [{ method: 'POST', path: '/_local/login', operation: 'LocalLogin', handler: login }];

/** Accepts the local provider's ID tokens: signature, issuer and expiry. */
export function localLoginValidator(ctx: Pick<ServiceContext, 'tokenSigner' | 'region' | 'now'>): LoginValidator {
  return async (token) => {
    const claims = ctx.tokenSigner.verify(token, ctx.now());
    if (claims.iss !== `https://${localLoginProvider(ctx.region)}`) throw new Error("Issuer doesn't match providerName");
    if (typeof claims.sub !== 'string') throw new Error('The token has no subject.');
    return { subject: claims.sub };
  };
}
