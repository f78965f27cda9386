/**
 * Helpers of the batch-proof tests: synthetic batches (random signing hashes and signatures, the commitment computed
 * from their leaves with offchain/ves) with chosen amounts, scopes and reasons, and the expectation a verifier of
 * such a batch holds.
 */
import { randomUUID } from "node:crypto";

import { buildCommitment, bytesToHex, hexToBytes, leafHash } from "../../../../offchain/ves";
import {
  type AcceptableOptions,
  type Policy,
  TEST_OPTIONS,
  commitmentToHex,
  effectiveLimit,
  poseidon2,
  policyFromLimit,
  policyHashHex,
  policyParams,
  rawLimit,
} from "../../../../offchain/stark";
import type {
  BatchCommitmentRecord,
  BatchEventInputs,
  BatchExpectation,
  BatchReason,
  BatchStatement,
  BatchWitness,
} from "../../../../offchain/stark";
import { blindingFrom, seededWords } from "../../../../offchain/stark/testing";

/** A verifier policy accepting the small test options. */
export const TEST_ACCEPTABLE: AcceptableOptions = { options: [TEST_OPTIONS], minSecurityBits: 0 };
/** The tests' policy: aml.threshold 10000 (compliant: amount ≤ 9999). */
export const AML_10000 = policyFromLimit("aml.threshold", 10000n);

/** One synthetic event: an in-scope amount (bigint), an out-of-scope event (null), or an in-scope reason. */
export type EventSpec = bigint | null | { readonly reason: Exclude<BatchReason, "none" | "no_amount_field"> };

/** A synthetic batch with everything a prover and a verifier hold. */
export interface SyntheticBatch {
  readonly statement: BatchStatement;
  readonly witness: BatchWitness;
  readonly commitment: BatchCommitmentRecord;
  readonly policy: Policy;
}

const rng = seededWords(424242);

function randomHex(bytes: number): string {
  let s = "";
  for (let i = 0; i < bytes / 4; i++) s += rng().toString(16).padStart(8, "0");
  return s;
}

/** Builds a synthetic batch of events in one stream, sequences start.., chained to prevStateRoot. */
export function syntheticBatch(
  specs: readonly EventSpec[],
  opts: {
    readonly policy?: Policy;
    readonly sequenceStart?: bigint;
    readonly prevStateRoot?: string;
    readonly tenantId?: string;
    readonly storeId?: string;
  } = {},
): SyntheticBatch {
  const policy = opts.policy ?? AML_10000;
  const tenantId = opts.tenantId ?? randomUUID();
  const storeId = opts.storeId ?? randomUUID();
  const start = opts.sequenceStart ?? 1n;
  const events: BatchEventInputs[] = [];
  const openings: BatchWitness["openings"][number][] = [];
  specs.forEach((spec, i) => {
    const base = {
      sequenceNumber: (start + BigInt(i)).toString(),
      eventId: randomUUID(),
      eventSigningHash: randomHex(32),
      agentSignature: randomHex(64),
    };
    if (spec === null) {
      events.push({
        ...base,
        eventType: "inventory.adjusted",
        scope: "out_of_scope",
        reason: "no_amount_field",
        amountCommitment: null,
      });
      openings.push(null);
    } else if (typeof spec === "bigint") {
      const blinding = blindingFrom(rng);
      const c = commitmentToHex(poseidon2.commitAmount(spec, blinding));
      events.push({ ...base, eventType: "order.created", scope: "in_scope", reason: "none", amountCommitment: c });
      openings.push({ amount: spec, blinding });
    } else {
      events.push({
        ...base,
        eventType: "payment.captured",
        scope: "in_scope",
        reason: spec.reason,
        amountCommitment: null,
      });
      openings.push(null);
    }
  });
  const prev = opts.prevStateRoot ?? "00".repeat(32);
  const commitment = buildCommitment({
    tenantId,
    storeId,
    sequenceStart: start,
    leaves: events.map((e) =>
      leafHash({
        tenantId,
        storeId,
        sequenceNumber: BigInt(e.sequenceNumber),
        eventSigningHash: hexToBytes(e.eventSigningHash),
        agentSignature: hexToBytes(e.agentSignature),
      }),
    ),
    prevStateRoot: hexToBytes(prev),
  });
  const batchId = randomUUID();
  const statement: BatchStatement = {
    version: 1,
    batchId,
    tenantId,
    storeId,
    sequenceStart: start.toString(),
    sequenceEnd: commitment.sequenceEnd.toString(),
    policyId: policy.id,
    policyParams: policyParams(policy),
    policyHash: policyHashHex(policy),
    policyLimit: rawLimit(policy).toString(),
    effectiveLimit: effectiveLimit(policy).toString(),
    currency: "USD",
    merkleRoot: bytesToHex(commitment.merkleRoot),
    prevStateRoot: prev,
    newStateRoot: bytesToHex(commitment.newStateRoot),
    events,
  };
  return {
    statement,
    witness: { openings },
    policy,
    commitment: {
      batch_id: batchId,
      tenant_id: tenantId,
      store_id: storeId,
      merkle_root: statement.merkleRoot,
      prev_state_root: prev,
      new_state_root: statement.newStateRoot,
      sequence_start: start,
      sequence_end: commitment.sequenceEnd,
    },
  };
}

/** What a verifier of the batch expects. */
export function expectationOf(b: SyntheticBatch): BatchExpectation {
  return { commitment: b.commitment, policy: b.policy, currency: "USD" };
}
