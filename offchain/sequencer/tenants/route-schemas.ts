/** JSON schemas of the administration routes: tenants, stores and the audit log (`routes.ts`), API keys (`api-key-routes.ts`). */
import { security, uuidSchema } from "../http";

const PREFIX = { type: "string", pattern: "^[0-9a-fA-F]{8,12}$" } as const;
const NAME = { type: "string", minLength: 1, maxLength: 128 } as const;
const tenantParams = { type: "object", required: ["tenant_id"], properties: { tenant_id: uuidSchema } } as const;
const prefixParams = { type: "object", required: ["prefix"], properties: { prefix: PREFIX } } as const;

export const createTenantSchema = {
  summary: "Register a tenant (bootstrap admin)",
  security,
  body: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: { name: NAME, tenant_id: uuidSchema },
  },
};

export const listTenantsSchema = { summary: "List tenants", security };

export const createStoreSchema = {
  summary: "Register a store of a tenant (tenant admin)",
  security,
  params: tenantParams,
  body: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: { name: NAME, store_id: uuidSchema },
  },
};

export const listStoresSchema = { summary: "List a tenant's stores", security, params: tenantParams };

export const auditSchema = {
  summary: "The audit log, newest first (a tenant's, or all for the bootstrap admin)",
  security,
  querystring: {
    type: "object",
    properties: {
      tenant_id: uuidSchema,
      before: { type: "string", pattern: "^[0-9]{1,18}$" },
      limit: { type: "integer", minimum: 1, maximum: 1000 },
    },
  },
};

export const createAgentApiKeySchema = {
  summary: "Create an API key for an agent of a tenant (tenant admin); the key is shown once",
  security,
  params: { type: "object", properties: { agent_id: uuidSchema } },
  body: {
    type: "object",
    properties: {
      tenantId: uuidSchema,
      storeIds: { type: "array", maxItems: 50, items: uuidSchema },
      readOnly: { type: "boolean" },
      admin: { type: "boolean" },
      rateLimit: { type: "integer", minimum: 1, maximum: 1_000_000 },
    },
  },
};

export const createApiKeySchema = {
  summary: "Create an API key (tenant admin); the key is shown once",
  security,
  body: {
    type: "object",
    required: ["tenant_id"],
    additionalProperties: false,
    properties: {
      tenant_id: uuidSchema,
      store_ids: { type: "array", maxItems: 50, items: uuidSchema },
      permissions: { type: "string", enum: ["read", "read_write", "admin"] },
      agent_id: uuidSchema,
      label: { type: "string", maxLength: 256 },
      rate_limit: { type: "integer", minimum: 1, maximum: 1_000_000 },
    },
  },
};

export const listApiKeysSchema = {
  summary: "List API keys by hash prefix with scope and last use (a tenant's, or all for the bootstrap admin)",
  security,
  querystring: { type: "object", properties: { tenant_id: uuidSchema } },
};

export const revokeApiKeySchema = { summary: "Revoke an API key by hash prefix", security, params: prefixParams };

export const rotateApiKeySchema = {
  summary: "Replace an API key by a new one with the same scope (shown once); the old one is revoked",
  security,
  params: prefixParams,
};

export const agentApiKeysSchema = {
  summary: "An agent's API keys (tenant admin)",
  security,
  params: { type: "object", required: ["agent_id"], properties: { agent_id: uuidSchema } },
  querystring: { type: "object", properties: { tenant_id: uuidSchema } },
};

export const revokeAgentApiKeySchema = {
  summary: "Revoke one of an agent's API keys by hash prefix",
  security,
  params: {
    type: "object",
    required: ["agent_id", "prefix"],
    properties: { agent_id: uuidSchema, prefix: PREFIX },
  },
};
