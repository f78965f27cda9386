/**
 * The tenants slice on PostgreSQL: single statements on the pool, a rotation in one transaction. API keys keep their
 * store ids as `TEXT[]` and their flags as booleans.
 */
import type { PostgresAccess, Queryable } from "../store/access";
import { buf, postgresParam, type Row } from "../store/rows";

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

const SQL = tenantsSql(postgresParam, (param) => `${param}::text[]`);
const ENCODING: ApiKeyEncoding = { storeIds: (ids) => [...ids], flag: (b) => b };
const SET_PROVER = "UPDATE api_keys SET can_prove = true WHERE key_hash = $1";
const REVOKE = "UPDATE api_keys SET active = false, revoked_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL";
const REVOKE_ACTIVE = `UPDATE api_keys SET active = false, revoked_at = $2
  WHERE key_hash = $1 AND active AND revoked_at IS NULL RETURNING key_hash`;
const TOUCH =
  "UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < $2)";

/** Inserts an API key on the pool or a transaction's client. */
async function insertApiKey(db: Queryable, record: ApiKeyRecord): Promise<void> {
  await db.query(SQL.insertApiKey, apiKeyRow(record, ENCODING));
  if (record.canProve === true) await db.query(SET_PROVER, [buf(record.keyHash)]);
}

/** The tenants slice over the PostgreSQL backend's pool. */
export function postgresTenantsStore(db: PostgresAccess): TenantsStore {
  const one = <T>(rows: Row[], map: (r: Row) => T): T | null => (rows[0] === undefined ? null : map(rows[0]));
  const getApiKey: TenantsStore["getApiKey"] = async (keyHash) =>
    one((await db.query(SQL.getApiKey, [buf(keyHash)])).rows, toApiKey);
  return {
    insertApiKey: (record) => insertApiKey(db.pool, record),
    getApiKey,
    listApiKeys: async (tenantId) =>
      (await db.query(SQL.listApiKeys, [tenantId ?? null, tenantId ?? null])).rows.map(toApiKey),
    async findApiKeysByPrefix(prefix) {
      const pattern = `${prefix.replace(/[^0-9a-f]/g, "")}%`;
      return (
        await db.query("SELECT * FROM api_keys WHERE key_prefix LIKE $1 ORDER BY created_at", [pattern])
      ).rows.map(toApiKey);
    },
    async revokeApiKey(keyHash, at) {
      await db.query(REVOKE, [buf(keyHash), at]);
      return getApiKey(keyHash);
    },
    rotateApiKey: (oldKeyHash, replacement, at) =>
      db.transaction(async (client) => {
        if ((await client.query(REVOKE_ACTIVE, [buf(oldKeyHash), at])).rows.length !== 1) return null;
        await insertApiKey(client, replacement);
        return one((await client.query<Row>(SQL.getApiKey, [buf(replacement.keyHash)])).rows, toApiKey);
      }),
    async touchApiKey(keyHash, at) {
      await db.query(TOUCH, [buf(keyHash), at]);
    },

    createTenant: async (t) => (await db.query(SQL.createTenant, [t.tenantId, t.name, t.createdAt])).rowCount === 1,
    getTenant: async (tenantId) => one((await db.query(SQL.getTenant, [tenantId])).rows, toTenant),
    listTenants: async () => (await db.query(SQL.listTenants)).rows.map(toTenant),
    createTenantStore: async (s) =>
      (await db.query(SQL.createTenantStore, [s.tenantId, s.storeId, s.name, s.createdAt])).rowCount === 1,
    listTenantStores: async (tenantId) => (await db.query(SQL.listTenantStores, [tenantId])).rows.map(toTenantStore),
    async appendAudit(entry) {
      await db.query(SQL.appendAudit, auditRow(entry));
    },
    async listAudit(options) {
      const tenant = options.tenantId ?? null;
      const values = [tenant, tenant, (options.beforeId ?? AUDIT_NO_LIMIT).toString(), options.limit];
      return (await db.query(SQL.listAudit, values)).rows.map(toAudit);
    },
  };
}
