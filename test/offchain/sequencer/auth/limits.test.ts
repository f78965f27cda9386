/**
 * Limits against both backends: per-key and per-tenant rate limits (429 with `Retry-After`, fixed and sliding windows,
 * counters in the database and so shared by processes on PostgreSQL), the request timeout (504, with a short
 * configured timeout and a store slowed on purpose) and database exhaustion (503 instead of waiting: PostgreSQL pool,
 * SQLite lock).
 */
import { randomUUID } from "node:crypto";
import path from "node:path";

import Database from "better-sqlite3";
import { expect } from "chai";
import { Client as PgClient } from "pg";

import { rateLimitVerdict, type SequencerStore } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";
import { sleep, startOfWindow, waitFor } from "../../../support/time";

describe("sequencer limits", function () {
  this.timeout(60_000);

  describe("rateLimitVerdict", function () {
    it("decides fixed and sliding windows and computes Retry-After", function () {
      expect(rateLimitVerdict({ current: 3, previous: 50 }, 3, 10_500, 10_000, 60_000, "fixed")).to.deep.equal({
        over: false,
      });
      expect(rateLimitVerdict({ current: 4, previous: 0 }, 3, 10_500, 10_000, 60_000, "fixed")).to.deep.equal({
        over: true,
        retryAfterSeconds: 60,
      });
      // Sliding: half the previous window still weighs in.
      expect(rateLimitVerdict({ current: 1, previous: 4 }, 3, 30_000, 0, 60_000, "sliding")).to.deep.equal({
        over: false,
      });
      const over = rateLimitVerdict({ current: 2, previous: 4 }, 3, 30_000, 0, 60_000, "sliding");
      // 4·(1 − t/60) + 2 ≤ 3 once t ≥ 45 s: 15 s from now.
      expect(over).to.deep.equal({ over: true, retryAfterSeconds: 15 });
      const heavy = rateLimitVerdict({ current: 6, previous: 0 }, 3, 30_000, 0, 60_000, "sliding");
      // 6·(1 − t/60) ≤ 3 in the next window once t ≥ 30 s: 30 + 30 s from now.
      expect(heavy).to.deep.equal({ over: true, retryAfterSeconds: 60 });
    });
  });

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      const stops: (() => Promise<void>)[] = [];

      beforeEach(async function () {
        setup = await backend.setup();
      });

      afterEach(async function () {
        for (const stop of stops.splice(0).reverse()) await stop();
        await setup?.cleanup();
      });

      const start = async (flags: Record<string, unknown>, deps = {}) => {
        const s = await startSequencer(setup, flags, {}, deps);
        stops.push(() => s.seq.stop());
        return { ...s, admin: client(s.url, ADMIN_KEY) };
      };
      const newKey = async (admin: Client, tenantId: string, extra: Record<string, unknown> = {}) => {
        const r = await admin.post("/api/v1/admin/api-keys", { tenant_id: tenantId, ...extra });
        expect(r.status, r.text).to.equal(201);
        return r.json.api_key as unknown as string;
      };
      const head = (c: Client, tenantId: string) =>
        c.get(`/api/v1/ves/head?tenant_id=${tenantId}&store_id=${randomUUID()}`);

      it("limits each API key per window (its own limit or the default) with 429 and Retry-After", async function () {
        const { url, admin } = await start({ rateLimitPerKey: 3, rateLimitWindowSeconds: 60 });
        const tenant = randomUUID();
        const a = client(url, await newKey(admin, tenant));
        const b = client(url, await newKey(admin, tenant));
        const generous = client(url, await newKey(admin, tenant, { rate_limit: 5 }));
        if (Date.now() % 60_000 > 55_000) await startOfWindow(60_000);
        for (let i = 0; i < 3; i++) expect((await head(a, tenant)).status).to.equal(200);
        const limited = await head(a, tenant);
        expect(limited.status).to.equal(429);
        expect(limited.json.error).to.deep.include({ code: "rate_limited" });
        const retry = Number(limited.headers.get("retry-after"));
        expect(retry).to.be.within(1, 60);
        expect((await head(b, tenant)).status).to.equal(200);
        for (let i = 0; i < 5; i++) expect((await head(generous, tenant)).status).to.equal(200);
        expect((await head(generous, tenant)).status).to.equal(429);
        // The bootstrap admin is not limited.
        for (let i = 0; i < 5; i++) expect((await head(admin, tenant)).status).to.equal(200);
      });

      it("limits a tenant's keys together", async function () {
        const { url, admin } = await start({ rateLimitPerTenant: 4, rateLimitWindowSeconds: 60 });
        if (Date.now() % 60_000 > 55_000) await startOfWindow(60_000);
        const tenant = randomUUID();
        const a = client(url, await newKey(admin, tenant));
        const b = client(url, await newKey(admin, tenant));
        const other = client(url, await newKey(admin, randomUUID()));
        expect((await head(a, tenant)).status).to.equal(200);
        expect((await head(b, tenant)).status).to.equal(200);
        expect((await head(a, tenant)).status).to.equal(200);
        expect((await head(b, tenant)).status).to.equal(200);
        const limited = await head(b, tenant);
        expect(limited.status).to.equal(429);
        expect(limited.headers.get("retry-after")).to.match(/^[0-9]+$/);
        expect((await other.get(`/api/v1/admin/api-keys?tenant_id=${randomUUID()}`)).status).to.equal(403);
      });

      it("frees a fixed window at its end but keeps a sliding one weighted", async function () {
        // 3 s windows: the three requests fit in the first one on a loaded machine, and the sliding window's weight
        // (3 × the unexpired share of the last window, plus 1) stays over 2 for the first 2 s of the next one.
        const fixed = await start({ rateLimitPerKey: 2, rateLimitWindowSeconds: 3 });
        const sliding = await start({ rateLimitPerKey: 2, rateLimitWindowSeconds: 3, rateLimitMode: "sliding" });
        const tenant = randomUUID();
        const f = client(fixed.url, await newKey(fixed.admin, tenant));
        const s = client(sliding.url, await newKey(sliding.admin, tenant));
        await startOfWindow(3000);
        const statuses = async (c: Client) => [
          (await head(c, tenant)).status,
          (await head(c, tenant)).status,
          (await head(c, tenant)).status,
        ];
        expect(await Promise.all([statuses(f), statuses(s)])).to.deep.equal([
          [200, 200, 429],
          [200, 200, 429],
        ]);
        await startOfWindow(3000);
        expect((await head(f, tenant)).status).to.equal(200);
        expect((await head(s, tenant)).status).to.equal(429);
      });

      if (backend.name === "PostgreSQL") {
        it("shares the counters between processes", async function () {
          const one = await start({ rateLimitPerKey: 4, rateLimitWindowSeconds: 60 });
          const two = await start({ rateLimitPerKey: 4, rateLimitWindowSeconds: 60 });
          if (Date.now() % 60_000 > 55_000) await startOfWindow(60_000);
          const tenant = randomUUID();
          const key = await newKey(one.admin, tenant);
          const viaOne = client(one.url, key);
          const viaTwo = client(two.url, key);
          expect((await head(viaOne, tenant)).status).to.equal(200);
          expect((await head(viaTwo, tenant)).status).to.equal(200);
          expect((await head(viaOne, tenant)).status).to.equal(200);
          expect((await head(viaTwo, tenant)).status).to.equal(200);
          expect((await head(viaOne, tenant)).status).to.equal(429);
          expect((await head(viaTwo, tenant)).status).to.equal(429);
        });
      }

      it("answers 504 when a request takes longer than the timeout, and stays healthy", async function () {
        let slow = false;
        const wrapStore = (store: SequencerStore): SequencerStore =>
          new Proxy(store, {
            get(target, prop, receiver) {
              const value = Reflect.get(target, prop, receiver) as unknown;
              if (prop === "headSequence" && typeof value === "function") {
                return async (...args: unknown[]) => {
                  if (slow) await sleep(3000);
                  return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
                };
              }
              return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            },
          });
        const { admin } = await start({ requestTimeoutMs: 200 }, { wrapStore });
        const tenant = randomUUID();
        expect((await head(admin, tenant)).status).to.equal(200);
        slow = true;
        const began = Date.now();
        const r = await head(admin, tenant);
        expect(r.status, r.text).to.equal(504);
        expect(r.json.error).to.deep.include({ code: "REQUEST_TIMEOUT" });
        expect(Date.now() - began).to.be.below(2000); // the timeout (200 ms) answered, not the handler (3 s)
        slow = false;
        await sleep(3100); // the slow handler finishes meanwhile; its late answer is dropped
        expect((await admin.get("/health")).status).to.equal(200);
        expect((await head(admin, tenant)).status).to.equal(200);
      });

      it("answers 503 instead of waiting when the database has no connection or lock to give", async function () {
        const { admin, seq } = await start({ databasePoolSize: 1, databaseTimeoutMs: 200, requestTimeoutMs: 10_000 });
        const agent = await newAgent(admin);
        expect((await ingest(admin, agent, [await agent.event()])).status).to.equal(200);
        if (backend.name === "PostgreSQL") {
          // Another client holds the stream's counter row: an ingest takes the one pooled connection and waits.
          const url = setup.env.SEQUENCER__DATABASE_URL as string;
          const blocker = new PgClient({ connectionString: url });
          await blocker.connect();
          try {
            await blocker.query("BEGIN");
            await blocker.query(
              "SELECT * FROM ves_sequence_counters WHERE tenant_id = $1 AND store_id = $2 FOR UPDATE",
              [agent.tenantId, agent.storeId],
            );
            const waiting = ingest(admin, agent, [await agent.event()]);
            // Until the ingest waits on the lock (it then holds the only pooled connection).
            const watcher = new PgClient({ connectionString: url });
            await watcher.connect();
            try {
              await waitFor("the ingest to wait on the counter's row lock", async () => {
                const q = await watcher.query<{ n: number }>(
                  "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                );
                return q.rows[0]!.n > 0;
              });
            } finally {
              await watcher.end();
            }
            const r = await admin.get(`/api/v1/ves/head?tenant_id=${agent.tenantId}&store_id=${agent.storeId}`);
            expect(r.status, r.text).to.equal(503);
            expect(r.json.error).to.deep.include({ code: "pool_exhausted" });
            expect(r.headers.get("retry-after")).to.equal("1");
            await blocker.query("COMMIT");
            expect((await waiting).status).to.equal(200);
          } finally {
            await blocker.end();
          }
        } else {
          // Another connection holds the write lock of the SQLite file.
          const blocker = new Database(path.join(setup.dataDir, "sequencer.db"));
          try {
            blocker.exec("BEGIN IMMEDIATE");
            const r = await ingest(admin, agent, [await agent.event()]);
            expect(r.status, r.text).to.equal(503);
            expect(r.json.error).to.deep.include({ code: "pool_exhausted" });
            blocker.exec("ROLLBACK");
          } finally {
            blocker.close();
          }
        }
        const after = await ingest(admin, agent, [await agent.event()]);
        expect(after.status).to.equal(200);
        expect((await admin.get("/ready")).status).to.equal(200);
        void seq;
      });
    });
  }
});
