/**
 * The payload-schema routes (ves-protocol.md §9.1 "Schemas", with its paths under `/api`): list and register
 * (`GET|POST /api/v1/schemas`), validate a payload (`POST /api/v1/schemas/validate`), read and delete one
 * (`GET|DELETE /api/v1/schemas/{id}`), change its status (`PUT /api/v1/schemas/{id}/status`), and the versions of an
 * event type (`GET /api/v1/schemas/event-type/{t}`) and its active one (`GET …/latest`). Bodies are camelCase like
 * the reference's other registration routes; `tenant_id` is a query parameter as elsewhere.
 */
import type { FastifyRequest } from "fastify";

import { normalizeUuid, parseJsonExact } from "../../ves";
import type { RoutePlugin } from "../http";
import type { PayloadSchemaRecord, SchemaStatus } from "../store";
import type { SchemaCheck } from "./registry";
import {
  deleteSchemaSchema,
  eventTypeSchema,
  getSchemaSchema,
  latestSchemaSchema,
  listSchemasSchema,
  registerSchemaSchema,
  setStatusSchema,
  validateSchema,
} from "./route-schemas";

/** The JSON form of a schema record. */
export function schemaJson(s: PayloadSchemaRecord): Record<string, unknown> {
  return {
    id: s.schemaId,
    tenantId: s.tenantId,
    eventType: s.eventType,
    version: s.version,
    schema: parseJsonExact(s.schemaJson),
    status: s.status,
    description: s.description,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

function checkJson(c: SchemaCheck): Record<string, unknown> {
  return {
    valid: c.valid,
    schemaId: c.schema?.schemaId ?? null,
    version: c.schema?.version ?? null,
    errors: c.valid ? [] : c.problems,
    ...(c.schema === null ? { message: "no active schema for this event type: payloads are accepted" } : {}),
  };
}

/** The body of `POST /api/v1/schemas`. */
interface RegisterBody {
  tenantId: string;
  eventType: string;
  schema: unknown;
  description?: string;
  status?: SchemaStatus;
}

const id = (req: FastifyRequest) => normalizeUuid((req.params as { id: string }).id);

/** Registers the schema routes. */
export const schemaRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/api/v1/schemas", { schema: listSchemasSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; event_type?: string };
    const list = await service.listSchemas(await auth(req), normalizeUuid(q.tenant_id), q.event_type);
    return sendJson(reply, { schemas: list.map(schemaJson), count: list.length });
  });

  app.post("/api/v1/schemas", { schema: registerSchemaSchema }, async (req, reply) => {
    const b = req.body as RegisterBody;
    const s = await service.registerSchema(await auth(req), {
      tenantId: normalizeUuid(b.tenantId),
      eventType: b.eventType,
      schema: b.schema,
      description: b.description ?? null,
      status: b.status ?? "active",
    });
    return sendJson(reply, schemaJson(s), 201);
  });

  app.post("/api/v1/schemas/validate", { schema: validateSchema }, async (req, reply) => {
    const b = req.body as { tenantId: string; eventType: string; payload: unknown; schemaId?: string };
    const check = await service.validatePayload(await auth(req), {
      tenantId: normalizeUuid(b.tenantId),
      eventType: b.eventType,
      payload: b.payload,
      ...(b.schemaId === undefined ? {} : { schemaId: normalizeUuid(b.schemaId) }),
    });
    return sendJson(reply, checkJson(check));
  });

  app.get("/api/v1/schemas/:id", { schema: getSchemaSchema }, async (req, reply) =>
    sendJson(reply, schemaJson(await service.getSchema(await auth(req), id(req)))),
  );

  app.delete("/api/v1/schemas/:id", { schema: deleteSchemaSchema }, async (req, reply) => {
    await service.deleteSchema(await auth(req), id(req));
    return sendJson(reply, { success: true, id: id(req) });
  });

  app.put("/api/v1/schemas/:id/status", { schema: setStatusSchema }, async (req, reply) => {
    const status = (req.body as { status: SchemaStatus }).status;
    return sendJson(reply, schemaJson(await service.setSchemaStatus(await auth(req), id(req), status)));
  });

  app.get("/api/v1/schemas/event-type/:event_type", { schema: eventTypeSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string };
    const t = (req.params as { event_type: string }).event_type;
    const list = await service.listSchemas(await auth(req), normalizeUuid(q.tenant_id), t);
    return sendJson(reply, { schemas: list.map(schemaJson), count: list.length });
  });

  app.get("/api/v1/schemas/event-type/:event_type/latest", { schema: latestSchemaSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string };
    const t = (req.params as { event_type: string }).event_type;
    return sendJson(reply, schemaJson(await service.latestSchema(await auth(req), normalizeUuid(q.tenant_id), t)));
  });
};
