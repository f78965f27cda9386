/**
 * Where the anchor finds a batch's proof, behind a small interface: the sequencer's proof routes of the batch-proof
 * issue, `GET /api/v1/ves/validity/{batch_id}/proofs` (stored proof records carrying everything `commitStarkProof`
 * needs), `POST /api/v1/ves/validity/proofs/{proof_id}/anchored {chainId, txHash, blockNumber}` and
 * `DELETE /api/v1/ves/validity/proofs/{proof_id}/anchored` (a proof anchor whose block was reorganised away).
 * A sequencer without those routes answers 404, which reads as "no proof yet" (GET) or `unsupported` (POST, DELETE);
 * a 404 about the proof itself carries the code `PROOF_NOT_FOUND` and reads as `not_found`.
 */
import { normalizeUuid } from "../ves";
import { AnchorError } from "./errors";
import { SequencerClient } from "./sequencer-client";

/** A stored batch proof, as `commitStarkProof` takes it. */
export interface ProofRecord {
  readonly proofId: string;
  readonly batchId: string;
  /** 0x-prefixed 32 bytes. */
  readonly proofHash: string;
  /** 0x-prefixed 32 bytes. */
  readonly policyHash: string;
  readonly policyLimit: bigint;
  readonly allCompliant: boolean;
  readonly proofSize: bigint;
  readonly provingTimeMs: bigint;
}

/** The proof routes the anchor uses. */
export interface ProofSource {
  /** The batch's usable proof, or null when none is stored (yet). */
  proofFor(batchId: string): Promise<ProofRecord | null>;
  /**
   * Records the transaction that anchored a proof: `recorded` (also the same transaction again), `conflict` (another
   * is recorded), `not_found` (the sequencer has no such validity proof), or `unsupported` without the route.
   */
  markProofAnchored(
    proofId: string,
    a: { chainId: bigint; txHash: string; blockNumber: bigint },
  ): Promise<"recorded" | "conflict" | "not_found" | "unsupported">;
  /**
   * Un-records a proof's anchor whose block was reorganised away: `unanchored` (also when none was recorded),
   * `not_found`, or `unsupported` without the route.
   */
  unmarkProofAnchored(proofId: string): Promise<"unanchored" | "not_found" | "unsupported">;
}

/** The proof routes' answer to a 404: the proof is unknown (`PROOF_NOT_FOUND`), or the route is missing. */
function notFoundKind(r: { body: Record<string, unknown> }): "not_found" | "unsupported" {
  const code = (r.body.error as { code?: unknown } | undefined)?.code;
  return code === "PROOF_NOT_FOUND" ? "not_found" : "unsupported";
}

const U64_MAX = 2n ** 64n - 1n;

function bytes32(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const hex = (v.startsWith("0x") ? v : `0x${v}`).toLowerCase();
  return /^0x[0-9a-f]{64}$/.test(hex) ? hex : null;
}

function u64(v: unknown): bigint | null {
  let n: bigint | null = null;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^[0-9]{1,20}$/.test(v)) n = BigInt(v);
  return n !== null && n >= 0n && n <= U64_MAX ? n : null;
}

/** Parses one proof record (camelCase, snake_case accepted); null when a field the contract needs is unusable. */
export function parseProofRecord(raw: unknown): ProofRecord | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const pick = (camel: string, snake: string) => (r[camel] !== undefined ? r[camel] : r[snake]);
  const proofId = pick("proofId", "proof_id");
  const batchId = pick("batchId", "batch_id");
  const proofHash = bytes32(pick("proofHash", "proof_hash"));
  const policyHash = bytes32(pick("policyHash", "policy_hash"));
  const policyLimit = u64(pick("policyLimit", "policy_limit"));
  const allCompliant = pick("allCompliant", "all_compliant");
  const proofSize = u64(pick("proofSize", "proof_size"));
  const provingTimeMs = u64(pick("provingTimeMs", "proving_time_ms"));
  if (typeof proofId !== "string" || proofId === "" || typeof batchId !== "string") return null;
  if (proofHash === null || policyHash === null || policyLimit === null || typeof allCompliant !== "boolean")
    return null;
  if (proofSize === null || proofSize === 0n || provingTimeMs === null || /^0x0{64}$/.test(proofHash)) return null;
  let batch: string;
  try {
    batch = normalizeUuid(batchId);
  } catch {
    return null;
  }
  return { proofId, batchId: batch, proofHash, policyHash, policyLimit, allCompliant, proofSize, provingTimeMs };
}

/** The proof routes over HTTP (the sequencer's, or another base URL), with the same API key. */
export class HttpProofSource implements ProofSource {
  constructor(private readonly http: SequencerClient) {}

  async proofFor(batchId: string): Promise<ProofRecord | null> {
    const r = await this.http.request("GET", `/api/v1/ves/validity/${batchId}/proofs`);
    if (r.status === 404) return null;
    if (r.status !== 200) {
      throw new AnchorError("ANCHOR_SEQUENCER_REJECTED", `GET proofs of ${batchId}: ${r.status}`);
    }
    const list = Array.isArray(r.body.proofs) ? (r.body.proofs as unknown[]) : [];
    for (const raw of list) {
      const p = parseProofRecord(raw);
      if (p !== null && p.batchId === batchId) return p;
    }
    return null;
  }

  async markProofAnchored(
    proofId: string,
    a: { chainId: bigint; txHash: string; blockNumber: bigint },
  ): Promise<"recorded" | "conflict" | "not_found" | "unsupported"> {
    const r = await this.http.request("POST", anchoredRoute(proofId), {
      chainId: a.chainId,
      txHash: a.txHash,
      blockNumber: a.blockNumber,
    });
    if (r.status === 200) return "recorded";
    if (r.status === 409) return "conflict";
    if (r.status === 404) return notFoundKind(r);
    throw rejected(r, `POST proof ${proofId} anchored`);
  }

  async unmarkProofAnchored(proofId: string): Promise<"unanchored" | "not_found" | "unsupported"> {
    const r = await this.http.request("DELETE", anchoredRoute(proofId));
    if (r.status === 200) return "unanchored";
    if (r.status === 404) return notFoundKind(r);
    throw rejected(r, `DELETE proof ${proofId} anchored`);
  }
}

const anchoredRoute = (proofId: string) => `/api/v1/ves/validity/proofs/${encodeURIComponent(proofId)}/anchored`;

/** A refusal with the sequencer's error code in the message (the code itself is the anchor's). */
function rejected(r: { status: number; body: Record<string, unknown> }, what: string): AnchorError {
  const code = (r.body.error as { code?: unknown } | undefined)?.code;
  return new AnchorError(
    "ANCHOR_SEQUENCER_REJECTED",
    `${what}: ${r.status}${typeof code === "string" ? ` ${code}` : ""}`,
  );
}

/** A source that never has proofs (`--proofs false`). */
export const NO_PROOFS: ProofSource = {
  proofFor: async () => null,
  markProofAnchored: async () => "unsupported",
  unmarkProofAnchored: async () => "unsupported",
};
