/**
 * ARNs and principal keys. The registry stores principals by a key that does
 * not embed the account or region (`cert/<id>`, or a Cognito identity ID), so
 * changing --region or the account ID never orphans attachments.
 */

export type PrincipalKey = string;

export type PrincipalRef = { kind: 'cert'; id: string; key: PrincipalKey } | { kind: 'cognito'; id: string; key: PrincipalKey };

import { COGNITO_ID, parseCertificateArn, parseRoleArn } from '../core/aws-ids.js';
export { CERTIFICATE_ID, COGNITO_ID } from '../core/aws-ids.js';

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
    const role = parseRoleArn(roleArn);
    return role && role.account === this.accountId ? role.name : undefined;
  }

  /**
   * Reads a principal as AWS accepts it: a certificate ARN (of this account and
   * region) or a Cognito identity ID. Undefined for anything else.
   */
  principal(text: string): PrincipalRef | undefined {
    const cert = parseCertificateArn(text);
    if (cert) return cert.partition === 'aws' && cert.region === this.region && cert.account === this.accountId ? { kind: 'cert', id: cert.id, key: certificateKey(cert.id) } : undefined;
    if (COGNITO_ID.test(text) && text.length <= 55) return { kind: 'cognito', id: text, key: text };
    return undefined;
  }

  /** The principal as AWS prints it (ARN for certificates, the bare ID for Cognito identities). */
  principalText(key: PrincipalKey): string {
    return key.startsWith('cert/') ? this.cert(key.slice(5)) : key;
  }
}

export function certificateKey(id: string): PrincipalKey {
  return `cert/${id}`;
}
