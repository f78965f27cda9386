/** The keys slice on SQLite: writes in the serialized write transaction, reads queued. */
import type { SqliteAccess } from "../store/access";
import { buf, sameBytes, sqliteParam, type Row } from "../store/rows";

import { agentKeyRow, keysSql, sequencerKeyRow, toAgentKey, toSequencerKey, type KeysStore } from "./store";

const SQL = keysSql(sqliteParam);

/** The keys slice over the SQLite backend's connection. */
export function sqliteKeysStore(db: SqliteAccess): KeysStore {
  const agentKeyNow = (tenantId: string, agentId: string, keyId: number) => {
    const r = db.stmt(SQL.getAgentKey).get(tenantId, agentId, keyId) as Row | undefined;
    return r === undefined ? null : toAgentKey(r);
  };
  return {
    insertAgentKey: (key) => db.write(async () => db.stmt(SQL.insertAgentKey).run(agentKeyRow(key)).changes === 1),

    getAgentKey: (tenantId, agentId, keyId) => db.read(() => agentKeyNow(tenantId, agentId, keyId)),

    listAgentKeys: (tenantId, agentId) =>
      db.read(() => (db.stmt(SQL.listAgentKeys).all(tenantId, agentId) as Row[]).map(toAgentKey)),

    revokeAgentKey: (tenantId, agentId, keyId, at) =>
      db.write(async () => {
        db.stmt(SQL.revokeAgentKey).run(at, tenantId, agentId, keyId);
        return agentKeyNow(tenantId, agentId, keyId);
      }),

    registerSequencerKey: (sequencerId, publicKey, at) =>
      db.write(async () => {
        const find = () => db.stmt(SQL.findSequencerKey).get(sequencerId, buf(publicKey)) as Row | undefined;
        const existing = find();
        if (existing !== undefined) return toSequencerKey(existing);
        db.stmt(SQL.insertLocalSequencerKey).run(sequencerId, buf(publicKey), at, sequencerId);
        return toSequencerKey(find()!);
      }),

    importSequencerKey: (key) =>
      db.write(async () => {
        db.stmt(SQL.importSequencerKey).run(sequencerKeyRow(key));
        const r = db.stmt(SQL.sequencerKeyAt).get(key.sequencerId, key.version) as Row | undefined;
        return r !== undefined && sameBytes(r.public_key as Buffer, key.publicKey);
      }),

    listSequencerKeys: () => db.read(() => (db.stmt(SQL.listSequencerKeys).all() as Row[]).map(toSequencerKey)),
  };
}
