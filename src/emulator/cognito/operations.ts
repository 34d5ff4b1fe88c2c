/** Cognito Identity (JSON 1.1): `POST /` with `X-Amz-Target: AWSCognitoIdentityService.<Operation>`. */
import { identityOperations } from './identities.js';
import type { CognitoOperation } from './operation.js';
import { poolOperations } from './pools.js';

export const TARGET_PREFIX = 'AWSCognitoIdentityService.';

/** Looked up by the X-Amz-Target a client sends: a Map, so `constructor` or `__proto__` is just an unknown name. */
export const cognitoOperations: ReadonlyMap<string, CognitoOperation> = new Map(Object.entries({ ...poolOperations, ...identityOperations }));
