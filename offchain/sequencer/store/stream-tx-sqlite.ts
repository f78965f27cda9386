/**
 * The SQLite per-stream transaction: plain statements on the one connection, run inside the store's serialized
 * IMMEDIATE transaction (so no lock of its own is needed). The statements the PostgreSQL side shares come from the
 * events and commitments slices.
 */
import { commitmentRow, commitmentsSql, toCommitment, toLeaf } from "../commitments/store";
import { EVENT_COLUMNS, EVENT_WIDTH, eventRow, eventsSql, toEvent } from "../events/store";

import type { SqliteAccess } from "./access";
import { big, sqliteParam, type Row } from "./rows";
import type { StreamRef } from "./stream";
import type { StreamTx } from "./stream-tx";

const E = eventsSql(sqliteParam);
const C = commitmentsSql(sqliteParam);
const same = <T>(v: T) => v;

const SET_HEAD = `INSERT INTO ves_sequence_counters (tenant_id, store_id, current_sequence) VALUES (?, ?, ?)
  ON CONFLICT (tenant_id, store_id) DO UPDATE SET current_sequence = excluded.current_sequence`;
// Inside the sequencing transaction the covering commitment does not matter: skip its lookup.
const EVENT_BY_ID = "SELECT e.*, NULL AS batch_id FROM ves_events e WHERE e.event_id = ?";
const INSERT_EVENT = `INSERT INTO ves_events (${EVENT_COLUMNS})
  VALUES (${new Array(EVENT_WIDTH).fill("?").join(", ")}) ON CONFLICT (event_id) DO NOTHING`;
const INSERT_COMMAND = "INSERT INTO ves_command_dedupe (tenant_id, store_id, command_id, event_id) VALUES (?, ?, ?, ?)";
const BUMP_VERSION = `INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version)
  VALUES (?, ?, ?, ?, 1)
  ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE SET version = version + 1`;

/** The stream's transaction over the SQLite connection; call it inside `write`. */
export function sqliteStreamTx(db: SqliteAccess, stream: StreamRef): StreamTx {
  const { tenantId, storeId } = stream;
  return {
    head: async () => {
      const r = db.stmt(E.head).get(tenantId, storeId) as Row | undefined;
      return r === undefined ? 0n : big(r.current_sequence);
    },
    setHead: async (sequence) => {
      db.stmt(SET_HEAD).run(tenantId, storeId, sequence);
    },
    eventById: async (eventId) => {
      const r = db.stmt(EVENT_BY_ID).get(eventId) as Row | undefined;
      return r === undefined ? null : toEvent(r);
    },
    commandEventId: async (commandId) => {
      const r = db.stmt(E.commandOwner).get(tenantId, storeId, commandId) as Row | undefined;
      return r === undefined ? null : (r.event_id as string);
    },
    entityVersion: async (entityType, entityId) => {
      const r = db.stmt(E.entityVersion).get(tenantId, storeId, entityType, entityId) as Row | undefined;
      return r === undefined ? 0n : big(r.version);
    },
    insertEvent: async (c, seq, r) => db.stmt(INSERT_EVENT).run(eventRow(stream, c, seq, r, same)).changes === 1,
    insertCommand: async (commandId, eventId) => {
      db.stmt(INSERT_COMMAND).run(tenantId, storeId, commandId, eventId);
    },
    bumpEntityVersion: async (entityType, entityId) => {
      db.stmt(BUMP_VERSION).run(tenantId, storeId, entityType, entityId);
    },
    commitmentStartingAt: async (start) => {
      const r = db.stmt(C.startingAt).get(tenantId, storeId, start) as Row | undefined;
      return r === undefined ? null : toCommitment(r);
    },
    latestCommitment: async () => {
      const r = db.stmt(C.latest).get(tenantId, storeId) as Row | undefined;
      return r === undefined ? null : toCommitment(r);
    },
    leafInputs: async (start, end) => (db.stmt(C.leaves).all(tenantId, storeId, start, end) as Row[]).map(toLeaf),
    insertCommitment: async (c) => {
      db.stmt(C.insert).run(commitmentRow(c, same));
    },
  };
}
