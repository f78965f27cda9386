/**
 * The payload-schemas slice on PostgreSQL: single statements on the pool; registering takes a transaction-scoped
 * advisory lock per (tenant, event type) so concurrent registrations get consecutive versions.
 */
import { advisoryKey, type PostgresAccess } from "../store/access";
import { postgresParam, type Row } from "../store/rows";

import { schemaRow, schemasSql, toSchema, type SchemasStore } from "./store";

const SQL = schemasSql(postgresParam);
const INSERT_RETURNING = `${SQL.insert} RETURNING *`;

/** The payload-schemas slice over the PostgreSQL backend's pool. */
export function postgresSchemasStore(db: PostgresAccess): SchemasStore {
  const one = (rows: Row[]) => (rows[0] === undefined ? null : toSchema(rows[0]));
  return {
    insertSchema: (schema) =>
      db.transaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [
          advisoryKey(`ves-sequencer:schemas:${schema.tenantId}:${schema.eventType}`),
        ]);
        return toSchema((await client.query<Row>(INSERT_RETURNING, schemaRow(schema))).rows[0]!);
      }),
    getSchema: async (schemaId) => one((await db.query(SQL.get, [schemaId])).rows),
    listSchemas: async (tenantId, eventType) =>
      (await db.query(SQL.list, [tenantId, eventType ?? null, eventType ?? null])).rows.map(toSchema),
    activeSchema: async (tenantId, eventType) => one((await db.query(SQL.active, [tenantId, eventType])).rows),
    setSchemaStatus: async (schemaId, status, at) => one((await db.query(SQL.setStatus, [status, at, schemaId])).rows),
    deleteSchema: async (schemaId, at) => (await db.query(SQL.delete, [at, schemaId])).rowCount === 1,
  };
}
