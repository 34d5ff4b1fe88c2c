/**
 * AWS Signature Version 4 verification, for both forms clients use:
 * - header form (`Authorization: AWS4-HMAC-SHA256 ...`): the SDKs and the AWS CLI;
 * - query form (`?X-Amz-Algorithm=...&X-Amz-Signature=...`): presigned URLs, e.g.
 *   the MQTT-over-WebSocket handshake (part 2 of the local IoT Core).
 *
 * The canonical request is rebuilt with @smithy/signature-v4's own primitives
 * (path double-encoding, query sorting, string-to-sign, signing-key derivation)
 * so it matches what the SDK computed. Canonical headers come from the
 * SignedHeaders list exactly as sent, because clients differ (the CRT signs
 * `connection`, the CLI signs `x-amz-security-token`). Any service name in the
 * credential scope is accepted: the AWS CLI signs IoT as `execute-api`, SDK v3 as `iot`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4Base, getSigningKey } from '@smithy/signature-v4';
import { NodeSha256 } from '../core/sha256.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** AWS's clock-skew window. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/** The parts of an HTTP request a signature covers. */
export interface SignableRequest {
  method: string;
  /** The path as sent on the wire (still percent-encoded), without the query. */
  path: string;
  /** The raw query string without '?' ('' if none). */
  query: string;
  /** Lower-case header names as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** Hex SHA-256 of the body as received (EMPTY_SHA256 for none). */
  bodySha256: string;
}

/** What a request claims: who signed it, when, and for which scope. */
export interface SignatureClaim {
  form: 'header' | 'query';
  accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** yyyymmddThhmmssZ */
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  sessionToken?: string;
  /** Query form only: X-Amz-Expires, in seconds. */
  expiresSeconds?: number;
}

export interface SigV4Problem {
  code: 'IncompleteSignatureException' | 'InvalidSignatureException' | 'MissingAuthenticationTokenException' | 'AuthorizationQueryParametersError';
  message: string;
}

export type SignatureReading = { kind: 'unsigned' } | { kind: 'signed'; claim: SignatureClaim } | { kind: 'invalid'; problem: SigV4Problem };

/** The longest a presigned URL may be valid: seven days (604800 s). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const incomplete = (message: string): SignatureReading => ({ kind: 'invalid', problem: { code: 'IncompleteSignatureException', message } });

function headerValue(headers: SignableRequest['headers'], name: string): string | undefined {
  // Names come from the client's SignedHeaders (`constructor`...); Node's headers object has a prototype.
  if (!Object.hasOwn(headers, name)) return undefined;
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Decodes a raw query string into ordered pairs; '+' stays '+' (SigV4 clients encode spaces as %20). */
export function parseQuery(raw: string): [string, string][] | undefined {
  if (raw === '') return [];
  const pairs: [string, string][] = [];
  try {
    for (const part of raw.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      pairs.push([decodeURIComponent(key), decodeURIComponent(value)]);
    }
  } catch {
    return undefined;
  }
  return pairs;
}

function parseCredential(credential: string): Pick<SignatureClaim, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((p) => p === '')) return undefined;
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string];
  return { accessKeyId, scopeDate, region, service };
}

/** Reads the signature a request carries (header form first, then query form), without checking it. */
export function readSignature(req: Pick<SignableRequest, 'headers' | 'query'>): SignatureReading {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const algorithm = space < 0 ? authorization : authorization.slice(0, space);
    if (algorithm !== ALGORITHM) return incomplete(`Unsupported Authorization algorithm '${algorithm}'; only ${ALGORITHM} is accepted.`);
    const fields = new Map<string, string>();
    for (const item of authorization.slice(space + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !fields.get(k));
    if (missing.length > 0) return incomplete(`Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization=${authorization}`);
    const credential = parseCredential(fields.get('Credential')!);
    if (!credential) return incomplete(`Authorization header requires a Credential of the form <key>/<date>/<region>/<service>/aws4_request.`);
    const amzDate = headerValue(req.headers, 'x-amz-date') ?? fromHttpDate(headerValue(req.headers, 'date'));
    if (!amzDate) return incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    return {
      kind: 'signed',
      claim: {
        form: 'header',
        ...credential,
        amzDate,
        signedHeaders: fields.get('SignedHeaders')!.split(';'),
        signature: fields.get('Signature')!.toLowerCase(),
        sessionToken: headerValue(req.headers, 'x-amz-security-token'),
      },
    };
  }
  if (!req.query.includes('X-Amz-')) return { kind: 'unsigned' };
  const pairs = parseQuery(req.query);
  const param = (name: string) => pairs?.find(([k]) => k === name)?.[1];
  if (!pairs || param('X-Amz-Algorithm') === undefined) return { kind: 'unsigned' };
  if (param('X-Amz-Algorithm') !== ALGORITHM) return incomplete(`Unsupported X-Amz-Algorithm '${param('X-Amz-Algorithm')}'.`);
  const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter((k) => !param(k));
  if (missing.length > 0) return incomplete(`The presigned URL requires the parameter(s) ${missing.join(', ')}.`);
  const credential = parseCredential(param('X-Amz-Credential')!);
  if (!credential) return incomplete('X-Amz-Credential must be of the form <key>/<date>/<region>/<service>/aws4_request.');
  const expires = param('X-Amz-Expires');
  if (expires !== undefined && !/^\d{1,12}$/.test(expires)) return incomplete('X-Amz-Expires must be a number of seconds.');
  if (expires !== undefined && Number(expires) > MAX_PRESIGN_SECONDS) {
    // AWS's own words: a SigV4 signing key lasts seven days, so no presigned URL may outlive that.
    return {
      kind: 'invalid',
      problem: {
        code: 'AuthorizationQueryParametersError',
        message: `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_SECONDS} seconds`,
      },
    };
  }
  return {
    kind: 'signed',
    claim: {
      form: 'query',
      ...credential,
      amzDate: param('X-Amz-Date')!,
      signedHeaders: param('X-Amz-SignedHeaders')!.split(';'),
      signature: param('X-Amz-Signature')!.toLowerCase(),
      sessionToken: param('X-Amz-Security-Token'),
      expiresSeconds: expires === undefined ? undefined : Number(expires),
    },
  };
}

function fromHttpDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toAmzDate(new Date(ms));
}

export function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** Date checks: the scope date matches X-Amz-Date, the clock skew is within the window, a presigned URL has not expired. */
export function checkSignatureTime(claim: SignatureClaim, now: Date, maxSkewMs = DEFAULT_MAX_SKEW_MS): SigV4Problem | undefined {
  const signedAt = parseAmzDate(claim.amzDate);
  const invalid = (message: string): SigV4Problem => ({ code: 'InvalidSignatureException', message });
  if (signedAt === undefined) return { code: 'IncompleteSignatureException', message: `X-Amz-Date '${claim.amzDate}' must be in the ISO 8601 basic format yyyyMMddTHHmmssZ.` };
  if (claim.scopeDate !== claim.amzDate.slice(0, 8)) {
    return invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`);
  }
  const skewMinutes = Math.round(maxSkewMs / 60000);
  // A presigned URL that names its lifetime (X-Amz-Expires, up to a week) lives that long; otherwise the skew window bounds its age.
  if (claim.expiresSeconds === undefined && now.getTime() - signedAt > maxSkewMs) {
    return invalid(`Signature expired: ${claim.amzDate} is now earlier than ${toAmzDate(new Date(now.getTime() - maxSkewMs))} (${toAmzDate(now)} - ${skewMinutes} min.)`);
  }
  if (signedAt - now.getTime() > maxSkewMs) {
    return invalid(`Signature not yet current: ${claim.amzDate} is still later than ${toAmzDate(new Date(now.getTime() + maxSkewMs))} (${toAmzDate(now)} + ${skewMinutes} min.)`);
  }
  if (claim.expiresSeconds !== undefined && now.getTime() > signedAt + claim.expiresSeconds * 1000) {
    return invalid(`Signature expired: the presigned URL was valid until ${toAmzDate(new Date(signedAt + claim.expiresSeconds * 1000))}.`);
  }
  return undefined;
}

/** Exposes smithy's protected canonical-request and string-to-sign builders. */
class CanonicalForm extends SignatureV4Base {
  constructor() {
    super({ service: 'unused', region: 'unused', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: NodeSha256 });
  }
  canonicalRequest(method: string, path: string, query: Record<string, string | string[]>, headers: Record<string, string>, payloadHash: string): string {
    const request = { method, path, query, headers, protocol: 'http:', hostname: '' };
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
  }
}

const canonical = new CanonicalForm();

function queryObject(pairs: [string, string][], skip: (key: string) => boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of pairs) {
    if (skip(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** One way of reading the request that a client may have signed. */
interface Variant {
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  payloadHash: string;
}

/**
 * The readings to try, most likely first. Header form: exactly one. Query form
 * (presigned): Host as received or without its port (the CRT signs the bare
 * host, browsers send the port), the session token excluded from the signature
 * (AWS style) or included (smithy's presign), the empty-body hash or UNSIGNED-PAYLOAD.
 */
function variants(req: SignableRequest, claim: SignatureClaim, pairs: [string, string][]): Variant[] {
  const baseHeaders: Record<string, string> = Object.create(null);
  for (const name of claim.signedHeaders) {
    const value = headerValue(req.headers, name);
    baseHeaders[name] = value === undefined ? '' : value.trim().replace(/\s+/g, ' ');
  }
  if (claim.form === 'header') {
    const declared = headerValue(req.headers, 'x-amz-content-sha256');
    // The SDK sends x-amz-content-sha256; the CLI does not, so the body is hashed here.
    // A declared hash that differs from the body makes the signature fail, as it should.
    const payloadHash = declared === UNSIGNED_PAYLOAD ? UNSIGNED_PAYLOAD : req.bodySha256;
    return [{ query: queryObject(pairs, () => false), headers: baseHeaders, payloadHash }];
  }
  const hosts = [baseHeaders.host];
  const bare = baseHeaders.host?.replace(/:\d+$/, '');
  if (bare !== undefined && bare !== baseHeaders.host) hosts.push(bare);
  const tokenModes = claim.sessionToken === undefined ? [false] : [false, true];
  const out: Variant[] = [];
  for (const host of hosts) {
    for (const includeToken of tokenModes) {
      for (const payloadHash of [req.bodySha256, UNSIGNED_PAYLOAD]) {
        const headers = host === undefined ? baseHeaders : { ...baseHeaders, host };
        out.push({ query: queryObject(pairs, (k) => !includeToken && k === 'X-Amz-Security-Token'), headers, payloadHash });
      }
    }
  }
  return out;
}

/** Whether the signature in `claim` is right for this request and secret. */
export async function verifySignature(req: SignableRequest, claim: SignatureClaim, secretAccessKey: string): Promise<boolean> {
  const pairs = parseQuery(req.query);
  if (!pairs) return false;
  const expected = Buffer.from(claim.signature, 'hex');
  if (expected.length !== 32) return false;
  const scope = `${claim.scopeDate}/${claim.region}/${claim.service}/aws4_request`;
  const key = await getSigningKey(NodeSha256, { accessKeyId: claim.accessKeyId, secretAccessKey }, claim.scopeDate, claim.region, claim.service);
  for (const v of variants(req, claim, pairs)) {
    const creq = canonical.canonicalRequest(req.method, req.path, v.query, v.headers, v.payloadHash);
    const stringToSign = await canonical.stringToSign(claim.amzDate, scope, creq);
    const actual = createHmac('sha256', key).update(stringToSign).digest();
    if (timingSafeEqual(actual, expected)) return true;
  }
  return false;
}

export function sha256Hex(body: Uint8Array): string {
  return body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
}
