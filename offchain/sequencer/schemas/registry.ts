/**
 * Payload schemas (ves-protocol.md §7.1 step 8, §9.1 "Schemas"): a JSON Schema registry per (tenant, event type) with
 * versions, validated with ajv (draft 2020-12 is not needed by the reference; ajv's default draft-07 plus formats).
 * The highest-version `active` schema of an event type validates plaintext payloads: in `enforce` mode (default) a
 * failing event is rejected with reason `schema_validation`, `required` does the same and also rejects a plaintext
 * event whose type has no active schema (`schema_validation: no active schema for <event_type>`), in `warn` mode a
 * failure is only logged, and `disabled` skips validation. Outside `required`, an event type with no schema is
 * accepted; encrypted payloads cannot be validated and are accepted in every mode. Compiled validators are cached by schema id (a schema's text
 * never changes); which schema is active is cached for a short time, so a change made through another process is
 * honoured within that time (at least 100 ms).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

import type { PayloadSchemaRecord, SequencerStore } from "../store";

/** How payloads are checked against registered schemas. */
export type SchemaMode = "enforce" | "required" | "warn" | "disabled";

/** The schema modes. */
export const SCHEMA_MODES: readonly SchemaMode[] = ["enforce", "required", "warn", "disabled"];

/** One validation problem: where in the payload, and what. */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

/** The outcome of validating a payload. */
export type SchemaCheck =
  | { readonly valid: true; readonly schema: PayloadSchemaRecord | null }
  | { readonly valid: false; readonly schema: PayloadSchemaRecord; readonly problems: readonly SchemaProblem[] };

/** Largest accepted schema document, as JSON text. */
export const MAX_SCHEMA_BYTES = 256 * 1024;

/** The shortest lifetime of a cached active-schema lookup. */
const MIN_CACHE_MS = 100;

/** Problems reported per validation at most (ajv `allErrors`). */
const MAX_PROBLEMS = 20;

/** A JSON value for ajv: exact integers (bigint) become numbers, which is what JSON Schema's numeric keywords see. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const problemsOf = (errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] =>
  (errors ?? []).slice(0, MAX_PROBLEMS).map((e) => ({ path: e.instancePath || "/", message: e.message ?? e.keyword }));

/** The compiled-validator and active-schema caches over the store. */
export class SchemaRegistry {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly active = new Map<string, { at: number; schema: PayloadSchemaRecord | null }>();

  constructor(
    private readonly store: SequencerStore,
    private readonly cacheMs: number,
  ) {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true });
    addFormats(this.ajv);
  }

  /**
   * Compiles a schema document, or explains why it cannot be used.
   * @returns the problem, or undefined when the schema is valid.
   */
  check(schema: unknown): string | undefined {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      return "a schema must be a JSON object (or `true`/`false` wrapped in one)";
    }
    try {
      this.ajv.compile(plain(schema) as object);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private validator(record: PayloadSchemaRecord): ValidateFunction {
    let fn = this.compiled.get(record.schemaId);
    if (fn === undefined) {
      fn = this.ajv.compile(JSON.parse(record.schemaJson) as object);
      if (this.compiled.size >= 1000) this.compiled.clear();
      this.compiled.set(record.schemaId, fn);
    }
    return fn;
  }

  /** Forgets cached active schemas (after a change made by this process). */
  invalidate(tenantId: string, eventType: string): void {
    this.active.delete(`${tenantId}\u0000${eventType}`);
  }

  /** The schema that validates (tenant, event type) now, if any (cached for `cacheMs`). */
  async activeSchema(tenantId: string, eventType: string): Promise<PayloadSchemaRecord | null> {
    const key = `${tenantId}\u0000${eventType}`;
    const now = Date.now();
    const hit = this.active.get(key);
    // At least a short lifetime, so a request of many events of one type looks its schema up once; changes made
    // through this process invalidate the entry at once.
    if (hit !== undefined && now - hit.at < Math.max(this.cacheMs, MIN_CACHE_MS)) return hit.schema;
    const schema = await this.store.activeSchema(tenantId, eventType);
    if (this.active.size >= 10_000) this.active.clear();
    this.active.set(key, { at: now, schema });
    return schema;
  }

  /** Validates a payload against one schema. */
  validateWith(schema: PayloadSchemaRecord, payload: unknown): SchemaCheck {
    const fn = this.validator(schema);
    if (fn(plain(payload))) return { valid: true, schema };
    return { valid: false, schema, problems: problemsOf(fn.errors) };
  }

  /** Validates a payload against the active schema of its event type (valid when there is none). */
  async validate(tenantId: string, eventType: string, payload: unknown): Promise<SchemaCheck> {
    const schema = await this.activeSchema(tenantId, eventType);
    return schema === null ? { valid: true, schema: null } : this.validateWith(schema, payload);
  }
}

/** The problems of a failed check as one line. */
export function describeProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.path} ${p.message}`).join("; ");
}
