/** The JSON forms of the administration routes and the CLI: API keys, tenants, stores, audit entries. */
import { SequencerError } from "../errors";
import type { AuditEntry, TenantRecord, TenantStoreRecord } from "../store";
import type { ApiKeyInfo } from "./api-keys";

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

export const tenantJson = (t: TenantRecord) => ({ tenant_id: t.tenantId, name: t.name, created_at: t.createdAt });
export const storeJson = (s: TenantStoreRecord) => ({
  tenant_id: s.tenantId,
  store_id: s.storeId,
  name: s.name,
  created_at: s.createdAt,
});
export const auditJson = (e: AuditEntry) => ({
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
