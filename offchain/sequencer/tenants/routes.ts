/**
 * The tenant administration routes (routes the reference lacks, under `/api/v1/admin`): tenants, their stores and
 * the audit log. Every change is recorded in the audit log by the service. API keys are in `api-key-routes.ts`.
 */
import { normalizeUuid } from "../../ves";
import type { RoutePlugin } from "../http";
import { auditJson, storeJson, tenantJson } from "./json";
import {
  auditSchema,
  createStoreSchema,
  createTenantSchema,
  listStoresSchema,
  listTenantsSchema,
} from "./route-schemas";

/** Registers the tenant and store routes. */
export const tenantRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/admin/tenants", { schema: createTenantSchema }, async (req, reply) => {
    const b = req.body as { name: string; tenant_id?: string };
    const t = await service.createTenant(await auth(req), {
      name: b.name,
      ...(b.tenant_id === undefined ? {} : { tenantId: normalizeUuid(b.tenant_id) }),
    });
    return sendJson(reply, tenantJson(t), 201);
  });

  app.get("/api/v1/admin/tenants", { schema: listTenantsSchema }, async (req, reply) => {
    const list = await service.listTenants(await auth(req));
    return sendJson(reply, { tenants: list.map(tenantJson), count: list.length });
  });

  app.post("/api/v1/admin/tenants/:tenant_id/stores", { schema: createStoreSchema }, async (req, reply) => {
    const b = req.body as { name: string; store_id?: string };
    const s = await service.createTenantStore(await auth(req), {
      tenantId: normalizeUuid((req.params as { tenant_id: string }).tenant_id),
      name: b.name,
      ...(b.store_id === undefined ? {} : { storeId: normalizeUuid(b.store_id) }),
    });
    return sendJson(reply, storeJson(s), 201);
  });

  app.get("/api/v1/admin/tenants/:tenant_id/stores", { schema: listStoresSchema }, async (req, reply) => {
    const tenantId = normalizeUuid((req.params as { tenant_id: string }).tenant_id);
    const list = await service.listTenantStores(await auth(req), tenantId);
    return sendJson(reply, { stores: list.map(storeJson), count: list.length });
  });
};

/** Registers `GET /api/v1/admin/audit`. */
export const auditRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.get("/api/v1/admin/audit", { schema: auditSchema }, async (req, reply) => {
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
  });
};
