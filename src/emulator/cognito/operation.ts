/** One Cognito Identity operation (JSON 1.1, `X-Amz-Target: AWSCognitoIdentityService.<Operation>`): its handler, and whether AWS lets it be unsigned. */
import type { Handler } from '../http/types.js';

export interface CognitoOperation {
  handler: Handler;
  /** GetId, GetCredentialsForIdentity and GetOpenIdToken are unsigned on AWS. */
  unsigned?: boolean;
}
