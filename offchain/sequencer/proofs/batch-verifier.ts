/**
 * The verification step of submitted validity (batch) proofs: the `BatchVerifier` contract and the sequencer's
 * default, offchain/stark `verifyBatch` against the stored commitment and its events.
 */
import { parsePolicy, verifyBatch, type AcceptableOptions, type Policy } from "../../stark";
import { bytesToHex, hexToBytes, parseJsonExact } from "../../ves";
import type { StoredCommitment, StoredEvent } from "../store";

/**
 * The batch library's verification step for a submitted validity proof, as one function: given the commitment, its
 * events, the submitted bundle and the policy the submitter names (else the statement's), either the verified
 * record's figures or a refusal with a reason code. Null: validity submissions answer 501 `BATCH_PROOFS_UNAVAILABLE`.
 */
export type BatchVerifier = (input: {
  readonly commitment: StoredCommitment;
  readonly events: readonly StoredEvent[];
  readonly bundle: unknown;
  readonly policy: Policy | null;
  readonly acceptable: AcceptableOptions;
}) =>
  | {
      readonly valid: true;
      readonly policy: Policy;
      readonly allCompliant: boolean;
      readonly compliantCount: number;
      readonly proofHash: Uint8Array;
      readonly proofSize: number;
      readonly provingTimeMs: number;
      readonly securityBits: number;
    }
  | { readonly valid: false; readonly reason: string; readonly detail: string };

/**
 * The sequencer's batch verifier: offchain/stark `verifyBatch` against the stored commitment (its REST form) and the
 * commitment's stored events, so the proof is about exactly those events, roots and range (the F5 fix is the
 * library's: it recomputes every leaf, the padded Merkle root and the new state root); for plaintext payloads it also
 * checks each statement's amount commitment against the signed payload.
 */
export const DEFAULT_BATCH_VERIFIER: BatchVerifier = ({ commitment, events, bundle, policy, acceptable }) => {
  let expected = policy;
  if (expected === null) {
    const st = (bundle as { statement?: { policyId?: unknown; policyParams?: unknown } } | null)?.statement;
    try {
      expected = parsePolicy(st?.policyId, st?.policyParams);
    } catch (e) {
      return { valid: false, reason: "INVALID_STATEMENT", detail: (e as Error).message };
    }
  }
  let verdict: ReturnType<typeof verifyBatch>;
  try {
    verdict = verifyBatch(
      bundle,
      {
        commitment: {
          batch_id: commitment.batchId,
          tenant_id: commitment.tenantId,
          store_id: commitment.storeId,
          merkle_root: bytesToHex(commitment.merkleRoot),
          prev_state_root: bytesToHex(commitment.prevStateRoot),
          new_state_root: bytesToHex(commitment.newStateRoot),
          sequence_start: commitment.sequenceStart,
          sequence_end: commitment.sequenceEnd,
        },
        policy: expected,
        events: events.map((e) => ({
          sequence_number: e.sequenceNumber,
          event_id: e.eventId,
          envelope: parseJsonExact(e.envelopeJson),
        })),
      },
      acceptable,
    );
  } catch (e) {
    // verifyBatch throws only on a value it cannot read at all (a hostile bundle): a refusal, not a server error.
    return { valid: false, reason: "INVALID_BUNDLE", detail: `${(e as Error).name}: ${(e as Error).message}` };
  }
  if (!verdict.valid) return verdict;
  const time = (bundle as { metadata?: { proving_time_ms?: unknown } }).metadata?.proving_time_ms;
  return {
    valid: true,
    policy: expected,
    allCompliant: verdict.allCompliant,
    compliantCount: verdict.compliantCount,
    proofHash: hexToBytes(verdict.proofHash),
    proofSize: verdict.proofSize,
    provingTimeMs: typeof time === "number" && Number.isFinite(time) ? Math.round(time) : 0,
    securityBits: verdict.securityBits,
  };
};
