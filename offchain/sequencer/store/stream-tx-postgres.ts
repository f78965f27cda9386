/**
 * The PostgreSQL per-stream transaction: a locked counter row, one query each for what the rules will read, and the
 * writes deferred to one statement at `flush`. The statements the SQLite side shares come from the events
 * and commitments slices.
 */
import type { PoolClient } from "pg";

import {
  commitmentRow,
  commitmentsSql,
  toCommitment,
  toLeaf,
  type LeafInput,
  type StoredCommitment,
} from "../commitments/store";
import {
  EVENT_COLUMNS,
  EVENT_SELECT,
  eventRow,
  eventsSql,
  toEvent,
  type EventCandidate,
  type StoredEvent,
  type StoredReceipt,
} from "../events/store";

import { EventIdRace } from "./access";
import { big, postgresParam, type Row } from "./rows";
import type { StreamRef } from "./stream";
import type { StreamTx } from "./stream-tx";

const E = eventsSql(postgresParam);
const C = commitmentsSql(postgresParam);
/** 64-bit integers go to `pg` as decimal text. */
const decimal = (v: bigint) => v.toString();

/** Rows per INSERT of events. */
const INSERT_CHUNK = 1000;

/** The PostgreSQL types of `EVENT_COLUMNS`, in order (each column goes as one array parameter to `unnest`). */
const EVENT_ARRAY_TYPES = [
  "text", // event_id
  "text", // tenant_id
  "text", // store_id
  "bigint", // sequence_number
  "text", // source_agent_id
  "bigint", // agent_key_id
  "text", // entity_type
  "text", // entity_id
  "text", // event_type
  "text", // command_id
  "text", // base_version
  "bytea", // event_signing_hash
  "bytea", // agent_signature
  "bytea", // content_hash
  "text", // envelope_json
  "text", // sequencer_id
  "text", // sequenced_at
  "bytea", // receipt_hash
  "bytea", // receipt_signature
  "integer", // receipt_key_version
] as const;

/** Inserts the rows of `EVENT_ARRAY_TYPES.length` column arrays ($1…$20), answering the event ids it inserted. */
const INSERT_EVENTS = `INSERT INTO ves_events (${EVENT_COLUMNS})
  SELECT * FROM unnest(${EVENT_ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})
  ON CONFLICT (event_id) DO NOTHING RETURNING event_id`;

/**
 * One stream's transaction on a locked client. What the rules will read about the request's event ids, command ids
 * and entity versions is fetched in one query each after the lock; events, command reservations, entity-version
 * bumps and the new head are written at `flush` in one statement (per `INSERT_CHUNK` events), so an append of a
 * request without command ids or base versions costs five round trips whatever its size: BEGIN, the lock (one upsert),
 * the prefetch, the flush, COMMIT. `setHead` is deferred too: call `flush` before the transaction commits. An event id that another stream stored between the prefetch and the flush fails the flush with
 * `EventIdRace`, and the whole transaction is run again.
 */
export class PgStreamTx implements StreamTx {
  private current = 0n;
  /** Known events by id (null: known absent); a miss goes to the database. */
  private readonly events = new Map<string, StoredEvent | null>();
  /** Known command reservations of this stream (null: known free). */
  private readonly commands = new Map<string, string | null>();
  private readonly pendingCommands: [string, string][] = [];
  /** Insert parameters of the accepted events, in sequence order. */
  private readonly pendingEvents: unknown[][] = [];
  /** Known entity versions, including this transaction's bumps. */
  private readonly versions = new Map<string, bigint>();
  private readonly bumps = new Map<string, { type: string; id: string; by: bigint }>();
  /** The head to write at `flush`, if it moved. */
  private pendingHead: bigint | undefined;

  constructor(
    private readonly db: PoolClient,
    private readonly stream: StreamRef,
  ) {}

  /**
   * Creates the counter row at 0 if needed and locks it for the rest of the transaction, in one statement: the upsert
   * takes the row lock on either path (a fresh row, or the existing one through a no-op update) and returns the
   * counter as it is once the lock is held.
   */
  async lock(): Promise<void> {
    const { tenantId, storeId } = this.stream;
    const r = await this.db.query<Row>(
      `INSERT INTO ves_sequence_counters AS c (tenant_id, store_id, current_sequence) VALUES ($1, $2, 0)
       ON CONFLICT (tenant_id, store_id) DO UPDATE SET current_sequence = c.current_sequence
       RETURNING current_sequence`,
      [tenantId, storeId],
    );
    this.current = big(r.rows[0]?.current_sequence ?? 0);
  }

  /** Loads, under the lock, what the rules will read about `candidates`. */
  async prefetch(candidates: readonly EventCandidate[]): Promise<void> {
    const { tenantId, storeId } = this.stream;
    const ids = [...new Set(candidates.map((c) => c.eventId))];
    const found = await this.db.query<Row>(`${EVENT_SELECT} WHERE e.event_id = ANY($1::text[])`, [ids]);
    for (const id of ids) this.events.set(id, null);
    for (const r of found.rows) this.events.set(r.event_id as string, toEvent(r));

    const commandIds = [...new Set(candidates.flatMap((c) => (c.commandId === undefined ? [] : [c.commandId])))];
    if (commandIds.length > 0) {
      const owners = await this.db.query<Row>(
        `SELECT command_id, event_id FROM ves_command_dedupe
         WHERE tenant_id = $1 AND store_id = $2 AND command_id = ANY($3::text[])`,
        [tenantId, storeId, commandIds],
      );
      for (const id of commandIds) this.commands.set(id, null);
      for (const r of owners.rows) this.commands.set(r.command_id as string, r.event_id as string);
    }

    const entities = new Map<string, { type: string; id: string }>();
    for (const c of candidates) {
      if (c.baseVersion !== undefined)
        entities.set(entityKey(c.entityType, c.entityId), { type: c.entityType, id: c.entityId });
    }
    if (entities.size > 0) {
      const list = [...entities.values()];
      const rows = await this.db.query<Row>(
        `SELECT v.entity_type, v.entity_id, v.version
         FROM unnest($3::text[], $4::text[]) AS k(entity_type, entity_id)
         JOIN entity_versions v ON v.tenant_id = $1 AND v.store_id = $2
           AND v.entity_type = k.entity_type AND v.entity_id = k.entity_id`,
        [tenantId, storeId, list.map((e) => e.type), list.map((e) => e.id)],
      );
      for (const key of entities.keys()) this.versions.set(key, 0n);
      for (const r of rows.rows) {
        this.versions.set(entityKey(r.entity_type as string, r.entity_id as string), big(r.version));
      }
    }
  }

  /**
   * Writes the deferred events, command reservations, entity-version bumps and the new head: the events in chunks of
   * `INSERT_CHUNK` rows, the last chunk in one statement with all the other writes (data-modifying CTEs, one round
   * trip for a request of up to `INSERT_CHUNK` events). The events go as one array per column to `unnest`, so the
   * statement's text depends only on which other writes there are: it is a named statement, parsed and planned once
   * per connection (measured: about a quarter less CPU in this process and a tenth less in PostgreSQL per event than
   * a multi-row VALUES list with a parameter per field).
   */
  async flush(): Promise<void> {
    const rest = this.restOfFlush();
    const chunks = Math.ceil(this.pendingEvents.length / INSERT_CHUNK);
    for (let k = 0; k < chunks; k++) {
      const chunk = this.pendingEvents.slice(k * INSERT_CHUNK, (k + 1) * INSERT_CHUNK);
      // Column by column, one array parameter each: the statement's text does not depend on the row count.
      const params: unknown[] = EVENT_ARRAY_TYPES.map((_, c) => chunk.map((row) => row[c]));
      const last = k === chunks - 1 && rest.ctes.length > 0;
      const sql = last
        ? `WITH ${rest.ctes.map((c, i) => `w${i} AS (${c(params)})`).join(", ")}, ins AS (${INSERT_EVENTS}) SELECT event_id FROM ins`
        : INSERT_EVENTS;
      // A named statement (parsed and planned once per connection) when its text is one of the few fixed shapes.
      const name = last ? `ves_append_${rest.shape}` : "ves_append_events";
      const inserted = await this.db.query<Row>({ name, text: sql, values: params });
      if (inserted.rows.length !== chunk.length) {
        const done = new Set(inserted.rows.map((r) => r.event_id as string));
        throw new EventIdRace(chunk.map((p) => p[0] as string).filter((id) => !done.has(id)));
      }
      if (last) rest.ctes.length = 0;
    }
    // No events (or only earlier chunks): the other writes on their own.
    if (rest.ctes.length > 0) {
      const params: unknown[] = [];
      await this.db.query(`WITH ${rest.ctes.map((c, i) => `w${i} AS (${c(params)})`).join(", ")} SELECT 1`, params);
    }
    this.pendingEvents.length = 0;
    this.pendingCommands.length = 0;
    this.bumps.clear();
    this.pendingHead = undefined;
  }

  /**
   * The writes besides the events, as statements to run in one WITH: each appends its parameters to the list it is
   * given and returns its SQL (placeholders numbered after the parameters already there).
   */
  private restOfFlush(): { ctes: ((params: unknown[]) => string)[]; shape: string } {
    const { tenantId, storeId } = this.stream;
    const ctes: ((params: unknown[]) => string)[] = [];
    let shape = "";
    const add = (params: unknown[], values: unknown[]) => {
      const at = params.length;
      params.push(...values);
      return (n: number) => `$${at + n}`;
    };
    if (this.pendingCommands.length > 0) {
      shape += "c";
      const commands = this.pendingCommands.map((p) => p[0]);
      const owners = this.pendingCommands.map((p) => p[1]);
      ctes.push((params) => {
        const $ = add(params, [tenantId, storeId, commands, owners]);
        return `INSERT INTO ves_command_dedupe (tenant_id, store_id, command_id, event_id)
          SELECT ${$(1)}, ${$(2)}, k.command_id, k.event_id
          FROM unnest(${$(3)}::text[], ${$(4)}::text[]) AS k(command_id, event_id)`;
      });
    }
    if (this.bumps.size > 0) {
      const list = [...this.bumps.values()];
      shape += "v";
      ctes.push((params) => {
        const $ = add(params, [
          tenantId,
          storeId,
          list.map((b) => b.type),
          list.map((b) => b.id),
          list.map((b) => b.by.toString()),
        ]);
        return `INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version)
          SELECT ${$(1)}, ${$(2)}, k.entity_type, k.entity_id, k.by
          FROM unnest(${$(3)}::text[], ${$(4)}::text[], ${$(5)}::bigint[]) AS k(entity_type, entity_id, by)
          ON CONFLICT (tenant_id, store_id, entity_type, entity_id)
          DO UPDATE SET version = entity_versions.version + excluded.version`;
      });
    }
    const head = this.pendingHead;
    if (head !== undefined) {
      shape += "h";
      ctes.push((params) => {
        const $ = add(params, [tenantId, storeId, head.toString()]);
        return `UPDATE ves_sequence_counters SET current_sequence = ${$(3)}
          WHERE tenant_id = ${$(1)} AND store_id = ${$(2)}`;
      });
    }
    return { ctes, shape };
  }

  async head(): Promise<bigint> {
    return this.current;
  }

  /** Deferred to `flush`, like the other writes (nothing in the transaction reads the counter row back). */
  async setHead(sequence: bigint): Promise<void> {
    this.pendingHead = sequence;
    this.current = sequence;
  }

  async eventById(eventId: string): Promise<StoredEvent | null> {
    const known = this.events.get(eventId);
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(`${EVENT_SELECT} WHERE e.event_id = $1`, [eventId]);
    const row = r.rows[0];
    return row === undefined ? null : toEvent(row);
  }

  async commandEventId(commandId: string): Promise<string | null> {
    const known = this.commands.get(commandId);
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(E.commandOwner, [this.stream.tenantId, this.stream.storeId, commandId]);
    const row = r.rows[0];
    return row === undefined ? null : (row.event_id as string);
  }

  async entityVersion(entityType: string, entityId: string): Promise<bigint> {
    const known = this.versions.get(entityKey(entityType, entityId));
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(E.entityVersion, [
      this.stream.tenantId,
      this.stream.storeId,
      entityType,
      entityId,
    ]);
    const row = r.rows[0];
    return (row === undefined ? 0n : big(row.version)) + (this.bumps.get(entityKey(entityType, entityId))?.by ?? 0n);
  }

  async insertEvent(c: EventCandidate, seq: bigint, r: StoredReceipt): Promise<boolean> {
    const { tenantId, storeId } = this.stream;
    this.pendingEvents.push(eventRow(this.stream, c, seq, r, decimal));
    // The same id again in this request reads this (the row it will become).
    this.events.set(c.eventId, {
      tenantId,
      storeId,
      eventId: c.eventId,
      sequenceNumber: seq,
      eventSigningHash: c.eventSigningHash,
      agentSignature: c.agentSignature,
      contentHash: c.contentHash,
      envelopeJson: c.envelopeJson,
      receipt: r,
      batchId: null,
    });
    return true;
  }

  async insertCommand(commandId: string, eventId: string): Promise<void> {
    this.pendingCommands.push([commandId, eventId]);
    this.commands.set(commandId, eventId);
  }

  async bumpEntityVersion(entityType: string, entityId: string): Promise<void> {
    const key = entityKey(entityType, entityId);
    const bump = this.bumps.get(key) ?? { type: entityType, id: entityId, by: 0n };
    bump.by += 1n;
    this.bumps.set(key, bump);
    const known = this.versions.get(key);
    if (known !== undefined) this.versions.set(key, known + 1n);
  }

  async commitmentStartingAt(start: bigint): Promise<StoredCommitment | null> {
    const r = await this.db.query<Row>(C.startingAt, [this.stream.tenantId, this.stream.storeId, start.toString()]);
    const row = r.rows[0];
    return row === undefined ? null : toCommitment(row);
  }

  async latestCommitment(): Promise<StoredCommitment | null> {
    const r = await this.db.query<Row>(C.latest, [this.stream.tenantId, this.stream.storeId]);
    const row = r.rows[0];
    return row === undefined ? null : toCommitment(row);
  }

  async leafInputs(start: bigint, end: bigint): Promise<LeafInput[]> {
    const { tenantId, storeId } = this.stream;
    const r = await this.db.query<Row>(C.leaves, [tenantId, storeId, start.toString(), end.toString()]);
    return r.rows.map(toLeaf);
  }

  async insertCommitment(c: StoredCommitment): Promise<void> {
    await this.db.query(C.insert, commitmentRow(c, decimal));
  }
}

function entityKey(entityType: string, entityId: string): string {
  return `${entityType}\u0000${entityId}`;
}
