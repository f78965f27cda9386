/** The payload-schemas slice on SQLite: writes in the serialized write transaction, reads queued. */
import type { SqliteAccess } from "../store/access";
import { sqliteParam, type Row } from "../store/rows";

import { schemaRow, schemasSql, toSchema, type SchemasStore } from "./store";

const SQL = schemasSql(sqliteParam);

/** The payload-schemas slice over the SQLite backend's connection. */
export function sqliteSchemasStore(db: SqliteAccess): SchemasStore {
  const one = (r: unknown) => (r === undefined ? null : toSchema(r as Row));
  return {
    insertSchema: (schema) =>
      db.write(async () => {
        db.stmt(SQL.insert).run(schemaRow(schema));
        return one(db.stmt(SQL.get).get(schema.schemaId))!;
      }),
    getSchema: (schemaId) => db.read(() => one(db.stmt(SQL.get).get(schemaId))),
    listSchemas: (tenantId, eventType) =>
      db.read(() => (db.stmt(SQL.list).all(tenantId, eventType ?? null, eventType ?? null) as Row[]).map(toSchema)),
    activeSchema: (tenantId, eventType) => db.read(() => one(db.stmt(SQL.active).get(tenantId, eventType))),
    setSchemaStatus: (schemaId, status, at) =>
      db.write(async () => one(db.stmt(SQL.setStatus).get(status, at, schemaId))),
    deleteSchema: (schemaId, at) => db.write(async () => db.stmt(SQL.delete).run(at, schemaId).changes === 1),
  };
}
