/**
 * Kept while the services still import the proof types from here: they live in proofs/store.ts (the proofs slice).
 * The lead removes this file when the services import the slice directly.
 */
export type {
  ClaimOutcome,
  PendingValidity,
  ProofClaim,
  ProofKind,
  ProofStore,
  ProofsStore,
  StoredProof,
} from "../proofs/store";
