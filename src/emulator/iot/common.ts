/** Helpers the IoT operations share: timestamps, page sizes, principals. */
import type { PrincipalRef } from '../arns.js';
import { parseCertificateArn } from '../../core/aws-ids.js';
import { ServiceError, invalidRequest, notFound } from '../errors.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { queryInteger } from '../validate.js';

/** IoT timestamps are epoch seconds with a fraction. */
export const epochSeconds = (ms: number) => ms / 1000;

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 250;

/** The page size from `pageSize` or `maxResults` (1–250, default 25). */
export function pageSize(req: ServiceRequest, field: 'pageSize' | 'maxResults'): number {
  return queryInteger(req.query.get(field), field, { min: 1, max: MAX_PAGE_SIZE }) ?? DEFAULT_PAGE_SIZE;
}

export function header(req: ServiceRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A principal or target as IoT accepts it: a certificate ARN or a Cognito
 * identity ID. A certificate of another account or region does not exist here;
 * thing groups and IAM principals are not supported locally.
 */
export function resolvePrincipal(text: string | undefined, field: string, ctx: ServiceContext): PrincipalRef {
  if (text === undefined || text === '') throw invalidRequest(`The ${field} is required.`);
  const ref = ctx.arns.principal(text);
  if (ref) return ref;
  if (parseCertificateArn(text)) throw notFound(`The certificate ${text} does not exist in this account and region.`);
  if (/^arn:aws:iot:[^:]*:\d{12}:thinggroup\//.test(text)) {
    throw new ServiceError('InvalidRequestException', `Thing groups are not supported by the local IoT Core (${field}: ${text}).`);
  }
  throw invalidRequest(`Invalid ${field}: ${text}. Use a certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>) or a Cognito identity ID.`);
}
