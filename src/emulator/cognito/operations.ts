/** Cognito Identity (JSON 1.1): `POST /` with `X-Amz-Target: AWSCognitoIdentityService.<Operation>`. */
import type { Handler } from '../http/types.js';
import { identityOperations } from './identities.js';
import { poolOperations } from './pools.js';

export const TARGET_PREFIX = 'AWSCognitoIdentityService.';

export interface CognitoOperation {
  handler: Handler;
  /** GetId, GetCredentialsForIdentity and GetOpenIdToken are unsigned on AWS. */
  unsigned?: boolean;
}

/** Looked up by the X-Amz-Target a client sends: a Map, so `constructor` or `__proto__` is just an unknown name. */
export const cognitoOperations: ReadonlyMap<string, CognitoOperation> = new Map(Object.entries({ ...poolOperations, ...identityOperations }));
