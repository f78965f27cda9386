/**
 * offchain/anchor: the anchor service. It anchors the sequencer's commitments, and their batch proofs, in the
 * SetRegistry on the L2 — per stream strictly in order, idempotent and crash-safe (progress in SQLite), with reorg
 * repair, a lease for one anchor per sequencer, and health/metrics. This file is the part's only import surface.
 */
export { ANCHOR_OPTIONS, resolveAnchorConfig, type AnchorConfig, type AnchorOptions } from "./config";
export {
  createAnchor,
  preflight,
  registryAddressOf,
  type AnchorDeps,
  type AnchorService,
  type LeaseStatus,
  type PreflightResult,
} from "./service";
export { AnchorError, RevertError, formatRevert, type DecodedRevert } from "./errors";
export { Backoff, CircuitBreaker, backoffDelay } from "./backoff";
export { Chain, REGISTRY_INTERFACE } from "./chain";
export { SequencerClient, type LeaseAnswer, type PendingCommitment } from "./sequencer-client";
export { HttpProofSource, NO_PROOFS, parseProofRecord, type ProofRecord, type ProofSource } from "./proofs";
export { AnchorState, type SendRow, type SendStatus } from "./state";
export { uuidOfBytes32 } from "./loop";
export { runAnchorCli, type AnchorCliIo } from "./cli/main";
export { verifyAnchoredBatch, type VerifyCheck, type VerifyInput, type VerifyReport } from "./verify";
