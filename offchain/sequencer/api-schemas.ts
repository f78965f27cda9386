/**
 * The payload-schema routes (ves-protocol.md §9.1 "Schemas", with its paths under `/api`): list and register
 * (`GET|POST /api/v1/schemas`), validate a payload (`POST /api/v1/schemas/validate`), read and delete one
 * (`GET|DELETE /api/v1/schemas/{id}`), change its status (`PUT /api/v1/schemas/{id}/status`), and the versions of an
 * event type (`GET /api/v1/schemas/event-type/{t}`) and its active one (`GET …/latest`). Bodies are camelCase like
 * the reference's other registration routes; `tenant_id` is a query parameter as elsewhere.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import { normalizeUuid, parseJsonExact } from "../ves";
import type { AdminRouteContext, SequencerApp } from "./api-admin";
import type { SchemaCheck } from "./schemas";
import type { PayloadSchemaRecord, SchemaStatus } from "./store/types";

const EVENT_TYPE = { type: "string", minLength: 1, maxLength: 256 } as const;
const STATUS = { type: "string", enum: ["active", "deprecated", "disabled"] } as const;

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

/** Registers the schema routes on `app`. */
export function registerSchemaRoutes(app: SequencerApp, ctx: AdminRouteContext): void {
  const { service, auth, sendJson, security, uuidSchema } = ctx;
  const tenantQuery = {
    type: "object",
    required: ["tenant_id"],
    properties: { tenant_id: uuidSchema },
  } as const;
  const idParams = { type: "object", required: ["id"], properties: { id: uuidSchema } } as const;
  const typeParams = { type: "object", required: ["event_type"], properties: { event_type: EVENT_TYPE } } as const;
  const id = (req: FastifyRequest) => normalizeUuid((req.params as { id: string }).id);

  app.get(
    "/api/v1/schemas",
    {
      schema: {
        summary: "A tenant's payload schemas (every version)",
        security,
        querystring: { ...tenantQuery, properties: { ...tenantQuery.properties, event_type: EVENT_TYPE } },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; event_type?: string };
      const list = await service.listSchemas(await auth(req), normalizeUuid(q.tenant_id), q.event_type);
      return sendJson(reply, { schemas: list.map(schemaJson), count: list.length });
    },
  );

  app.post(
    "/api/v1/schemas",
    {
      schema: {
        summary: "Register a JSON Schema as the next version of an event type's payload schema (tenant admin)",
        security,
        body: {
          type: "object",
          required: ["tenantId", "eventType", "schema"],
          additionalProperties: false,
          properties: {
            tenantId: uuidSchema,
            eventType: EVENT_TYPE,
            schema: { type: "object" },
            description: { type: "string", maxLength: 1024 },
            status: STATUS,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as {
        tenantId: string;
        eventType: string;
        schema: unknown;
        description?: string;
        status?: SchemaStatus;
      };
      const s = await service.registerSchema(await auth(req), {
        tenantId: normalizeUuid(b.tenantId),
        eventType: b.eventType,
        schema: b.schema,
        description: b.description ?? null,
        status: b.status ?? "active",
      });
      return sendJson(reply, schemaJson(s), 201);
    },
  );

  app.post(
    "/api/v1/schemas/validate",
    {
      schema: {
        summary: "Validate a payload against an event type's active schema (or a given one)",
        security,
        body: {
          type: "object",
          required: ["tenantId", "eventType", "payload"],
          additionalProperties: false,
          properties: { tenantId: uuidSchema, eventType: EVENT_TYPE, payload: {}, schemaId: uuidSchema },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { tenantId: string; eventType: string; payload: unknown; schemaId?: string };
      const check = await service.validatePayload(await auth(req), {
        tenantId: normalizeUuid(b.tenantId),
        eventType: b.eventType,
        payload: b.payload,
        ...(b.schemaId === undefined ? {} : { schemaId: normalizeUuid(b.schemaId) }),
      });
      return sendJson(reply, checkJson(check));
    },
  );

  app.get(
    "/api/v1/schemas/:id",
    { schema: { summary: "One payload schema", security, params: idParams } },
    async (req, reply) => sendJson(reply, schemaJson(await service.getSchema(await auth(req), id(req)))),
  );

  app.delete(
    "/api/v1/schemas/:id",
    { schema: { summary: "Delete a payload schema (tenant admin)", security, params: idParams } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      await service.deleteSchema(await auth(req), id(req));
      return sendJson(reply, { success: true, id: id(req) });
    },
  );

  app.put(
    "/api/v1/schemas/:id/status",
    {
      schema: {
        summary: "Set a schema's status: active, deprecated or disabled (tenant admin)",
        security,
        params: idParams,
        body: { type: "object", required: ["status"], additionalProperties: false, properties: { status: STATUS } },
      },
    },
    async (req, reply) => {
      const status = (req.body as { status: SchemaStatus }).status;
      return sendJson(reply, schemaJson(await service.setSchemaStatus(await auth(req), id(req), status)));
    },
  );

  app.get(
    "/api/v1/schemas/event-type/:event_type",
    {
      schema: {
        summary: "Every version of an event type's schema",
        security,
        params: typeParams,
        querystring: tenantQuery,
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string };
      const t = (req.params as { event_type: string }).event_type;
      const list = await service.listSchemas(await auth(req), normalizeUuid(q.tenant_id), t);
      return sendJson(reply, { schemas: list.map(schemaJson), count: list.length });
    },
  );

  app.get(
    "/api/v1/schemas/event-type/:event_type/latest",
    {
      schema: {
        summary: "The schema that validates an event type now (its highest active version)",
        security,
        params: typeParams,
        querystring: tenantQuery,
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string };
      const t = (req.params as { event_type: string }).event_type;
      return sendJson(reply, schemaJson(await service.latestSchema(await auth(req), normalizeUuid(q.tenant_id), t)));
    },
  );
}
