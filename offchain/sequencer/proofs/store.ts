/**
 * The proofs slice of the store (issue 13): the proofs the sequencer accepted — per-event compliance proofs and
 * per-commitment validity (batch) proofs — and the provers' leases on commitments. Its record types, its narrow
 * interface (`ProofStore`, reached as `store.proofs`), and the SQL and row mapping both backends share
 * (store-sqlite.ts, store-postgres.ts). The tables are created by migration 8 (store/migrations.ts), the anchor
 * columns by migration 9.
 */
import { toCommitment, type StoredCommitment } from "../commitments/store";
import { buf, bytes, flag, sameBytes, type Placeholder, type Row } from "../store/rows";

/** The on-chain transaction that anchored a validity proof (`commitStarkProof` / `commitBatchWithStarkProof`). */
export interface ProofAnchor {
  readonly chainId: bigint;
  /** The transaction hash (32 bytes). */
  readonly txHash: Uint8Array;
  readonly blockNumber: bigint;
  readonly anchoredAt: string;
}

/** The two proof families of ves-protocol.md §9.1. */
export type ProofKind = "compliance" | "validity";

/** An accepted proof: everything `commitStarkProof` needs, plus the bundle as submitted. */
export interface StoredProof {
  readonly proofId: string;
  readonly kind: ProofKind;
  readonly tenantId: string;
  readonly storeId: string;
  /** Validity: the commitment proven; compliance: the commitment covering the event when submitted, or null. */
  readonly batchId: string | null;
  /** Compliance: the event proven; null for validity proofs. */
  readonly eventId: string | null;
  readonly policyId: string;
  /** The policy hash (32 bytes). */
  readonly policyHash: Uint8Array;
  /** The policy's raw limit (minor units, u64), as `commitStarkProof` takes it. */
  readonly policyLimit: bigint;
  readonly allCompliant: boolean;
  /** How many in-scope events are compliant (validity); 1 for a compliance proof. */
  readonly compliantCount: number;
  /** The proof hash (32 bytes; the compliance or batch domain of ves-protocol.md). */
  readonly proofHash: Uint8Array;
  readonly proofSize: number;
  readonly provingTimeMs: number;
  readonly securityBits: number;
  /** The prover's self-chosen id (claims), if it gave one. */
  readonly proverId: string | null;
  /** The bundle JSON as submitted (exact JSON text). */
  readonly bundleJson: string;
  /** Who submitted it (audit actor form). */
  readonly submittedBy: string;
  readonly submittedAt: string;
  /** The transaction that anchored it (validity proofs only), or null. */
  readonly anchor: ProofAnchor | null;
}

/** A prover's lease on a commitment (validity family). */
export interface ProofClaim {
  readonly batchId: string;
  readonly proverId: string;
  readonly claimedAt: string;
  /** Milliseconds since the epoch when the lease ends. */
  readonly expiresAtMs: number;
}

/** A commitment without a validity proof, with its current lease if any. */
export interface PendingValidity {
  readonly commitment: StoredCommitment;
  readonly claim: ProofClaim | null;
}

/** Outcome of a claim, renewal or release: `held` is the lease that stands afterwards (or the other prover's). */
export type ClaimOutcome =
  { readonly ok: true; readonly claim: ProofClaim | null } | { readonly ok: false; readonly claim: ProofClaim | null };

/** Result of recording a proof's anchor: recorded, the same transaction again, another one held, or no such proof. */
export type MarkProofOutcome =
  | { readonly kind: "anchored" | "already_anchored" | "conflict"; readonly proof: StoredProof }
  | { readonly kind: "not_found" };

/** Result of clearing a proof's anchor: cleared, not anchored in the first place, or no such proof. */
export type UnmarkProofOutcome =
  { readonly kind: "unanchored" | "not_anchored"; readonly proof: StoredProof } | { readonly kind: "not_found" };

/** Proof and lease storage. */
export interface ProofStore {
  insertProof(proof: StoredProof): Promise<void>;
  getProof(proofId: string): Promise<StoredProof | null>;
  /** Proofs of a commitment (validity) or an event (compliance), oldest first. */
  listProofs(kind: ProofKind, subjectId: string): Promise<StoredProof[]>;
  /** Commitments with no validity proof, oldest commitment first, with their leases. */
  pendingValidity(limit: number): Promise<PendingValidity[]>;
  /**
   * Takes the lease on `batchId` for `proverId` until `nowMs + leaseMs` when nobody holds it, it has expired, or
   * `proverId` holds it already (then it is extended). Otherwise `ok: false` with the other prover's lease.
   */
  claim(batchId: string, proverId: string, leaseMs: number, nowMs: number, at: string): Promise<ClaimOutcome>;
  /** Extends `proverId`'s lease (even an expired one nobody took over); `ok: false` when another holds it or none. */
  renewClaim(batchId: string, proverId: string, leaseMs: number, nowMs: number): Promise<ClaimOutcome>;
  /** Drops `proverId`'s lease; `ok: false` when another prover holds it or there is none. */
  releaseClaim(batchId: string, proverId: string): Promise<ClaimOutcome>;
  /**
   * Records the transaction that anchored a validity proof (the same hash again: already anchored; another: conflict).
   * A compliance proof's id reads as `not_found`.
   */
  markAnchored(proofId: string, anchor: ProofAnchor): Promise<MarkProofOutcome>;
  /** Clears a validity proof's anchor whose block was reorganised away (idempotent when not anchored). */
  unmarkAnchored(proofId: string): Promise<UnmarkProofOutcome>;
}

/** A proof row. */
export function toProof(r: Row): StoredProof {
  return {
    proofId: r.proof_id as string,
    kind: r.kind as ProofKind,
    tenantId: r.tenant_id as string,
    storeId: r.store_id as string,
    batchId: (r.batch_id as string | null) ?? null,
    eventId: (r.event_id as string | null) ?? null,
    policyId: r.policy_id as string,
    policyHash: bytes(r.policy_hash),
    policyLimit: BigInt(r.policy_limit as string),
    allCompliant: flag(r.all_compliant),
    compliantCount: Number(r.compliant_count),
    proofHash: bytes(r.proof_hash),
    proofSize: Number(r.proof_size),
    provingTimeMs: Number(r.proving_time_ms),
    securityBits: Number(r.security_bits),
    proverId: (r.prover_id as string | null) ?? null,
    bundleJson: r.bundle_json as string,
    submittedBy: r.submitted_by as string,
    submittedAt: r.submitted_at as string,
    anchor:
      r.anchor_tx_hash === null || r.anchor_tx_hash === undefined
        ? null
        : {
            chainId: BigInt(r.anchor_chain_id as string),
            txHash: bytes(r.anchor_tx_hash),
            blockNumber: BigInt(r.anchor_block_number as string),
            anchoredAt: r.anchored_at as string,
          },
  };
}

/** The anchor columns' parameters: chain id, transaction hash, block number, anchored at. */
export function anchorValues(a: ProofAnchor): unknown[] {
  return [a.chainId.toString(), buf(a.txHash), a.blockNumber.toString(), a.anchoredAt];
}

/** A claim row. */
export function toClaim(r: Row): ProofClaim {
  return {
    batchId: r.batch_id as string,
    proverId: r.prover_id as string,
    claimedAt: r.claimed_at as string,
    expiresAtMs: Number(r.expires_at_ms),
  };
}

/** The insert parameters of a proof but its last column, `all_compliant` (a flag each dialect spells). */
export function proofValues(p: StoredProof): unknown[] {
  return [
    p.proofId,
    p.kind,
    p.tenantId,
    p.storeId,
    p.batchId,
    p.eventId,
    p.policyId,
    buf(p.policyHash),
    p.policyLimit.toString(),
    p.compliantCount,
    buf(p.proofHash),
    p.proofSize,
    p.provingTimeMs,
    p.securityBits,
    p.proverId,
    p.bundleJson,
    p.submittedBy,
    p.submittedAt,
  ];
}
/** The columns of `proofValues` then `all_compliant`. */
export const PROOF_COLUMNS =
  "proof_id, kind, tenant_id, store_id, batch_id, event_id, policy_id, policy_hash, policy_limit, " +
  "compliant_count, proof_hash, proof_size, proving_time_ms, security_bits, prover_id, bundle_json, " +
  "submitted_by, submitted_at, all_compliant";

/** The SQL of the pending list, with `?` or `$n` placeholders for the limit. */
export const pendingSql = (limit: string) =>
  `SELECT c.*, l.prover_id AS claim_prover_id, l.claimed_at AS claim_claimed_at, l.expires_at_ms AS claim_expires_at_ms
     FROM ves_commitments c LEFT JOIN ves_proof_claims l ON l.batch_id = c.batch_id
    WHERE NOT EXISTS (SELECT 1 FROM ves_proofs p WHERE p.kind = 'validity' AND p.batch_id = c.batch_id)
    ORDER BY c.committed_at, c.batch_id LIMIT ${limit}`;

/** A row of `pendingSql`. */
export function toPending(r: Row): PendingValidity {
  const claim =
    r.claim_prover_id === null || r.claim_prover_id === undefined
      ? null
      : toClaim({
          batch_id: r.batch_id,
          prover_id: r.claim_prover_id,
          claimed_at: r.claim_claimed_at,
          expires_at_ms: r.claim_expires_at_ms,
        });
  return { commitment: toCommitment(r), claim };
}

/** The proofs slice as the composed store carries it. */
export interface ProofsStore {
  /** Accepted proofs and provers' leases. */
  readonly proofs: ProofStore;
}

/** The statements both backends run, in a dialect's placeholders. */
export function proofsSql(p: Placeholder) {
  return {
    /** `proofValues` then `all_compliant`. */
    insert: `INSERT INTO ves_proofs (${PROOF_COLUMNS}) VALUES (${Array.from({ length: 19 }, (_, i) => p(i + 1)).join(", ")})`,
    /** Proof id. */
    get: `SELECT * FROM ves_proofs WHERE proof_id = ${p(1)}`,
    /** Kind, subject (batch id for validity proofs, event id for compliance proofs). */
    list: (kind: ProofKind) =>
      `SELECT * FROM ves_proofs WHERE kind = ${p(1)} AND ${kind === "validity" ? "batch_id" : "event_id"} = ${p(2)}
        ORDER BY submitted_at, proof_id`,
    /** Limit. */
    pending: pendingSql(p(1)),
    /** Batch id. */
    claim: `SELECT * FROM ves_proof_claims WHERE batch_id = ${p(1)}`,
    /** Batch id, prover id, claimed at, expiry. */
    upsertClaim: `INSERT INTO ves_proof_claims (batch_id, prover_id, claimed_at, expires_at_ms)
      VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})
      ON CONFLICT (batch_id) DO UPDATE SET prover_id = excluded.prover_id, claimed_at = excluded.claimed_at,
        expires_at_ms = excluded.expires_at_ms`,
    /** Expiry, batch id. */
    renewClaim: `UPDATE ves_proof_claims SET expires_at_ms = ${p(1)} WHERE batch_id = ${p(2)}`,
    /** Batch id. */
    deleteClaim: `DELETE FROM ves_proof_claims WHERE batch_id = ${p(1)}`,
    /** `anchorValues`, then the proof id: sets the anchor of a validity proof that has none (0 or 1 row). */
    markAnchored: `UPDATE ves_proofs SET anchor_chain_id = ${p(1)}, anchor_tx_hash = ${p(2)},
        anchor_block_number = ${p(3)}, anchored_at = ${p(4)}
      WHERE proof_id = ${p(5)} AND kind = 'validity' AND anchor_tx_hash IS NULL`,
    /** Proof id: clears the anchor of a validity proof that has one (0 or 1 row). */
    unmarkAnchored: `UPDATE ves_proofs SET anchor_chain_id = NULL, anchor_tx_hash = NULL, anchor_block_number = NULL,
        anchored_at = NULL WHERE proof_id = ${p(1)} AND kind = 'validity' AND anchor_tx_hash IS NOT NULL`,
  };
}

/** The outcome of a refused anchor update, from the proof as it stands (null: none, or not a validity proof). */
export function markRefused(current: StoredProof | null, txHash: Uint8Array): MarkProofOutcome {
  if (current === null || current.kind !== "validity") return { kind: "not_found" };
  return current.anchor !== null && sameBytes(current.anchor.txHash, txHash)
    ? { kind: "already_anchored", proof: current }
    : { kind: "conflict", proof: current };
}

/** The outcome of a refused un-anchor update, from the proof as it stands (null: none, or not a validity proof). */
export function unmarkRefused(current: StoredProof | null): UnmarkProofOutcome {
  return current === null || current.kind !== "validity"
    ? { kind: "not_found" }
    : { kind: "not_anchored", proof: current };
}

/** Whether a claim request may take the lease now, and the `claimed_at` it keeps (the holder's own, unexpired). */
export function claimDecision(
  held: ProofClaim | null,
  proverId: string,
  nowMs: number,
  at: string,
): { readonly ok: false } | { readonly ok: true; readonly claimedAt: string } {
  if (held !== null && held.proverId !== proverId && held.expiresAtMs > nowMs) return { ok: false };
  const claimedAt = held !== null && held.proverId === proverId && held.expiresAtMs > nowMs ? held.claimedAt : at;
  return { ok: true, claimedAt };
}
