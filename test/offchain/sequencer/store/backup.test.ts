/**
 * Backup and restore under load, on both backends: SQLite through `stateset-sequencer backup PATH` (better-sqlite3's
 * online backup), PostgreSQL through the documented `pg_dump --format=custom` / `pg_restore` procedure. After a
 * restore, every event whose receipt a client received before the backup began is present with the same sequence
 * number and receipt, the stream is gap-free, and it continues.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

import { freshDatabase } from "../../../support/postgres";
import {
  ADMIN_KEY,
  BACKENDS,
  cli,
  client,
  ingest,
  newAgent,
  sequencerEnv,
  startSequencer,
  type Agent,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

const run = promisify(execFile);

interface Acked {
  eventId: string;
  receipt: Record<string, unknown>;
}

/** Ingests batches of 5 until stopped, recording every acknowledged receipt. */
function load(c: Client, agent: Agent) {
  const acked: Acked[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const events = await Promise.all(Array.from({ length: 5 }, () => agent.event()));
      const r = await ingest(c, agent, events);
      if (r.status !== 200) throw new Error(`ingest failed during the load: ${r.text}`);
      const receipts = r.json.receipts as unknown as Record<string, unknown>[];
      receipts.forEach((receipt) => acked.push({ eventId: receipt.eventId as string, receipt }));
    }
  })();
  return {
    acked,
    waitFor: async (n: number) => {
      while (acked.length < n) await new Promise((r) => setTimeout(r, 10));
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** The restored stream holds every event acknowledged before the backup, unchanged, gap-free from 1. */
async function checkRestored(c: Client, agent: Agent, before: readonly Acked[], all: readonly Acked[]) {
  const pulled = (await c.get(`/api/v1/ves/events?tenant_id=${agent.tenantId}&store_id=${agent.storeId}&limit=1000`))
    .json as unknown as { events: { sequence_number: bigint; event_id: string; receipt: Record<string, unknown> }[] };
  const events = pulled.events;
  expect(events.map((e) => e.sequence_number)).to.deep.equal(events.map((_, i) => BigInt(i + 1)));
  expect(events.length).to.be.at.least(before.length);
  const byId = new Map(all.map((a) => [a.eventId, a.receipt]));
  for (const e of events) expect(e.receipt, `event ${e.event_id}`).to.deep.equal(byId.get(e.event_id));
  const present = new Set(events.map((e) => e.event_id));
  for (const a of before) expect(present.has(a.eventId), `acknowledged event ${a.eventId}`).to.equal(true);
  // The restored stream continues.
  const next = await ingest(c, agent, [await agent.event()]);
  expect(next.json.sequenceStart).to.equal(BigInt(events.length + 1));
}

describe("sequencer backup and restore", function () {
  this.timeout(90_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;

      beforeEach(async function () {
        setup = await backend.setup();
      });

      afterEach(async function () {
        await setup?.cleanup();
      });

      it("restores a backup taken under load without losing an acknowledged event", async function () {
        const { seq, url } = await startSequencer(setup);
        const admin = client(url, ADMIN_KEY);
        const agent = await newAgent(admin);
        const writer = load(admin, agent);
        let before: Acked[];
        let restoreEnv: NodeJS.ProcessEnv;
        let restoreSetup: BackendSetup;
        let dropRestored = async () => undefined as void;
        try {
          await writer.waitFor(50);
          before = [...writer.acked];
          if (backend.name === "SQLite") {
            const file = path.join(setup.dataDir, "backups", "sequencer-backup.db");
            const b = await cli(["backup", file], sequencerEnv(setup));
            expect(b.code, b.stderr).to.equal(0);
            expect(b.json).to.include({ file, database: "sqlite" });
            expect(Number(b.json.bytes)).to.be.above(0);
            const again = await cli(["backup", file], sequencerEnv(setup));
            expect(again.code).to.equal(2);
            expect(again.stderr).to.include("exists");
            // Restore: the backup file becomes another data directory's database.
            restoreSetup = await backend.setup();
            copyFileSync(file, path.join(restoreSetup.dataDir, "sequencer.db"));
            restoreEnv = {};
          } else {
            const url0 = setup.env.SEQUENCER__DATABASE_URL as string;
            const dump = path.join(setup.dataDir, "sequencer.dump");
            await run("pg_dump", ["--format=custom", "--no-owner", `--file=${dump}`, `--dbname=${url0}`]);
            expect(existsSync(dump)).to.equal(true);
            const refused = await cli(["backup", path.join(setup.dataDir, "x.db")], sequencerEnv(setup));
            expect(refused.code).to.equal(2);
            expect(refused.stderr).to.include("pg_dump");
            const restored = await freshDatabase("ves_restore");
            dropRestored = restored.drop;
            await run("pg_restore", ["--no-owner", "--exit-on-error", `--dbname=${restored.url}`, dump]);
            restoreSetup = await backend.setup();
            restoreEnv = { SEQUENCER__DATABASE_URL: restored.url };
          }
          await writer.waitFor(before.length + 20);
        } finally {
          await writer.stop();
          await seq.stop();
        }
        try {
          const restored = await startSequencer(restoreSetup!, {}, restoreEnv!);
          try {
            await checkRestored(client(restored.url, ADMIN_KEY), agent, before, writer.acked);
          } finally {
            await restored.seq.stop();
          }
        } finally {
          await restoreSetup!.cleanup();
          await dropRestored();
        }
      });
    });
  }
});
