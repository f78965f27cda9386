/**
 * The sequencer's error type: every failure a caller may see carries its HTTP status and a stable code
 * (`INSUFFICIENT_PERMISSIONS`, `rate_limited`, …), which the HTTP layer maps to `{ error: { code, message } }`.
 */
import { AppError } from "../common";

/** A sequencer failure with its HTTP status and stable code. */
export class SequencerError extends AppError {
  override readonly name = "SequencerError";
  /**
   * @param headers Extra response headers (e.g. `Retry-After`).
   */
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, { status });
  }
  /** The HTTP status. */
  get status(): number {
    return this.options.status ?? 500;
  }
}
