/** The REST form of a stored event (pull, one event, entity history, explorer). */
import { parseJsonExact } from "../../ves";
import type { StoredEvent } from "../store";
import { receiptJson } from "./receipts";

/** A stored event with its envelope, receipt and commitment (snake_case). */
export function eventJson(e: StoredEvent): Record<string, unknown> {
  return {
    sequence_number: e.sequenceNumber,
    event_id: e.eventId,
    envelope: parseJsonExact(e.envelopeJson),
    receipt: receiptJson(e.eventId, e.receipt),
    batch_id: e.batchId,
  };
}
