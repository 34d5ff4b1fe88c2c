/**
 * Login providers for Cognito's `Logins` map. The local IoT Core ships with
 * none: unauthenticated identities work, and a login is refused with AWS's
 * messages. A validator for a provider (e.g. the local login provider of
 * `iotctl local login`) plugs in through createEmulator({ loginValidators }).
 */
import { ServiceError } from '../errors.js';
import type { IdentityPoolRecord } from '../store/model.js';

/** Checks a provider's token; resolves with the subject it vouches for, or throws (any error becomes NotAuthorizedException). */
export type LoginValidator = (token: string, context: { providerName: string; pool: IdentityPoolRecord }) => Promise<{ subject: string }>;

/** Provider name (the `Logins` key, e.g. `cognito-idp.us-east-1.amazonaws.com/us-east-1_abc`) → validator. */
export type LoginValidators = Record<string, LoginValidator>;

export const notAuthorized = (message: string) => new ServiceError('NotAuthorizedException', message);

/** Provider names a pool is configured for, as they appear as `Logins` keys. */
export function poolProviders(pool: IdentityPoolRecord): Set<string> {
  const names = new Set(Object.keys(pool.supportedLoginProviders));
  for (const p of pool.cognitoIdentityProviders) if (p.ProviderName) names.add(p.ProviderName);
  // An OIDC provider ARN arn:aws:iam::<acct>:oidc-provider/<host> is used as `Logins` key <host>.
  for (const arn of pool.openIdConnectProviderArns) names.add(arn.replace(/^arn:aws:iam::\d+:oidc-provider\//, ''));
  if (pool.developerProviderName) names.add('cognito-identity.amazonaws.com');
  return names;
}

/** Validates every entry of a `Logins` map against the pool; resolves provider → subject. */
export async function validateLogins(logins: Record<string, string>, pool: IdentityPoolRecord, validators: LoginValidators): Promise<Record<string, string>> {
  const supported = poolProviders(pool);
  const subjects: Record<string, string> = Object.create(null);
  for (const [providerName, token] of Object.entries(logins)) {
    if (!supported.has(providerName)) throw notAuthorized('Token is not from a supported provider of this identity pool.');
    const validator = Object.hasOwn(validators, providerName) ? validators[providerName] : undefined;
    if (!validator) throw notAuthorized(`Invalid login token. The local IoT Core cannot validate tokens from '${providerName}'.`);
    try {
      subjects[providerName] = (await validator(token, { providerName, pool })).subject;
    } catch (err) {
      // A validator's own failure is the caller's bad token, never a server error.
      if (err instanceof ServiceError) throw err;
      throw notAuthorized(`Invalid login token. ${(err as Error)?.message ?? ''}`.trim());
    }
  }
  return subjects;
}
