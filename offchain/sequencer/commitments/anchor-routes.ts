/**
 * The anchor-service compatibility routes (ves-protocol.md §8.4; root level, bootstrap admin, hex with `0x`):
 * unanchored commitments of every stream, and recording or clearing a commitment's anchoring transaction.
 */
import { bytesTo0xHex, hexToBytes, normalizeUuid } from "../../ves";
import type { RoutePlugin } from "../http";
import { fail } from "../http";
import { commitmentJson } from "./json";
import { markAnchoredSchema, pendingAnchorsSchema, unmarkAnchoredSchema } from "./route-schemas";

/** Registers the anchor-service routes. */
export const anchorRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/v1/commitments/pending", { schema: pendingAnchorsSchema }, async (req, reply) => {
    service.requireBootstrap(await auth(req));
    const list = await service.store.pendingAnchors((req.query as { limit?: number }).limit ?? 1000);
    return sendJson(reply, {
      commitments: list.map((c) => ({
        batch_id: c.batchId,
        tenant_id: c.tenantId,
        store_id: c.storeId,
        prev_state_root: bytesTo0xHex(c.prevStateRoot),
        new_state_root: bytesTo0xHex(c.newStateRoot),
        events_root: bytesTo0xHex(c.merkleRoot),
        sequence_start: c.sequenceStart,
        sequence_end: c.sequenceEnd,
        event_count: c.leafCount,
        committed_at: c.committedAt,
        chain_tx_hash: null,
      })),
      total: list.length,
    });
  });

  app.post("/v1/commitments/:batch_id/anchored", { schema: markAnchoredSchema }, async (req, reply) => {
    service.requireBootstrap(await auth(req));
    const b = req.body as { chain_tx_hash: string; chain_id: number | bigint; block_number?: number | bigint | null };
    const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
    const result = await service.store.markAnchored(id, {
      chainId: BigInt(b.chain_id),
      txHash: hexToBytes(b.chain_tx_hash, { length: 32 }),
      blockNumber: b.block_number === undefined || b.block_number === null ? null : BigInt(b.block_number),
    });
    if (result.kind === "not_found") throw fail(404, "NOT_FOUND", `no commitment ${id}`);
    if (result.kind === "conflict") {
      throw fail(409, "ALREADY_ANCHORED", `commitment ${id} is anchored by another transaction`);
    }
    return sendJson(reply, {
      batch_id: id,
      status: result.kind,
      chain_tx_hash: bytesTo0xHex(result.commitment.chainTxHash!),
      chain_id: result.commitment.chainId,
    });
  });

  app.delete("/v1/commitments/:batch_id/anchored", { schema: unmarkAnchoredSchema }, async (req, reply) => {
    service.requireBootstrap(await auth(req));
    const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
    const result = await service.store.unmarkAnchored(id);
    if (result.kind === "not_found") throw fail(404, "NOT_FOUND", `no commitment ${id}`);
    return sendJson(reply, { status: result.kind, commitment: commitmentJson(result.commitment, true) });
  });
};
