/**
 * The AWS boundary's errors: anything an AWS SDK call (or the network under
 * it) throws becomes an IotctlError with a stable code, an exit code and a
 * hint, from one table, whatever the service (IoT, Cognito Identity, IAM).
 */
import { IotctlError, ExitCode, isIotctlError } from '../core/errors.js';

/** What a caller knows about the call, so the message can name it. */
export interface CallContext {
  /** The endpoint called (the --endpoint-url or the profile's), when one is set. */
  endpoint?: string;
  /** The request timeout in force, as typed (e.g. "3s"). */
  requestTimeout?: string;
}

interface Row {
  exitCode: ExitCode;
  hint?: string;
  /** The state of the resource forbids it: the command's `--force`, where it has one, does what it takes. */
  conflict?: true;
}

const DENIED: Row = { exitCode: ExitCode.DENIED, hint: 'check the credentials and the profile (iotctl config list)' };
const USAGE: Row = { exitCode: ExitCode.USAGE };
const NOT_FOUND: Row = { exitCode: ExitCode.NOT_FOUND };
const CONFLICT: Row = { exitCode: ExitCode.FAILURE, conflict: true };
const LIMIT: Row = { exitCode: ExitCode.FAILURE };
const BUSY: Row = { exitCode: ExitCode.FAILURE, hint: 'the service is busy or failing: try again in a moment' };

/** AWS exception names (IoT, Cognito Identity, IAM, STS) → exit code and hint. A Map: names come from the wire. */
export const AWS_ERRORS: ReadonlyMap<string, Row> = new Map<string, Row>([
  ['UnauthorizedException', DENIED],
  ['NotAuthorizedException', DENIED],
  ['AccessDeniedException', DENIED],
  ['AccessDenied', DENIED],
  ['ForbiddenException', DENIED],
  ['UnrecognizedClientException', DENIED],
  ['InvalidClientTokenId', DENIED],
  ['InvalidSignatureException', DENIED],
  ['SignatureDoesNotMatch', DENIED],
  ['ExpiredTokenException', { exitCode: ExitCode.DENIED, hint: 'the temporary credentials have expired: get new ones' }],
  ['ExpiredToken', { exitCode: ExitCode.DENIED, hint: 'the temporary credentials have expired: get new ones' }],
  ['ResourceNotFoundException', NOT_FOUND],
  ['NoSuchEntity', NOT_FOUND],
  ['InvalidRequestException', USAGE],
  ['InvalidParameterException', USAGE],
  ['ValidationException', USAGE],
  ['ValidationError', USAGE],
  ['MalformedPolicyException', USAGE],
  ['MalformedPolicyDocument', USAGE],
  ['InvalidInput', USAGE],
  ['ResourceAlreadyExistsException', { exitCode: ExitCode.FAILURE, hint: 'it exists already: use it, or pick another name' }],
  ['EntityAlreadyExists', { exitCode: ExitCode.FAILURE, hint: 'it exists already: use it, or pick another name' }],
  ['ResourceConflictException', CONFLICT],
  ['DeleteConflictException', CONFLICT],
  ['DeleteConflict', CONFLICT],
  ['CertificateStateException', CONFLICT],
  ['ConflictingResourceUpdateException', CONFLICT],
  ['VersionsLimitExceededException', { exitCode: ExitCode.FAILURE, hint: 'a policy keeps at most 5 versions: iotctl policy update --prune deletes the oldest' }],
  ['LimitExceededException', LIMIT],
  ['LimitExceeded', LIMIT],
  ['ThrottlingException', BUSY],
  ['TooManyRequestsException', BUSY],
  ['ServiceUnavailableException', BUSY],
  ['InternalFailureException', BUSY],
  ['InternalErrorException', BUSY],
  ['InternalException', BUSY],
  ['ServiceFailure', BUSY],
  ['TimeoutError', { exitCode: ExitCode.TIMEOUT }],
  ['RequestTimeout', { exitCode: ExitCode.TIMEOUT }],
]);

/** AWS answers "the thing is still attached" to DeleteThing as InvalidRequestException: a conflict, not bad input. */
const CONFLICT_MESSAGES = [/still attached/i, /must be (deactivated|detached)/i, /versions other than the default/i];

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** Turns anything thrown into an IotctlError: AWS and network errors by the table, anything else as an internal error. */
export function toIotctlError(err: unknown, call: CallContext = {}): IotctlError {
  if (isIotctlError(err)) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  const message = e?.message ?? String(err);
  const name = e?.name ?? '';
  const where = call.endpoint ? ` ${call.endpoint}` : ' the endpoint';
  // Network errors first: the SDK also puts $metadata on them.
  if (e?.code && NETWORK_CODES.has(e.code)) {
    return new IotctlError('CONNECTION_FAILED', `Cannot reach${where}: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ECONNRESET' ? 'the connection was reset' : message}.`, {
      exitCode: ExitCode.CONNECTION,
      hint: 'check --endpoint-url / the profile, and that the service (e.g. iotctl local start) is running',
      cause: err,
    });
  }
  if (e?.code === 'ETIMEDOUT' || name === 'TimeoutError') {
    const within = call.requestTimeout ? `${call.requestTimeout} (--request-timeout)` : 'the request timeout (60s by default; --request-timeout)';
    return new IotctlError('TIMEOUT', `No answer from${where} within ${within}.`, {
      exitCode: ExitCode.TIMEOUT,
      hint: 'check the endpoint; on a slow network raise --request-timeout (e.g. --request-timeout 2m)',
      cause: err,
    });
  }
  if (name === 'SyntaxError' || (e?.$response?.statusCode !== undefined && e?.$metadata === undefined)) return notAws(err, call, e?.$response?.statusCode ?? e?.$metadata?.httpStatusCode);
  if (e?.$metadata !== undefined && name !== 'Error') return awsError(name, message, err, e.$metadata.httpStatusCode, call);
  if (message === 'Region is missing') {
    return new IotctlError('NO_REGION', 'No AWS region is configured.', {
      exitCode: ExitCode.USAGE,
      hint: 'pass --region, set AWS_REGION, or run: iotctl config set region <region>',
      cause: err,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new IotctlError('NO_CREDENTIALS', `No AWS credentials: ${message}`, {
      exitCode: ExitCode.DENIED,
      hint: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile local with the local IoT Core',
      cause: err,
    });
  }
  return new IotctlError('INTERNAL', `Internal error: ${message}`, { hint: 're-run with --debug for a stack trace', cause: err });
}

/** The endpoint answered, but not as an AWS service does (an HTML error page, a proxy). */
function notAws(err: unknown, call: CallContext, status: number | undefined): IotctlError {
  const what = status === undefined ? 'something' : `HTTP ${status} with a body`;
  return new IotctlError('NOT_AN_AWS_RESPONSE', `The endpoint${call.endpoint ? ` ${call.endpoint}` : ''} answered ${what} that is not an AWS response.`, {
    exitCode: ExitCode.FAILURE,
    hint: 'check --endpoint-url / the profile: it should name an AWS IoT control plane (or iotctl local start)',
    cause: err,
  });
}

function awsError(name: string, message: string, cause: unknown, status: number | undefined, call: CallContext): IotctlError {
  let row = AWS_ERRORS.get(name);
  if (row?.exitCode === ExitCode.USAGE && CONFLICT_MESSAGES.some((re) => re.test(message))) row = CONFLICT;
  if (!row && name === 'Unknown' && status !== undefined && status >= 500) return notAws(cause, call, status);
  return new IotctlError(name || 'AWS_ERROR', message, { exitCode: row?.exitCode ?? ExitCode.FAILURE, hint: row?.hint, cause, conflict: row?.conflict });
}
