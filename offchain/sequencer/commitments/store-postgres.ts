/**
 * The commitments slice on PostgreSQL: creation in one retried transaction on the stream's locked counter row
 * (store/stream-tx-postgres.ts), anchored marks as single conditional UPDATEs, reads on the pool.
 */
import type { PostgresAccess } from "../store/access";
import { big, buf, postgresParam, sameBytes, type Row } from "../store/rows";
import { PgStreamTx } from "../store/stream-tx-postgres";
import { nowRfc3339 } from "../store/time";

import { commitmentsSql, toCommitment, toLeaf, type CommitmentsStore, type StoredCommitment } from "./store";
import { postgresAnchorLease } from "./store-anchor-lease";
import { createCommitmentInTx } from "./store-tx";

const SQL = commitmentsSql(postgresParam);
const PENDING_STREAMS = `SELECT s.tenant_id, s.store_id, s.current_sequence AS head, c.committed,
    (SELECT e.sequenced_at FROM ves_events e
      WHERE e.tenant_id = s.tenant_id AND e.store_id = s.store_id
        AND e.sequence_number = c.committed + 1) AS oldest
  FROM ves_sequence_counters s
  CROSS JOIN LATERAL (SELECT COALESCE(MAX(m.sequence_end), 0) AS committed FROM ves_commitments m
                      WHERE m.tenant_id = s.tenant_id AND m.store_id = s.store_id) c
  WHERE s.current_sequence > c.committed
  LIMIT $1`;
// One conditional UPDATE decides atomically; an anchored commitment never changes again, so the read after a refused
// update is stable.
const MARK = `UPDATE ves_commitments SET chain_id = $2, chain_tx_hash = $3, chain_block_number = $4, anchored_at = $5
  WHERE batch_id = $1 AND chain_tx_hash IS NULL RETURNING *`;
// One conditional UPDATE decides; a commitment that was not anchored is reported as such, unchanged.
const UNMARK = `UPDATE ves_commitments SET chain_id = NULL, chain_tx_hash = NULL, chain_block_number = NULL,
  anchored_at = NULL WHERE batch_id = $1 AND chain_tx_hash IS NOT NULL RETURNING *`;

/** The commitments slice over the PostgreSQL backend's pool. */
export function postgresCommitmentsStore(db: PostgresAccess): CommitmentsStore {
  const one = (rows: Row[]): StoredCommitment | null => (rows[0] === undefined ? null : toCommitment(rows[0]));
  const getCommitment = async (batchId: string) => one((await db.query(SQL.get, [batchId])).rows);
  return {
    anchorLease: postgresAnchorLease(db),

    createCommitment: (stream, start, end, batchId, build) =>
      db.transaction(async (client) => {
        const tx = new PgStreamTx(client, stream);
        await tx.lock();
        return createCommitmentInTx(tx, stream, start, end, batchId, nowRfc3339(), build);
      }),

    getCommitment,

    async commitmentForSequence(stream, seq) {
      const s = seq.toString();
      return one((await db.query(SQL.covering, [stream.tenantId, stream.storeId, s, s])).rows);
    },

    latestCommitment: async (stream) => one((await db.pool.query(SQL.latest, [stream.tenantId, stream.storeId])).rows),

    async listCommitments(stream, options) {
      const after = (options.afterSequence ?? 0n).toString();
      const values = [stream.tenantId, stream.storeId, after, options.limit];
      return (await db.query(SQL.list(options.anchored), values)).rows.map(toCommitment);
    },

    pendingAnchors: async (limit) => (await db.query(SQL.pendingAnchors, [limit])).rows.map(toCommitment),

    async markAnchored(batchId, anchor) {
      const values = [
        batchId,
        anchor.chainId.toString(),
        buf(anchor.txHash),
        anchor.blockNumber?.toString() ?? null,
        nowRfc3339(),
      ];
      const row = (await db.query(MARK, values)).rows[0];
      if (row !== undefined) return { kind: "anchored", commitment: toCommitment(row) };
      const current = await getCommitment(batchId);
      if (current === null) return { kind: "not_found" };
      return current.chainTxHash !== null && sameBytes(current.chainTxHash, anchor.txHash)
        ? { kind: "already_anchored", commitment: current }
        : { kind: "conflict", commitment: current };
    },

    async unmarkAnchored(batchId) {
      const row = (await db.query(UNMARK, [batchId])).rows[0];
      if (row !== undefined) return { kind: "unanchored", commitment: toCommitment(row) };
      const current = await getCommitment(batchId);
      return current === null ? { kind: "not_found" } : { kind: "not_anchored", commitment: current };
    },

    async leafInputs(stream, start, end) {
      const values = [stream.tenantId, stream.storeId, start.toString(), end.toString()];
      return (await db.query(SQL.leaves, values)).rows.map(toLeaf);
    },

    async pendingStreams(limit) {
      return (await db.query(PENDING_STREAMS, [limit])).rows.map((row) => ({
        tenantId: row.tenant_id as string,
        storeId: row.store_id as string,
        firstPending: big(row.committed) + 1n,
        headSequence: big(row.head),
        oldestPendingAt: (row.oldest as string | null) ?? nowRfc3339(),
      }));
    },
  };
}
