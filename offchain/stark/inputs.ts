/**
 * The `CompliancePublicInputs` JSON (stark-reference.md §2.10), its validation, and its two hashes (§2.9):
 * publicInputsHash = SHA-256(JCS(inputs without witnessCommitment)) and boundPublicInputsHash = SHA-256(JCS(inputs
 * with witnessCommitment)). JCS is the exact-integer flavour from offchain/ves. Unlike the reference, the inputs never
 * carry `amountBindingHash` (an unsalted hash of the amount anyone could brute-force): it is rejected, as is any
 * other unknown field. Hex fields are 64 lowercase characters; UUIDs are canonical lowercase.
 */
import { randomUUID } from "node:crypto";

import { type ExactJsonValue, bytesToHex, jcsExactBytes, sha256 } from "../ves";
import { StarkError } from "./errors";
import { type Policy, asU64, isPolicyId, parsePolicy, policyHashHex, policyParams } from "./policy";

/** Public inputs of one compliance proof. */
export interface CompliancePublicInputs {
  readonly eventId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceNumber: number | bigint;
  readonly payloadKind: number;
  readonly payloadPlainHash: string;
  readonly payloadCipherHash: string;
  readonly eventSigningHash: string;
  readonly policyId: string;
  readonly policyParams: { readonly [key: string]: ExactJsonValue };
  readonly policyHash: string;
  readonly witnessCommitment?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Every public input field (witnessCommitment last: it is optional in unbound inputs). */
export const PUBLIC_INPUT_FIELDS: readonly string[] = Object.freeze([
  "eventId",
  "tenantId",
  "storeId",
  "sequenceNumber",
  "payloadKind",
  "payloadPlainHash",
  "payloadCipherHash",
  "eventSigningHash",
  "policyId",
  "policyParams",
  "policyHash",
  "witnessCommitment",
]);

/** True for a 64-character lowercase hex string. */
export function isHex64(v: unknown): v is string {
  return typeof v === "string" && HEX64.test(v);
}

/**
 * Validates public inputs (shape, UUIDs, integer ranges, strict hex, policy parameters and the recomputed policy
 * hash) and returns them with the parsed policy.
 * @throws StarkError INVALID_PUBLIC_INPUTS, INVALID_HEX, UNSUPPORTED_POLICY, MISSING_POLICY_PARAM,
 * INVALID_POLICY_PARAM or INVALID_POLICY_HASH.
 */
export function parsePublicInputs(value: unknown): { inputs: CompliancePublicInputs; policy: Policy } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StarkError("INVALID_PUBLIC_INPUTS", "public inputs must be a JSON object");
  }
  const v = value as Record<string, unknown>;
  const unknownKeys = Object.keys(v).filter((k) => !PUBLIC_INPUT_FIELDS.includes(k));
  if (unknownKeys.length > 0) {
    throw new StarkError("INVALID_PUBLIC_INPUTS", `unexpected public input field(s): ${unknownKeys.join(", ")}`);
  }
  for (const k of ["eventId", "tenantId", "storeId"]) {
    if (typeof v[k] !== "string" || !UUID.test(v[k] as string)) {
      throw new StarkError("INVALID_PUBLIC_INPUTS", `${k} must be a lowercase hyphenated UUID`);
    }
  }
  if (asU64(v.sequenceNumber) === undefined)
    throw new StarkError("INVALID_PUBLIC_INPUTS", "sequenceNumber must be a u64");
  const kind = v.payloadKind;
  if (typeof kind !== "number" || !Number.isInteger(kind) || kind < 0 || kind > 0xffffffff) {
    throw new StarkError("INVALID_PUBLIC_INPUTS", "payloadKind must be a u32");
  }
  for (const k of ["payloadPlainHash", "payloadCipherHash", "eventSigningHash", "policyHash"]) {
    if (!isHex64(v[k])) throw new StarkError("INVALID_HEX", `${k} must be 64 lowercase hex characters`);
  }
  if (v.witnessCommitment !== undefined && !isHex64(v.witnessCommitment)) {
    throw new StarkError("INVALID_HEX", "witnessCommitment must be 64 lowercase hex characters");
  }
  const policy = parsePolicy(v.policyId, v.policyParams ?? {});
  const expected = policyHashHex(policy);
  if (v.policyHash !== expected) {
    throw new StarkError(
      "INVALID_POLICY_HASH",
      `policyHash ${String(v.policyHash)} does not match the policy (${expected})`,
    );
  }
  return { inputs: v as unknown as CompliancePublicInputs, policy };
}

/** The inputs without witnessCommitment. */
export function unboundInputs(inputs: CompliancePublicInputs): CompliancePublicInputs {
  const { witnessCommitment: _omit, ...rest } = inputs;
  return rest;
}

/** The public input fields in JCS order (UTF-16 code units of the keys). */
const SORTED_FIELDS: readonly string[] = [...PUBLIC_INPUT_FIELDS].sort();
const UUID_FIELDS = new Set(["eventId", "tenantId", "storeId"]);
const U64_MAX = (1n << 64n) - 1n;

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(v).length === 0;
}

/** JSON digits of a u64 given as a safe non-negative integer or a bigint, else null. */
function u64Digits(v: unknown): string | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? JSON.stringify(v) : null;
  if (typeof v === "bigint") return v >= 0n && v <= U64_MAX ? v.toString() : null;
  return null;
}

/**
 * jcsExact(inputs) printed from the known key order, or null unless every field has the form parsePublicInputs
 * accepts (UUIDs, lowercase hex, a supported policy id, one lowercase-named u64 parameter, u64 and u32 integers;
 * witnessCommitment absent or hex; no other key): then no string needs an escape and every number prints as its
 * digits, so the text is the one jcsExact prints (tested against it on varied inputs). Anything else takes jcsExact.
 */
export function knownInputsJcs(inputs: unknown): string | null {
  if (!isPlainRecord(inputs)) return null;
  let present = 0;
  let out = "{";
  for (const k of SORTED_FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(inputs, k)) {
      if (k === "witnessCommitment") continue;
      return null;
    }
    present++;
    const v = inputs[k];
    let text: string | null;
    if (UUID_FIELDS.has(k)) text = typeof v === "string" && UUID.test(v) ? `"${v}"` : null;
    else if (k === "sequenceNumber") text = u64Digits(v);
    else if (k === "payloadKind") text = typeof v === "number" && v <= 0xffffffff ? u64Digits(v) : null;
    else if (k === "policyId") text = isPolicyId(v) ? `"${v}"` : null;
    else if (k === "policyParams") text = paramsJcs(v);
    else text = isHex64(v) ? `"${v}"` : null;
    if (text === null) return null;
    out += `${present === 1 ? "" : ","}"${k}":${text}`;
  }
  return Object.keys(inputs).length === present ? `${out}}` : null;
}

/** `{"<name>":<u64>}` for a plain object with one lowercase-named u64 parameter, else null. */
function paramsJcs(v: unknown): string | null {
  if (!isPlainRecord(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !/^[a-z]+$/.test(keys[0] as string)) return null;
  const digits = u64Digits(v[keys[0] as string]);
  return digits === null ? null : `{"${keys[0] as string}":${digits}}`;
}

/** SHA-256 of jcsExact(inputs), from the known key order when it applies. */
function jcsDigest(inputs: unknown): Uint8Array {
  const known = knownInputsJcs(inputs);
  return sha256(known === null ? jcsExactBytes(inputs) : Buffer.from(known, "latin1"));
}

/** publicInputsHash: SHA-256(JCS(inputs without witnessCommitment)), hex. */
export function publicInputsHash(inputs: CompliancePublicInputs): string {
  return bytesToHex(jcsDigest(unboundInputs(inputs)));
}

/**
 * boundPublicInputsHash: SHA-256(JCS(inputs with witnessCommitment)), as bytes (the transcript context).
 * @throws StarkError INVALID_PUBLIC_INPUTS when witnessCommitment is missing.
 */
export function boundPublicInputsDigest(inputs: CompliancePublicInputs): Uint8Array {
  if (inputs.witnessCommitment === undefined) {
    throw new StarkError("INVALID_PUBLIC_INPUTS", "bound hash needs witnessCommitment");
  }
  return jcsDigest(inputs);
}

/**
 * boundPublicInputsHash: SHA-256(JCS(inputs with witnessCommitment)), hex.
 * @throws StarkError INVALID_PUBLIC_INPUTS when witnessCommitment is missing.
 */
export function boundPublicInputsHash(inputs: CompliancePublicInputs): string {
  return bytesToHex(boundPublicInputsDigest(inputs));
}

/** Random public inputs for a policy (gen-inputs): v4 UUIDs, sequence 1, payload kind 1, zero payload hashes. */
export function randomPublicInputs(policy: Policy): CompliancePublicInputs {
  const zero = "0".repeat(64);
  return {
    eventId: randomUUID(),
    tenantId: randomUUID(),
    storeId: randomUUID(),
    sequenceNumber: 1,
    payloadKind: 1,
    payloadPlainHash: zero,
    payloadCipherHash: zero,
    eventSigningHash: zero,
    policyId: policy.id,
    policyParams: policyParams(policy),
    policyHash: policyHashHex(policy),
  };
}
