/**
 * Small readers for untrusted JSON shared by the parsers: plain-object test, own-property access, and integers that
 * may arrive as number (JSON.parse) or bigint (parseJsonExact).
 */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** Largest u32, as bigint. */
export const U32_MAX = 0xffff_ffffn;
/** Largest u64. */
export const U64_MAX = (1n << 64n) - 1n;

/** True for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The own property `key` of `obj`, or undefined (never an inherited one). */
export function own(obj: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A JSON integer from JSON.parse (number) or parseJsonExact (number or bigint) in 0..max; undefined if not. */
export function integerOf(value: unknown, max: bigint): bigint | undefined {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else return undefined;
  return n >= 0n && n <= max ? n : undefined;
}
