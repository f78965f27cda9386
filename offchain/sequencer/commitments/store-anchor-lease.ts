/**
 * The anchor lease: one anchor process per sequencer works at a time (like the provers' claims). One row, taken with
 * a single conditional upsert — by a new holder only when the current lease has lapsed — so it holds across sequencer
 * processes sharing one PostgreSQL database. Times are the sequencer's clock, in milliseconds since the epoch. The
 * table is created by migration 7 (store/migrations.ts).
 */

import type { PostgresAccess, SqliteAccess } from "../store/access";
import type { Row } from "../store/rows";

/** The current lease. */
export interface AnchorLease {
  readonly holderId: string;
  readonly expiresAtMs: number;
}

/** Taking or renewing: `held` by the caller now, or `busy` (held by another until `expiresAtMs`). */
export type AnchorLeaseResult = { readonly kind: "held" | "busy"; readonly lease: AnchorLease };

/** Giving the lease up: `released`, `none` (nobody held it), or `busy` (another holder's lease is left alone). */
export type AnchorLeaseRelease =
  { readonly kind: "released" | "none" } | { readonly kind: "busy"; readonly lease: AnchorLease };

/** The lease's storage, implemented for both backends. */
export interface AnchorLeaseStore {
  /** Takes the lease for `leaseMs` (or extends the caller's own); `busy` while another holder's lease runs. */
  acquireAnchorLease(holderId: string, leaseMs: number, nowMs: number): Promise<AnchorLeaseResult>;
  /** Gives the caller's lease up. */
  releaseAnchorLease(holderId: string): Promise<AnchorLeaseRelease>;
}

const toLease = (r: Row): AnchorLease => ({
  holderId: r.holder_id as string,
  expiresAtMs: Number(r.expires_at_ms as number | bigint | string),
});

const UPSERT = (p: (i: number) => string) => `
  INSERT INTO ves_anchor_lease (name, holder_id, expires_at_ms, acquired_at_ms) VALUES ('anchor', ${p(1)}, ${p(2)}, ${p(3)})
  ON CONFLICT (name) DO UPDATE SET
    holder_id = excluded.holder_id,
    expires_at_ms = excluded.expires_at_ms,
    acquired_at_ms = CASE WHEN ves_anchor_lease.holder_id = excluded.holder_id
                          THEN ves_anchor_lease.acquired_at_ms ELSE excluded.acquired_at_ms END
  WHERE ves_anchor_lease.holder_id = excluded.holder_id OR ves_anchor_lease.expires_at_ms <= ${p(3)}
  RETURNING holder_id, expires_at_ms`;

/** The SQLite implementation over the store's serialized writes and prepared statements. */
export function sqliteAnchorLease(a: SqliteAccess): AnchorLeaseStore {
  const upsert = UPSERT((i) => ["", "@holder", "@expires", "@now"][i]!);
  return {
    acquireAnchorLease: (holderId, leaseMs, nowMs) =>
      a.write(async () => {
        const won = a.stmt(upsert).get({ holder: holderId, expires: nowMs + leaseMs, now: nowMs }) as Row | undefined;
        if (won !== undefined) return { kind: "held" as const, lease: toLease(won) };
        const cur = a.stmt("SELECT holder_id, expires_at_ms FROM ves_anchor_lease WHERE name = 'anchor'").get() as Row;
        return { kind: "busy" as const, lease: toLease(cur) };
      }),
    releaseAnchorLease: (holderId) =>
      a.write(async () => {
        const cur = a.stmt("SELECT holder_id, expires_at_ms FROM ves_anchor_lease WHERE name = 'anchor'").get() as
          Row | undefined;
        if (cur === undefined) return { kind: "none" as const };
        if (cur.holder_id !== holderId) return { kind: "busy" as const, lease: toLease(cur) };
        a.stmt("DELETE FROM ves_anchor_lease WHERE name = 'anchor' AND holder_id = ?").run(holderId);
        return { kind: "released" as const };
      }),
  };
}

/** The PostgreSQL implementation over the store's pool. */
export function postgresAnchorLease(a: PostgresAccess): AnchorLeaseStore {
  const upsert = UPSERT((i) => `$${i}`);
  const current = async () =>
    (await a.query("SELECT holder_id, expires_at_ms FROM ves_anchor_lease WHERE name = 'anchor'")).rows[0];
  return {
    async acquireAnchorLease(holderId, leaseMs, nowMs) {
      for (;;) {
        const won = (await a.query(upsert, [holderId, nowMs + leaseMs, nowMs])).rows[0];
        if (won !== undefined) return { kind: "held", lease: toLease(won) };
        const cur = await current();
        // The holder released between the two statements: try again.
        if (cur !== undefined) return { kind: "busy", lease: toLease(cur) };
      }
    },
    async releaseAnchorLease(holderId) {
      const deleted = await a.query("DELETE FROM ves_anchor_lease WHERE name = 'anchor' AND holder_id = $1", [
        holderId,
      ]);
      if ((deleted.rowCount ?? 0) > 0) return { kind: "released" };
      const cur = await current();
      return cur === undefined ? { kind: "none" } : { kind: "busy", lease: toLease(cur) };
    },
  };
}
