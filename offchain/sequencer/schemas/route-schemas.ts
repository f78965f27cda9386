/** JSON schemas of the payload-schema routes (`routes.ts`). */
import { security, uuidSchema } from "../http";

const EVENT_TYPE = { type: "string", minLength: 1, maxLength: 256 } as const;
const STATUS = { type: "string", enum: ["active", "deprecated", "disabled"] } as const;
const tenantQuery = {
  type: "object",
  required: ["tenant_id"],
  properties: { tenant_id: uuidSchema },
} as const;
const idParams = { type: "object", required: ["id"], properties: { id: uuidSchema } } as const;
const typeParams = { type: "object", required: ["event_type"], properties: { event_type: EVENT_TYPE } } as const;

export const listSchemasSchema = {
  summary: "A tenant's payload schemas (every version)",
  security,
  querystring: { ...tenantQuery, properties: { ...tenantQuery.properties, event_type: EVENT_TYPE } },
};

export const registerSchemaSchema = {
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
};

export const validateSchema = {
  summary: "Validate a payload against an event type's active schema (or a given one)",
  security,
  body: {
    type: "object",
    required: ["tenantId", "eventType", "payload"],
    additionalProperties: false,
    properties: { tenantId: uuidSchema, eventType: EVENT_TYPE, payload: {}, schemaId: uuidSchema },
  },
};

export const getSchemaSchema = { summary: "One payload schema", security, params: idParams };

export const deleteSchemaSchema = { summary: "Delete a payload schema (tenant admin)", security, params: idParams };

export const setStatusSchema = {
  summary: "Set a schema's status: active, deprecated or disabled (tenant admin)",
  security,
  params: idParams,
  body: { type: "object", required: ["status"], additionalProperties: false, properties: { status: STATUS } },
};

export const eventTypeSchema = {
  summary: "Every version of an event type's schema",
  security,
  params: typeParams,
  querystring: tenantQuery,
};

export const latestSchemaSchema = {
  summary: "The schema that validates an event type now (its highest active version)",
  security,
  params: typeParams,
  querystring: tenantQuery,
};
