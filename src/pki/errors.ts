import { IotctlError, ExitCode } from '../core/errors.js';

/** A key, CSR or certificate that cannot be used; the message says why in one line. */
export function pkiError(code: string, message: string, cause?: unknown): IotctlError {
  return new IotctlError(code, message, { exitCode: ExitCode.USAGE, cause });
}
