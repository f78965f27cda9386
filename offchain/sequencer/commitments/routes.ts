/**
 * The commitment routes (ves-protocol.md §8, §9.1): commit a range, a stream's commitments (paged), one commitment
 * with its anchoring, an event's inclusion proof, and verifying an inclusion proof.
 */
import { bytesToHex, hexToBytes, normalizeUuid, verifyInclusionProof } from "../../ves";
import type { StoredCommitment } from "../store";
import type { RoutePlugin } from "../http";
import { fail, streamOf, u64 } from "../http";
import { commitmentJson } from "./json";
import {
  commitSchema,
  commitmentSchema,
  inclusionProofSchema,
  listCommitmentsSchema,
  verifyProofSchema,
} from "./route-schemas";

/** The body of `POST /api/v1/ves/proofs/verify`. */
interface VerifyBody {
  leaf_hash: string;
  merkle_root: string;
  proof_path: string[];
  leaf_index: number | bigint;
  leaf_count?: number | bigint;
}

/** Registers the commitment routes: commit, list, one commitment. */
export const commitmentRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/ves/commitments", { schema: commitSchema }, async (req, reply) => {
    const b = req.body as { tenant_id: string; store_id: string; sequence_start: unknown; sequence_end: unknown };
    const stream = streamOf(b);
    service.require(await auth(req), "write", stream.tenantId, stream.storeId);
    const { commitment } = await service.commit(
      stream,
      u64(b.sequence_start, "sequence_start"),
      u64(b.sequence_end, "sequence_end"),
    );
    return sendJson(reply, commitmentJson(commitment, false));
  });

  app.get("/api/v1/ves/commitments", { schema: listCommitmentsSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; store_id: string; anchored?: string; after?: string; limit?: number };
    const stream = streamOf(q);
    service.require(await auth(req), "read", stream.tenantId, stream.storeId);
    const anchored = q.anchored === "all" ? undefined : q.anchored === "true";
    const limit = q.limit ?? 100;
    const list = await service.store.listCommitments(stream, {
      ...(anchored === undefined ? {} : { anchored }),
      afterSequence: q.after === undefined ? 0n : u64(q.after, "after"),
      limit,
    });
    const last = list.at(-1);
    return sendJson(reply, {
      commitments: list.map((c) => commitmentJson(c, true)),
      count: list.length,
      next_after: last === undefined ? null : last.sequenceStart,
      has_more: list.length === limit,
    });
  });

  app.get("/api/v1/ves/commitments/:batch_id", { schema: commitmentSchema }, async (req, reply) => {
    const p = await auth(req);
    const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
    const c = await service.store.getCommitment(id);
    if (c === null || !service.can(p, "read", c.tenantId, c.storeId))
      throw fail(404, "NOT_FOUND", `no commitment ${id}`);
    return sendJson(reply, commitmentJson(c, true));
  });
};

/** Registers the inclusion-proof routes: an event's proof in its commitment, and verifying a proof. */
export const inclusionProofRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/api/v1/ves/proofs/:sequence_number", { schema: inclusionProofSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; store_id: string; batch_id?: string };
    const stream = streamOf(q);
    service.require(await auth(req), "read", stream.tenantId, stream.storeId);
    const seq = u64((req.params as { sequence_number: string }).sequence_number, "sequence_number");
    let c: StoredCommitment | null;
    if (q.batch_id !== undefined) {
      c = await service.store.getCommitment(normalizeUuid(q.batch_id));
      if (c === null) throw fail(404, "NOT_FOUND", `no commitment ${q.batch_id}`);
      if (c.tenantId !== stream.tenantId || c.storeId !== stream.storeId) {
        throw fail(403, "INSUFFICIENT_PERMISSIONS", "the commitment belongs to another stream");
      }
      if (seq < c.sequenceStart || seq > c.sequenceEnd) {
        throw fail(400, "INVALID_FIELD_VALUE", `sequence ${seq} is outside ${c.sequenceStart}..${c.sequenceEnd}`);
      }
    } else {
      c = await service.store.commitmentForSequence(stream, seq);
      if (c === null) throw fail(404, "NOT_COMMITTED", `sequence ${seq} is not in a commitment yet`);
    }
    const proof = await service.proof(c, seq);
    return sendJson(reply, {
      sequence_number: seq,
      batch_id: c.batchId,
      merkle_root: bytesToHex(c.merkleRoot),
      leaf_hash: bytesToHex(proof.leafHash),
      leaf_index: proof.leafIndex,
      leaf_count: c.leafCount,
      proof_path: proof.proofPath.map(bytesToHex),
      directions: proof.directions,
    });
  });

  app.post("/api/v1/ves/proofs/verify", { schema: verifyProofSchema }, async (req, reply) => {
    const p = await auth(req);
    if (!p.read && !p.admin) throw fail(403, "INSUFFICIENT_PERMISSIONS", "read permission is required");
    const b = req.body as VerifyBody;
    const check = verifyInclusionProof({
      leafHash: hexToBytes(b.leaf_hash, { prefix: "forbidden", length: 32 }),
      merkleRoot: hexToBytes(b.merkle_root, { prefix: "forbidden", length: 32 }),
      proofPath: b.proof_path.map((h) => hexToBytes(h, { prefix: "forbidden", length: 32 })),
      leafIndex: Number(b.leaf_index),
      ...(b.leaf_count === undefined
        ? { paddedLeafCount: 2 ** b.proof_path.length }
        : { leafCount: Number(b.leaf_count) }),
    });
    return sendJson(reply, {
      valid: check.ok,
      leaf_hash: b.leaf_hash.toLowerCase(),
      merkle_root: b.merkle_root.toLowerCase(),
      ...(check.ok ? {} : { reason: check.reason }),
    });
  });
};
