/**
 * The first steps of ingest (ves-protocol.md §7), on the request alone: `parseRequest` checks the outer shape, count
 * and sizes (failing the whole request) and parses every envelope (per-event rejections); `authorise` finds the one
 * stream and agent of the request and checks write permission on it; `rejectDuplicateIds` and
 * `rejectDuplicateCommands` reject repeats within the request. The state they share is an `IngestBatch`.
 */
import { REASON, normalizeUuid, parseEnvelope, schemaValidationReason, type VesEvent } from "../../ves";
import { SequencerError } from "../errors";
import type { StoredReceipt, StreamRef } from "../store";
import { requirePermission, type Principal } from "../auth";
import type { CanonicalEnvelope } from "./envelope";

/** Why one event was rejected. */
export interface Rejection {
  readonly reason: string;
  readonly message: string;
}

/** One ingest request as the pipeline works through it; events are addressed by their index in the request. */
export interface IngestBatch {
  /** The request's events as sent. */
  readonly raw: readonly unknown[];
  readonly agentId: string;
  /** Event ids by index (as sent when the envelope did not parse). */
  readonly ids: string[];
  /** Parsed events by index; undefined when rejected while parsing. */
  readonly events: (VesEvent | undefined)[];
  readonly rejected: Map<number, Rejection>;
  /** The request's stream (undefined when no event names one). */
  stream: StreamRef | undefined;
  /** The first index of every distinct event id that parsed and is not rejected yet (set by `validate`). */
  live: number[];
  /** Exact replays of stored events and their original receipts. */
  readonly replays: Map<number, StoredReceipt>;
  /** Canonical envelopes of the live events. */
  readonly normal: Map<number, CanonicalEnvelope>;
  /** Event signing hashes of the events whose signature was checked. */
  readonly signingHashes: Map<number, Uint8Array>;
}

/** The most events one request may carry. */
export const MAX_EVENTS = 1000;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const asUuid = (v: unknown): string | undefined =>
  typeof v === "string" && UUID_RE.test(v) ? normalizeUuid(v) : undefined;

/** Whether event `i` is still on its way to the append (not rejected, not a replay). */
export const pending = (b: IngestBatch, i: number) => !b.rejected.has(i) && !b.replays.has(i);

/**
 * Parse: the outer shape, count and sizes (whole request), then every envelope, collecting per-event rejections.
 * @throws SequencerError 422/400/413 for the whole request, 403 when the key is bound to another agent.
 */
export function parseRequest(p: Principal, body: unknown, strict: boolean): IngestBatch {
  if (!isObject(body)) throw new SequencerError(422, "INVALID_REQUEST", "the body must be a JSON object");
  const agentId = asUuid(body.agentId);
  if (agentId === undefined) throw new SequencerError(422, "INVALID_REQUEST", "agentId must be a UUID");
  const raw = body.events;
  if (!Array.isArray(raw)) throw new SequencerError(422, "INVALID_REQUEST", "events must be an array");
  if (raw.length === 0) throw new SequencerError(400, "INVALID_FIELD_VALUE", "events must not be empty");
  if (raw.length > MAX_EVENTS) {
    throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `${raw.length} events, over ${MAX_EVENTS}`);
  }
  if (p.agentId !== null && p.agentId !== agentId) {
    throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "Agent mismatch");
  }
  const n = raw.length;
  const rejected = new Map<number, Rejection>();
  const events: (VesEvent | undefined)[] = new Array(n);
  const ids: string[] = raw.map((e) => (isObject(e) && typeof e.event_id === "string" ? e.event_id : ""));
  for (let i = 0; i < n; i++) {
    const r = parseEnvelope(raw[i], { strict });
    if (r.ok) {
      ids[i] = r.event.eventId;
      // PostgreSQL text cannot hold U+0000; refuse it on every backend so both behave alike.
      const nul = (["entity_type", "entity_id", "event_type", "created_at"] as const).find((f) =>
        r.envelope[f].includes("\u0000"),
      );
      if (nul !== undefined) {
        rejected.set(i, { reason: schemaValidationReason(nul), message: `${nul} must not contain U+0000` });
        continue;
      }
      events[i] = r.event;
      continue;
    }
    if (r.rejection.status === 413)
      throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `events[${i}]: ${r.rejection.message}`);
    const reason = r.rejection.reason.startsWith(`${REASON.MALFORMED}: `)
      ? schemaValidationReason(r.rejection.reason.slice(REASON.MALFORMED.length + 2))
      : r.rejection.reason;
    rejected.set(i, { reason, message: r.rejection.message });
  }
  const empty = { stream: undefined, live: [], replays: new Map(), normal: new Map(), signingHashes: new Map() };
  return { raw, agentId, ids, events, rejected, ...empty };
}

/**
 * Authorise: one stream and one agent for the whole request, then write permission on that stream.
 * @throws SequencerError 400 for a second stream or agent, 403 without write permission.
 */
export function authorise(b: IngestBatch, p: Principal): void {
  const { raw, agentId } = b;
  let stream: StreamRef | undefined;
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i];
    const t = isObject(e) ? asUuid(e.tenant_id) : undefined;
    const s = isObject(e) ? asUuid(e.store_id) : undefined;
    if (t === undefined || s === undefined) continue;
    if (stream === undefined) stream = { tenantId: t, storeId: s };
    else if (stream.tenantId !== t || stream.storeId !== s) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}] is not in the stream of the first event`);
    }
    const a = isObject(e) ? asUuid(e.source_agent_id) : undefined;
    if (a !== undefined && a !== agentId) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}].source_agent_id does not match agentId`);
    }
  }
  if (stream !== undefined) requirePermission(p, "write", stream.tenantId, stream.storeId);
  else if (!p.write) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "write permission is required");
  b.stream = stream;
}

/** Rejects repeated event ids within the request (the first stays) and sets the batch's live events. */
export function rejectDuplicateIds(b: IngestBatch): void {
  const { events, ids, rejected } = b;
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    if (events[i] === undefined) continue;
    const id = ids[i]!;
    if (firstIndex.has(id)) {
      rejected.set(i, { reason: REASON.DUPLICATE_EVENT_ID, message: `Event ${id} duplicated in batch` });
    } else firstIndex.set(id, i);
  }
  b.live = [...firstIndex.values()].filter((i) => !rejected.has(i));
}

/** Rejects repeated command ids within the request among the events still pending (the first stays). */
export function rejectDuplicateCommands(b: IngestBatch): void {
  const commands = new Set<string>();
  for (const i of b.live) {
    if (!pending(b, i)) continue;
    const c = b.events[i]!.commandId;
    if (c === undefined) continue;
    if (commands.has(c)) {
      b.rejected.set(i, { reason: REASON.DUPLICATE_COMMAND_ID, message: `Command ${c} duplicated in batch` });
    } else commands.add(c);
  }
}
