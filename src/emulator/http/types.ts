import type { IncomingHttpHeaders } from 'node:http';
import type { Arns } from '../arns.js';
import type { StateStore } from '../store/state.js';
import type { CertificateAuthority } from '../../pki/ca.js';
import type { SessionRecord } from '../store/model.js';
import type { LoginValidators } from '../cognito/logins.js';

/** Who signed a request (the policy principal behind it is authorization/principal.ts's Principal). */
export type Signer =
  | { kind: 'anonymous' }
  | { kind: 'root'; accessKeyId: string }
  | { kind: 'session'; accessKeyId: string; session: SessionRecord };

/** A decoded request, as handlers see it. */
export interface ServiceRequest {
  operation: string;
  method: string;
  /** Path labels, decoded (e.g. thingName). */
  params: Record<string, string>;
  /** Query parameters, decoded; the first value of each. */
  query: Map<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  principal: Signer;
  /** The JSON body as an object ({} when empty); a ValidationError if it is not JSON. */
  json(): Record<string, unknown>;
}

/** What every handler can use. */
export interface ServiceContext {
  store: StateStore;
  arns: Arns;
  ca: CertificateAuthority;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
  /** The host DescribeEndpoint answers (where MQTT clients connect). */
  dataHost: string;
  loginValidators: LoginValidators;
  /** Signs the OpenID tokens of GetOpenIdToken and the local login provider's ID tokens. */
  tokenSigner: { sign(claims: Record<string, unknown>): string; verify(token: string, nowMs: number): Record<string, unknown> };
  region: string;
}

export type Handler = (req: ServiceRequest, ctx: ServiceContext) => unknown;
