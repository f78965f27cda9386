/**
 * Batch compliance proofs: one STARK per committed batch proving the compliance of every event in it, tied to the
 * batch's commitment (leaves, padded Merkle root, state root). See offchain/stark/README.md "Batch proofs".
 */
export {
  BATCH_CONSTRAINTS,
  BATCH_WIDTH,
  BLOCK_ROWS,
  CONSTRAINT_NAMES as BATCH_CONSTRAINT_NAMES,
  MAX_BATCH_EVENTS,
  batchTraceLength,
  type BatchAirStatement,
  type BatchEventWitness,
} from "./air";
export {
  BATCH_BUNDLE_VERSION,
  BATCH_PROOF_TYPE,
  batchBundleHash,
  batchProofHashHex,
  readBatchBundle,
  type BatchBundleMetadata,
  type BatchProofBundle,
} from "./bundle";
export { BATCH_PROTOCOL_ID } from "./protocol";
export { proveBatch } from "./prove";
export {
  BATCH_STATEMENT_VERSION,
  IN_SCOPE_REASONS,
  OUT_OF_SCOPE_REASONS,
  batchStatementHash,
  buildBatchStatement,
  decryptBatchPayloads,
  parseBatchStatement,
  type BatchClaim,
  type BatchCommitmentRecord,
  type BatchEventInputs,
  type BatchReason,
  type BatchScope,
  type BatchStatement,
  type BatchWitness,
  type BuildBatchStatementInput,
  type ParsedBatchStatement,
  type PulledEvent,
} from "./statement";
export { verifyBatch, type BatchExpectation, type BatchFailure, type BatchVerdict, type BatchVerified } from "./verify";
