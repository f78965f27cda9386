/**
 * The event routes: ingest (ves-protocol.md §7, the reference's `POST /api/v1/ves/events/ingest`) and the reads the
 * reference lacks — pull a stream from a sequence number, one event by id, an entity's history, a stream's head.
 */
import { bytesToHex, normalizeUuid } from "../../ves";
import type { RoutePlugin } from "../http";
import { fail, streamOf, u64 } from "../http";
import { eventJson } from "./json";
import { entityHistorySchema, eventSchema, headSchema, ingestSchema, pullSchema } from "./route-schemas";

/** Registers the ingest route. */
export const ingestRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/ves/events/ingest", { schema: ingestSchema }, async (req, reply) =>
    sendJson(reply, await service.ingest(await auth(req), req.body)),
  );
};

/** Registers the event reads: pull a stream, one event, an entity's history, a stream's head. */
export const eventReadRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/api/v1/ves/events", { schema: pullSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; store_id: string; from?: string; limit?: number };
    const stream = streamOf(q);
    service.require(await auth(req), "read", stream.tenantId, stream.storeId);
    const from = q.from === undefined ? 1n : u64(q.from, "from");
    const limit = q.limit ?? 100;
    const [events, head] = await Promise.all([
      service.store.listEvents(stream, from, limit),
      service.store.headSequence(stream),
    ]);
    const last = events.at(-1)?.sequenceNumber;
    const next = last === undefined ? from : last + 1n;
    return sendJson(reply, { events: events.map(eventJson), next, has_more: next <= head, head_sequence: head });
  });

  app.get("/api/v1/ves/events/:event_id", { schema: eventSchema }, async (req, reply) => {
    const p = await auth(req);
    const id = normalizeUuid((req.params as { event_id: string }).event_id);
    const e = (await service.store.getEventsById([id])).get(id);
    // Another tenant's event is reported as absent, not forbidden, so ids do not leak.
    if (e === undefined || !service.can(p, "read", e.tenantId, e.storeId))
      throw fail(404, "NOT_FOUND", `no event ${id}`);
    return sendJson(reply, eventJson(e));
  });

  app.get("/api/v1/ves/entities/:entity_type/:entity_id", { schema: entityHistorySchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; store_id: string; from?: number; limit?: number };
    const params = req.params as { entity_type: string; entity_id: string };
    const stream = streamOf(q);
    service.require(await auth(req), "read", stream.tenantId, stream.storeId);
    const from = q.from ?? 0;
    const history = await service.store.entityHistory(
      stream,
      { entityType: params.entity_type, entityId: params.entity_id },
      from,
      q.limit ?? 100,
    );
    return sendJson(reply, {
      entity_type: params.entity_type,
      entity_id: params.entity_id,
      events: history.events.map(eventJson),
      count: history.events.length,
      total: history.total,
      current_version: history.version,
      has_more: from + history.events.length < history.total,
    });
  });

  app.get("/api/v1/ves/head", { schema: headSchema }, async (req, reply) => {
    const stream = streamOf(req.query as { tenant_id: string; store_id: string });
    service.require(await auth(req), "read", stream.tenantId, stream.storeId);
    const [head, latest] = await Promise.all([
      service.store.headSequence(stream),
      service.store.latestCommitment(stream),
    ]);
    return sendJson(reply, {
      tenant_id: stream.tenantId,
      store_id: stream.storeId,
      head_sequence: head,
      latest_commitment:
        latest === null
          ? null
          : {
              batch_id: latest.batchId,
              sequence_end: latest.sequenceEnd,
              new_state_root: bytesToHex(latest.newStateRoot),
            },
    });
  });
};
