/**
 * Stream reads the `Agent` class does not wrap, used by the MCP server: the head of the agent's stream, an inclusion
 * proof by sequence number (its path checked against its root), and waiting for an event that matches a filter.
 * Every failure is an AgentError, like the rest of the library.
 */
import {
  hexToBytes,
  isUuid,
  normalizeUuid,
  parseInclusionProof,
  verifyInclusionProof,
  type ExactJsonValue,
  type InclusionProofWire,
} from "../ves";
import type { Agent } from "./agent";
import { HttpFailure, type JsonObject } from "./client";
import { AgentError } from "./errors";

/** The head of the agent's stream. */
export interface StreamHead {
  readonly headSequence: bigint;
  readonly latestCommitment: {
    readonly batchId: string;
    readonly sequenceEnd: bigint;
    readonly newStateRoot: string;
  } | null;
}

/** An inclusion proof with the result of checking its path against its root. */
export interface InclusionProofView extends InclusionProofWire {
  readonly leafCount: number;
  /** The path leads from leaf_hash to merkle_root (the leaf itself is checked by `Agent.verify`). */
  readonly pathValid: boolean;
  readonly problem: string | null;
}

/** One event of the stream, as `waitForEvent` reports it (envelope fields, unverified). */
export interface StreamEventSummary {
  readonly sequenceNumber: bigint;
  readonly eventId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly sourceAgentId: string;
  readonly createdAt: string;
  readonly payloadKind: number;
  readonly batchId: string | null;
}

/** What to wait for. */
export interface WaitFilter {
  /** The first sequence number to look at (inclusive). */
  readonly from: bigint;
  readonly entityType?: string;
  readonly entityId?: string;
  readonly eventType?: string;
  /** How long to wait at most. */
  readonly timeoutMs: number;
  /** Time between polls (default 250 ms). */
  readonly pollMs?: number;
  /** Stops the wait early (a cancelled tool call). */
  readonly signal?: AbortSignal;
}

/** What `waitForEvent` found. */
export interface WaitResult {
  readonly found: boolean;
  readonly event: StreamEventSummary | null;
  /** Where a next wait should start to see only later events. */
  readonly nextSequence: bigint;
  readonly headSequence: bigint;
}

function isObj(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: ExactJsonValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function big(v: ExactJsonValue | undefined): bigint | null {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return null;
}

/** The head sequence and latest commitment of the agent's stream. */
export async function streamHead(agent: Agent): Promise<StreamHead> {
  const h = await agent.sequencerClient().get("/api/v1/ves/head", {
    tenant_id: agent.config.tenantId,
    store_id: agent.config.storeId,
  });
  const head = big(h.head_sequence);
  if (head === null) throw new AgentError("BAD_RESPONSE", "the head response has no head_sequence");
  const lc = h.latest_commitment;
  return {
    headSequence: head,
    latestCommitment: isObj(lc)
      ? {
          batchId: str(lc.batch_id) ?? "",
          sequenceEnd: big(lc.sequence_end) ?? 0n,
          newStateRoot: str(lc.new_state_root) ?? "",
        }
      : null,
  };
}

/**
 * The inclusion proof of the event at `sequenceNumber` in its commitment, with its path checked.
 * @throws AgentError NOT_FOUND (retryable) when the sequence is not in a commitment yet.
 */
export async function inclusionProof(agent: Agent, sequenceNumber: bigint): Promise<InclusionProofView> {
  let body: JsonObject;
  try {
    body = await agent.sequencerClient().get(`/api/v1/ves/proofs/${sequenceNumber}`, {
      tenant_id: agent.config.tenantId,
      store_id: agent.config.storeId,
    });
  } catch (e) {
    if (e instanceof HttpFailure && e.httpStatus === 404) {
      throw new AgentError("NOT_FOUND", e.message, {
        retryable: true,
        hint: "the sequence is not in a commitment yet (or beyond the head); stateset_get_head shows the latest commitment",
      });
    }
    throw e;
  }
  const parsed = parseInclusionProof(body);
  const leafCount = big(body.leaf_count);
  if (!parsed.ok || leafCount === null) {
    throw new AgentError(
      "BAD_RESPONSE",
      `the inclusion proof is malformed: ${parsed.ok ? "no leaf_count" : parsed.message}`,
    );
  }
  const p = parsed.value;
  const check = verifyInclusionProof({
    leafHash: hexToBytes(p.leaf_hash, { length: 32 }),
    merkleRoot: hexToBytes(p.merkle_root, { length: 32 }),
    proofPath: p.proof_path.map((h) => hexToBytes(h, { length: 32 })),
    directions: p.directions,
    leafIndex: p.leaf_index,
    leafCount: Number(leafCount),
  });
  return { ...p, leafCount: Number(leafCount), pathValid: check.ok, problem: check.ok ? null : check.message };
}

function summaryOf(item: ExactJsonValue): StreamEventSummary | undefined {
  if (!isObj(item) || !isObj(item.envelope)) return undefined;
  const env = item.envelope;
  const seq = big(item.sequence_number);
  const eventId = str(item.event_id);
  if (seq === null || eventId === null) return undefined;
  return {
    sequenceNumber: seq,
    eventId,
    entityType: str(env.entity_type) ?? "",
    entityId: str(env.entity_id) ?? "",
    eventType: str(env.event_type) ?? "",
    sourceAgentId: str(env.source_agent_id) ?? "",
    createdAt: str(env.created_at) ?? "",
    payloadKind: Number(big(env.payload_kind) ?? -1n),
    batchId: str(item.batch_id),
  };
}

const matches = (e: StreamEventSummary, f: WaitFilter) =>
  (f.entityType === undefined || e.entityType === f.entityType) &&
  (f.entityId === undefined || e.entityId === f.entityId) &&
  (f.eventType === undefined || e.eventType === f.eventType);

/**
 * Polls the stream from `from` until an event matches the filter or the time is up (`found: false`, not an error).
 * Pages through everything already in the stream first, so an old match is found at once.
 */
export async function waitForEvent(agent: Agent, filter: WaitFilter): Promise<WaitResult> {
  const client = agent.sequencerClient();
  const deadline = Date.now() + filter.timeoutMs;
  const pollMs = filter.pollMs ?? 250;
  let cursor = filter.from;
  let head = 0n;
  for (;;) {
    const page = await client.get("/api/v1/ves/events", {
      tenant_id: agent.config.tenantId,
      store_id: agent.config.storeId,
      from: cursor,
      limit: 1000,
    });
    head = big(page.head_sequence) ?? head;
    const next = big(page.next);
    if (next === null || next < cursor) throw new AgentError("BAD_RESPONSE", "the events response has no valid next");
    for (const item of Array.isArray(page.events) ? page.events : []) {
      const e = summaryOf(item);
      if (e !== undefined && matches(e, filter)) {
        return { found: true, event: e, nextSequence: e.sequenceNumber + 1n, headSequence: head };
      }
    }
    cursor = next;
    if (page.has_more === true) continue;
    const left = deadline - Date.now();
    if (left <= 0 || filter.signal?.aborted === true) {
      return { found: false, event: null, nextSequence: cursor, headSequence: head };
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(pollMs, left));
      function done() {
        clearTimeout(timer);
        filter.signal?.removeEventListener("abort", done);
        resolve();
      }
      filter.signal?.addEventListener("abort", done);
    });
  }
}

/** Checks an event id input. @throws AgentError INVALID_INPUT. */
export function eventIdOf(value: string): string {
  if (!isUuid(value)) throw new AgentError("INVALID_INPUT", `event id must be a UUID, got ${JSON.stringify(value)}`);
  return normalizeUuid(value);
}
