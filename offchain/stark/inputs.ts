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
import { type Policy, asU64, parsePolicy, policyHashHex, policyParams } from "./policy";

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

/** publicInputsHash: SHA-256(JCS(inputs without witnessCommitment)), hex. */
export function publicInputsHash(inputs: CompliancePublicInputs): string {
  return bytesToHex(sha256(jcsExactBytes(unboundInputs(inputs))));
}

/**
 * boundPublicInputsHash: SHA-256(JCS(inputs with witnessCommitment)), hex.
 * @throws StarkError INVALID_PUBLIC_INPUTS when witnessCommitment is missing.
 */
export function boundPublicInputsHash(inputs: CompliancePublicInputs): string {
  if (inputs.witnessCommitment === undefined) {
    throw new StarkError("INVALID_PUBLIC_INPUTS", "bound hash needs witnessCommitment");
  }
  return bytesToHex(sha256(jcsExactBytes(inputs)));
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
