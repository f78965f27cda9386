/**
 * The stream list (a route the reference lacks): `GET /api/v1/ves/streams?tenant_id` lists every stream of a tenant
 * that has events — ingest does not require a registered store, so the store registry alone would miss some — with
 * its head sequence, its latest commitment (state root, anchoring) and how many events wait for a commitment. A
 * store-scoped key sees only its stores. The explorer page's first view reads it.
 */
import { bytesToHex, normalizeUuid } from "../../ves";
import { commitmentJson } from "../commitments";
import { SequencerError } from "../errors";
import type { RoutePlugin } from "../http";
import type { StoredCommitment } from "../store";
import { MAX_STREAMS, streamsSchema } from "./route-schemas";

/** Where a stream's newest events stand: none committed yet, committed but not anchored, or anchored. */
export type StreamAnchorStatus = "uncommitted" | "committed" | "anchored";

/** The anchor status of a stream whose latest commitment is `latest` (null: none). */
export function streamAnchorStatus(latest: StoredCommitment | null): StreamAnchorStatus {
  if (latest === null) return "uncommitted";
  return latest.chainTxHash === null ? "committed" : "anchored";
}

/** Registers `GET /api/v1/ves/streams`. */
export const streamRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/api/v1/ves/streams", { schema: streamsSchema }, async (req, reply) => {
    const p = await auth(req);
    const q = req.query as { tenant_id?: string; limit?: number };
    if (q.tenant_id === undefined && p.bootstrap) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "tenant_id is required for the bootstrap admin");
    }
    const tenantId = q.tenant_id === undefined ? p.tenantId : normalizeUuid(q.tenant_id);
    service.require(p, "read", tenantId);
    const limit = q.limit ?? MAX_STREAMS;
    const heads = (await service.store.listStreams(tenantId, limit)).filter((s) =>
      service.can(p, "read", s.tenantId, s.storeId),
    );
    const streams = await Promise.all(
      heads.map(async (s) => {
        const latest = await service.store.latestCommitment(s);
        const committed = latest === null ? 0n : latest.sequenceEnd;
        return {
          tenant_id: s.tenantId,
          store_id: s.storeId,
          head_sequence: s.headSequence,
          committed_sequence: committed,
          uncommitted_events: s.headSequence - committed,
          latest_state_root: latest === null ? null : bytesToHex(latest.newStateRoot),
          anchor_status: streamAnchorStatus(latest),
          latest_commitment: latest === null ? null : commitmentJson(latest, true),
        };
      }),
    );
    return sendJson(reply, { tenant_id: tenantId, streams, count: streams.length });
  });
};
