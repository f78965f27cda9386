/**
 * The checks a write tool passes before anything is signed: the event type is on the allow-list, a non-create event
 * carries a `baseVersion`, the write's amount and inventory delta are within their limits, and the day's applied
 * writes stay within theirs. A refusal is a GuardrailError with a stable code, never a signed event.
 */
import { AppError } from "../../common";
import { amountFieldOf, type ExactJsonValue } from "../../ves";
import type { DayTotals } from "./ledger";
import type { McpGuardrails } from "./settings";

/** Why a write was refused by the guardrails. */
export type GuardrailCode = "POLICY_DENIED" | "BASE_VERSION_REQUIRED" | "LIMIT_EXCEEDED";

/** A write refused by the guardrails (never retryable as it is). */
export class GuardrailError extends AppError {
  override readonly name: string = "GuardrailError";
  override readonly code: GuardrailCode;
  readonly retryable = false;
  readonly hint: string;

  constructor(code: GuardrailCode, message: string, hint: string) {
    super(code, message);
    this.code = code;
    this.hint = hint;
  }
}

/** Whether `eventType` matches the allow-list (exact names, `<prefix>.*`, or `*`). */
export function isAllowed(eventType: string, allowed: readonly string[]): boolean {
  return allowed.some(
    (a) => a === "*" || a === eventType || (a.endsWith(".*") && eventType.startsWith(a.slice(0, -1))),
  );
}

/** A write as the guardrails see it. */
export interface GuardedWrite {
  readonly eventType: string;
  readonly payload: ExactJsonValue;
  readonly baseVersion?: bigint;
}

/**
 * Checks the allow-list, the base version and the per-write limits; returns the write's amount (0 when it has none),
 * which counts toward the daily value.
 * @throws GuardrailError
 */
export function checkWrite(g: McpGuardrails, w: GuardedWrite, amountFields: Readonly<Record<string, string>>): bigint {
  if (g.allowedEventTypes.length === 0) {
    throw new GuardrailError(
      "POLICY_DENIED",
      `this MCP server is read-only: no event type is allowed (refused ${w.eventType})`,
      "an operator allows event types with `stateset-sync config set mcp.allowed-event-types TYPE,...`",
    );
  }
  if (!isAllowed(w.eventType, g.allowedEventTypes)) {
    throw new GuardrailError(
      "POLICY_DENIED",
      `event type ${w.eventType} is not allowed (allowed: ${g.allowedEventTypes.join(", ")})`,
      "use an allowed event type, or ask an operator to extend mcp.allowedEventTypes",
    );
  }
  if (g.requireBaseVersion && !w.eventType.endsWith(".created") && w.baseVersion === undefined) {
    throw new GuardrailError(
      "BASE_VERSION_REQUIRED",
      `${w.eventType} changes an existing entity: baseVersion is required`,
      "read the entity's currentVersion with stateset_get_entity_history and pass it as baseVersion " +
        "(0 when the entity must be new)",
    );
  }
  const payload = typeof w.payload === "object" && w.payload !== null && !Array.isArray(w.payload) ? w.payload : {};
  let value = 0n;
  const field = amountFieldOf(w.eventType, amountFields);
  const raw = field === undefined ? undefined : (payload as { [k: string]: ExactJsonValue })[field];
  if (typeof raw === "bigint" || (typeof raw === "number" && Number.isSafeInteger(raw))) value = BigInt(raw);
  if (g.maxWriteValue !== null && value > BigInt(g.maxWriteValue)) {
    throw new GuardrailError(
      "LIMIT_EXCEEDED",
      `${field} ${value} is above the limit of ${g.maxWriteValue} per write (mcp.maxWriteValue)`,
      "split the action, or ask an operator to raise mcp.maxWriteValue",
    );
  }
  const delta = (payload as { [k: string]: ExactJsonValue }).delta;
  if (w.eventType === "inventory.adjusted" && g.maxInventoryAdjustment !== null && typeof delta === "number") {
    if (Math.abs(delta) > g.maxInventoryAdjustment) {
      throw new GuardrailError(
        "LIMIT_EXCEEDED",
        `inventory delta ${delta} is above the limit of ±${g.maxInventoryAdjustment} (mcp.maxInventoryAdjustment)`,
        "adjust in smaller steps, or ask an operator to raise mcp.maxInventoryAdjustment",
      );
    }
  }
  return value;
}

/**
 * Checks that one more write of `value` keeps the day within its limits.
 * @throws GuardrailError LIMIT_EXCEEDED
 */
export function checkDaily(g: McpGuardrails, totals: DayTotals, value: bigint): void {
  const reset = `the daily limits reset at 00:00 UTC (day ${totals.day})`;
  if (g.maxDailyWrites !== null && totals.writes + 1 > g.maxDailyWrites) {
    throw new GuardrailError(
      "LIMIT_EXCEEDED",
      `${totals.writes} writes were applied today: the limit is ${g.maxDailyWrites} per day (mcp.maxDailyWrites)`,
      reset,
    );
  }
  if (g.maxDailyValue !== null && totals.value + value > BigInt(g.maxDailyValue)) {
    throw new GuardrailError(
      "LIMIT_EXCEEDED",
      `writes worth ${totals.value} were applied today; ${value} more would exceed the limit of ` +
        `${g.maxDailyValue} per day (mcp.maxDailyValue)`,
      reset,
    );
  }
}
