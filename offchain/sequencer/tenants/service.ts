/**
 * Tenants and their stores: registration (bootstrap admin for tenants, tenant admin for stores) and listing, each
 * change audited.
 */
import { randomUUID } from "node:crypto";

import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import type { SequencerStore, TenantRecord, TenantStoreRecord } from "../store";
import { NIL_UUID, requireBootstrap, requirePermission, type Principal } from "../auth";
import type { AuditLog } from "./audit";

/** The store methods tenant administration uses. */
export type TenantStoreSlice = Pick<
  SequencerStore,
  "createTenant" | "listTenants" | "getTenant" | "createTenantStore" | "listTenantStores"
>;

/** Tenants and stores. */
export class TenantService {
  constructor(
    private readonly store: TenantStoreSlice,
    private readonly audit: AuditLog,
  ) {}

  /** Registers a tenant (bootstrap admin). @throws SequencerError 409 if the id exists. */
  async createTenant(p: Principal, input: { tenantId?: string; name: string }): Promise<TenantRecord> {
    requireBootstrap(p);
    const tenant: TenantRecord = {
      tenantId: input.tenantId ?? randomUUID(),
      name: input.name,
      createdAt: nowRfc3339(),
    };
    if (tenant.tenantId === NIL_UUID)
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "the nil tenant is reserved");
    if (!(await this.store.createTenant(tenant))) {
      throw new SequencerError(409, "TENANT_EXISTS", `tenant ${tenant.tenantId} exists`);
    }
    await this.audit.record(p, "tenant.create", tenant.tenantId, tenant.tenantId, { name: tenant.name });
    return tenant;
  }

  /** Tenants: all for the bootstrap admin, otherwise the caller's own (if registered). */
  async listTenants(p: Principal): Promise<TenantRecord[]> {
    if (p.bootstrap) return this.store.listTenants();
    if (!p.admin) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "admin permission is required");
    const own = await this.store.getTenant(p.tenantId);
    return own === null ? [] : [own];
  }

  /** Registers a store of a tenant (tenant admin). @throws 404 unknown tenant, 409 existing store. */
  async createTenantStore(
    p: Principal,
    input: { tenantId: string; storeId?: string; name: string },
  ): Promise<TenantStoreRecord> {
    requirePermission(p, "admin", input.tenantId);
    if (p.storeIds.length > 0 && !p.bootstrap) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "a store-scoped key cannot create stores");
    }
    if ((await this.store.getTenant(input.tenantId)) === null) {
      throw new SequencerError(404, "NOT_FOUND", `no tenant ${input.tenantId}`);
    }
    const store: TenantStoreRecord = {
      tenantId: input.tenantId,
      storeId: input.storeId ?? randomUUID(),
      name: input.name,
      createdAt: nowRfc3339(),
    };
    if (!(await this.store.createTenantStore(store))) {
      throw new SequencerError(409, "STORE_EXISTS", `store ${store.storeId} of tenant ${store.tenantId} exists`);
    }
    await this.audit.record(p, "store.create", store.tenantId, store.storeId, { name: store.name });
    return store;
  }

  /** A tenant's stores (read permission on the tenant). */
  async listTenantStores(p: Principal, tenantId: string): Promise<TenantStoreRecord[]> {
    requirePermission(p, "read", tenantId);
    return this.store.listTenantStores(tenantId);
  }
}
