/**
 * The web app's sign-in: Cognito user pools' InitiateAuth (USER_PASSWORD_AUTH,
 * JSON 1.1, `X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth`),
 * answered by the local login provider, so the page signs in with the same
 * call it makes to a real user pool. Like `iotctl local login`, it vouches for
 * any user name: the password must be there, and is not checked.
 *
 * It is served by the web app's own port only (same origin as the page: no
 * CORS preflight is answered there, so other sites' pages cannot call it).
 */
import type { ServiceContext } from '../http/types.js';
import { ServiceError } from '../errors.js';
import { LOCAL_LOGIN_CLIENT_ID, isLocalUsername, issueIdToken, localUserPoolId } from '../cognito/local-login.js';

export const USER_POOL_TARGET = 'AWSCognitoIdentityProviderService.InitiateAuth';

const invalid = (message: string) => new ServiceError('InvalidParameterException', message, {}, 400);

/** InitiateAuth's answer for a JSON request body, or a ServiceError in Cognito's terms. */
export function initiateAuth(body: unknown, ctx: Pick<ServiceContext, 'tokenSigner' | 'region' | 'now'>): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const { AuthFlow, ClientId, AuthParameters } = body as Record<string, unknown>;
  if (ClientId !== LOCAL_LOGIN_CLIENT_ID) {
    throw new ServiceError('ResourceNotFoundException', `User pool client ${String(ClientId)} does not exist (the local user pool ${localUserPoolId(ctx.region)} has one client: ${LOCAL_LOGIN_CLIENT_ID}).`, {}, 400);
  }
  if (AuthFlow !== 'USER_PASSWORD_AUTH') throw invalid(`The local user pool supports AuthFlow USER_PASSWORD_AUTH, not ${String(AuthFlow)}.`);
  const params = (typeof AuthParameters === 'object' && AuthParameters !== null ? AuthParameters : {}) as Record<string, unknown>;
  if (!isLocalUsername(params.USERNAME)) throw invalid('AuthParameters.USERNAME must be 1-128 printable characters without spaces.');
  if (typeof params.PASSWORD !== 'string' || params.PASSWORD.length === 0) throw invalid('AuthParameters.PASSWORD is required.');
  const login = issueIdToken(params.USERNAME, ctx);
  const expiresIn = login.expiration - Math.floor(ctx.now() / 1000);
  const accessToken = ctx.tokenSigner.sign({
    iss: `https://${login.provider}`,
    sub: login.subject,
    client_id: LOCAL_LOGIN_CLIENT_ID,
    token_use: 'access',
    username: login.username,
    iat: login.expiration - expiresIn,
    exp: login.expiration,
  });
  return { ChallengeParameters: {}, AuthenticationResult: { IdToken: login.idToken, AccessToken: accessToken, ExpiresIn: expiresIn, TokenType: 'Bearer' } };
}
