/**
 * The sequencer's storage layer in one import: the contract (types), both backends and the RFC 3339 time helpers.
 * `offchain/sequencer/index.ts` re-exports what the rest of the project may use from here.
 */
export type * from "./types";
export { StoreUnavailableError } from "./errors";
export { openPostgresStore } from "./postgres";
export { openSqliteStore } from "./sqlite";
export { nowRfc3339, toRfc3339 } from "./time";
