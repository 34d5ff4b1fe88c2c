import { usageError } from '../core/errors.js';
import { parseKeyValues } from '../core/parse.js';
import type { AwsTarget } from '../aws/target.js';

/** `--login local=<user>` asks the local IoT Core's own login provider for an ID token. */
export const LOCAL_LOGIN_KEY = 'local';

export interface LocalLogin {
  username: string;
  subject: string;
  provider: string;
  idToken: string;
  expiration: number;
}

export async function localLogin(target: AwsTarget, username: string): Promise<LocalLogin> {
  const { callLocalApi } = await import('../aws/local-api.js');
  return (await callLocalApi(target, 'POST', '/_local/login', { username })) as unknown as LocalLogin;
}

/** The `Logins` map from `--login provider=token` flags (and `--login local=<user>`). */
export async function resolveLogins(pairs: string[] | undefined, target: AwsTarget): Promise<Record<string, string> | undefined> {
  const given = parseKeyValues(pairs, '--login');
  const entries = Object.entries(given);
  if (entries.length === 0) return undefined;
  if (entries.length > 10) throw usageError('TOO_MANY_LOGINS', 'Cognito accepts at most 10 logins.');
  const logins: Record<string, string> = {};
  for (const [provider, token] of entries) {
    if (!token) throw usageError('EMPTY_LOGIN', `--login ${provider}= has no token.`);
    if (provider === LOCAL_LOGIN_KEY) {
      const login = await localLogin(target, token);
      logins[login.provider] = login.idToken;
    } else logins[provider] = token;
  }
  return logins;
}

/** A stable cache key for a login: the provider and the token's subject (tokens change, users do not). */
export function loginKey(logins: Record<string, string> | undefined): string {
  if (!logins) return 'unauthenticated';
  return Object.entries(logins)
    .map(([provider, token]) => `${provider}#${tokenSubject(token) ?? token.slice(-16)}`)
    .sort()
    .join('|');
}

function tokenSubject(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
