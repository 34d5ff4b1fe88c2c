/**
 * ARNs and principal keys. The registry stores principals by a key that does
 * not embed the account or region (`cert/<id>`, or a Cognito identity ID), so
 * changing --region or the account ID never orphans attachments.
 */

export type PrincipalKey = string;

export type PrincipalRef = { kind: 'cert'; id: string; key: PrincipalKey } | { kind: 'cognito'; id: string; key: PrincipalKey };

export const CERTIFICATE_ID = /^[0-9a-f]{64}$/;
/** Cognito identity (and identity pool) IDs: `<region>:<uuid>`. */
export const COGNITO_ID = /^[\w-]+:[0-9a-f-]+$/;

export class Arns {
  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  private iot(resource: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${resource}`;
  }
  cert(id: string): string {
    return this.iot(`cert/${id}`);
  }
  policy(name: string): string {
    return this.iot(`policy/${name}`);
  }
  thing(name: string): string {
    return this.iot(`thing/${name}`);
  }
  /** `path` is `/` or `/a/b/`, as IAM stores it. */
  role(name: string, path = '/'): string {
    return `arn:aws:iam::${this.accountId}:role${path}${name}`;
  }
  /** What STS calls a Cognito-assumed role session. */
  assumedRole(roleArn: string): string {
    return `arn:aws:sts::${this.accountId}:assumed-role/${roleArn.split('/').pop()}/CognitoIdentityCredentials`;
  }

  /** The local role name a role ARN refers to, or undefined if it names another account or is not a role ARN. */
  roleName(roleArn: string): string | undefined {
    const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(roleArn);
    return m && m[1] === this.accountId ? m[2] : undefined;
  }

  /**
   * Reads a principal as AWS accepts it: a certificate ARN (of this account and
   * region) or a Cognito identity ID. Undefined for anything else.
   */
  principal(text: string): PrincipalRef | undefined {
    const cert = /^arn:aws:iot:([\w-]+):(\d{12}):cert\/([0-9a-f]{64})$/.exec(text);
    if (cert) return cert[1] === this.region && cert[2] === this.accountId ? { kind: 'cert', id: cert[3]!, key: `cert/${cert[3]}` } : undefined;
    if (COGNITO_ID.test(text) && text.length <= 55) return { kind: 'cognito', id: text, key: text };
    return undefined;
  }

  /** The principal as AWS prints it (ARN for certificates, the bare ID for Cognito identities). */
  principalName(key: PrincipalKey): string {
    return key.startsWith('cert/') ? this.cert(key.slice(5)) : key;
  }
}

export function certificateKey(id: string): PrincipalKey {
  return `cert/${id}`;
}
