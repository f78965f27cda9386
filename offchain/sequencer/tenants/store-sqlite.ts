/**
 * The tenants slice on SQLite: writes in the serialized write transaction, reads queued. API keys keep their store ids
 * as JSON text and their flags as 0/1.
 */
import type { SqliteAccess } from "../store/access";
import { buf, sqliteParam, type Row } from "../store/rows";

import {
  AUDIT_NO_LIMIT,
  apiKeyRow,
  auditRow,
  tenantsSql,
  toApiKey,
  toAudit,
  toTenant,
  toTenantStore,
  type ApiKeyEncoding,
  type ApiKeyRecord,
  type TenantsStore,
} from "./store";

const SQL = tenantsSql(sqliteParam);
const ENCODING: ApiKeyEncoding = { storeIds: (ids) => JSON.stringify(ids), flag: (b) => (b ? 1 : 0) };
const SET_PROVER = "UPDATE api_keys SET can_prove = 1 WHERE key_hash = ?";
const BY_PREFIX = "SELECT * FROM api_keys WHERE substr(key_prefix, 1, ?) = ? ORDER BY created_at";
const REVOKE = "UPDATE api_keys SET active = 0, revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL";
const REVOKE_ACTIVE =
  "UPDATE api_keys SET active = 0, revoked_at = ? WHERE key_hash = ? AND active = 1 AND revoked_at IS NULL";
const TOUCH = "UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?";

/** The tenants slice over the SQLite backend's connection. */
export function sqliteTenantsStore(db: SqliteAccess): TenantsStore {
  const insertApiKeyNow = (record: ApiKeyRecord): void => {
    db.stmt(SQL.insertApiKey).run(apiKeyRow(record, ENCODING));
    if (record.canProve === true) db.stmt(SET_PROVER).run(buf(record.keyHash));
  };
  const getApiKeyNow = (keyHash: Uint8Array): ApiKeyRecord | null => {
    const r = db.stmt(SQL.getApiKey).get(buf(keyHash)) as Row | undefined;
    return r === undefined ? null : toApiKey(r);
  };
  const changed = (info: { changes: number }) => info.changes === 1;
  return {
    insertApiKey: (record) => db.write(async () => insertApiKeyNow(record)),
    getApiKey: (keyHash) => db.read(() => getApiKeyNow(keyHash)),
    listApiKeys: (tenantId) =>
      db.read(() => (db.stmt(SQL.listApiKeys).all(tenantId ?? null, tenantId ?? null) as Row[]).map(toApiKey)),
    findApiKeysByPrefix: (prefix) =>
      db.read(() => (db.stmt(BY_PREFIX).all(prefix.length, prefix) as Row[]).map(toApiKey)),
    revokeApiKey: (keyHash, at) =>
      db.write(async () => {
        db.stmt(REVOKE).run(at, buf(keyHash));
        return getApiKeyNow(keyHash);
      }),
    rotateApiKey: (oldKeyHash, replacement, at) =>
      db.write(async () => {
        if (!changed(db.stmt(REVOKE_ACTIVE).run(at, buf(oldKeyHash)))) return null;
        insertApiKeyNow(replacement);
        return getApiKeyNow(replacement.keyHash);
      }),
    touchApiKey: (keyHash, at) =>
      db.write(async () => {
        db.stmt(TOUCH).run(at, buf(keyHash));
      }),

    createTenant: (t) => db.write(async () => changed(db.stmt(SQL.createTenant).run(t.tenantId, t.name, t.createdAt))),
    getTenant: (tenantId) =>
      db.read(() => {
        const r = db.stmt(SQL.getTenant).get(tenantId) as Row | undefined;
        return r === undefined ? null : toTenant(r);
      }),
    listTenants: () => db.read(() => (db.stmt(SQL.listTenants).all() as Row[]).map(toTenant)),
    createTenantStore: (s) =>
      db.write(async () => changed(db.stmt(SQL.createTenantStore).run(s.tenantId, s.storeId, s.name, s.createdAt))),
    listTenantStores: (tenantId) =>
      db.read(() => (db.stmt(SQL.listTenantStores).all(tenantId) as Row[]).map(toTenantStore)),
    appendAudit: (entry) =>
      db.write(async () => {
        db.stmt(SQL.appendAudit).run(auditRow(entry));
      }),
    listAudit: (options) =>
      db.read(() => {
        const tenant = options.tenantId ?? null;
        const rows = db.stmt(SQL.listAudit).all(tenant, tenant, options.beforeId ?? AUDIT_NO_LIMIT, options.limit);
        return (rows as Row[]).map(toAudit);
      }),
  };
}
