/**
 * Errors shared by every off-chain part: one `AppError` with a stable machine-readable `code`, and the CLI exit codes
 * of the architecture notes. Callers match on `code`, never on the message.
 */

/** CLI exit codes: 1 invalid input or proof, 2 usage, 3 unreachable dependency. */
export const ExitCode = {
  INVALID: 1,
  USAGE: 2,
  UNREACHABLE: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An application error with a stable `code` (e.g. `REGISTRY_NO_CODE`) and an optional HTTP status and exit code. */
export class AppError extends Error {
  override readonly name: string = "AppError";

  /**
   * @param code Stable identifier of the failure kind.
   * @param message Human-readable explanation, with the offending values.
   * @param options `status` for HTTP, `exitCode` for CLIs, `cause` for the underlying error.
   */
  constructor(
    readonly code: string,
    message: string,
    readonly options: { status?: number; exitCode?: ExitCode; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The CLI exit code for this error (1 unless set). */
  get exitCode(): ExitCode {
    return this.options.exitCode ?? ExitCode.INVALID;
  }
}

/** True if `e` is an AppError, optionally with the given code. */
export function isAppError(e: unknown, code?: string): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}
