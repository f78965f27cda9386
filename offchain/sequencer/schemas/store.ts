/**
 * The payload-schemas slice of the store: JSON Schemas registered per (tenant, event type), versioned, with a status.
 * Its record types, its narrow interface (`SchemasStore`), and the SQL and row mapping both backends share
 * (store-sqlite.ts, store-postgres.ts).
 */
import { maybeText, type Placeholder, type Row } from "../store/rows";

/** The states of a registered payload schema; only `active` ones validate events. */
export type SchemaStatus = "active" | "deprecated" | "disabled";

/** A JSON Schema registered for a tenant's event type, with its version (1, 2, … per (tenant, event type)). */
export interface PayloadSchemaRecord {
  readonly schemaId: string;
  readonly tenantId: string;
  readonly eventType: string;
  readonly version: number;
  /** The JSON Schema as JSON text. */
  readonly schemaJson: string;
  readonly status: SchemaStatus;
  readonly description: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The payload schema registry. */
export interface SchemasStore {
  /**
   * Registers a schema as the next version of its (tenant, event type) — 1 for the first; versions are never reused,
   * even after a deletion. `version` of the input is ignored.
   */
  insertSchema(schema: Omit<PayloadSchemaRecord, "version">): Promise<PayloadSchemaRecord>;
  /** A schema by id (null if unknown or deleted). */
  getSchema(schemaId: string): Promise<PayloadSchemaRecord | null>;
  /** A tenant's schemas, optionally of one event type, by event type then version (deleted ones left out). */
  listSchemas(tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]>;
  /** The highest-version `active` schema of (tenant, event type), the one that validates payloads. */
  activeSchema(tenantId: string, eventType: string): Promise<PayloadSchemaRecord | null>;
  /** Changes a schema's status; null if unknown or deleted. */
  setSchemaStatus(schemaId: string, status: SchemaStatus, at: string): Promise<PayloadSchemaRecord | null>;
  /** Deletes a schema (its version number stays taken); false if unknown or already deleted. */
  deleteSchema(schemaId: string, at: string): Promise<boolean>;
}

/** A payload-schema row. */
export function toSchema(r: Row): PayloadSchemaRecord {
  return {
    schemaId: r.schema_id as string,
    tenantId: r.tenant_id as string,
    eventType: r.event_type as string,
    version: Number(r.version),
    schemaJson: r.schema_json as string,
    status: r.status as SchemaStatus,
    description: maybeText(r.description),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

/** The parameters of `schemasSql().insert`. */
export function schemaRow(s: Omit<PayloadSchemaRecord, "version">): unknown[] {
  const { schemaId, tenantId, eventType, schemaJson, status, description, createdAt, updatedAt } = s;
  return [schemaId, tenantId, eventType, schemaJson, status, description, createdAt, updatedAt, tenantId, eventType];
}

/**
 * The statements both backends run, in a dialect's placeholders (parameters in the order each comment lists; SQLite's
 * `?` are positional, so every statement numbers its parameters in the order they appear).
 */
export function schemasSql(p: Placeholder) {
  return {
    /** `schemaRow`: the next version of (tenant, event type). */
    insert: `INSERT INTO payload_schemas (schema_id, tenant_id, event_type, version, schema_json, status, description,
      created_at, updated_at)
      SELECT ${p(1)}, ${p(2)}, ${p(3)}, COALESCE(MAX(version) + 1, 1), ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}
      FROM payload_schemas WHERE tenant_id = ${p(9)} AND event_type = ${p(10)}`,
    /** Schema id. */
    get: `SELECT * FROM payload_schemas WHERE schema_id = ${p(1)} AND deleted_at IS NULL`,
    /** Tenant, event type or null, the same again. */
    list: `SELECT * FROM payload_schemas WHERE tenant_id = ${p(1)}
      AND (CAST(${p(2)} AS TEXT) IS NULL OR event_type = ${p(3)}) AND deleted_at IS NULL ORDER BY event_type, version`,
    /** Tenant, event type. */
    active: `SELECT * FROM payload_schemas WHERE tenant_id = ${p(1)} AND event_type = ${p(2)} AND status = 'active'
      AND deleted_at IS NULL ORDER BY version DESC LIMIT 1`,
    /** Status, time, schema id; the updated row. */
    setStatus: `UPDATE payload_schemas SET status = ${p(1)}, updated_at = ${p(2)}
      WHERE schema_id = ${p(3)} AND deleted_at IS NULL RETURNING *`,
    /** Time, schema id. */
    delete: `UPDATE payload_schemas SET deleted_at = ${p(1)} WHERE schema_id = ${p(2)} AND deleted_at IS NULL`,
  };
}
