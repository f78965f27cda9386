/**
 * The part's error type: a StarkError carries a stable `code` (callers match on it, never on the message). Argument
 * errors at API edges are plain TypeError / RangeError.
 */

/** Stable codes of StarkError. */
export type StarkErrorCode =
  | "PROOF_TOO_LARGE"
  | "MALFORMED_PROOF"
  | "UNSUPPORTED_VERSION"
  | "INVALID_PUBLIC_INPUTS"
  | "INVALID_HEX"
  | "UNSUPPORTED_POLICY"
  | "MISSING_POLICY_PARAM"
  | "INVALID_POLICY_PARAM"
  | "INVALID_THRESHOLD"
  | "INVALID_POLICY_HASH"
  | "POLICY_MISMATCH"
  | "AMOUNT_NOT_COMPLIANT"
  | "WITNESS_COMMITMENT_MISMATCH"
  | "INVALID_WITNESS_COMMITMENT"
  | "INVALID_BUNDLE"
  | "INVALID_OPENING"
  | "INVALID_BATCH_STATEMENT"
  | "INVALID_BATCH_WITNESS";

/** An error of the ves-stark part with a stable machine-readable code. */
export class StarkError extends Error {
  override readonly name = "StarkError";

  /**
   * @param code Stable identifier of the failure kind.
   * @param message Human-readable explanation (never contains an amount or a blinding value).
   */
  constructor(
    readonly code: StarkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True if `e` is a StarkError, optionally with the given code. */
export function isStarkError(e: unknown, code?: StarkErrorCode): e is StarkError {
  return e instanceof StarkError && (code === undefined || e.code === code);
}
