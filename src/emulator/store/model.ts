/** The records the local IoT Core keeps. Times are epoch milliseconds. */

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface CertificateRecord {
  id: string;
  pem: string;
  status: CertificateStatus;
  createdAt: number;
  updatedAt: number;
  customerVersion: number;
  generationId: string;
  notBefore: number;
  notAfter: number;
}

export interface PolicyVersionRecord {
  id: string;
  document: string;
  createdAt: number;
}

export interface PolicyRecord {
  name: string;
  createdAt: number;
  updatedAt: number;
  defaultVersionId: string;
  /** Version IDs are never reused, as on AWS. */
  nextVersionId: number;
  generationId: string;
  versions: PolicyVersionRecord[];
  tags: { Key: string; Value?: string }[];
}

export interface ThingRecord {
  name: string;
  id: string;
  typeName?: string;
  attributes: Record<string, string>;
  version: number;
  createdAt: number;
}

export type ThingPrincipalType = 'EXCLUSIVE_THING' | 'NON_EXCLUSIVE_THING';

export interface IdentityPoolRecord {
  id: string;
  name: string;
  allowUnauthenticated: boolean;
  allowClassicFlow: boolean;
  supportedLoginProviders: Record<string, string>;
  developerProviderName?: string;
  openIdConnectProviderArns: string[];
  cognitoIdentityProviders: { ProviderName?: string; ClientId?: string; ServerSideTokenCheck?: boolean }[];
  samlProviderArns: string[];
  tags: Record<string, string>;
  /** `authenticated` / `unauthenticated` → role ARN. */
  roles: Record<string, string>;
  roleMappings?: Record<string, unknown>;
  createdAt: number;
}

export interface IdentityRecord {
  id: string;
  poolId: string;
  /** Linked logins: provider name → the subject the provider vouched for. */
  logins: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** Temporary credentials minted by GetCredentialsForIdentity. */
export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
  identityId: string;
  poolId: string;
  authenticated: boolean;
  roleArn: string;
}

/** An inline policy of a role (PutRolePolicy). */
export interface RoleInlinePolicy {
  name: string;
  document: string;
}

/**
 * An IAM role of the local IAM. The data plane evaluates its inline policies
 * for Cognito credentials; the trust policy is stored and returned, not evaluated.
 */
export interface RoleRecord {
  name: string;
  /** `/` or `/a/b/`: part of the ARN. */
  path: string;
  /** `AROA...`, as IAM makes them. */
  id: string;
  /** The AssumeRolePolicyDocument, as given. */
  trustPolicy: string;
  description?: string;
  maxSessionDuration: number;
  tags: { Key: string; Value: string }[];
  /** In the order they were first put. */
  policies: RoleInlinePolicy[];
  createdAt: number;
  updatedAt: number;
}
