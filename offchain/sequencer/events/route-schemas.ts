/** JSON schemas of the event routes (`events/routes.ts`): ingest, pull, one event, entity history, head. */
import { errorSchema, security, streamQuery, u64String, uuidSchema } from "../http";

export const ingestSchema = {
  summary: "Ingest signed VES events (one stream per request)",
  security,
  body: {
    type: "object",
    required: ["agentId", "events"],
    properties: { agentId: uuidSchema, events: { type: "array" } },
  },
  response: { 200: { type: "object" }, "4xx": errorSchema },
};

export const pullSchema = {
  summary: "Pull a stream from a sequence number (inclusive)",
  security,
  querystring: {
    ...streamQuery,
    properties: {
      ...streamQuery.properties,
      from: u64String,
      limit: { type: "integer", minimum: 1, maximum: 1000 },
    },
  },
};

export const eventSchema = {
  summary: "One event with its receipt and commitment",
  security,
  params: { type: "object", properties: { event_id: uuidSchema } },
};

export const entityHistorySchema = {
  summary: "One entity's events in sequence order, paged by offset, with its current (OCC) version",
  security,
  params: {
    type: "object",
    required: ["entity_type", "entity_id"],
    properties: {
      entity_type: { type: "string", minLength: 1, maxLength: 128 },
      entity_id: { type: "string", minLength: 1, maxLength: 512 },
    },
  },
  querystring: {
    ...streamQuery,
    properties: {
      ...streamQuery.properties,
      from: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      limit: { type: "integer", minimum: 1, maximum: 100 },
    },
  },
  response: {
    200: {
      type: "object",
      required: ["entity_type", "entity_id", "events", "count", "total", "current_version", "has_more"],
      properties: {
        entity_type: { type: "string" },
        entity_id: { type: "string" },
        events: {
          type: "array",
          description: "the events as `GET /api/v1/ves/events` gives them, in sequence order",
          items: {
            type: "object",
            required: ["sequence_number", "event_id", "envelope", "receipt", "batch_id"],
            properties: {
              sequence_number: { type: "integer" },
              event_id: { type: "string" },
              envelope: { type: "object" },
              receipt: { type: "object" },
              batch_id: { type: ["string", "null"] },
            },
          },
        },
        count: { type: "integer", description: "events in this page" },
        total: { type: "integer", description: "events of the entity" },
        current_version: {
          type: "integer",
          description: "the version `base_version` is checked against (0: no events)",
        },
        has_more: { type: "boolean" },
      },
    },
    "4xx": errorSchema,
  },
};

export const headSchema = {
  summary: "Head sequence and latest commitment of a stream",
  security,
  querystring: streamQuery,
};

/** The most streams one answer lists. */
export const MAX_STREAMS = 1000;

export const streamsSchema = {
  summary:
    "A tenant's streams that have events: head sequence, latest commitment (state root, anchoring), " +
    "events not yet committed (tenant_id defaults to the caller's tenant)",
  security,
  querystring: {
    type: "object",
    properties: { tenant_id: uuidSchema, limit: { type: "integer", minimum: 1, maximum: MAX_STREAMS } },
  },
};
