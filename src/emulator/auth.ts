/**
 * Who signed a request: the root key pair, or temporary credentials minted by
 * GetCredentialsForIdentity. Refusals use AWS's codes and messages, so the
 * SDKs and the AWS CLI raise UnrecognizedClientException, InvalidSignatureException,
 * ExpiredTokenException and so on.
 */
import { ServiceError } from './errors.js';
import type { Signer } from './http/types.js';
import { DEFAULT_MAX_SKEW_MS, checkSignatureTime, readSignature, verifySignature, type SignableRequest, type SignatureClaim } from './sigv4.js';
import type { Registry } from './store/registry.js';
import type { AccessKey } from './credentials.js';

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export interface AuthenticatorOptions {
  root: AccessKey;
  region: string;
  registry: () => Registry;
  now: () => number;
  maxSkewMs?: number;
}

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /** The principal of a signed request; throws a 403 ServiceError otherwise. */
  async authenticate(req: SignableRequest): Promise<Exclude<Signer, { kind: 'anonymous' }>> {
    const reading = readSignature(req);
    if (reading.kind === 'unsigned') throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (reading.kind === 'invalid') throw new ServiceError(reading.problem.code, reading.problem.message);
    return this.verify(req, reading.claim);
  }

  /** Verifies a claim already read (the WebSocket upgrade of part 2 reads the query form itself). */
  async verify(req: SignableRequest, claim: SignatureClaim): Promise<Exclude<Signer, { kind: 'anonymous' }>> {
    const now = this.options.now();
    const { principal, secret } = this.lookup(claim, now);
    const timeProblem = checkSignatureTime(claim, new Date(now), this.options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);
    if (timeProblem) throw new ServiceError(timeProblem.code, timeProblem.message);
    if (claim.region !== this.options.region) {
      throw new ServiceError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${claim.region}'. This local IoT Core serves '${this.options.region}'.`);
    }
    if (!(await verifySignature(req, claim, secret))) throw new ServiceError('InvalidSignatureException', MISMATCH);
    return principal;
  }

  private lookup(claim: SignatureClaim, now: number): { principal: Exclude<Signer, { kind: 'anonymous' }>; secret: string } {
    const { root } = this.options;
    if (claim.accessKeyId === root.accessKeyId) {
      // A long-term key never carries a session token.
      if (claim.sessionToken !== undefined) throw new ServiceError('UnrecognizedClientException', INVALID_TOKEN);
      return { principal: { kind: 'root', accessKeyId: root.accessKeyId }, secret: root.secretAccessKey };
    }
    const session = this.options.registry().session(claim.accessKeyId);
    if (!session || claim.sessionToken !== session.sessionToken) throw new ServiceError('UnrecognizedClientException', INVALID_TOKEN);
    if (session.expiresAt <= now) throw new ServiceError('ExpiredTokenException', EXPIRED_TOKEN);
    return { principal: { kind: 'session', accessKeyId: session.accessKeyId, session }, secret: session.secretAccessKey };
  }
}
