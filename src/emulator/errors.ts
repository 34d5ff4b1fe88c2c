/**
 * Service errors as AWS sends them. A handler throws a ServiceError with the
 * AWS error code; the HTTP layer picks the status for the protocol and writes
 * the header and body the SDKs and the AWS CLI parse (see http/respond.ts).
 */

/** IoT (REST-JSON), Cognito Identity (JSON 1.1) and IAM (the query protocol: form in, XML out). */
export type Protocol = 'rest-json' | 'json-1.1' | 'query';

export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Extra body members, e.g. resourceId/resourceArn of ResourceAlreadyExistsException. */
    readonly fields: Record<string, unknown> = {},
    /** Forces a status; otherwise it comes from the protocol's table. */
    readonly status?: number,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * Bad input. Each protocol names it differently (IoT: InvalidRequestException,
 * Cognito: InvalidParameterException), so validators throw this neutral error.
 */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** IoT's status per error code (facts sheet §3); anything not listed is a 400. */
const REST_JSON_STATUS: Record<string, number> = {
  UnauthorizedException: 401,
  ForbiddenException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  MethodNotAllowedException: 405,
  CertificateStateException: 406,
  RequestTimeoutException: 408,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  ConflictException: 409,
  VersionsLimitExceededException: 409,
  VersionConflictException: 409,
  LimitExceededException: 410,
  RequestEntityTooLargeException: 413,
  UnsupportedDocumentEncodingException: 415,
  ThrottlingException: 429,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
};

/** Refusals before any operation runs (SigV4): 403 in both protocols. */
const AUTH_STATUS: Record<string, number> = {
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  AuthorizationQueryParametersError: 403,
  AccessDeniedException: 403,
};

/** Cognito Identity answers 400 for every client error (facts sheet §4). */
const JSON_11_STATUS: Record<string, number> = {
  InternalErrorException: 500,
  RequestEntityTooLargeException: 413,
  RequestTimeoutException: 408,
  UnknownOperationException: 400,
};

/** IAM's statuses (the botocore model's error shapes); anything not listed is a 400. */
const QUERY_STATUS: Record<string, number> = {
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  ExpiredToken: 403,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 403,
  AccessDenied: 403,
  NoSuchEntity: 404,
  RequestTimeoutException: 408,
  EntityAlreadyExists: 409,
  DeleteConflict: 409,
  LimitExceeded: 409,
  ConcurrentModification: 409,
  RequestEntityTooLargeException: 413,
  ServiceFailure: 500,
};

/**
 * The query protocol's names for codes the shared layers throw (SigV4 refusals,
 * temporary credentials denied, unknown operations): what IAM itself answers.
 */
export const QUERY_CODES: Record<string, string> = {
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  ExpiredTokenException: 'ExpiredToken',
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  AccessDeniedException: 'AccessDenied',
  UnknownOperationException: 'InvalidAction',
};

const STATUS_TABLES: Record<Protocol, Record<string, number>> = { 'rest-json': REST_JSON_STATUS, 'json-1.1': JSON_11_STATUS, query: QUERY_STATUS };

export function statusFor(protocol: Protocol, error: ServiceError): number {
  if (error.status) return error.status;
  return AUTH_STATUS[error.code] ?? STATUS_TABLES[protocol][error.code] ?? 400;
}

/** The validation error's code in each protocol. */
export const VALIDATION_CODE: Record<Protocol, string> = { 'rest-json': 'InvalidRequestException', 'json-1.1': 'InvalidParameterException', query: 'ValidationError' };
/** The internal error's code in each protocol. */
export const INTERNAL_CODE: Record<Protocol, string> = { 'rest-json': 'InternalFailureException', 'json-1.1': 'InternalErrorException', query: 'ServiceFailure' };

// Short constructors for the codes the handlers use most, so call sites read like AWS's docs.
export const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message);
export const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
export const deleteConflict = (message: string) => new ServiceError('DeleteConflictException', message);
export const alreadyExists = (message: string, resourceId?: string, resourceArn?: string) =>
  new ServiceError('ResourceAlreadyExistsException', message, { resourceId, resourceArn });
