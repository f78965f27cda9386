/**
 * The API-key routes: administration under `/api/v1/admin/api-keys` (create — shown once —, list by hash prefix with
 * scope and last use, revoke, rotate) and the reference's per-agent routes (`POST|GET /api/v1/agents/{agent_id}/
 * api-keys`, `DELETE …/{prefix}`, §9.1, camelCase). Every change is recorded in the audit log by the service.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import { normalizeUuid } from "../../ves";
import { SequencerError } from "../errors";
import type { Principal } from "../auth";
import type { RoutePlugin } from "../http";
import { fail } from "../http";
import { apiKeyInfo } from "./api-keys";
import { apiKeyJson, permissionFlags } from "./json";
import {
  agentApiKeysSchema,
  createAgentApiKeySchema,
  createApiKeySchema,
  listApiKeysSchema,
  revokeAgentApiKeySchema,
  revokeApiKeySchema,
  rotateApiKeySchema,
} from "./route-schemas";

const SHOWN_ONCE = "Store this key now: it is not shown again";

/** The body of `POST /api/v1/admin/api-keys`. */
interface CreateBody {
  tenant_id: string;
  store_ids?: string[];
  permissions?: string;
  agent_id?: string;
  label?: string;
  rate_limit?: number | bigint;
}

/** The body of `POST /api/v1/agents/{agent_id}/api-keys`. */
interface AgentCreateBody {
  tenantId?: string;
  storeIds?: string[];
  readOnly?: boolean;
  admin?: boolean;
  rateLimit?: number | bigint;
}

/** Registers the administration routes of API keys. */
export const apiKeyRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/admin/api-keys", { schema: createApiKeySchema }, async (req, reply) => {
    const b = req.body as CreateBody;
    const created = await service.createApiKey(await auth(req), {
      tenantId: normalizeUuid(b.tenant_id),
      storeIds: (b.store_ids ?? []).map(normalizeUuid),
      agentId: b.agent_id === undefined ? null : normalizeUuid(b.agent_id),
      label: b.label ?? null,
      rateLimit: b.rate_limit === undefined ? null : Number(b.rate_limit),
      ...permissionFlags(b.permissions),
    });
    return sendJson(reply, { api_key: created.apiKey, ...apiKeyJson(created.info), message: SHOWN_ONCE }, 201);
  });

  app.get("/api/v1/admin/api-keys", { schema: listApiKeysSchema }, async (req, reply) => {
    const q = req.query as { tenant_id?: string };
    const keys = await service.listApiKeys(
      await auth(req),
      q.tenant_id === undefined ? undefined : normalizeUuid(q.tenant_id),
    );
    return sendJson(reply, { keys: keys.map(apiKeyJson), count: keys.length });
  });

  const revoke = async (req: FastifyRequest, reply: FastifyReply) => {
    const info = await service.revokeApiKey(await auth(req), (req.params as { prefix: string }).prefix);
    return sendJson(reply, { success: true, key: apiKeyJson(info) });
  };
  app.post("/api/v1/admin/api-keys/:prefix/revoke", { schema: revokeApiKeySchema }, revoke);
  app.delete("/api/v1/admin/api-keys/:prefix", { schema: { ...revokeApiKeySchema } }, revoke);

  app.post("/api/v1/admin/api-keys/:prefix/rotate", { schema: rotateApiKeySchema }, async (req, reply) => {
    const r = await service.rotateApiKey(await auth(req), (req.params as { prefix: string }).prefix);
    return sendJson(
      reply,
      { api_key: r.apiKey, replaced: r.replaced, ...apiKeyJson(r.info), message: SHOWN_ONCE },
      201,
    );
  });
};

/** Registers `POST /api/v1/agents/{agent_id}/api-keys` (the reference's key creation, camelCase). */
export const agentApiKeyCreateRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/agents/:agent_id/api-keys", { schema: createAgentApiKeySchema }, async (req, reply) => {
    const p = await auth(req);
    const b = (req.body ?? {}) as AgentCreateBody;
    const tenantId = b.tenantId !== undefined ? normalizeUuid(b.tenantId) : p.bootstrap ? undefined : p.tenantId;
    if (tenantId === undefined) throw fail(400, "INVALID_FIELD_VALUE", "tenantId is required for the bootstrap admin");
    const admin = b.admin === true;
    const readOnly = b.readOnly === true && !admin;
    const created = await service.createApiKey(p, {
      tenantId,
      agentId: normalizeUuid((req.params as { agent_id: string }).agent_id),
      storeIds: (b.storeIds ?? []).map(normalizeUuid),
      read: true,
      write: !readOnly,
      admin,
      rateLimit: b.rateLimit === undefined ? null : Number(b.rateLimit),
    });
    return sendJson(reply, {
      success: true,
      apiKey: created.apiKey,
      keyHashPrefix: created.info.keyHashPrefix,
      permissions: admin ? "admin" : readOnly ? "read" : "read_write",
      message: SHOWN_ONCE,
    });
  });
};

/** Registers the reference's per-agent list and revoke routes. */
export const agentApiKeyRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  const agentKeys = async (p: Principal, agentId: string, tenantId: string | undefined) => {
    const tenant = tenantId ?? (p.bootstrap ? undefined : p.tenantId);
    if (tenant === undefined) throw new SequencerError(400, "INVALID_FIELD_VALUE", "tenant_id is required");
    return (await service.listApiKeys(p, tenant)).filter((k) => k.agentId === agentId);
  };
  app.get("/api/v1/agents/:agent_id/api-keys", { schema: agentApiKeysSchema }, async (req, reply) => {
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
  });

  app.delete("/api/v1/agents/:agent_id/api-keys/:prefix", { schema: revokeAgentApiKeySchema }, async (req, reply) => {
    const p = await auth(req);
    const params = req.params as { agent_id: string; prefix: string };
    const agentId = normalizeUuid(params.agent_id);
    const candidates = (await service.apiKeysByPrefix(p, params.prefix.toLowerCase())).filter(
      (r) => r.agentId === agentId,
    );
    if (candidates.length === 0) throw new SequencerError(404, "NOT_FOUND", `no API key ${params.prefix}`);
    const info = await service.revokeApiKey(p, apiKeyInfo(candidates[0]!).keyHashPrefix);
    return sendJson(reply, { success: true, keyHashPrefix: info.keyHashPrefix, message: "API key revoked" });
  });
};
