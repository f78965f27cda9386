/**
 * Shared helpers of the ves-stark tests: a fixed fast-check seed, the §9.4 public inputs, fast verifier policies for
 * the small test options, and a deterministic randomness source.
 */
import type * as fc from "fast-check";

import {
  type AcceptableOptions,
  type CompliancePublicInputs,
  TEST_OPTIONS,
  policyFromLimit,
  policyHashHex,
  policyParams,
} from "../../../../offchain/stark";

/** The seed of every ves-stark property test (override with STARK_FC_SEED). */
export const FC_SEED = process.env.STARK_FC_SEED === undefined ? 20260101 : Number(process.env.STARK_FC_SEED);

/** Property parameters with the shared seed. */
export function fcOptions(numRuns: number): fc.Parameters<unknown> {
  return { seed: FC_SEED, numRuns };
}

/** A verifier policy accepting the small test options. */
export const TEST_ACCEPTABLE: AcceptableOptions = { options: [TEST_OPTIONS], minSecurityBits: 0 };

/** The policy of exampleInputs() (aml.threshold 10000): what a verifier of those inputs expects. */
export const EXAMPLE_POLICY = policyFromLimit("aml.threshold", 10000n);

/** The §9.4 example inputs with the given policy (aml.threshold 10000 by default). */
export function exampleInputs(policyId = "aml.threshold", limit = 10000n): CompliancePublicInputs {
  const policy = policyFromLimit(policyId, limit);
  return {
    eventId: "123e4567-e89b-12d3-a456-426614174000",
    tenantId: "550e8400-e29b-41d4-a716-446655440000",
    storeId: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    sequenceNumber: 42,
    payloadKind: 1,
    payloadPlainHash: "11".repeat(32),
    payloadCipherHash: "22".repeat(32),
    eventSigningHash: "33".repeat(32),
    policyId: policy.id,
    policyParams: policyParams(policy),
    policyHash: policyHashHex(policy),
  };
}
