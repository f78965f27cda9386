/** The commitments slice on SQLite: creation and anchored marks in the serialized write transaction, reads queued. */
import type { SqliteAccess } from "../store/access";
import { big, buf, sameBytes, sqliteParam, type Row } from "../store/rows";
import { sqliteStreamTx } from "../store/stream-tx-sqlite";
import { nowRfc3339 } from "../store/time";

import { commitmentsSql, toCommitment, toLeaf, type CommitmentsStore, type StoredCommitment } from "./store";
import { sqliteAnchorLease } from "./store-anchor-lease";
import { createCommitmentInTx } from "./store-tx";

const SQL = commitmentsSql(sqliteParam);
const PENDING_STREAMS = `SELECT s.tenant_id, s.store_id, s.current_sequence AS head,
    COALESCE((SELECT MAX(c.sequence_end) FROM ves_commitments c
              WHERE c.tenant_id = s.tenant_id AND c.store_id = s.store_id), 0) AS committed
  FROM ves_sequence_counters s
  WHERE s.current_sequence > COALESCE((SELECT MAX(c.sequence_end) FROM ves_commitments c
                                       WHERE c.tenant_id = s.tenant_id AND c.store_id = s.store_id), 0)
  LIMIT ?`;
const SEQUENCED_AT = "SELECT sequenced_at FROM ves_events WHERE tenant_id = ? AND store_id = ? AND sequence_number = ?";
const MARK = `UPDATE ves_commitments SET chain_id = ?, chain_tx_hash = ?, chain_block_number = ?, anchored_at = ?
  WHERE batch_id = ?`;
const UNMARK = `UPDATE ves_commitments SET chain_id = NULL, chain_tx_hash = NULL, chain_block_number = NULL,
  anchored_at = NULL WHERE batch_id = ?`;

/** The commitments slice over the SQLite backend's connection. */
export function sqliteCommitmentsStore(db: SqliteAccess): CommitmentsStore {
  const one = (r: unknown): StoredCommitment | null => (r === undefined ? null : toCommitment(r as Row));
  const getNow = (batchId: string) => one(db.stmt(SQL.get).get(batchId));
  return {
    anchorLease: sqliteAnchorLease(db),

    createCommitment: (stream, start, end, batchId, build) =>
      db.write(() =>
        createCommitmentInTx(sqliteStreamTx(db, stream), stream, start, end, batchId, nowRfc3339(), build),
      ),

    getCommitment: (batchId) => db.read(() => getNow(batchId)),

    commitmentForSequence: (stream, seq) =>
      db.read(() => one(db.stmt(SQL.covering).get(stream.tenantId, stream.storeId, seq, seq))),

    latestCommitment: (stream) => db.read(() => one(db.stmt(SQL.latest).get(stream.tenantId, stream.storeId))),

    listCommitments: (stream, options) =>
      db.read(() =>
        (
          db
            .stmt(SQL.list(options.anchored))
            .all(stream.tenantId, stream.storeId, options.afterSequence ?? 0n, options.limit) as Row[]
        ).map(toCommitment),
      ),

    pendingAnchors: (limit) => db.read(() => (db.stmt(SQL.pendingAnchors).all(limit) as Row[]).map(toCommitment)),

    markAnchored: (batchId, anchor) =>
      db.write(async () => {
        const current = getNow(batchId);
        if (current === null) return { kind: "not_found" };
        if (current.chainTxHash !== null) {
          return sameBytes(current.chainTxHash, anchor.txHash)
            ? { kind: "already_anchored", commitment: current }
            : { kind: "conflict", commitment: current };
        }
        db.stmt(MARK).run(anchor.chainId, buf(anchor.txHash), anchor.blockNumber, nowRfc3339(), batchId);
        return { kind: "anchored", commitment: getNow(batchId)! };
      }),

    unmarkAnchored: (batchId) =>
      db.write(async () => {
        const current = getNow(batchId);
        if (current === null) return { kind: "not_found" };
        if (current.chainTxHash === null) return { kind: "not_anchored", commitment: current };
        db.stmt(UNMARK).run(batchId);
        return { kind: "unanchored", commitment: getNow(batchId)! };
      }),

    leafInputs: (stream, start, end) =>
      db.read(() => (db.stmt(SQL.leaves).all(stream.tenantId, stream.storeId, start, end) as Row[]).map(toLeaf)),

    pendingStreams: (limit) =>
      db.read(() => {
        const rows = db.stmt(PENDING_STREAMS).all(limit) as Row[];
        const at = db.stmt(SEQUENCED_AT);
        return rows.map((r) => {
          const firstPending = big(r.committed) + 1n;
          const first = at.get(r.tenant_id, r.store_id, firstPending) as Row | undefined;
          return {
            tenantId: r.tenant_id as string,
            storeId: r.store_id as string,
            firstPending,
            headSequence: big(r.head),
            oldestPendingAt: (first?.sequenced_at as string | undefined) ?? nowRfc3339(),
          };
        });
      }),
  };
}
