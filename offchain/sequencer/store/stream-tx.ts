/**
 * The per-stream transaction: the reads and writes the sequencing and commitment rules make inside one stream's lock.
 * Each backend provides it under its own lock — SQLite serializes writers in-process (stream-tx-sqlite.ts),
 * PostgreSQL locks the stream's counter row (stream-tx-postgres.ts); the rules are written once over it
 * (events/store-tx.ts for appends and imports, commitments/store-tx.ts for commitments).
 */
import type { LeafInput, StoredCommitment } from "../commitments/store";
import type { EventCandidate, StoredEvent, StoredReceipt } from "../events/store";

/** Reads and writes of one stream inside its lock; the backend commits them atomically. */
export interface StreamTx {
  /** The stream's counter (0 for a new stream). */
  head(): Promise<bigint>;
  setHead(sequence: bigint): Promise<void>;
  eventById(eventId: string): Promise<StoredEvent | null>;
  /** The event id that reserved a command id in this stream, if any. */
  commandEventId(commandId: string): Promise<string | null>;
  entityVersion(entityType: string, entityId: string): Promise<bigint>;
  /** Inserts the event with its receipt; false if its id appeared meanwhile (a race with another stream). */
  insertEvent(candidate: EventCandidate, sequenceNumber: bigint, receipt: StoredReceipt): Promise<boolean>;
  insertCommand(commandId: string, eventId: string): Promise<void>;
  bumpEntityVersion(entityType: string, entityId: string): Promise<void>;
  commitmentStartingAt(start: bigint): Promise<StoredCommitment | null>;
  latestCommitment(): Promise<StoredCommitment | null>;
  leafInputs(start: bigint, end: bigint): Promise<LeafInput[]>;
  insertCommitment(commitment: StoredCommitment): Promise<void>;
}
