import { IotctlError, ExitCode, isIotctlError } from '../core/errors.js';

/**
 * Turns anything thrown into an IotctlError with a stable code. AWS SDK errors
 * and network errors are translated by name; anything else is an internal error.
 */
export function toIotctlError(err: unknown): IotctlError {
  if (isIotctlError(err)) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const message = e?.message ?? String(err);
  const name = e?.name ?? '';
  // Network errors first: the SDK also puts $metadata on them.
  switch (e?.code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new IotctlError('CONNECTION_FAILED', `Cannot reach the endpoint: ${message}`, {
        exitCode: ExitCode.CONNECTION,
        hint: 'check --endpoint-url / the profile, and that the service (e.g. iotctl local start) is running',
        cause: err,
      });
    case 'ETIMEDOUT':
      return new IotctlError('TIMEOUT', `Timed out: ${message}`, { exitCode: ExitCode.TIMEOUT, cause: err });
  }
  if (e?.$metadata !== undefined && name !== 'Error') return awsError(name, message, err);
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

const DENIED = new Set([
  'UnauthorizedException',
  'NotAuthorizedException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
]);

function awsError(name: string, message: string, cause: unknown): IotctlError {
  if (DENIED.has(name)) {
    return new IotctlError(name, message, { exitCode: ExitCode.DENIED, hint: 'check the credentials and the profile (iotctl config list)', cause });
  }
  if (name === 'ResourceNotFoundException') return new IotctlError(name, message, { exitCode: ExitCode.NOT_FOUND, cause });
  if (name === 'TimeoutError' || name === 'RequestTimeout') return new IotctlError(name, message, { exitCode: ExitCode.TIMEOUT, cause });
  const usage = new Set(['InvalidRequestException', 'MalformedPolicyException', 'InvalidParameterException', 'ValidationException']);
  return new IotctlError(name || 'AWS_ERROR', message, { exitCode: usage.has(name) ? ExitCode.USAGE : ExitCode.FAILURE, cause });
}
