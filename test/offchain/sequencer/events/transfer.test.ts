/**
 * Stream export and import, SQLite → PostgreSQL and back: `stateset-sequencer export` writes a stream as JSON lines,
 * `import` re-verifies every signature, hash, receipt and commitment and appends it to another backend, which then
 * serves the same events, receipts (verifying under the imported sequencer keys), commitments, anchors and proofs, and
 * continues the stream. Tampered, reordered or truncated exports are refused and nothing is written.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import * as ves from "../../../../offchain/ves";
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
  type Backend,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

const OTHER_SIGNING_KEY = "22".repeat(32);

interface Pulled {
  events: {
    sequence_number: bigint;
    event_id: string;
    envelope: unknown;
    receipt: Record<string, unknown>;
    batch_id: string | null;
  }[];
}

const pull = async (c: Client, a: Agent) =>
  (await c.get(`/api/v1/ves/events?tenant_id=${a.tenantId}&store_id=${a.storeId}&limit=1000`))
    .json as unknown as Pulled;
const commitments = async (c: Client, a: Agent) =>
  (await c.get(`/api/v1/ves/commitments?tenant_id=${a.tenantId}&store_id=${a.storeId}&anchored=all`)).json
    .commitments as unknown as Record<string, unknown>[];

/** Every receipt of the stream verifies under the published key of its sequencer id and version. */
async function receiptsVerify(c: Client, a: Agent): Promise<void> {
  const keys = (await c.get("/api/v1/ves/sequencer-key")).json.keys as unknown as {
    sequencer_id: string;
    version: number;
    public_key: string;
  }[];
  for (const e of (await pull(c, a)).events) {
    const event = ves.parseEnvelope(e.envelope);
    const receipt = ves.parseReceipt(e.receipt);
    if (!event.ok || !receipt.ok) throw new Error("does not parse");
    const key = keys.find(
      (k) => k.sequencer_id === receipt.value.sequencerId && k.version === (receipt.value.sequencerKeyVersion ?? 0),
    );
    expect(key, `a published key for ${receipt.value.sequencerId}`).not.to.equal(undefined);
    expect(ves.verifyReceipt(receipt.value, event.event, ves.hexToBytes(key!.public_key)).ok).to.equal(true);
  }
}

/** Rewrites an export line by line. */
function mutate(text: string, fn: (records: Record<string, unknown>[]) => void): string {
  const records = text
    .trim()
    .split("\n")
    .map((l) => ves.parseJsonExact(l) as Record<string, unknown>);
  fn(records);
  return records.map((r) => ves.stringifyJsonExact(r as ves.ExactJsonValue)).join("\n") + "\n";
}
const flipHex = (h: string) => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");
const eventsOf = (rs: Record<string, unknown>[]) => rs.filter((r) => r.type === "event");

describe("sequencer export and import", function () {
  this.timeout(90_000);

  const [sqlite, postgres] = BACKENDS as [Backend, Backend];
  for (const [from, to] of [
    [sqlite, postgres],
    [postgres, sqlite],
  ] as const) {
    describe(`${from.name} → ${to.name}`, function () {
      let source: BackendSetup;
      let agent: Agent;
      let exported = "";
      let sourceEvents: Pulled;
      let sourceCommitments: Record<string, unknown>[];
      let exportFile = "";

      before(async function () {
        source = await from.setup();
        const { seq, url } = await startSequencer(source);
        try {
          const admin = client(url, ADMIN_KEY);
          agent = await newAgent(admin);
          const recipient = ves.x25519Keygen();
          const events = [
            await agent.event({ commandId: randomUUID() }),
            await agent.event({ entityId: "ORD-X", baseVersion: 0n }),
            await agent.event({ entityId: "ORD-X", baseVersion: 1n }),
            await agent.event({ recipients: [{ kid: 1, publicKey: recipient.publicKey }] }),
          ];
          for (let i = 0; i < 6; i++)
            events.push(await agent.event({ payload: { i, big: 9007199254740991, note: "ünïcode ✓" } }));
          const r = await ingest(admin, agent, events);
          expect(r.json.eventsAccepted, r.text).to.equal(10n);
          const stream = { tenant_id: agent.tenantId, store_id: agent.storeId };
          const c1 = await admin.post("/api/v1/ves/commitments", { ...stream, sequence_start: 1, sequence_end: 4 });
          await admin.post("/api/v1/ves/commitments", { ...stream, sequence_start: 5, sequence_end: 8 });
          const anchored = await admin.post(`/v1/commitments/${c1.json.batch_id}/anchored`, {
            chain_tx_hash: `0x${"ab".repeat(32)}`,
            chain_id: 31337,
            block_number: 12,
          });
          expect(anchored.status, anchored.text).to.equal(200);
          sourceEvents = await pull(admin, agent);
          sourceCommitments = await commitments(admin, agent);
        } finally {
          await seq.stop();
        }
        exportFile = path.join(source.dataDir, "stream.jsonl");
        const ex = await cli(
          ["export", "--tenant", agent.tenantId, "--store", agent.storeId, "--out", exportFile],
          sequencerEnv(source),
        );
        expect(ex.code, ex.stderr).to.equal(0);
        expect(ex.json).to.include({ events: 10, commitments: 2 });
        exported = readFileSync(exportFile, "utf8");
        // The same export on stdout.
        const stdout = await cli(
          ["export", "--tenant", agent.tenantId, "--store", agent.storeId],
          sequencerEnv(source),
        );
        expect(stdout.code, stdout.stderr).to.equal(0);
        expect(stdout.stdout.split("\n").length).to.equal(exported.split("\n").length);
      });

      after(async function () {
        await source?.cleanup();
      });

      it("imports with every check, and the target serves and continues the same stream", async function () {
        const target = await to.setup();
        try {
          const env = sequencerEnv(target, { SEQUENCER__SIGNING_KEY: OTHER_SIGNING_KEY });
          const im = await cli(["import", exportFile], env);
          expect(im.code, im.stderr).to.equal(0);
          expect(im.json).to.include({ events: 10, commitments: 2, anchored: 1, head_sequence: 10 });
          const { seq, url } = await startSequencer(target, {}, { SEQUENCER__SIGNING_KEY: OTHER_SIGNING_KEY });
          try {
            const admin = client(url, ADMIN_KEY);
            expect(await pull(admin, agent)).to.deep.equal(sourceEvents);
            expect(await commitments(admin, agent)).to.deep.equal(sourceCommitments);
            await receiptsVerify(admin, agent);
            const keys = (await admin.get("/api/v1/ves/sequencer-key")).json.keys as unknown as { origin: string }[];
            expect(keys.map((k) => k.origin).sort()).to.deep.equal(["imported", "local"]);

            const proof = await admin.get(`/api/v1/ves/proofs/3?tenant_id=${agent.tenantId}&store_id=${agent.storeId}`);
            expect(proof.status, proof.text).to.equal(200);
            const verified = await admin.post("/api/v1/ves/proofs/verify", {
              leaf_hash: proof.json.leaf_hash,
              merkle_root: proof.json.merkle_root,
              proof_path: proof.json.proof_path,
              leaf_index: proof.json.leaf_index,
              leaf_count: proof.json.leaf_count,
            });
            expect(verified.json.valid).to.equal(true);

            // The stream continues: replays keep their receipts, new events follow, commitments chain.
            const first = sourceEvents.events[0]!;
            const replay = await ingest(admin, agent, [first.envelope]);
            expect((replay.json.receipts as unknown as unknown[])[0]).to.deep.equal(first.receipt);
            const more = await ingest(admin, agent, [await agent.event(), await agent.event(), await agent.event()]);
            expect([more.json.sequenceStart, more.json.sequenceEnd]).to.deep.equal([11n, 13n]);
            const c3 = await admin.post("/api/v1/ves/commitments", {
              tenant_id: agent.tenantId,
              store_id: agent.storeId,
              sequence_start: 9,
              sequence_end: 13,
            });
            expect(c3.status, c3.text).to.equal(200);
            expect(c3.json.prev_state_root).to.equal(sourceCommitments[1]!.new_state_root);
            const dup = await ingest(admin, agent, [
              await agent.event({ commandId: (first.envelope as { command_id: string }).command_id }),
            ]);
            expect((dup.json.rejections as unknown as { reason: string }[])[0]!.reason).to.equal(
              "duplicate_command_id",
            );
            await receiptsVerify(admin, agent);

            // --from: the continuation alone imports onto the first import elsewhere.
            const tail = path.join(target.dataDir, "tail.jsonl");
            const ex = await cli(
              ["export", "--tenant", agent.tenantId, "--store", agent.storeId, "--from", "11", "--out", tail],
              env,
            );
            expect(ex.code, ex.stderr).to.equal(0);
            const third = await from.setup();
            try {
              const env3 = sequencerEnv(third);
              const refused = await cli(["import", tail], env3);
              expect(refused.code).to.equal(1);
              expect(refused.stderr).to.include("IMPORT_REFUSED");
              expect((await cli(["import", exportFile], env3)).code).to.equal(0);
              const cont = await cli(["import", tail], env3);
              expect(cont.code, cont.stderr).to.equal(0);
              // Commitment 9..13 starts before 11: only whole commitments inside the exported range travel.
              expect(cont.json).to.include({ events: 3, commitments: 0, head_sequence: 13 });
            } finally {
              await third.cleanup();
            }
          } finally {
            await seq.stop();
          }
          const audit = await cli(["admin", "audit"], env);
          expect((audit.json.entries as unknown as { action: string }[]).map((e) => e.action)).to.include.members([
            "stream.import",
            "stream.export",
          ]);
        } finally {
          await target.cleanup();
        }
      });

      it("refuses an export that does not verify, writing nothing", async function () {
        const target = await to.setup();
        try {
          const env = sequencerEnv(target);
          const tampered: [string, string][] = [
            [
              "payload",
              mutate(exported, (rs) => {
                const env0 = eventsOf(rs)[0]!.envelope as { payload: Record<string, unknown> };
                env0.payload.total = "0.01";
              }),
            ],
            [
              "agent signature",
              mutate(exported, (rs) => {
                const e = eventsOf(rs)[2]!.envelope as { agent_signature: string };
                e.agent_signature = flipHex(e.agent_signature);
              }),
            ],
            [
              "agent key",
              mutate(exported, (rs) => {
                const k = rs.find((r) => r.type === "agent_key")!;
                k.public_key = ves.bytesToHex(ves.ed25519Keygen().publicKey);
              }),
            ],
            [
              "receipt hash",
              mutate(exported, (rs) => {
                const r = eventsOf(rs)[5]!.receipt as { receiptHash: string };
                r.receiptHash = flipHex(r.receiptHash);
              }),
            ],
            [
              "receipt signature",
              mutate(exported, (rs) => {
                const r = eventsOf(rs)[9]!.receipt as { sequencerSignature: string };
                r.sequencerSignature = flipHex(r.sequencerSignature);
              }),
            ],
            [
              "receipt key version",
              mutate(exported, (rs) => {
                (eventsOf(rs)[1]!.receipt as { sequencerKeyVersion: number }).sequencerKeyVersion = 5;
              }),
            ],
            [
              "sequencer key",
              mutate(exported, (rs) => {
                const keys = rs[0]!.sequencer_keys as { public_key: string }[];
                keys[0]!.public_key = ves.bytesToHex(ves.ed25519Keygen().publicKey);
              }),
            ],
            [
              "merkle root",
              mutate(exported, (rs) => {
                const c = rs.find((r) => r.type === "commitment")!;
                c.merkle_root = flipHex(c.merkle_root as string);
              }),
            ],
            [
              "state root",
              mutate(exported, (rs) => {
                const c = rs.filter((r) => r.type === "commitment")[1]!;
                c.new_state_root = flipHex(c.new_state_root as string);
              }),
            ],
            [
              "gap",
              mutate(exported, (rs) => {
                rs.splice(rs.indexOf(eventsOf(rs)[4]!), 1);
              }),
            ],
            [
              "reorder",
              mutate(exported, (rs) => {
                const [a, b] = [rs.indexOf(eventsOf(rs)[6]!), rs.indexOf(eventsOf(rs)[7]!)];
                [rs[a], rs[b]] = [rs[b]!, rs[a]!];
              }),
            ],
            [
              "sequence numbers",
              mutate(exported, (rs) => {
                for (const e of eventsOf(rs)) e.sequence_number = e.sequence_number as bigint | number as number;
                const e = eventsOf(rs)[3]!;
                const r = e.receipt as { sequenceNumber: bigint };
                r.sequenceNumber = 99n;
              }),
            ],
            ["truncated", exported.split("\n").slice(0, -3).join("\n")],
            ["not JSON", exported.replace("}", "")],
            ["other stream", exported.replaceAll(agent.storeId, randomUUID())],
          ];
          for (const [name, text] of tampered) {
            const file = path.join(target.dataDir, `${name.replace(/ /g, "-")}.jsonl`);
            writeFileSync(file, text);
            const r = await cli(["import", file], env);
            expect(r.code, `${name}: ${r.stdout}`).to.equal(1);
            expect(r.stderr, name).to.include("IMPORT_REFUSED");
          }
          // Nothing was written: the genuine export still imports from sequence 1.
          const ok = await cli(["import", exportFile], env);
          expect(ok.code, ok.stderr).to.equal(0);
          expect(ok.json.head_sequence).to.equal(10);
          // And not twice.
          const again = await cli(["import", exportFile], env);
          expect(again.code).to.equal(1);
          expect(again.stderr).to.include("head is 10");
        } finally {
          await target.cleanup();
        }
      });
    });
  }
});
