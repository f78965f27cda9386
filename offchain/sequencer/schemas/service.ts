/**
 * Payload-schema administration (ves-protocol.md §9.1 "Schemas"): registering versions (tenant-wide admin), reading,
 * changing status, deleting, and validating a payload on request. The registry (`registry.ts`) caches compiled
 * schemas; every change here invalidates its entry.
 */
import { randomUUID } from "node:crypto";

import { stringifyJsonExact, type ExactJsonValue } from "../../ves";
import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import type { PayloadSchemaRecord, SchemaStatus, SequencerStore } from "../store";
import { can, requirePermission, requireTenantWideAdmin, type Principal } from "../auth";
import type { AuditLog } from "../tenants";
import { MAX_SCHEMA_BYTES, type SchemaCheck, type SchemaRegistry } from "./registry";

/** The store methods schema administration uses. */
export type SchemaStoreSlice = Pick<
  SequencerStore,
  "insertSchema" | "listSchemas" | "getSchema" | "activeSchema" | "setSchemaStatus" | "deleteSchema"
>;

const WHAT = "changing payload schemas";

/** Payload schemas. */
export class SchemaService {
  constructor(
    private readonly store: SchemaStoreSlice,
    private readonly registry: SchemaRegistry,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Registers a JSON Schema as the next version of a tenant's event type (tenant admin).
   * @throws SequencerError 400 `INVALID_SCHEMA` when ajv cannot compile it or it is too large.
   */
  async register(
    p: Principal,
    input: { tenantId: string; eventType: string; schema: unknown; description: string | null; status: SchemaStatus },
  ): Promise<PayloadSchemaRecord> {
    requireTenantWideAdmin(p, input.tenantId, WHAT);
    const problem = this.registry.check(input.schema);
    if (problem !== undefined)
      throw new SequencerError(400, "INVALID_SCHEMA", `the schema does not compile: ${problem}`);
    const schemaJson = stringifyJsonExact(input.schema as ExactJsonValue);
    if (Buffer.byteLength(schemaJson) > MAX_SCHEMA_BYTES) {
      throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `a schema is at most ${MAX_SCHEMA_BYTES} bytes`);
    }
    const now = nowRfc3339();
    const record = await this.store.insertSchema({
      schemaId: randomUUID(),
      tenantId: input.tenantId,
      eventType: input.eventType,
      schemaJson,
      status: input.status,
      description: input.description,
      createdAt: now,
      updatedAt: now,
    });
    this.registry.invalidate(record.tenantId, record.eventType);
    await this.audit.record(p, "schema.create", record.tenantId, record.schemaId, {
      event_type: record.eventType,
      version: record.version,
      status: record.status,
    });
    return record;
  }

  /** A tenant's schemas, optionally of one event type (read permission). */
  async list(p: Principal, tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]> {
    requirePermission(p, "read", tenantId);
    return this.store.listSchemas(tenantId, eventType);
  }

  /** One schema (read permission on its tenant). @throws SequencerError 404. */
  async get(p: Principal, schemaId: string): Promise<PayloadSchemaRecord> {
    const s = await this.store.getSchema(schemaId);
    if (s === null || !can(p, "read", s.tenantId)) throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    return s;
  }

  /** The schema that validates an event type now. @throws SequencerError 404 when there is none. */
  async latest(p: Principal, tenantId: string, eventType: string): Promise<PayloadSchemaRecord> {
    requirePermission(p, "read", tenantId);
    const s = await this.store.activeSchema(tenantId, eventType);
    if (s === null) throw new SequencerError(404, "NOT_FOUND", `no active schema for event type ${eventType}`);
    return s;
  }

  /** Changes a schema's status (tenant admin). @throws SequencerError 404. */
  async setStatus(p: Principal, schemaId: string, status: SchemaStatus): Promise<PayloadSchemaRecord> {
    const s = await this.get(p, schemaId);
    requireTenantWideAdmin(p, s.tenantId, WHAT);
    const updated = await this.store.setSchemaStatus(schemaId, status, nowRfc3339());
    if (updated === null) throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    this.registry.invalidate(s.tenantId, s.eventType);
    await this.audit.record(p, "schema.status", s.tenantId, schemaId, { from: s.status, to: status });
    return updated;
  }

  /** Deletes a schema (tenant admin); its version number is not reused. @throws SequencerError 404. */
  async delete(p: Principal, schemaId: string): Promise<void> {
    const s = await this.get(p, schemaId);
    requireTenantWideAdmin(p, s.tenantId, WHAT);
    if (!(await this.store.deleteSchema(schemaId, nowRfc3339()))) {
      throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    }
    this.registry.invalidate(s.tenantId, s.eventType);
    await this.audit.record(p, "schema.delete", s.tenantId, schemaId, { event_type: s.eventType, version: s.version });
  }

  /** Validates a payload against a given schema, or the event type's active one (read permission). */
  async validatePayload(
    p: Principal,
    input: { tenantId: string; eventType: string; payload: unknown; schemaId?: string },
  ): Promise<SchemaCheck> {
    requirePermission(p, "read", input.tenantId);
    if (input.schemaId === undefined) return this.registry.validate(input.tenantId, input.eventType, input.payload);
    const s = await this.get(p, input.schemaId);
    if (s.tenantId !== input.tenantId || s.eventType !== input.eventType) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "the schema belongs to another tenant or event type");
    }
    return this.registry.validateWith(s, input.payload);
  }
}
