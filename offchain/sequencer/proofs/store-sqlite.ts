/** The proofs slice on SQLite: writes in the serialized write transaction, reads queued. */
import type { SqliteAccess } from "../store/access";
import { sqliteParam, type Row } from "../store/rows";

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

const SQL = proofsSql(sqliteParam);

/** The proof store over a SQLite backend's connection. */
export function sqliteProofStore(db: SqliteAccess): ProofStore {
  const claimNow = (batchId: string): ProofClaim | null => {
    const r = db.stmt(SQL.claim).get(batchId) as Row | undefined;
    return r === undefined ? null : toClaim(r);
  };
  const proofNow = (proofId: string) => {
    const r = db.stmt(SQL.get).get(proofId) as Row | undefined;
    return r === undefined ? null : toProof(r);
  };
  return {
    insertProof: (p) =>
      db.write(async () => {
        db.stmt(SQL.insert).run(...proofValues(p), p.allCompliant ? 1 : 0);
        if (p.kind === "validity" && p.batchId !== null) db.stmt(SQL.deleteClaim).run(p.batchId);
      }),
    getProof: (proofId) => db.read(() => proofNow(proofId)),
    listProofs: (kind, subjectId) =>
      db.read(() => (db.stmt(SQL.list(kind)).all(kind, subjectId) as Row[]).map(toProof)),
    pendingValidity: (limit) => db.read(() => (db.stmt(SQL.pending).all(limit) as Row[]).map(toPending)),
    claim: (batchId, proverId, leaseMs, nowMs, at) =>
      db.write(async () => {
        const held = claimNow(batchId);
        const decision = claimDecision(held, proverId, nowMs, at);
        if (!decision.ok) return { ok: false, claim: held };
        db.stmt(SQL.upsertClaim).run(batchId, proverId, decision.claimedAt, nowMs + leaseMs);
        return { ok: true, claim: claimNow(batchId) };
      }),
    renewClaim: (batchId, proverId, leaseMs, nowMs) =>
      db.write(async () => {
        const held = claimNow(batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        db.stmt(SQL.renewClaim).run(nowMs + leaseMs, batchId);
        return { ok: true, claim: claimNow(batchId) };
      }),
    releaseClaim: (batchId, proverId) =>
      db.write(async () => {
        const held = claimNow(batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        db.stmt(SQL.deleteClaim).run(batchId);
        return { ok: true, claim: null };
      }),
    markAnchored: (proofId, anchor) =>
      db.write(async () => {
        if (db.stmt(SQL.markAnchored).run(...anchorValues(anchor), proofId).changes === 1) {
          return { kind: "anchored", proof: proofNow(proofId)! };
        }
        return markRefused(proofNow(proofId), anchor.txHash);
      }),
    unmarkAnchored: (proofId) =>
      db.write(async () => {
        if (db.stmt(SQL.unmarkAnchored).run(proofId).changes === 1) {
          return { kind: "unanchored", proof: proofNow(proofId)! };
        }
        return unmarkRefused(proofNow(proofId));
      }),
  };
}
