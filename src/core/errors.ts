/**
 * The one error type of iotctl. Every failure a user can see is an IotctlError:
 * a stable machine-readable code, a one-line message, an optional hint, and the
 * process exit code it maps to. Stack traces are shown only with --debug.
 */

/** Exit codes are part of the public interface (README "Exit codes"); keep them stable. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  DENIED: 3,
  NOT_FOUND: 4,
  CONNECTION: 5,
  TIMEOUT: 6,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** Extra machine-readable fields shown in --json error output. */
  details?: Record<string, unknown>;
  /**
   * The state of a resource forbids the operation (attached, active, old versions):
   * the CLI suggests the same command with --force where the command has it.
   */
  conflict?: boolean;
}

export class IotctlError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  readonly details?: Record<string, unknown>;
  readonly conflict: boolean;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IotctlError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
    this.details = options.details;
    this.conflict = options.conflict === true;
  }
}

/** Bad flags, arguments or input values: exit 2. */
export function usageError(code: string, message: string, hint?: string, details?: Record<string, unknown>): IotctlError {
  return new IotctlError(code, message, { hint, exitCode: ExitCode.USAGE, details });
}

export function notFoundError(code: string, message: string, hint?: string): IotctlError {
  return new IotctlError(code, message, { hint, exitCode: ExitCode.NOT_FOUND });
}

export function isIotctlError(value: unknown): value is IotctlError {
  return value instanceof IotctlError;
}
