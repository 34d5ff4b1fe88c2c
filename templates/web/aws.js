// The AWS calls the page makes, as plain fetch() calls in AWS's wire formats:
// Cognito user pools (sign-in), Cognito Identity (an identity and its
// temporary credentials) and the app's registration endpoint. On AWS they go to
// AWS's endpoints for config.region; config.js may name others (the local IoT Core).
import { signRequest } from './sigv4.js';

const identityEndpoint = (config) => config.cognitoIdentityEndpoint ?? `https://cognito-identity.${config.region}.amazonaws.com/`;
const userPoolEndpoint = (config) => config.userPool.endpoint ?? `https://cognito-idp.${config.region}.amazonaws.com/`;

/** The Logins key of the app's user pool. */
export const loginProvider = (config) => `cognito-idp.${config.region}.amazonaws.com/${config.userPool.id}`;

/** An AWS error as the page shows it: the code (NotAuthorizedException...) and AWS's message. */
export class AwsError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function readError(res) {
  const body = await res.json().catch(() => ({}));
  const raw = body.__type ?? res.headers.get('x-amzn-errortype') ?? `HTTP ${res.status}`;
  return new AwsError(raw.split('#').pop().split(':')[0], body.message ?? body.Message ?? res.statusText, res.status);
}

/** A JSON 1.1 call (Cognito): POST / with X-Amz-Target. */
async function awsJson(endpoint, target, body) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await readError(res);
  return res.json();
}

/** Signs a user in to the user pool (USER_PASSWORD_AUTH) and returns the ID token Cognito Identity takes. */
export async function signIn(config, username, password) {
  const out = await awsJson(userPoolEndpoint(config), 'AWSCognitoIdentityProviderService.InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: config.userPool.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (!out.AuthenticationResult?.IdToken) throw new AwsError('ChallengeRequired', `The user pool asks for ${out.ChallengeName ?? 'another step'}; this page handles plain sign-in only.`);
  return out.AuthenticationResult.IdToken;
}

const guestKey = (config) => `iotctl-web:guest:${config.identityPoolId}`;

/**
 * Cognito's enhanced flow: GetId (kept for guests, so a reload stays the same
 * identity), then GetCredentialsForIdentity. `logins` is undefined for a guest.
 */
export async function identityCredentials(config, logins) {
  const endpoint = identityEndpoint(config);
  const getId = async () => (await awsJson(endpoint, 'AWSCognitoIdentityService.GetId', { IdentityPoolId: config.identityPoolId, Logins: logins })).IdentityId;
  let identityId = logins ? await getId() : (localStorage.getItem(guestKey(config)) ?? (await getId()));
  let out;
  try {
    out = await awsJson(endpoint, 'AWSCognitoIdentityService.GetCredentialsForIdentity', { IdentityId: identityId, Logins: logins });
  } catch (err) {
    // A remembered guest identity may be gone (the pool was reset): ask for a new one.
    if (logins || err.code !== 'ResourceNotFoundException') throw err;
    identityId = await getId();
    out = await awsJson(endpoint, 'AWSCognitoIdentityService.GetCredentialsForIdentity', { IdentityId: identityId });
  }
  if (!logins) localStorage.setItem(guestKey(config), identityId);
  const c = out.Credentials;
  return { identityId, accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration * 1000) };
}

/**
 * On-demand registration: asks the app's endpoint (API Gateway + the Lambda of
 * templates/lambda/on-demand-registration, or the local IoT Core) to attach the
 * IoT policy to this signed-in identity. Signed with the identity's own credentials.
 */
export async function register(config, credentials) {
  const body = '{}';
  const headers = await signRequest({ method: 'POST', url: config.registerUrl, region: config.region, service: 'execute-api', credentials, body });
  const res = await fetch(config.registerUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  if (!res.ok) throw await readError(res);
  return res.json();
}
