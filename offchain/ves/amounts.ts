/**
 * Which payload field holds an event's amount, defined once for the agent CLI (which writes `amountCommitment` and
 * `amountBlinding` next to it before signing) and the prover service (which reads the amount back to prove policy
 * compliance). Amounts are integers of minor units (a u64), next to an ISO-4217 `currency`.
 */

/** The field that holds the witness commitment C (64 lowercase hex characters, `witnessCommitmentHex`). */
export const AMOUNT_COMMITMENT_FIELD = "amountCommitment";
/** The field that holds the commitment's blinding (40 lowercase hex characters, as in the opening artifact). */
export const AMOUNT_BLINDING_FIELD = "amountBlinding";

/**
 * The built-in table, keyed by event type or by `<prefix>.*` (every event type of an entity family):
 * order.* → `total`, payment.* → `amount`, return.* → `refundAmount`.
 */
export const AMOUNT_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  "order.*": "total",
  "payment.*": "amount",
  "return.*": "refundAmount",
});

const KEY_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$/;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks an extension of the table (e.g. from a configuration file): keys are event types or `<prefix>.*`, values
 * plain field names other than the commitment fields.
 * @throws RangeError naming the bad entry.
 */
export function validateAmountFields(extra: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, field] of Object.entries(extra)) {
    if (!KEY_RE.test(key)) throw new RangeError(`amount-field key "${key}" must be an event type or "<prefix>.*"`);
    if (typeof field !== "string" || !FIELD_RE.test(field)) {
      throw new RangeError(`amount field for "${key}" must be a field name, got ${JSON.stringify(field)}`);
    }
    if (field === AMOUNT_COMMITMENT_FIELD || field === AMOUNT_BLINDING_FIELD) {
      throw new RangeError(`amount field for "${key}" cannot be ${field}`);
    }
    out[key] = field;
  }
  return out;
}

/**
 * The amount field of an event type: an exact entry wins over a `<prefix>.*` one, and `extra` (configuration) wins
 * over the built-in table. Undefined when the event type carries no amount.
 */
export function amountFieldOf(eventType: string, extra: Readonly<Record<string, string>> = {}): string | undefined {
  const dot = eventType.indexOf(".");
  const family = dot > 0 ? `${eventType.slice(0, dot)}.*` : undefined;
  for (const table of [extra, AMOUNT_FIELDS]) {
    const exact = Object.hasOwn(table, eventType) ? table[eventType] : undefined;
    if (exact !== undefined) return exact;
  }
  if (family === undefined) return undefined;
  for (const table of [extra, AMOUNT_FIELDS]) {
    const byFamily = Object.hasOwn(table, family) ? table[family] : undefined;
    if (byFamily !== undefined) return byFamily;
  }
  return undefined;
}
