/**
 * The proofs slice on PostgreSQL: reads on the pool; claims in a transaction that first locks the commitment's row,
 * which serializes claims on one batch (a claim row may not exist yet).
 */
import type { PoolClient } from "pg";

import type { PostgresAccess } from "../store/access";
import { postgresParam, type Row } from "../store/rows";

import {
  anchorValues,
  claimDecision,
  markRefused,
  proofValues,
  proofsSql,
  toClaim,
  toPending,
  toProof,
  unmarkRefused,
  type ProofClaim,
  type ProofStore,
} from "./store";

const SQL = proofsSql(postgresParam);

/** The proof store over a PostgreSQL backend's pool. */
export function postgresProofStore(db: PostgresAccess): ProofStore {
  const readClaim = async (client: PoolClient, batchId: string): Promise<ProofClaim | null> => {
    const r = await client.query<Row>(SQL.claim, [batchId]);
    return r.rows[0] === undefined ? null : toClaim(r.rows[0]);
  };
  const lockClaim = async (client: PoolClient, batchId: string): Promise<ProofClaim | null> => {
    await client.query("SELECT 1 FROM ves_commitments WHERE batch_id = $1 FOR UPDATE", [batchId]);
    return readClaim(client, batchId);
  };
  const getProof = async (proofId: string) => {
    const r = await db.query(SQL.get, [proofId]);
    return r.rows[0] === undefined ? null : toProof(r.rows[0]);
  };
  return {
    insertProof: (p) =>
      db.transaction(async (client) => {
        await client.query(SQL.insert, [...proofValues(p), p.allCompliant]);
        if (p.kind === "validity" && p.batchId !== null) await client.query(SQL.deleteClaim, [p.batchId]);
      }),
    getProof,
    listProofs: async (kind, subjectId) => (await db.query(SQL.list(kind), [kind, subjectId])).rows.map(toProof),
    pendingValidity: async (limit) => (await db.query(SQL.pending, [limit])).rows.map(toPending),
    claim: (batchId, proverId, leaseMs, nowMs, at) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        const decision = claimDecision(held, proverId, nowMs, at);
        if (!decision.ok) return { ok: false, claim: held };
        await client.query(SQL.upsertClaim, [batchId, proverId, decision.claimedAt, nowMs + leaseMs]);
        return { ok: true, claim: await readClaim(client, batchId) };
      }),
    renewClaim: (batchId, proverId, leaseMs, nowMs) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        await client.query(SQL.renewClaim, [nowMs + leaseMs, batchId]);
        return { ok: true, claim: await readClaim(client, batchId) };
      }),
    releaseClaim: (batchId, proverId) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        await client.query(SQL.deleteClaim, [batchId]);
        return { ok: true, claim: null };
      }),
    // One conditional UPDATE decides atomically; the read after a refused one reports why.
    async markAnchored(proofId, anchor) {
      const row = (await db.query(`${SQL.markAnchored} RETURNING *`, [...anchorValues(anchor), proofId])).rows[0];
      if (row !== undefined) return { kind: "anchored", proof: toProof(row) };
      return markRefused(await getProof(proofId), anchor.txHash);
    },
    async unmarkAnchored(proofId) {
      const row = (await db.query(`${SQL.unmarkAnchored} RETURNING *`, [proofId])).rows[0];
      if (row !== undefined) return { kind: "unanchored", proof: toProof(row) };
      return unmarkRefused(await getProof(proofId));
    },
  };
}
