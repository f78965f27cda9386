/**
 * The sequencer's storage layer in one import: the composed contract (`SequencerStore` and every slice's types), both
 * backends, store-unavailable errors and the RFC 3339 time helpers. The services import only this file; the slices'
 * implementations (`<concern>/store*.ts`) and this folder's internals form the storage layer, which only
 * `store/sqlite.ts` and `store/postgres.ts` compose. `offchain/sequencer/index.ts` re-exports what the rest of the
 * project may use from here.
 */
export type * from "./types";
export { StoreUnavailableError, unavailable } from "./errors";
export { API_KEY_PREFIX_LENGTH } from "./types";
export { openPostgresStore } from "./postgres";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite";
export { nowRfc3339, toRfc3339 } from "./time";
