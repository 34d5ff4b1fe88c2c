/**
 * Signs the OpenID Connect tokens of GetOpenIdToken (ES256 JWTs, like
 * Cognito's; nothing locally verifies them yet, but the classic flow gets a
 * well-formed token).
 */
import { createPrivateKey, createPublicKey, createHash, sign, verify, type KeyObject } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export class TokenSigner {
  private readonly key: KeyObject;
  readonly keyId: string;

  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
    const spki = createPublicKey(this.key).export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(spki).digest('base64url').slice(0, 16);
  }

  /** The claims of a token this signer made, if the signature holds and it has not expired; throws otherwise. */
  verify(token: string, nowMs: number): Record<string, unknown> {
    const [header, payload, signature, extra] = token.split('.');
    if (!header || !payload || !signature || extra !== undefined) throw new Error('The token is not a JWT.');
    const ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key: createPublicKey(this.key), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    if (!ok) throw new Error('The token signature does not verify.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof claims.exp === 'number' && claims.exp * 1000 < nowMs) throw new Error('The token has expired.');
    return claims;
  }

  sign(claims: Record<string, unknown>): string {
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: this.keyId }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64url(signature)}`;
  }
}
