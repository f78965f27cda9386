/**
 * offchain/sequencer: the VES sequencer service (HTTP API, SQLite or PostgreSQL store, commit worker). This file is
 * the part's only import surface.
 */
export {
  MIN_JWT_SECRET_LENGTH,
  SEQUENCER_OPTIONS,
  resolveSequencerConfig,
  type SequencerConfig,
  type SequencerOptions,
} from "./config";
export { createSequencer, type Sequencer, type SequencerDeps } from "./server";
export { SequencerService } from "./service";
export { SequencerError } from "./errors";
export { NIL_UUID, type Principal } from "./auth";
export { rateLimitVerdict } from "./auth";
export { deriveSequencerId } from "./keys";
export { canonicalEnvelope, normalizeEnvelope, receiptJson, type CanonicalEnvelope, type ReceiptJson } from "./events";
export type { IngestResponseJson } from "./events";
export { runCli, type CliIo } from "./cli";
export { CommitWorker, type CommitWorkerOptions } from "./commitments";
export { VerifyPool, type VerifyItem } from "./events";
export { Presigner, type PresignTicket } from "./events";
export { StoreUnavailableError, nowRfc3339, openPostgresStore, openSqliteStore, toRfc3339 } from "./store";
export type * from "./store";
export {
  JwtError,
  MAX_CLOCK_SKEW_SECONDS,
  signJwt,
  verifyJwt,
  type JwtClaims,
  type JwtGrant,
  type JwtVerifier,
} from "./auth";
