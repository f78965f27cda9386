/**
 * The events slice on PostgreSQL: appends and imports in one retried transaction on the stream's locked counter row
 * (store/stream-tx-postgres.ts), reads on the pool.
 */
import { EventIdRace, errorCode, type PostgresAccess } from "../store/access";
import { big, postgresParam } from "../store/rows";
import { PgStreamTx } from "../store/stream-tx-postgres";

import {
  ENTITY_HISTORY_PARAMS,
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

const SQL = eventsSql(postgresParam);
const EVENTS_BY_ID = `${EVENT_SELECT} WHERE e.event_id = ANY($1::text[])`;
const ENTITY_HISTORY = entityHistorySql((name) => `$${ENTITY_HISTORY_PARAMS.indexOf(name) + 1}`);

/** The events slice over the PostgreSQL backend's pool. */
export function postgresEventsStore(db: PostgresAccess): EventsStore {
  const headSequence: EventsStore["headSequence"] = async (stream) => {
    const row = (await db.query(SQL.head, [stream.tenantId, stream.storeId])).rows[0];
    return row === undefined ? 0n : big(row.current_sequence);
  };
  return {
    async appendEvents(stream, candidates, receipt) {
      if (candidates.length === 0) return { outcomes: [], headSequence: await headSequence(stream) };
      return db.transaction(async (client) => {
        const tx = new PgStreamTx(client, stream);
        await tx.lock();
        await tx.prefetch(candidates);
        const result = await appendInTx(tx, stream, candidates, receipt);
        await tx.flush();
        return result;
      });
    },

    async importStream(stream, events, commitments) {
      try {
        return await db.transaction(async (client) => {
          const tx = new PgStreamTx(client, stream);
          await tx.lock();
          await tx.prefetch(events.map((e) => e.candidate));
          const result = await importInTx(tx, events, commitments);
          await tx.flush();
          return result;
        });
      } catch (e) {
        if (e instanceof ImportRejected) return { kind: "rejected", message: e.message };
        if (e instanceof EventIdRace || errorCode(e) === "23505") {
          return {
            kind: "rejected",
            message: `an event, command or commitment of the segment exists: ${(e as Error).message}`,
          };
        }
        throw e;
      }
    },

    async getEventsById(eventIds) {
      const out = new Map<string, StoredEvent>();
      if (eventIds.length === 0) return out;
      const r = await db.query(EVENTS_BY_ID, [[...eventIds]]);
      for (const row of r.rows) out.set(row.event_id as string, toEvent(row));
      return out;
    },

    listEvents: async (stream, from, limit) =>
      (await db.query(SQL.listEvents, [stream.tenantId, stream.storeId, from.toString(), limit])).rows.map(toEvent),

    async entityHistory(stream, entity, from, limit) {
      const values = [stream.tenantId, stream.storeId, entity.entityType, entity.entityId, limit, from];
      return toEntityHistory((await db.query(ENTITY_HISTORY, values)).rows);
    },

    headSequence,

    listStreams: async (tenantId, limit) =>
      toStreamHeads(tenantId, (await db.query(SQL.listStreams, [tenantId, limit])).rows),
  };
}
