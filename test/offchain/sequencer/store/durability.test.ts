/**
 * When a commit is durable. A 2xx receipt is a signed promise of a sequence number: the SQLite store fsyncs its WAL at
 * every commit by default (synchronous=FULL), like PostgreSQL's default synchronous_commit (on), so an OS crash or power
 * loss cannot roll back an event whose receipt was issued; `normal` is an explicit opt-in
 * (SEQUENCER__SQLITE_SYNCHRONOUS). The level is read back live from each database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Client } from "pg";

import { openPostgresStore, openSqliteStore, resolveSequencerConfig } from "../../../../offchain/sequencer";
import { freshDatabase } from "../../../support/postgres";

describe("store durability", function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "ves-durability-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("fsyncs every SQLite commit unless told otherwise", async function () {
    const store = openSqliteStore(path.join(dir, "a.db"));
    try {
      await store.migrate();
      expect(await store.durability()).to.equal("sqlite journal_mode=WAL synchronous=FULL");
    } finally {
      await store.close();
    }
  });

  it("uses synchronous=NORMAL on SQLite only when asked", async function () {
    const store = openSqliteStore(path.join(dir, "b.db"), { synchronous: "normal" });
    try {
      expect(await store.durability()).to.equal("sqlite journal_mode=WAL synchronous=NORMAL");
    } finally {
      await store.close();
    }
  });

  it("reports PostgreSQL's synchronous_commit as the server has it", async function () {
    this.timeout(30_000);
    const db = await freshDatabase("ves_durability");
    const store = openPostgresStore(db.url);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // the throwaway test cluster turns it off for speed; a production server has the default, on
      const live = (await client.query<{ synchronous_commit: string }>("SHOW synchronous_commit")).rows[0];
      expect(live?.synchronous_commit).to.be.oneOf(["on", "off", "local", "remote_write", "remote_apply"]);
      expect(await store.durability()).to.equal(`postgres synchronous_commit=${live?.synchronous_commit}`);
    } finally {
      await client.end();
      await store.close();
      await db.drop();
    }
  });

  it("defaults the sequencer option to full and accepts only full or normal", function () {
    const base = { dataDir: dir };
    expect(resolveSequencerConfig(base, {}).sqliteSynchronous).to.equal("full");
    expect(resolveSequencerConfig(base, { SEQUENCER__SQLITE_SYNCHRONOUS: "normal" }).sqliteSynchronous).to.equal(
      "normal",
    );
    expect(() => resolveSequencerConfig(base, { SEQUENCER__SQLITE_SYNCHRONOUS: "off" }))
      .to.throw(/sqliteSynchronous|SQLITE_SYNCHRONOUS/)
      .with.property("code", "CONFIG_INVALID");
  });
});
