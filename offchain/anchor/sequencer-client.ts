/**
 * HTTP client of the sequencer's anchoring routes, always with the bootstrap admin key (the reference sent none):
 * pending commitments, recording and un-recording an anchor, one commitment, and the anchor lease that keeps one
 * anchor process per sequencer. JSON is parsed exactly (sequence numbers may exceed 2^53).
 */
import { normalizeUuid, parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../ves";
import { AnchorError, unreachable } from "./errors";

/** A commitment waiting to be anchored, as `GET /v1/commitments/pending` gives it (roots as 0x hex). */
export interface PendingCommitment {
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly prevStateRoot: string;
  readonly newStateRoot: string;
  readonly eventsRoot: string;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  readonly eventCount: number;
  readonly committedAt: string;
}

/** The answer of a lease request: held by us, or by `holderId` until `expiresAt`; `unsupported` on an older sequencer. */
export type LeaseAnswer =
  | { readonly kind: "held"; readonly holderId: string; readonly expiresAt: string }
  | { readonly kind: "busy"; readonly holderId: string; readonly expiresAt: string }
  | { readonly kind: "unsupported" };

/** A JSON response. */
interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Thrown for a 4xx answer: `status` and the sequencer's error `code`. */
export class SequencerRejected extends AnchorError {
  constructor(
    readonly status: number,
    readonly remoteCode: string,
    message: string,
  ) {
    super("ANCHOR_SEQUENCER_REJECTED", message);
  }
}

const big = (v: unknown, what: string): bigint => {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^[0-9]+$/.test(v)) return BigInt(v);
  throw new AnchorError("ANCHOR_BAD_RESPONSE", `${what} is not an integer: ${String(v)}`);
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new AnchorError("ANCHOR_BAD_RESPONSE", `${what} is not a string`);
  return v;
};
const root = (v: unknown, what: string): string => {
  const s = str(v, what).toLowerCase();
  const hex = s.startsWith("0x") ? s : `0x${s}`;
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new AnchorError("ANCHOR_BAD_RESPONSE", `${what} is not 32 bytes of hex`);
  return hex;
};

/** The sequencer's anchoring API. */
export class SequencerClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends one request and parses the answer.
   * @throws AnchorError `ANCHOR_SEQUENCER_UNREACHABLE` on a network error, a timeout or a 5xx answer.
   */
  async request(method: string, route: string, body?: ExactJsonValue): Promise<JsonResponse> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + route, {
        method,
        headers: {
          authorization: `ApiKey ${this.apiKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: stringifyJsonExact(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw unreachable("ANCHOR_SEQUENCER_UNREACHABLE", `${method} ${route}: ${(cause as Error).message}`, cause);
    }
    const text = await res.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = text === "" ? {} : parseJsonExact(text);
    } catch {
      parsed = { raw: text };
    }
    const json = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (res.status >= 500) {
      throw unreachable("ANCHOR_SEQUENCER_UNREACHABLE", `${method} ${route}: ${res.status} ${text.slice(0, 200)}`);
    }
    return { status: res.status, body: json };
  }

  private rejected(r: JsonResponse, what: string): SequencerRejected {
    const err = (r.body.error ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof err.code === "string" ? err.code : `HTTP_${r.status}`;
    return new SequencerRejected(r.status, code, `${what}: ${r.status} ${code} ${String(err.message ?? "")}`.trim());
  }

  /** Unanchored commitments of every stream, oldest first. */
  async pending(limit: number): Promise<PendingCommitment[]> {
    const r = await this.request("GET", `/v1/commitments/pending?limit=${limit}`);
    if (r.status !== 200) throw this.rejected(r, "GET /v1/commitments/pending");
    const list = r.body.commitments;
    if (!Array.isArray(list)) throw new AnchorError("ANCHOR_BAD_RESPONSE", "pending: no commitments array");
    return list.map((raw) => {
      const c = raw as Record<string, unknown>;
      return {
        batchId: normalizeUuid(str(c.batch_id, "batch_id")),
        tenantId: normalizeUuid(str(c.tenant_id, "tenant_id")),
        storeId: normalizeUuid(str(c.store_id, "store_id")),
        prevStateRoot: root(c.prev_state_root, "prev_state_root"),
        newStateRoot: root(c.new_state_root, "new_state_root"),
        eventsRoot: root(c.events_root, "events_root"),
        sequenceStart: big(c.sequence_start, "sequence_start"),
        sequenceEnd: big(c.sequence_end, "sequence_end"),
        eventCount: Number(big(c.event_count, "event_count")),
        committedAt: str(c.committed_at, "committed_at"),
      };
    });
  }

  /** Records the anchoring transaction of a commitment: `anchored`, `already_anchored` (same hash) or `conflict`. */
  async markAnchored(
    batchId: string,
    a: { txHash: string; chainId: bigint; blockNumber: bigint; gasUsed: bigint | null },
  ): Promise<"anchored" | "already_anchored" | "conflict" | "not_found"> {
    const r = await this.request("POST", `/v1/commitments/${batchId}/anchored`, {
      chain_tx_hash: a.txHash,
      chain_id: a.chainId,
      block_number: a.blockNumber,
      gas_used: a.gasUsed,
    });
    if (r.status === 200) return r.body.status === "already_anchored" ? "already_anchored" : "anchored";
    if (r.status === 409) return "conflict";
    if (r.status === 404) return "not_found";
    throw this.rejected(r, `POST /v1/commitments/${batchId}/anchored`);
  }

  /**
   * Un-records the anchor of a commitment whose block was reorganised away.
   * @throws SequencerRejected when the sequencer lacks the route or refuses.
   */
  async unmarkAnchored(batchId: string): Promise<"unanchored" | "not_found"> {
    const r = await this.request("DELETE", `/v1/commitments/${batchId}/anchored`);
    if (r.status === 200) return "unanchored";
    if (r.status === 404 && (r.body.error as { code?: string } | undefined)?.code === "NOT_FOUND") {
      const msg = String((r.body.error as { message?: string }).message ?? "");
      // A missing route answers 404 too; only a 404 about the commitment means "no such batch".
      if (!msg.startsWith("no route")) return "not_found";
    }
    throw this.rejected(r, `DELETE /v1/commitments/${batchId}/anchored`);
  }

  /** One commitment with its anchoring fields (hex without 0x), or null. */
  async commitment(batchId: string): Promise<Record<string, unknown> | null> {
    const r = await this.request("GET", `/api/v1/ves/commitments/${batchId}`);
    if (r.status === 404) return null;
    if (r.status !== 200) throw this.rejected(r, `GET /api/v1/ves/commitments/${batchId}`);
    return r.body;
  }

  /** Takes (or, when held, renews) the anchor lease; `busy` names the current holder. */
  async lease(action: "acquire" | "renew", holderId: string, leaseMs: number): Promise<LeaseAnswer> {
    const route = action === "acquire" ? "/v1/anchor/lease" : "/v1/anchor/lease/renew";
    const r = await this.request("POST", route, { holderId, leaseMs });
    if (r.status === 404 && action === "acquire") return { kind: "unsupported" };
    if (r.status === 200 || r.status === 409) {
      return {
        kind: r.status === 200 ? "held" : "busy",
        holderId: str(r.body.holderId, "holderId"),
        expiresAt: str(r.body.expiresAt, "expiresAt"),
      };
    }
    throw this.rejected(r, `POST ${route}`);
  }

  /** Gives the lease up (a no-op when another process holds it). */
  async releaseLease(holderId: string): Promise<void> {
    const r = await this.request("POST", "/v1/anchor/lease/release", { holderId });
    if (r.status !== 200 && r.status !== 404 && r.status !== 409)
      throw this.rejected(r, "POST /v1/anchor/lease/release");
  }
}
