import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { configDir } from '../config/paths.js';
import { writeFileAtomic } from '../io/files.js';
import { loginKey } from './logins.js';

export interface CognitoCredentials {
  identityId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  authenticated: boolean;
}

/** Identity ids are cached per pool and login in the config directory: GetId is then needed once per user. */
function cacheFile(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), 'cognito-identities.json');
}

function readCache(env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    return JSON.parse(readFileSync(cacheFile(env), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** GetId (or the cached identity id), then GetCredentialsForIdentity: Cognito's enhanced flow. */
export async function cognitoCredentials(
  client: CognitoIdentityClient,
  env: NodeJS.ProcessEnv,
  identityPoolId: string,
  logins: Record<string, string> | undefined,
): Promise<CognitoCredentials> {
  const sdk = await import('@aws-sdk/client-cognito-identity');
  const key = `${identityPoolId}|${loginKey(logins)}`;
  const cache = readCache(env);
  let identityId = cache[key];
  const fetchId = async () => (await client.send(new sdk.GetIdCommand({ IdentityPoolId: identityPoolId, Logins: logins }))).IdentityId!;
  identityId ??= await fetchId();
  let result;
  try {
    result = await client.send(new sdk.GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins }));
  } catch (err) {
    // A cached identity may be gone (pool deleted, local IoT Core reset): ask for a new one once.
    if ((err as { name?: string }).name !== 'ResourceNotFoundException' || cache[key] === undefined) throw err;
    identityId = await fetchId();
    result = await client.send(new sdk.GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins }));
  }
  if (cache[key] !== identityId) await writeFileAtomic(cacheFile(env), JSON.stringify({ ...readCache(env), [key]: identityId }, null, 2) + '\n', { mode: 0o600 });
  const c = result.Credentials!;
  return {
    identityId,
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretKey!,
    sessionToken: c.SessionToken!,
    expiration: c.Expiration!,
    authenticated: logins !== undefined,
  };
}
