/** The events slice on SQLite: appends and imports in the serialized write transaction, reads in the queue. */
import type { SqliteAccess } from "../store/access";
import { big, sqliteParam, type Row } from "../store/rows";
import { sqliteStreamTx } from "../store/stream-tx-sqlite";

import {
  EVENT_SELECT,
  entityHistorySql,
  eventsSql,
  toEntityHistory,
  toEvent,
  toStreamHeads,
  type EventsStore,
  type StoredEvent,
} from "./store";
import { ImportRejected, appendInTx, importInTx } from "./store-tx";

const SQL = eventsSql(sqliteParam);
const EVENT_BY_ID = `${EVENT_SELECT} WHERE e.event_id = ?`;
const ENTITY_HISTORY = entityHistorySql((name) => `@${name}`);

/** The events slice over the SQLite backend's connection. */
export function sqliteEventsStore(db: SqliteAccess): EventsStore {
  return {
    appendEvents: (stream, candidates, receipt) =>
      db.write(() => appendInTx(sqliteStreamTx(db, stream), stream, candidates, receipt)),

    async importStream(stream, events, commitments) {
      try {
        return await db.write(() => importInTx(sqliteStreamTx(db, stream), events, commitments));
      } catch (e) {
        if (e instanceof ImportRejected) return { kind: "rejected", message: e.message };
        if (
          (e as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
          (e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE"
        ) {
          return { kind: "rejected", message: (e as Error).message };
        }
        throw e;
      }
    },

    getEventsById: (eventIds) =>
      db.read(() => {
        const out = new Map<string, StoredEvent>();
        const stmt = db.stmt(EVENT_BY_ID);
        for (const id of eventIds) {
          const r = stmt.get(id) as Row | undefined;
          if (r !== undefined) out.set(id, toEvent(r));
        }
        return out;
      }),

    listEvents: (stream, from, limit) =>
      db.read(() => (db.stmt(SQL.listEvents).all(stream.tenantId, stream.storeId, from, limit) as Row[]).map(toEvent)),

    entityHistory: (stream, entity, from, limit) =>
      db.read(() => {
        const rows = db.stmt(ENTITY_HISTORY).all({
          tenant: stream.tenantId,
          store: stream.storeId,
          type: entity.entityType,
          id: entity.entityId,
          limit,
          offset: from,
        }) as Row[];
        return toEntityHistory(rows);
      }),

    headSequence: (stream) =>
      db.read(() => {
        const r = db.stmt(SQL.head).get(stream.tenantId, stream.storeId) as Row | undefined;
        return r === undefined ? 0n : big(r.current_sequence);
      }),

    listStreams: (tenantId, limit) =>
      db.read(() => toStreamHeads(tenantId, db.stmt(SQL.listStreams).all(tenantId, limit) as Row[])),
  };
}
