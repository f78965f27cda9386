/**
 * Receipt-key rotation against both backends: a new receipt-signing key gets the next version, receipts carry it,
 * every past public key stays published at `GET /api/v1/ves/sequencer-key`, and receipts signed under any version
 * keep verifying; the sequencer id stays the same across a rotation, and processes with the same key agree on its
 * version.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import * as ves from "../../../../offchain/ves";
import {
  ADMIN_KEY,
  BACKENDS,
  SIGNING_KEY,
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

interface PublishedKey {
  sequencer_id: string;
  version: number;
  public_key: string;
  current: boolean;
  origin: string;
}

/** Checks every event of `agent`'s stream: its receipt verifies under the published key of its version only. */
async function verifyStream(c: Client, agent: Agent): Promise<number[]> {
  const keys = (await c.get("/api/v1/ves/sequencer-key")).json.keys as unknown as PublishedKey[];
  const pulled = await c.get(`/api/v1/ves/events?tenant_id=${agent.tenantId}&store_id=${agent.storeId}&limit=1000`);
  const versions: number[] = [];
  for (const e of pulled.json.events as unknown as { envelope: unknown; receipt: unknown }[]) {
    const event = ves.parseEnvelope(e.envelope);
    const receipt = ves.parseReceipt(e.receipt);
    if (!event.ok || !receipt.ok) throw new Error("stored event or receipt does not parse");
    const version = receipt.value.sequencerKeyVersion ?? 0;
    versions.push(version);
    for (const k of keys.filter((x) => x.sequencer_id === receipt.value.sequencerId)) {
      const check = ves.verifyReceipt(receipt.value, event.event, ves.hexToBytes(k.public_key));
      expect(check.ok, `receipt v${version} under key v${k.version}`).to.equal(k.version === version);
    }
  }
  return versions;
}

describe("sequencer receipt-key rotation", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;

      beforeEach(async function () {
        setup = await backend.setup();
      });

      afterEach(async function () {
        await setup?.cleanup();
      });

      it("publishes every key version and keeps old receipts verifying after a rotation", async function () {
        const first = await startSequencer(setup);
        const admin1 = client(first.url, ADMIN_KEY);
        const agent = await newAgent(admin1);
        const r1 = await ingest(admin1, agent, [await agent.event(), await agent.event()]);
        expect((r1.json.receipts as unknown as { sequencerKeyVersion: number }[])[0]!.sequencerKeyVersion).to.equal(0);
        const sequencerId = first.seq.service.sequencerId;
        await first.seq.stop();

        const out = path.join(setup.dataDir, "receipt-key-v1");
        const rotated = await cli(["admin", "receipt-key", "rotate", "--out", out], sequencerEnv(setup));
        expect(rotated.code, rotated.stderr).to.equal(0);
        expect(rotated.json).to.include({ version: 1, previous_version: 0, sequencer_id: sequencerId });
        expect(rotated.stdout).not.to.include(readFileSync(out, "utf8").trim());

        const second = await startSequencer(setup, {}, { SEQUENCER__SIGNING_KEY: readFileSync(out, "utf8").trim() });
        try {
          const admin2 = client(second.url, ADMIN_KEY);
          expect(second.seq.service.sequencerId).to.equal(sequencerId);
          const r2 = await ingest(admin2, agent, [await agent.event()]);
          expect(r2.json.receipts).to.have.length(1);
          expect((r2.json.receipts as unknown as Record<string, unknown>[])[0]).to.include({
            sequencerKeyVersion: 1,
            sequencerId,
          });
          const published = await admin2.get("/api/v1/ves/sequencer-key");
          expect(published.json).to.include({ sequencer_id: sequencerId, current_version: 1 });
          const keys = published.json.keys as unknown as PublishedKey[];
          expect(keys.map((k) => [k.version, k.current])).to.deep.equal([
            [0, false],
            [1, true],
          ]);
          expect(keys[0]!.public_key).to.equal(ves.bytesToHex(ves.ed25519Node.publicKey(ves.hexToBytes(SIGNING_KEY))));
          expect(keys[1]!.public_key).to.equal(rotated.json.public_key);
          expect(await verifyStream(admin2, agent)).to.deep.equal([0, 0, 1]);
          // Replays of old events still answer with their original, version-0 receipts.
          const replay = await ingest(admin2, agent, [
            (
              (await admin2.get(`/api/v1/ves/events?tenant_id=${agent.tenantId}&store_id=${agent.storeId}&limit=1`))
                .json.events as unknown as { envelope: unknown }[]
            )[0]!.envelope,
          ]);
          expect(
            (replay.json.receipts as unknown as { sequencerKeyVersion: number }[])[0]!.sequencerKeyVersion,
          ).to.equal(0);
          const list = await cli(["admin", "receipt-key", "list"], sequencerEnv(setup));
          expect((list.json.keys as unknown as { version: number }[]).map((k) => k.version)).to.deep.equal([0, 1]);
        } finally {
          await second.seq.stop();
        }

        // A process started with an older key signs with that key's version (no new version is made).
        const third = await startSequencer(setup);
        try {
          expect(third.seq.service.keyVersion).to.equal(0);
          expect(third.seq.service.sequencerId).to.equal(sequencerId);
          const keys = (await client(third.url).get("/api/v1/ves/sequencer-key")).json
            .keys as unknown as PublishedKey[];
          expect(keys.length).to.equal(2);
        } finally {
          await third.seq.stop();
        }
      });

      it("lets processes sharing the database and a key agree on its version", async function () {
        const a = await startSequencer(setup);
        const b = backend.name === "PostgreSQL" ? await startSequencer(setup) : undefined;
        try {
          expect(a.seq.service.keyVersion).to.equal(0);
          if (b !== undefined) {
            expect(b.seq.service.keyVersion).to.equal(0);
            expect(b.seq.service.sequencerId).to.equal(a.seq.service.sequencerId);
            const ka = (await client(a.url).get("/api/v1/ves/sequencer-key")).json;
            const kb = (await client(b.url).get("/api/v1/ves/sequencer-key")).json;
            expect(ka).to.deep.equal(kb);
          }
        } finally {
          await b?.seq.stop();
          await a.seq.stop();
        }
      });

      if (backend.name === "SQLite") {
        it("rotates a generated key in place, keeping the old seed beside it", async function () {
          const env = { ...sequencerEnv(setup), SEQUENCER__SIGNING_KEY: "" };
          const before = await cli(["admin", "receipt-key", "list"], env);
          expect(before.code, before.stderr).to.equal(0);
          const file = path.join(setup.dataDir, "sequencer-signing-key");
          const old = readFileSync(file, "utf8").trim();
          const rotated = await cli(["admin", "receipt-key", "rotate"], env);
          expect(rotated.code, rotated.stderr).to.equal(0);
          expect(rotated.json).to.include({ version: 1, seed_file: file });
          expect(readFileSync(`${file}.v0`, "utf8").trim()).to.equal(old);
          expect(readFileSync(file, "utf8").trim()).not.to.equal(old);
          const after = await cli(["admin", "receipt-key", "list"], env);
          expect(after.json.current_version).to.equal(1);
          expect(after.json.sequencer_id).to.equal(before.json.sequencer_id);
        });
      }

      it("refuses to rotate a configured key without --out", async function () {
        const r = await cli(["admin", "receipt-key", "rotate"], sequencerEnv(setup));
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("--out");
      });
    });
  }
});
