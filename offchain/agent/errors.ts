/**
 * The agent library's one error type: a stable `code`, a message, whether retrying the same call may succeed, and a
 * hint for the human or model that reads it. The CLI maps it to an exit code; the library never prints or exits.
 */
import { AppError, ExitCode } from "../common";

/** Every code an `AgentError` carries. */
export type AgentErrorCode =
  | "NOT_CONFIGURED"
  | "ALREADY_CONFIGURED"
  | "INVALID_CONFIG"
  | "INVALID_INPUT"
  | "USAGE"
  | "KEY_MISSING"
  | "KEY_NOT_REGISTERED"
  | "KEYS_EXIST"
  | "API_KEY_MISSING"
  | "ADMIN_KEY_MISSING"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "UNREACHABLE"
  | "RATE_LIMITED"
  | "SEQUENCER_ERROR"
  | "BAD_RESPONSE"
  | "NOT_FOUND"
  | "COMMAND_CONFLICT"
  | "REJECTED"
  | "VERIFY_FAILED"
  | "DECRYPT_FAILED"
  | "OUTBOX_ERROR";

/** Options of an `AgentError`. */
export interface AgentErrorOptions {
  readonly retryable?: boolean;
  readonly hint?: string;
  readonly status?: number;
  readonly exitCode?: ExitCode;
  readonly cause?: unknown;
}

const DEFAULT_EXIT: Partial<Record<AgentErrorCode, ExitCode>> = {
  USAGE: ExitCode.USAGE,
  UNREACHABLE: ExitCode.UNREACHABLE,
};

/** A failure of an agent operation. */
export class AgentError extends AppError {
  override readonly name: string = "AgentError";
  override readonly code: AgentErrorCode;
  /** True when the same call may succeed later (network, rate limit, 5xx). */
  readonly retryable: boolean;
  /** What to do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(code: AgentErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(code, message, {
      exitCode: options.exitCode ?? DEFAULT_EXIT[code] ?? ExitCode.INVALID,
      ...(options.status === undefined ? {} : { status: options.status }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  /** The error as plain JSON (`{code, message, retryable, hint?}`), e.g. for `--json` output or an MCP result. */
  toJSON(): { code: AgentErrorCode; message: string; retryable: boolean; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/** True if `e` is an AgentError, optionally with the given code. */
export function isAgentError(e: unknown, code?: AgentErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}

/** The message of `Sync not configured`, kept verbatim from the reference CLI. */
export const NOT_CONFIGURED_MESSAGE = 'Sync not configured. Run "stateset-sync init" first.';
