/**
 * Proof storage (issue 13): the proofs the sequencer accepted — per-event compliance proofs and per-commitment
 * validity (batch) proofs — and the provers' leases on commitments. One contract (`ProofStore`), implemented for both
 * backends below over accessors each backend hands in (its queue or pool), so the backends' classes carry one line
 * each. The tables are created by each backend's migration list ("proofs and prover leases").
 */
import type Database from "better-sqlite3";
import type { PoolClient } from "pg";

import { toCommitment, type Row } from "./rows";
import type { StoredCommitment } from "./types";

/** The two proof families of ves-protocol.md §9.1. */
export type ProofKind = "compliance" | "validity";

/** An accepted proof: everything `commitStarkProof` needs, plus the bundle as submitted. */
export interface StoredProof {
  readonly proofId: string;
  readonly kind: ProofKind;
  readonly tenantId: string;
  readonly storeId: string;
  /** Validity: the commitment proven; compliance: the commitment covering the event when submitted, or null. */
  readonly batchId: string | null;
  /** Compliance: the event proven; null for validity proofs. */
  readonly eventId: string | null;
  readonly policyId: string;
  /** The policy hash (32 bytes). */
  readonly policyHash: Uint8Array;
  /** The policy's raw limit (minor units, u64), as `commitStarkProof` takes it. */
  readonly policyLimit: bigint;
  readonly allCompliant: boolean;
  /** How many in-scope events are compliant (validity); 1 for a compliance proof. */
  readonly compliantCount: number;
  /** The proof hash (32 bytes; the compliance or batch domain of ves-protocol.md). */
  readonly proofHash: Uint8Array;
  readonly proofSize: number;
  readonly provingTimeMs: number;
  readonly securityBits: number;
  /** The prover's self-chosen id (claims), if it gave one. */
  readonly proverId: string | null;
  /** The bundle JSON as submitted (exact JSON text). */
  readonly bundleJson: string;
  /** Who submitted it (audit actor form). */
  readonly submittedBy: string;
  readonly submittedAt: string;
}

/** A prover's lease on a commitment (validity family). */
export interface ProofClaim {
  readonly batchId: string;
  readonly proverId: string;
  readonly claimedAt: string;
  /** Milliseconds since the epoch when the lease ends. */
  readonly expiresAtMs: number;
}

/** A commitment without a validity proof, with its current lease if any. */
export interface PendingValidity {
  readonly commitment: StoredCommitment;
  readonly claim: ProofClaim | null;
}

/** Outcome of a claim, renewal or release: `held` is the lease that stands afterwards (or the other prover's). */
export type ClaimOutcome =
  { readonly ok: true; readonly claim: ProofClaim | null } | { readonly ok: false; readonly claim: ProofClaim | null };

/** Proof and lease storage. */
export interface ProofStore {
  insertProof(proof: StoredProof): Promise<void>;
  getProof(proofId: string): Promise<StoredProof | null>;
  /** Proofs of a commitment (validity) or an event (compliance), oldest first. */
  listProofs(kind: ProofKind, subjectId: string): Promise<StoredProof[]>;
  /** Commitments with no validity proof, oldest commitment first, with their leases. */
  pendingValidity(limit: number): Promise<PendingValidity[]>;
  /**
   * Takes the lease on `batchId` for `proverId` until `nowMs + leaseMs` when nobody holds it, it has expired, or
   * `proverId` holds it already (then it is extended). Otherwise `ok: false` with the other prover's lease.
   */
  claim(batchId: string, proverId: string, leaseMs: number, nowMs: number, at: string): Promise<ClaimOutcome>;
  /** Extends `proverId`'s lease (even an expired one nobody took over); `ok: false` when another holds it or none. */
  renewClaim(batchId: string, proverId: string, leaseMs: number, nowMs: number): Promise<ClaimOutcome>;
  /** Drops `proverId`'s lease; `ok: false` when another prover holds it or there is none. */
  releaseClaim(batchId: string, proverId: string): Promise<ClaimOutcome>;
}

const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function toProof(r: Row): StoredProof {
  return {
    proofId: r.proof_id as string,
    kind: r.kind as ProofKind,
    tenantId: r.tenant_id as string,
    storeId: r.store_id as string,
    batchId: (r.batch_id as string | null) ?? null,
    eventId: (r.event_id as string | null) ?? null,
    policyId: r.policy_id as string,
    policyHash: bytes(r.policy_hash),
    policyLimit: BigInt(r.policy_limit as string),
    allCompliant: r.all_compliant === true || (typeof r.all_compliant !== "boolean" && Number(r.all_compliant) === 1),
    compliantCount: Number(r.compliant_count),
    proofHash: bytes(r.proof_hash),
    proofSize: Number(r.proof_size),
    provingTimeMs: Number(r.proving_time_ms),
    securityBits: Number(r.security_bits),
    proverId: (r.prover_id as string | null) ?? null,
    bundleJson: r.bundle_json as string,
    submittedBy: r.submitted_by as string,
    submittedAt: r.submitted_at as string,
  };
}

function toClaim(r: Row): ProofClaim {
  return {
    batchId: r.batch_id as string,
    proverId: r.prover_id as string,
    claimedAt: r.claimed_at as string,
    expiresAtMs: Number(r.expires_at_ms),
  };
}

function proofValues(p: StoredProof): unknown[] {
  return [
    p.proofId,
    p.kind,
    p.tenantId,
    p.storeId,
    p.batchId,
    p.eventId,
    p.policyId,
    buf(p.policyHash),
    p.policyLimit.toString(),
    p.compliantCount,
    buf(p.proofHash),
    p.proofSize,
    p.provingTimeMs,
    p.securityBits,
    p.proverId,
    p.bundleJson,
    p.submittedBy,
    p.submittedAt,
  ];
}
const PROOF_COLUMNS =
  "proof_id, kind, tenant_id, store_id, batch_id, event_id, policy_id, policy_hash, policy_limit, " +
  "compliant_count, proof_hash, proof_size, proving_time_ms, security_bits, prover_id, bundle_json, " +
  "submitted_by, submitted_at, all_compliant";

/** The SQL of the pending list, with `?` or `$n` placeholders for the limit. */
const pendingSql = (limit: string) =>
  `SELECT c.*, l.prover_id AS claim_prover_id, l.claimed_at AS claim_claimed_at, l.expires_at_ms AS claim_expires_at_ms
     FROM ves_commitments c LEFT JOIN ves_proof_claims l ON l.batch_id = c.batch_id
    WHERE NOT EXISTS (SELECT 1 FROM ves_proofs p WHERE p.kind = 'validity' AND p.batch_id = c.batch_id)
    ORDER BY c.committed_at, c.batch_id LIMIT ${limit}`;

function toPending(r: Row): PendingValidity {
  const claim =
    r.claim_prover_id === null || r.claim_prover_id === undefined
      ? null
      : toClaim({
          batch_id: r.batch_id,
          prover_id: r.claim_prover_id,
          claimed_at: r.claim_claimed_at,
          expires_at_ms: r.claim_expires_at_ms,
        });
  return { commitment: toCommitment(r), claim };
}

/** What the SQLite backend lends: its serialized read and write transactions and its statement cache. */
export interface SqliteAccess {
  read<T>(fn: () => T): Promise<T>;
  write<T>(fn: () => Promise<T>): Promise<T>;
  stmt(sql: string): Database.Statement;
}

/** The proof store over a SQLite backend's connection. */
export function sqliteProofStore(db: SqliteAccess): ProofStore {
  const claimNow = (batchId: string): ProofClaim | null => {
    const r = db.stmt("SELECT * FROM ves_proof_claims WHERE batch_id = ?").get(batchId) as Row | undefined;
    return r === undefined ? null : toClaim(r);
  };
  return {
    insertProof: (p) =>
      db.write(async () => {
        db.stmt(`INSERT INTO ves_proofs (${PROOF_COLUMNS}) VALUES (${new Array(19).fill("?").join(", ")})`).run(
          ...proofValues(p),
          p.allCompliant ? 1 : 0,
        );
        if (p.kind === "validity" && p.batchId !== null) {
          db.stmt("DELETE FROM ves_proof_claims WHERE batch_id = ?").run(p.batchId);
        }
      }),
    getProof: (proofId) =>
      db.read(() => {
        const r = db.stmt("SELECT * FROM ves_proofs WHERE proof_id = ?").get(proofId) as Row | undefined;
        return r === undefined ? null : toProof(r);
      }),
    listProofs: (kind, subjectId) =>
      db.read(() =>
        (
          db
            .stmt(
              `SELECT * FROM ves_proofs WHERE kind = ? AND ${kind === "validity" ? "batch_id" : "event_id"} = ?
                ORDER BY submitted_at, proof_id`,
            )
            .all(kind, subjectId) as Row[]
        ).map(toProof),
      ),
    pendingValidity: (limit) => db.read(() => (db.stmt(pendingSql("?")).all(limit) as Row[]).map(toPending)),
    claim: (batchId, proverId, leaseMs, nowMs, at) =>
      db.write(async () => {
        const held = claimNow(batchId);
        if (held !== null && held.proverId !== proverId && held.expiresAtMs > nowMs) return { ok: false, claim: held };
        const claimedAt = held !== null && held.proverId === proverId && held.expiresAtMs > nowMs ? held.claimedAt : at;
        db.stmt(
          `INSERT INTO ves_proof_claims (batch_id, prover_id, claimed_at, expires_at_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (batch_id) DO UPDATE SET prover_id = excluded.prover_id, claimed_at = excluded.claimed_at,
               expires_at_ms = excluded.expires_at_ms`,
        ).run(batchId, proverId, claimedAt, nowMs + leaseMs);
        return { ok: true, claim: claimNow(batchId) };
      }),
    renewClaim: (batchId, proverId, leaseMs, nowMs) =>
      db.write(async () => {
        const held = claimNow(batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        db.stmt("UPDATE ves_proof_claims SET expires_at_ms = ? WHERE batch_id = ?").run(nowMs + leaseMs, batchId);
        return { ok: true, claim: claimNow(batchId) };
      }),
    releaseClaim: (batchId, proverId) =>
      db.write(async () => {
        const held = claimNow(batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        db.stmt("DELETE FROM ves_proof_claims WHERE batch_id = ?").run(batchId);
        return { ok: true, claim: null };
      }),
  };
}

/** What the PostgreSQL backend lends: pool queries and transactions on one client. */
export interface PostgresAccess {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

/** The proof store over a PostgreSQL backend's pool. */
export function postgresProofStore(db: PostgresAccess): ProofStore {
  const lockClaim = async (client: PoolClient, batchId: string): Promise<ProofClaim | null> => {
    // The commitment row serializes claims on one batch (a claim row may not exist yet).
    await client.query("SELECT 1 FROM ves_commitments WHERE batch_id = $1 FOR UPDATE", [batchId]);
    const r = await client.query<Row>("SELECT * FROM ves_proof_claims WHERE batch_id = $1", [batchId]);
    return r.rows[0] === undefined ? null : toClaim(r.rows[0]);
  };
  const readClaim = async (client: PoolClient, batchId: string): Promise<ProofClaim | null> => {
    const r = await client.query<Row>("SELECT * FROM ves_proof_claims WHERE batch_id = $1", [batchId]);
    return r.rows[0] === undefined ? null : toClaim(r.rows[0]);
  };
  return {
    insertProof: (p) =>
      db.transaction(async (client) => {
        const marks = Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(", ");
        await client.query(`INSERT INTO ves_proofs (${PROOF_COLUMNS}) VALUES (${marks})`, [
          ...proofValues(p),
          p.allCompliant,
        ]);
        if (p.kind === "validity" && p.batchId !== null) {
          await client.query("DELETE FROM ves_proof_claims WHERE batch_id = $1", [p.batchId]);
        }
      }),
    getProof: async (proofId) => {
      const r = await db.query("SELECT * FROM ves_proofs WHERE proof_id = $1", [proofId]);
      return r.rows[0] === undefined ? null : toProof(r.rows[0]);
    },
    listProofs: async (kind, subjectId) => {
      const column = kind === "validity" ? "batch_id" : "event_id";
      const r = await db.query(
        `SELECT * FROM ves_proofs WHERE kind = $1 AND ${column} = $2 ORDER BY submitted_at, proof_id`,
        [kind, subjectId],
      );
      return r.rows.map(toProof);
    },
    pendingValidity: async (limit) => (await db.query(pendingSql("$1"), [limit])).rows.map(toPending),
    claim: (batchId, proverId, leaseMs, nowMs, at) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        if (held !== null && held.proverId !== proverId && held.expiresAtMs > nowMs) return { ok: false, claim: held };
        const claimedAt = held !== null && held.proverId === proverId && held.expiresAtMs > nowMs ? held.claimedAt : at;
        await client.query(
          `INSERT INTO ves_proof_claims (batch_id, prover_id, claimed_at, expires_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (batch_id) DO UPDATE SET prover_id = EXCLUDED.prover_id, claimed_at = EXCLUDED.claimed_at,
               expires_at_ms = EXCLUDED.expires_at_ms`,
          [batchId, proverId, claimedAt, nowMs + leaseMs],
        );
        return { ok: true, claim: await readClaim(client, batchId) };
      }),
    renewClaim: (batchId, proverId, leaseMs, nowMs) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        await client.query("UPDATE ves_proof_claims SET expires_at_ms = $2 WHERE batch_id = $1", [
          batchId,
          nowMs + leaseMs,
        ]);
        return { ok: true, claim: await readClaim(client, batchId) };
      }),
    releaseClaim: (batchId, proverId) =>
      db.transaction(async (client) => {
        const held = await lockClaim(client, batchId);
        if (held === null || held.proverId !== proverId) return { ok: false, claim: held };
        await client.query("DELETE FROM ves_proof_claims WHERE batch_id = $1", [batchId]);
        return { ok: true, claim: null };
      }),
  };
}

/** The migration of both backends ("proofs and prover leases"); PostgreSQL types where they differ. */
export function proofsMigration(backend: "sqlite" | "postgres"): string {
  const blob = backend === "sqlite" ? "BLOB" : "BYTEA";
  const bool = backend === "sqlite" ? "INTEGER" : "BOOLEAN";
  const no = backend === "sqlite" ? "0" : "FALSE";
  return `
  ALTER TABLE api_keys ADD COLUMN can_prove ${bool} NOT NULL DEFAULT ${no};
  CREATE TABLE ves_proofs (
    proof_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('compliance', 'validity')),
    tenant_id       TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    batch_id        TEXT,
    event_id        TEXT,
    policy_id       TEXT NOT NULL,
    policy_hash     ${blob} NOT NULL,
    policy_limit    TEXT NOT NULL,
    all_compliant   ${bool} NOT NULL,
    compliant_count INTEGER NOT NULL,
    proof_hash      ${blob} NOT NULL,
    proof_size      INTEGER NOT NULL,
    proving_time_ms BIGINT NOT NULL,
    security_bits   INTEGER NOT NULL,
    prover_id       TEXT,
    bundle_json     TEXT NOT NULL,
    submitted_by    TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    CHECK ((kind = 'validity') = (event_id IS NULL))
  );
  CREATE INDEX ves_proofs_by_batch ON ves_proofs (batch_id, kind);
  CREATE INDEX ves_proofs_by_event ON ves_proofs (event_id, kind);
  CREATE TABLE ves_proof_claims (
    batch_id      TEXT PRIMARY KEY,
    prover_id     TEXT NOT NULL,
    claimed_at    TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
  );
  `;
}
