/**
 * The sequencing rules of ves-protocol.md §7.2 (steps 2, 5, 7), written once over a per-stream transaction
 * (`StreamTx`, store/stream-tx.ts) that each backend provides under its own lock: appending a request's events, and
 * importing a verified stream segment with its commitments.
 */
import type { StoredCommitment } from "../commitments/store";
import type { StreamTx } from "../store/stream-tx";

import type {
  AppendOutcome,
  AppendResult,
  EventCandidate,
  ImportResult,
  ImportedEvent,
  ReceiptFactory,
  StoredEvent,
  StreamRef,
} from "./store";

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

/** Appends candidates in order inside the stream's transaction (see `EventsStore.appendEvents`). */
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

/** Thrown inside an import transaction to roll it back; the store turns it into a `rejected` result. */
export class ImportRejected extends Error {
  override readonly name = "ImportRejected";
}

/** Imports a verified segment inside the stream's transaction (see `EventsStore.importStream`). */
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
