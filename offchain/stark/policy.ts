/**
 * Compliance policies and their effective limit L (stark-reference.md §2.1): `aml.threshold` {threshold} means
 * amount < threshold, proven as amount ≤ L = threshold − 1 (threshold 0 is rejected); `order_total.cap` {cap} means
 * amount ≤ cap, L = cap. Parameters are exact JSON integers in 0..2^64 − 1; unknown parameter keys are rejected.
 */
import { type ExactJsonValue, bytesToHex, policyHash } from "../ves";
import { StarkError } from "./errors";

/** Supported policy ids. */
export const POLICY_IDS = ["aml.threshold", "order_total.cap"] as const;
/** A supported policy id. */
export type PolicyId = (typeof POLICY_IDS)[number];

/** A parsed policy: its id and its single u64 parameter. */
export type Policy =
  | { readonly id: "aml.threshold"; readonly threshold: bigint }
  | { readonly id: "order_total.cap"; readonly cap: bigint };

const U64_MAX = (1n << 64n) - 1n;
const PARAM_KEY: Record<PolicyId, string> = { "aml.threshold": "threshold", "order_total.cap": "cap" };

/** True if `id` is a supported policy id. */
export function isPolicyId(id: unknown): id is PolicyId {
  return typeof id === "string" && (POLICY_IDS as readonly string[]).includes(id);
}

/** Reads an exact non-negative u64 integer from a JSON value (number or bigint), or undefined. */
export function asU64(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v >= 0n && v <= U64_MAX ? v : undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return undefined;
}

/**
 * Parses `policyId` and `policyParams` as found in public inputs.
 * @throws StarkError UNSUPPORTED_POLICY, MISSING_POLICY_PARAM or INVALID_POLICY_PARAM.
 */
export function parsePolicy(policyId: unknown, policyParams: unknown): Policy {
  if (!isPolicyId(policyId))
    throw new StarkError("UNSUPPORTED_POLICY", `unsupported policy id ${JSON.stringify(policyId)}`);
  if (typeof policyParams !== "object" || policyParams === null || Array.isArray(policyParams)) {
    throw new StarkError("INVALID_POLICY_PARAM", "policyParams must be a JSON object");
  }
  const key = PARAM_KEY[policyId];
  const params = policyParams as Record<string, unknown>;
  if (!(key in params)) throw new StarkError("MISSING_POLICY_PARAM", `policy ${policyId} needs "${key}"`);
  const extra = Object.keys(params).filter((k) => k !== key);
  if (extra.length > 0)
    throw new StarkError("INVALID_POLICY_PARAM", `unexpected policy parameter(s) ${extra.join(", ")}`);
  const value = asU64(params[key]);
  if (value === undefined) throw new StarkError("INVALID_POLICY_PARAM", `"${key}" must be an integer in 0..2^64-1`);
  return policyId === "aml.threshold" ? { id: policyId, threshold: value } : { id: policyId, cap: value };
}

/**
 * Builds a policy from a CLI-style id and raw limit (the threshold or the cap).
 * @throws StarkError UNSUPPORTED_POLICY or INVALID_POLICY_PARAM.
 */
export function policyFromLimit(id: string, limit: bigint): Policy {
  return parsePolicy(id, { [PARAM_KEY[id as PolicyId] ?? "limit"]: limit });
}

/** The raw limit of a policy (threshold or cap). */
export function rawLimit(p: Policy): bigint {
  return p.id === "aml.threshold" ? p.threshold : p.cap;
}

/**
 * The effective limit L with amount ≤ L ⇔ compliant.
 * @throws StarkError INVALID_THRESHOLD for an aml.threshold of 0 (no amount is compliant).
 */
export function effectiveLimit(p: Policy): bigint {
  if (p.id === "aml.threshold") {
    if (p.threshold === 0n) throw new StarkError("INVALID_THRESHOLD", "aml.threshold must be at least 1");
    return p.threshold - 1n;
  }
  return p.cap;
}

/** True if the amount satisfies the policy (native check). */
export function isCompliant(p: Policy, amount: bigint): boolean {
  return p.id === "aml.threshold" ? amount < p.threshold : amount <= p.cap;
}

/** policyParams as canonical JSON (exact integer: a number when safe, else a bigint). */
export function policyParams(p: Policy): { [key: string]: ExactJsonValue } {
  const v = rawLimit(p);
  const json = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  return { [PARAM_KEY[p.id]]: json };
}

/** The policy hash (hex) SHA-256("STATESET_VES_COMPLIANCE_POLICY_HASH_V1" ‖ JCS({policyId, policyParams})). */
export function policyHashHex(p: Policy): string {
  const key = `${p.id}:${rawLimit(p)}`;
  let hex = policyHashCache.get(key);
  if (hex === undefined) {
    hex = bytesToHex(policyHash(p.id, policyParams(p)));
    if (policyHashCache.size >= 256) policyHashCache.clear();
    policyHashCache.set(key, hex);
  }
  return hex;
}

/** Memo of policyHashHex (a pure function of the policy id and raw limit): verifiers see few distinct policies. */
const policyHashCache = new Map<string, string>();

/** True if two policies are identical. */
export function policiesEqual(a: Policy, b: Policy): boolean {
  return a.id === b.id && rawLimit(a) === rawLimit(b);
}
