/**
 * Test support for validity proofs: proves a stored commitment's batch statement from what the sequencer serves
 * (`GET …/validity/{batch_id}/events`, the commitment) and submits it through the real route.
 */
import { expect } from "chai";

import { buildBatchStatement, policyFromLimit, proveBatch, type BatchCommitmentRecord } from "../../offchain/stark";
import type { Client } from "./sequencer";

/** Proves commitment `batchId` under `aml.threshold` with `limit` and submits it as `prover`; the stored record. */
export async function submitBatchProof(
  prover: Client,
  batchId: string,
  limit = 100_000n,
): Promise<Record<string, unknown>> {
  const ev = await prover.get(`/api/v1/ves/validity/${batchId}/events`);
  expect(ev.status, ev.text).to.equal(200);
  const { commitment, events } = ev.json as unknown as {
    commitment: Record<string, unknown>;
    events: { sequenceNumber: bigint; eventId: string; envelope: unknown }[];
  };
  const { statement, witness } = buildBatchStatement({
    commitment: {
      batch_id: commitment.batchId,
      tenant_id: commitment.tenantId,
      store_id: commitment.storeId,
      sequence_start: commitment.sequenceStart,
      sequence_end: commitment.sequenceEnd,
      merkle_root: commitment.merkleRoot,
      prev_state_root: commitment.prevStateRoot,
      new_state_root: commitment.newStateRoot,
    } as unknown as BatchCommitmentRecord,
    events: events.map((e) => ({ sequence_number: e.sequenceNumber, event_id: e.eventId, envelope: e.envelope })),
    policy: policyFromLimit("aml.threshold", limit),
    currency: "EUR",
  });
  const bundle = proveBatch(statement, witness);
  const r = await prover.post(`/api/v1/ves/validity/${batchId}/proofs`, {
    bundle,
    proverId: "test-prover",
    policyId: "aml.threshold",
    policyLimit: limit.toString(),
  });
  expect(r.status, r.text).to.equal(201);
  return r.json as Record<string, unknown>;
}
