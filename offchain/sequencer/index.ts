/**
 * offchain/sequencer: the VES sequencer service (HTTP API, SQLite or PostgreSQL store, commit worker). This file is
 * the part's only import surface.
 */
export { SEQUENCER_OPTIONS, resolveSequencerConfig, type SequencerConfig, type SequencerOptions } from "./config";
export { createSequencer, type Sequencer, type SequencerDeps } from "./server";
export {
  NIL_UUID,
  SequencerError,
  SequencerService,
  deriveSequencerId,
  rateLimitVerdict,
  receiptJson,
  type IngestResponseJson,
  type Principal,
  type ReceiptJson,
} from "./service";
export { runCli, type CliIo } from "./cli/main";
export { CommitWorker, type CommitWorkerOptions } from "./worker";
export { VerifyPool, type VerifyItem } from "./verify-pool";
export { StoreUnavailableError, nowRfc3339, openPostgresStore, openSqliteStore, toRfc3339 } from "./store";
export type * from "./store";
export {
  JwtError,
  MAX_CLOCK_SKEW_SECONDS,
  MIN_JWT_SECRET_LENGTH,
  signJwt,
  verifyJwt,
  type JwtClaims,
  type JwtGrant,
  type JwtVerifier,
} from "./auth/jwt";
