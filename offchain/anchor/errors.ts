/**
 * The anchor service's errors: one `AnchorError` (an `AppError`) per failure kind with a stable code, and the decoded
 * form of a registry revert (`StateRootMismatch(expected, provided)`), which logs and metrics name by its error name.
 */
import { AppError, ExitCode } from "../common";

/** A failure of the anchor service, with a stable `code` such as `ANCHOR_CHAIN_ID_MISMATCH`. */
export class AnchorError extends AppError {
  override readonly name: string = "AnchorError";
}

/** A usage or configuration error (exit code 2). */
export function usageError(code: string, message: string): AnchorError {
  return new AnchorError(code, message, { exitCode: ExitCode.USAGE });
}

/** An unreachable dependency (exit code 3). */
export function unreachable(code: string, message: string, cause?: unknown): AnchorError {
  return new AnchorError(code, message, { exitCode: ExitCode.UNREACHABLE, cause });
}

/** A revert of a registry call, decoded against the registry's ABI. */
export interface DecodedRevert {
  /** Custom error name (`StateRootMismatch`), `Error` for a string revert, `Panic`, or `Unknown`. */
  readonly name: string;
  /** The error's arguments as strings (bigints in decimal, bytes as 0x hex). */
  readonly args: readonly string[];
  /** Raw revert data (0x hex), empty when the node gave none. */
  readonly data: string;
}

/** `Name(arg1, arg2)`: the form used in logs and in `/stats`. */
export function formatRevert(r: DecodedRevert): string {
  return `${r.name}(${r.args.join(", ")})`;
}

/** A registry call that reverted; `revert` says why. */
export class RevertError extends AnchorError {
  override readonly name: string = "RevertError";
  constructor(
    readonly revert: DecodedRevert,
    what: string,
  ) {
    super("ANCHOR_REVERTED", `${what} reverted with ${formatRevert(revert)}`);
  }
}
