/**
 * The sequencer's administration routes (routes the reference lacks, under `/api/v1/admin`): tenants and their
 * stores, API keys (create — shown once —, list by hash prefix with scope and last use, revoke, rotate) and the audit
 * log; plus the reference's per-agent key routes (`GET|DELETE /api/v1/agents/{agent_id}/api-keys…`, §9.1). Every
 * change is recorded in the audit log by the service.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from "fastify";

import type { Logger } from "../common";
import { normalizeUuid } from "../ves";
import { SequencerError, apiKeyInfo, type ApiKeyInfo, type Principal, type SequencerService } from "./service";
import type { AuditEntry, TenantRecord, TenantStoreRecord } from "./store/types";

/** What the admin routes borrow from the main API module. */
export interface AdminRouteContext {
  readonly service: SequencerService;
  readonly auth: (req: FastifyRequest) => Promise<Principal>;
  readonly sendJson: (reply: FastifyReply, value: unknown, status?: number) => FastifyReply;
  readonly security: { [label: string]: string[] }[];
  readonly uuidSchema: { readonly type: "string"; readonly pattern: string };
}

const PREFIX = { type: "string", pattern: "^[0-9a-fA-F]{8,12}$" } as const;
const NAME = { type: "string", minLength: 1, maxLength: 128 } as const;

/** The JSON form of an API key (never the key itself). */
export function apiKeyJson(k: ApiKeyInfo): Record<string, unknown> {
  return {
    key_hash_prefix: k.keyHashPrefix,
    tenant_id: k.tenantId,
    store_ids: k.storeIds,
    permissions: k.permissions,
    agent_id: k.agentId,
    label: k.label,
    rate_limit: k.rateLimit,
    active: k.active,
    created_at: k.createdAt,
    last_used_at: k.lastUsedAt,
    revoked_at: k.revokedAt,
  };
}

const tenantJson = (t: TenantRecord) => ({ tenant_id: t.tenantId, name: t.name, created_at: t.createdAt });
const storeJson = (s: TenantStoreRecord) => ({
  tenant_id: s.tenantId,
  store_id: s.storeId,
  name: s.name,
  created_at: s.createdAt,
});
const auditJson = (e: AuditEntry) => ({
  id: e.id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  tenant_id: e.tenantId,
  target: e.target,
  details: e.details,
});

/** Permission names of the API as the service's flags. */
export function permissionFlags(permissions: string | undefined): { read: boolean; write: boolean; admin: boolean } {
  switch (permissions ?? "read_write") {
    case "read":
      return { read: true, write: false, admin: false };
    case "read_write":
      return { read: true, write: true, admin: false };
    case "admin":
      return { read: true, write: true, admin: true };
    default:
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "permissions must be read, read_write or admin");
  }
}

/** The sequencer's fastify instance (pino logger). */
export type SequencerApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;

/** Registers the administration routes on `app`. */
export function registerAdminRoutes(app: SequencerApp, ctx: AdminRouteContext): void {
  const { service, auth, sendJson, security, uuidSchema } = ctx;
  const tenantParams = { type: "object", required: ["tenant_id"], properties: { tenant_id: uuidSchema } } as const;
  const prefixParams = { type: "object", required: ["prefix"], properties: { prefix: PREFIX } } as const;

  app.post(
    "/api/v1/admin/tenants",
    {
      schema: {
        summary: "Register a tenant (bootstrap admin)",
        security,
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: NAME, tenant_id: uuidSchema },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; tenant_id?: string };
      const t = await service.createTenant(await auth(req), {
        name: b.name,
        ...(b.tenant_id === undefined ? {} : { tenantId: normalizeUuid(b.tenant_id) }),
      });
      return sendJson(reply, tenantJson(t), 201);
    },
  );

  app.get("/api/v1/admin/tenants", { schema: { summary: "List tenants", security } }, async (req, reply) => {
    const list = await service.listTenants(await auth(req));
    return sendJson(reply, { tenants: list.map(tenantJson), count: list.length });
  });

  app.post(
    "/api/v1/admin/tenants/:tenant_id/stores",
    {
      schema: {
        summary: "Register a store of a tenant (tenant admin)",
        security,
        params: tenantParams,
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: NAME, store_id: uuidSchema },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; store_id?: string };
      const s = await service.createTenantStore(await auth(req), {
        tenantId: normalizeUuid((req.params as { tenant_id: string }).tenant_id),
        name: b.name,
        ...(b.store_id === undefined ? {} : { storeId: normalizeUuid(b.store_id) }),
      });
      return sendJson(reply, storeJson(s), 201);
    },
  );

  app.get(
    "/api/v1/admin/tenants/:tenant_id/stores",
    { schema: { summary: "List a tenant's stores", security, params: tenantParams } },
    async (req, reply) => {
      const tenantId = normalizeUuid((req.params as { tenant_id: string }).tenant_id);
      const list = await service.listTenantStores(await auth(req), tenantId);
      return sendJson(reply, { stores: list.map(storeJson), count: list.length });
    },
  );

  app.post(
    "/api/v1/admin/api-keys",
    {
      schema: {
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
      },
    },
    async (req, reply) => {
      const b = req.body as {
        tenant_id: string;
        store_ids?: string[];
        permissions?: string;
        agent_id?: string;
        label?: string;
        rate_limit?: number | bigint;
      };
      const created = await service.createApiKey(await auth(req), {
        tenantId: normalizeUuid(b.tenant_id),
        storeIds: (b.store_ids ?? []).map(normalizeUuid),
        agentId: b.agent_id === undefined ? null : normalizeUuid(b.agent_id),
        label: b.label ?? null,
        rateLimit: b.rate_limit === undefined ? null : Number(b.rate_limit),
        ...permissionFlags(b.permissions),
      });
      return sendJson(
        reply,
        { api_key: created.apiKey, ...apiKeyJson(created.info), message: "Store this key now: it is not shown again" },
        201,
      );
    },
  );

  app.get(
    "/api/v1/admin/api-keys",
    {
      schema: {
        summary: "List API keys by hash prefix with scope and last use (a tenant's, or all for the bootstrap admin)",
        security,
        querystring: { type: "object", properties: { tenant_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id?: string };
      const keys = await service.listApiKeys(
        await auth(req),
        q.tenant_id === undefined ? undefined : normalizeUuid(q.tenant_id),
      );
      return sendJson(reply, { keys: keys.map(apiKeyJson), count: keys.length });
    },
  );

  const revoke = async (req: FastifyRequest, reply: FastifyReply) => {
    const info = await service.revokeApiKey(await auth(req), (req.params as { prefix: string }).prefix);
    return sendJson(reply, { success: true, key: apiKeyJson(info) });
  };
  app.post(
    "/api/v1/admin/api-keys/:prefix/revoke",
    { schema: { summary: "Revoke an API key by hash prefix", security, params: prefixParams } },
    revoke,
  );
  app.delete(
    "/api/v1/admin/api-keys/:prefix",
    { schema: { summary: "Revoke an API key by hash prefix", security, params: prefixParams } },
    revoke,
  );

  app.post(
    "/api/v1/admin/api-keys/:prefix/rotate",
    {
      schema: {
        summary: "Replace an API key by a new one with the same scope (shown once); the old one is revoked",
        security,
        params: prefixParams,
      },
    },
    async (req, reply) => {
      const r = await service.rotateApiKey(await auth(req), (req.params as { prefix: string }).prefix);
      return sendJson(
        reply,
        {
          api_key: r.apiKey,
          replaced: r.replaced,
          ...apiKeyJson(r.info),
          message: "Store this key now: it is not shown again",
        },
        201,
      );
    },
  );

  app.get(
    "/api/v1/admin/audit",
    {
      schema: {
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
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id?: string; before?: string; limit?: number };
      const limit = q.limit ?? 100;
      const entries = await service.listAudit(await auth(req), {
        ...(q.tenant_id === undefined ? {} : { tenantId: normalizeUuid(q.tenant_id) }),
        ...(q.before === undefined ? {} : { beforeId: BigInt(q.before) }),
        limit,
      });
      return sendJson(reply, {
        entries: entries.map(auditJson),
        count: entries.length,
        next_before: entries.length === limit ? entries.at(-1)!.id : null,
      });
    },
  );

  // The reference's per-agent key routes (camelCase, §9.1).
  const agentKeys = async (p: Principal, agentId: string, tenantId: string | undefined) => {
    const tenant = tenantId ?? (p.bootstrap ? undefined : p.tenantId);
    if (tenant === undefined) throw new SequencerError(400, "INVALID_FIELD_VALUE", "tenant_id is required");
    return (await service.listApiKeys(p, tenant)).filter((k) => k.agentId === agentId);
  };
  app.get(
    "/api/v1/agents/:agent_id/api-keys",
    {
      schema: {
        summary: "An agent's API keys (tenant admin)",
        security,
        params: { type: "object", required: ["agent_id"], properties: { agent_id: uuidSchema } },
        querystring: { type: "object", properties: { tenant_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      const tenantId = (req.query as { tenant_id?: string }).tenant_id;
      const keys = await agentKeys(
        await auth(req),
        normalizeUuid((req.params as { agent_id: string }).agent_id),
        tenantId === undefined ? undefined : normalizeUuid(tenantId),
      );
      return sendJson(reply, {
        keys: keys.map((k) => ({
          keyHashPrefix: k.keyHashPrefix,
          active: k.active,
          permissions: k.permissions,
          rateLimit: k.rateLimit,
          lastUsedAt: k.lastUsedAt,
        })),
        count: keys.length,
      });
    },
  );
  app.delete(
    "/api/v1/agents/:agent_id/api-keys/:prefix",
    {
      schema: {
        summary: "Revoke one of an agent's API keys by hash prefix",
        security,
        params: {
          type: "object",
          required: ["agent_id", "prefix"],
          properties: { agent_id: uuidSchema, prefix: PREFIX },
        },
      },
    },
    async (req, reply) => {
      const p = await auth(req);
      const params = req.params as { agent_id: string; prefix: string };
      const agentId = normalizeUuid(params.agent_id);
      const candidates = (await service.apiKeysByPrefix(p, params.prefix.toLowerCase())).filter(
        (r) => r.agentId === agentId,
      );
      if (candidates.length === 0) throw new SequencerError(404, "NOT_FOUND", `no API key ${params.prefix}`);
      const info = await service.revokeApiKey(p, apiKeyInfo(candidates[0]!).keyHashPrefix);
      return sendJson(reply, { success: true, keyHashPrefix: info.keyHashPrefix, message: "API key revoked" });
    },
  );
}
