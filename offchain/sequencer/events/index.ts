/**
 * offchain/sequencer/events: ingest (parse → authorise → validate → verify signatures → sequence and store → receipts), event reads, entity history, streams, export and import.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { canonicalEnvelope, normalizeEnvelope, type CanonicalEnvelope } from "./envelope";
export { IngestPipeline, type IngestResponseJson } from "./ingest";
export { Presigner, receiptJson, type PresignTicket, type ReceiptJson } from "./receipts";
export { eventReadRoutes, ingestRoutes } from "./routes";
export { streamRoutes } from "./stream-routes";
export { VerifyPool, type VerifyItem } from "./verify-pool";
