/**
 * The keys slice on PostgreSQL: single statements on the pool; registering a receipt key takes a transaction-scoped
 * advisory lock per sequencer so processes registering at once agree on the version.
 */
import { advisoryKey, type PostgresAccess } from "../store/access";
import { buf, bytes, postgresParam, sameBytes, type Row } from "../store/rows";

import { agentKeyRow, keysSql, sequencerKeyRow, toAgentKey, toSequencerKey, type KeysStore } from "./store";

const SQL = keysSql(postgresParam);

/** The keys slice over the PostgreSQL backend's pool. */
export function postgresKeysStore(db: PostgresAccess): KeysStore {
  const getAgentKey: KeysStore["getAgentKey"] = async (tenantId, agentId, keyId) => {
    const row = (await db.query(SQL.getAgentKey, [tenantId, agentId, keyId])).rows[0];
    return row === undefined ? null : toAgentKey(row);
  };
  return {
    insertAgentKey: async (key) => (await db.query(SQL.insertAgentKey, agentKeyRow(key))).rowCount === 1,

    getAgentKey,

    listAgentKeys: async (tenantId, agentId) =>
      (await db.query(SQL.listAgentKeys, [tenantId, agentId])).rows.map(toAgentKey),

    async revokeAgentKey(tenantId, agentId, keyId, at) {
      // The conditional UPDATE keeps the first revocation time; the read after it (a new snapshot) sees the winner.
      await db.query(SQL.revokeAgentKey, [at, tenantId, agentId, keyId]);
      return getAgentKey(tenantId, agentId, keyId);
    },

    registerSequencerKey: (sequencerId, publicKey, at) =>
      db.transaction(async (client) => {
        // One registration per sequencer at a time, across processes: they agree on the version.
        await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [
          advisoryKey(`ves-sequencer:keys:${sequencerId}`),
        ]);
        const find = async () => (await client.query<Row>(SQL.findSequencerKey, [sequencerId, buf(publicKey)])).rows[0];
        const existing = await find();
        if (existing !== undefined) return toSequencerKey(existing);
        await client.query(SQL.insertLocalSequencerKey, [sequencerId, buf(publicKey), at, sequencerId]);
        return toSequencerKey((await find())!);
      }),

    async importSequencerKey(key) {
      await db.query(SQL.importSequencerKey, sequencerKeyRow(key));
      const row = (await db.query(SQL.sequencerKeyAt, [key.sequencerId, key.version])).rows[0];
      return row !== undefined && sameBytes(bytes(row.public_key), key.publicKey);
    },

    listSequencerKeys: async () => (await db.query(SQL.listSequencerKeys)).rows.map(toSequencerKey),
  };
}
