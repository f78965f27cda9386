/**
 * The sequencing and commitment rules, written once over a per-stream transaction (`StreamTx`) that each backend
 * provides under its own lock: SQLite serializes writers in-process, PostgreSQL locks the stream's counter row. The
 * rules follow ves-protocol.md §7.2 (steps 2, 5, 7) and §8.2.
 */
import type {
  AppendOutcome,
  AppendResult,
  CommitmentBuilder,
  CreateCommitmentResult,
  EventCandidate,
  ImportResult,
  ImportedEvent,
  LeafInput,
  ReceiptFactory,
  StoredCommitment,
  StoredEvent,
  StreamRef,
} from "./types";

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
  insertEvent(candidate: EventCandidate, sequenceNumber: bigint, receipt: AppendReceipt): Promise<boolean>;
  insertCommand(commandId: string, eventId: string): Promise<void>;
  bumpEntityVersion(entityType: string, entityId: string): Promise<void>;
  commitmentStartingAt(start: bigint): Promise<StoredCommitment | null>;
  latestCommitment(): Promise<StoredCommitment | null>;
  leafInputs(start: bigint, end: bigint): Promise<LeafInput[]>;
  insertCommitment(commitment: StoredCommitment): Promise<void>;
}

type AppendReceipt = ReturnType<ReceiptFactory>;

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** An exact replay answers with the stored receipt; any other reuse of the id is a duplicate. */
function replayOrDuplicate(stream: StreamRef, existing: StoredEvent, candidate: EventCandidate): AppendOutcome {
  if (existing.tenantId !== stream.tenantId || existing.storeId !== stream.storeId) {
    return { kind: "rejected", reason: "duplicate_event_id", message: "Event ID already exists" };
  }
  if (!equalBytes(existing.contentHash, candidate.contentHash)) {
    return {
      kind: "rejected",
      reason: "duplicate_event_id",
      message: "Event ID already exists with different contents",
    };
  }
  return { kind: "replay", receipt: existing.receipt };
}

/** Appends candidates in order inside the stream's transaction (see `SequencerStore.appendEvents`). */
export async function appendInTx(
  tx: StreamTx,
  stream: StreamRef,
  candidates: readonly EventCandidate[],
  receipt: ReceiptFactory,
): Promise<AppendResult> {
  let head = await tx.head();
  const startHead = head;
  const outcomes: AppendOutcome[] = [];
  for (const candidate of candidates) {
    // 1. The event id is global: an exact replay returns the original receipt, anything else is a duplicate.
    const existing = await tx.eventById(candidate.eventId);
    if (existing !== null) {
      outcomes.push(replayOrDuplicate(stream, existing, candidate));
      continue;
    }
    // 2. A command id is processed once per stream; the same event again is a replay.
    if (candidate.commandId !== undefined) {
      const owner = await tx.commandEventId(candidate.commandId);
      if (owner !== null) {
        const prior = await tx.eventById(owner);
        outcomes.push(
          prior !== null && equalBytes(prior.contentHash, candidate.contentHash)
            ? { kind: "replay", receipt: prior.receipt }
            : {
                kind: "rejected",
                reason: "duplicate_command_id",
                message: `Command ${candidate.commandId} already processed`,
              },
        );
        continue;
      }
    }
    // 3. Optimistic concurrency: base_version must equal the entity's number of accepted events.
    if (candidate.baseVersion !== undefined) {
      const actual = await tx.entityVersion(candidate.entityType, candidate.entityId);
      if (actual !== candidate.baseVersion) {
        outcomes.push({
          kind: "rejected",
          reason: `version_conflict: expected ${candidate.baseVersion}, actual ${actual}`,
          message: `entity ${candidate.entityType}/${candidate.entityId} is at version ${actual}`,
        });
        continue;
      }
    }
    // 4. The next sequence number, the event, its receipt, the command reservation and the entity version.
    const sequenceNumber = head + 1n;
    const r = receipt(candidate, sequenceNumber);
    if (!(await tx.insertEvent(candidate, sequenceNumber, r))) {
      const raced = await tx.eventById(candidate.eventId);
      outcomes.push(
        raced === null
          ? { kind: "rejected", reason: "duplicate_event_id", message: "Event ID already exists" }
          : replayOrDuplicate(stream, raced, candidate),
      );
      continue;
    }
    if (candidate.commandId !== undefined) await tx.insertCommand(candidate.commandId, candidate.eventId);
    await tx.bumpEntityVersion(candidate.entityType, candidate.entityId);
    head = sequenceNumber;
    outcomes.push({ kind: "accepted", receipt: r });
  }
  if (head !== startHead) await tx.setHead(head);
  return { outcomes, headSequence: head };
}

/** Creates a commitment inside the stream's transaction (see `SequencerStore.createCommitment`). */
export async function createCommitmentInTx(
  tx: StreamTx,
  stream: StreamRef,
  start: bigint,
  end: bigint,
  batchId: string,
  committedAt: string,
  build: CommitmentBuilder,
): Promise<CreateCommitmentResult> {
  // 1. A valid range.
  if (start < 1n || end < start) return { kind: "rejected", message: `invalid range ${start}..${end}` };
  // 2. The same start again: the same end is idempotent, another end is an error.
  const same = await tx.commitmentStartingAt(start);
  if (same !== null) {
    if (same.sequenceEnd === end) return { kind: "existing", commitment: same };
    return {
      kind: "rejected",
      message: `a commitment already starts at ${start} and ends at ${same.sequenceEnd}, not ${end}`,
    };
  }
  // 3. Continuity with the stream's previous commitment.
  const latest = await tx.latestCommitment();
  if (latest !== null && start !== latest.sequenceEnd + 1n) {
    return {
      kind: "rejected",
      message: `range must start at ${latest.sequenceEnd + 1n}, right after commitment ${latest.batchId}`,
    };
  }
  // 4. Every event of the range must be stored.
  const head = await tx.head();
  if (end > head) return { kind: "rejected", message: `range ${start}..${end} passes the stream head ${head}` };
  const leaves = await tx.leafInputs(start, end);
  const expected = end - start + 1n;
  if (BigInt(leaves.length) !== expected) {
    return {
      kind: "rejected",
      message: `VES commitment range ${start}..=${end} contains ${leaves.length} events but expected ${expected}`,
    };
  }
  // 5. Tree, roots, and the new row.
  const prev = latest?.newStateRoot ?? new Uint8Array(32);
  const commitment: StoredCommitment = {
    ...build(stream, { start, end }, leaves, prev),
    committedAt,
    chainId: null,
    chainTxHash: null,
    chainBlockNumber: null,
    anchoredAt: null,
  };
  if (commitment.batchId !== batchId) throw new Error("commitment builder changed the batch id");
  await tx.insertCommitment(commitment);
  return { kind: "created", commitment };
}

/** Thrown inside an import transaction to roll it back; the store turns it into a `rejected` result. */
export class ImportRejected extends Error {
  override readonly name = "ImportRejected";
}

/** Imports a verified segment inside the stream's transaction (see `SequencerStore.importStream`). */
export async function importInTx(
  tx: StreamTx,
  events: readonly ImportedEvent[],
  commitments: readonly StoredCommitment[],
): Promise<ImportResult> {
  let head = await tx.head();
  const first = events[0];
  if (first !== undefined && first.sequenceNumber !== head + 1n) {
    throw new ImportRejected(`the stream's head is ${head}; the segment starts at ${first.sequenceNumber}`);
  }
  for (const e of events) {
    const c = e.candidate;
    if (e.sequenceNumber !== head + 1n)
      throw new ImportRejected(`sequence ${e.sequenceNumber} does not follow ${head}`);
    if ((await tx.eventById(c.eventId)) !== null) throw new ImportRejected(`event ${c.eventId} exists already`);
    if (c.commandId !== undefined && (await tx.commandEventId(c.commandId)) !== null) {
      throw new ImportRejected(`command ${c.commandId} is already reserved in this stream`);
    }
    if (!(await tx.insertEvent(c, e.sequenceNumber, e.receipt))) {
      throw new ImportRejected(`event ${c.eventId} exists already`);
    }
    if (c.commandId !== undefined) await tx.insertCommand(c.commandId, c.eventId);
    await tx.bumpEntityVersion(c.entityType, c.entityId);
    head = e.sequenceNumber;
  }
  if (events.length > 0) await tx.setHead(head);
  let latest = await tx.latestCommitment();
  for (const c of commitments) {
    if (latest !== null && c.sequenceStart !== latest.sequenceEnd + 1n) {
      throw new ImportRejected(`commitment ${c.batchId} must start at ${latest.sequenceEnd + 1n}`);
    }
    if (!equalBytes(c.prevStateRoot, latest?.newStateRoot ?? new Uint8Array(32))) {
      throw new ImportRejected(`commitment ${c.batchId} does not chain onto the stream's state root`);
    }
    if (c.sequenceEnd > head) throw new ImportRejected(`commitment ${c.batchId} passes the stream head ${head}`);
    await tx.insertCommitment(c);
    latest = c;
  }
  return { kind: "imported", headSequence: head };
}
