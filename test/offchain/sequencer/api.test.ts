/**
 * The sequencer's HTTP behaviour, end to end over a loopback port, run against both backends (a SQLite file and a
 * fresh PostgreSQL database): ingest and its rejections, replays, auth isolation between tenants, agent keys,
 * commitments and proofs (checked with offchain/ves and the `ves commit` CLI), anchor-service routes, paging, the
 * commit worker, and the operational routes.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import * as ves from "../../../offchain/ves";
import type { Sequencer, SequencerStore } from "../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent as registerAgent,
  startSequencer as startOn,
} from "../../support/sequencer";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("sequencer API", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let sequencer: Sequencer;
      let cleanup: () => Promise<void>;
      let url: string;
      let admin: ReturnType<typeof client>;

      async function startSequencer(extra: Record<string, unknown> = {}) {
        const setup = await backend.setup();
        const { seq, url } = await startOn(setup, extra, {}, { metricsOnAnyPort: true });
        return { seq, url, cleanup: setup.cleanup };
      }

      before(async function () {
        ({ seq: sequencer, url, cleanup } = await startSequencer());
        admin = client(url, ADMIN_KEY);
      });

      after(async function () {
        await sequencer?.stop();
        await cleanup?.();
      });

      const newAgent = () => registerAgent(admin);

      describe("ingest", function () {
        it("sequences events from 1 without gaps and signs verifiable receipts", async function () {
          const agent = await newAgent();
          const events = await Promise.all([agent.event(), agent.event(), agent.event()]);
          const r = await ingest(admin, agent, events);
          expect(r.status, r.text).to.equal(200);
          expect(r.json.eventsAccepted).to.equal(3n);
          expect([r.json.sequenceStart, r.json.sequenceEnd, r.json.headSequence]).to.deep.equal([1n, 3n, 3n]);
          const key = await admin.get("/api/v1/ves/sequencer-key");
          const pk = ves.hexToBytes((key.json.keys as unknown as { public_key: string }[])[0]!.public_key);
          const receipts = r.json.receipts as unknown as unknown[];
          receipts.forEach((raw, i) => {
            const parsed = ves.parseEnvelope(events[i]);
            const receipt = ves.parseReceipt(raw);
            if (!parsed.ok || !receipt.ok) throw new Error("fixture envelope or receipt invalid");
            expect(receipt.value.sequenceNumber).to.equal(BigInt(i + 1));
            expect(ves.verifyReceipt(receipt.value, parsed.event, pk)).to.deep.equal({ ok: true });
          });
        });

        it("checks the signatures of large requests on worker threads and still signs verifiable receipts", async function () {
          const agent = await newAgent();
          const events: ves.VesEventEnvelope[] = [];
          for (let i = 0; i < 40; i++) events.push(await agent.event());
          events[7] = { ...events[7]!, agent_signature: "0x" + "cd".repeat(64) };
          const r = await ingest(admin, agent, events);
          expect(r.json.eventsAccepted).to.equal(39n);
          expect((r.json.rejections as unknown as { event_id: string; reason: string }[])[0]).to.deep.include({
            event_id: events[7]!.event_id,
            reason: "invalid_signature",
          });
          const key = await admin.get("/api/v1/ves/sequencer-key");
          const pk = ves.hexToBytes((key.json.keys as unknown as { public_key: string }[])[0]!.public_key);
          const receipts = r.json.receipts as unknown as unknown[];
          expect(receipts).to.have.length(39);
          receipts.forEach((raw, k) => {
            const i = k < 7 ? k : k + 1;
            const parsed = ves.parseEnvelope(events[i]);
            const receipt = ves.parseReceipt(raw);
            if (!parsed.ok || !receipt.ok) throw new Error("fixture envelope or receipt invalid");
            expect(receipt.value.sequenceNumber).to.equal(BigInt(k + 1));
            expect(ves.verifyReceipt(receipt.value, parsed.event, pk), `receipt ${k}`).to.deep.equal({ ok: true });
          });
        });

        it("presigns the receipts of concurrent large requests on one stream in order, also after a rejection", async function () {
          const agent = await newAgent();
          const key = await admin.get("/api/v1/ves/sequencer-key");
          const pk = ves.hexToBytes((key.json.keys as unknown as { public_key: string }[])[0]!.public_key);
          const presigned = async () => {
            const text = await (await fetch(sequencer.metricsUrl!)).text();
            const value = (result: string) =>
              Number(new RegExp(`^ves_receipts_presigned_total\\{result="${result}"\\} (\\d+)$`, "m").exec(text)?.[1]);
            return { hit: value("hit"), miss: value("miss") };
          };
          const round = async (requests: number, bad: number | undefined) => {
            const bodies: ves.VesEventEnvelope[][] = [];
            for (let r = 0; r < requests; r++) {
              const events: ves.VesEventEnvelope[] = [];
              for (let i = 0; i < 20; i++) events.push(await agent.event());
              bodies.push(events);
            }
            if (bad !== undefined) bodies[bad]![3] = { ...bodies[bad]![3]!, agent_signature: "0x" + "cd".repeat(64) };
            const answers = await Promise.all(bodies.map((events) => ingest(admin, agent, events)));
            const sequenceNumbers: bigint[] = [];
            answers.forEach((r, k) => {
              expect(r.status, r.text).to.equal(200);
              const byId = new Map(bodies[k]!.map((e) => [e.event_id, e]));
              for (const raw of r.json.receipts as unknown as { eventId: string }[]) {
                const parsed = ves.parseEnvelope(byId.get(raw.eventId));
                const receipt = ves.parseReceipt(raw);
                if (!parsed.ok || !receipt.ok) throw new Error("fixture envelope or receipt invalid");
                expect(ves.verifyReceipt(receipt.value, parsed.event, pk), raw.eventId).to.deep.equal({ ok: true });
                sequenceNumbers.push(receipt.value.sequenceNumber);
              }
            });
            return sequenceNumbers.sort((a, b) => (a < b ? -1 : 1));
          };
          const before = await presigned();
          // A rejected event shifts every later request's numbers: their receipts are then signed inline, and correct.
          const first = await round(5, 1);
          expect(first).to.deep.equal(Array.from({ length: 99 }, (_, i) => BigInt(i + 1)));
          const middle = await presigned();
          expect(middle.hit + middle.miss - before.hit - before.miss).to.equal(99);
          // The guesses followed what happened: every receipt of the next concurrent requests was presigned.
          const second = await round(4, undefined);
          expect(second).to.deep.equal(Array.from({ length: 80 }, (_, i) => BigInt(i + 100)));
          const after = await presigned();
          expect([after.hit - middle.hit, after.miss - middle.miss]).to.deep.equal([80, 0]);
        });

        it("counts presigned receipts right when the append's transaction runs again", async function () {
          // PostgreSQL runs an append's transaction again after an event-id race: the receipt factory is called again.
          const wrapStore = (store: SequencerStore): SequencerStore =>
            new Proxy(store, {
              get(target, prop, receiver) {
                const value = Reflect.get(target, prop, receiver) as unknown;
                if (prop === "appendEvents") {
                  const append: SequencerStore["appendEvents"] = (stream, candidates, receipt) =>
                    target.appendEvents(stream, candidates, (c, seq) => {
                      receipt(c, seq);
                      return receipt(c, seq);
                    });
                  return append;
                }
                return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
              },
            });
          const setup = await backend.setup();
          const { seq, url } = await startOn(setup, {}, {}, { metricsOnAnyPort: true, wrapStore });
          try {
            const other = client(url, ADMIN_KEY);
            const agent = await registerAgent(other);
            const events: ves.VesEventEnvelope[] = [];
            for (let i = 0; i < 20; i++) events.push(await agent.event());
            const r = await ingest(other, agent, events);
            expect(r.status, r.text).to.equal(200);
            const metrics = await fetch(seq.metricsUrl!);
            const text = await metrics.text();
            expect(metrics.status, text).to.equal(200);
            expect(text).to.match(/^ves_receipts_presigned_total\{result="hit"\} 20$/m);
            expect(text).to.match(/^ves_receipts_presigned_total\{result="miss"\} 0$/m);
          } finally {
            await seq.stop();
            await setup.cleanup();
          }
        });

        it("answers an exact replay with the original receipts and consumes no number", async function () {
          const agent = await newAgent();
          const events = [await agent.event(), await agent.event()];
          const first = await ingest(admin, agent, events);
          const again = await ingest(admin, agent, events);
          expect(again.json.eventsAccepted).to.equal(0n);
          expect(again.json.receipts).to.deep.equal(first.json.receipts);
          expect(again.json.headSequence).to.equal(2n);
          const next = await ingest(admin, agent, [await agent.event()]);
          expect(next.json.sequenceStart).to.equal(3n);
        });

        it("rejects an event id reused with other content, and duplicates within a request", async function () {
          const agent = await newAgent();
          const e = await agent.event();
          await ingest(admin, agent, [e]);
          const changed = await agent.event({ eventId: e.event_id, payload: { other: true } });
          const dup = await agent.event();
          const r = await ingest(admin, agent, [changed, dup, dup]);
          expect(r.json.rejections).to.deep.equal([
            {
              event_id: e.event_id,
              reason: "duplicate_event_id",
              message: "Event ID already exists with different contents",
            },
            {
              event_id: dup.event_id,
              reason: "duplicate_event_id",
              message: `Event ${dup.event_id} duplicated in batch`,
            },
          ]);
          expect(r.json.eventsAccepted).to.equal(1n);
        });

        it("processes a command id once per stream", async function () {
          const agent = await newAgent();
          const commandId = randomUUID();
          const a = await agent.event({ commandId });
          await ingest(admin, agent, [a]);
          const b = await agent.event({ commandId });
          const r = await ingest(admin, agent, [b]);
          expect((r.json.rejections as unknown as { reason: string }[])[0]?.reason).to.equal("duplicate_command_id");
          const replay = await ingest(admin, agent, [a]);
          expect(replay.json.receipts).to.have.length(1);
        });

        it("enforces base_version per entity", async function () {
          const agent = await newAgent();
          const r1 = await ingest(admin, agent, [await agent.event({ entityId: "E-1", baseVersion: 0n })]);
          expect(r1.json.eventsAccepted).to.equal(1n);
          const r2 = await ingest(admin, agent, [await agent.event({ entityId: "E-1", baseVersion: 0n })]);
          expect((r2.json.rejections as unknown as { reason: string }[])[0]?.reason).to.equal(
            "version_conflict: expected 0, actual 1",
          );
          const r3 = await ingest(admin, agent, [await agent.event({ entityId: "E-1", baseVersion: 1n })]);
          expect(r3.json.sequenceStart).to.equal(2n);
        });

        it("rejects bad signatures, bad payload hashes and unknown keys per event", async function () {
          const agent = await newAgent();
          const good = await agent.event();
          const badSig = { ...(await agent.event()), agent_signature: "0x" + "ab".repeat(64) };
          const badHash = { ...(await agent.event()), payload: { tampered: true } };
          const unknownKey = await agent.event({ agentKeyId: 9 });
          const r = await ingest(admin, agent, [good, badSig, badHash, unknownKey]);
          const reasons = (r.json.rejections as unknown as { reason: string }[]).map((x) => x.reason);
          expect(reasons).to.deep.equal([
            "invalid_signature",
            "invalid_payload_hash",
            "agent_key_invalid: Agent key not found",
          ]);
          expect(r.json.eventsAccepted).to.equal(1n);
        });

        it("turns a malformed envelope into a per-event schema_validation rejection", async function () {
          const agent = await newAgent();
          const good = await agent.event();
          const noType = { ...(await agent.event()) } as Record<string, unknown>;
          delete noType.entity_type;
          const longType = { ...(await agent.event()), entity_type: "x".repeat(129) };
          const r = await ingest(admin, agent, [noType, good, longType, 42]);
          expect(r.status).to.equal(200);
          const reasons = (r.json.rejections as unknown as { reason: string }[]).map((x) => x.reason);
          expect(reasons).to.deep.equal([
            "schema_validation: entity_type",
            "schema_validation: entity_type",
            "schema_validation: envelope",
          ]);
          expect(r.json.eventsAccepted).to.equal(1n);
        });

        it("stores and replays payloads with numbers beyond 2^53, hashed as doubles", async function () {
          const agent = await newAgent();
          const e = await agent.event({ payload: { big: 1e308, n: 2 ** 63, small: -0.5 } });
          const first = await ingest(admin, agent, [e]);
          expect(first.json.eventsAccepted, first.text).to.equal(1n);
          const again = await ingest(admin, agent, [e]);
          expect(again.json.receipts).to.deep.equal(first.json.receipts);
          const stored = await admin.get(`/api/v1/ves/events/${e.event_id}`);
          const env = (stored.json as unknown as { envelope: unknown }).envelope;
          const parsed = ves.parseEnvelope(env);
          expect(parsed.ok && ves.bytesToHex(ves.payloadPlainHash(parsed.event.payload))).to.equal(
            e.payload_plain_hash.replace(/^0x/, ""),
          );
        });

        it("refuses U+0000 in stored strings on every backend", async function () {
          const agent = await newAgent();
          const e = await agent.event({ eventType: "order.\u0000created" });
          const r = await ingest(admin, agent, [e, await agent.event()]);
          expect(r.status).to.equal(200);
          expect((r.json.rejections as unknown as { reason: string }[]).map((x) => x.reason)).to.deep.equal([
            "schema_validation: event_type",
          ]);
          expect(r.json.eventsAccepted).to.equal(1n);
        });

        it("encrypted events are sequenced without the sequencer reading them", async function () {
          const agent = await newAgent();
          const recipient = ves.x25519Keygen();
          const e = await agent.event({ recipients: [{ kid: 3, publicKey: recipient.publicKey }] });
          const r = await ingest(admin, agent, [e]);
          expect(r.json.eventsAccepted).to.equal(1n);
          const stored = await admin.get(`/api/v1/ves/events/${e.event_id}`);
          const env = (stored.json as unknown as { envelope: ves.VesEventEnvelope }).envelope;
          const opened = await ves.decryptEnvelope(env, 3, recipient.secretKey);
          expect(opened.ok && opened.payload).to.deep.include({ total: "19.99" });
        });

        it("refuses whole requests only for shape, size and stream errors", async function () {
          const agent = await newAgent();
          const other = await newAgent();
          const e = await agent.event();
          expect((await admin.post("/api/v1/ves/events/ingest", "{not json")).status).to.equal(400);
          expect((await admin.post("/api/v1/ves/events/ingest", { events: [e] })).status).to.equal(422);
          expect((await ingest(admin, agent, [])).status).to.equal(400);
          expect((await ingest(admin, agent, [e, await other.event()])).status).to.equal(400);
          expect(
            (await admin.post("/api/v1/ves/events/ingest", { agentId: other.agentId, events: [e] })).status,
          ).to.equal(400);
          expect((await ingest(admin, agent, new Array(1001).fill(e))).status).to.equal(413);
          const huge = await agent.event({ payload: { blob: "x".repeat(1024 * 1024) } }).catch(() => undefined);
          const bigPayload = huge ?? { ...e, payload: { blob: "x".repeat(1024 * 1024) } };
          expect((await ingest(admin, agent, [bigPayload])).status).to.equal(413);
          const tooBig = JSON.stringify({ agentId: agent.agentId, events: [], pad: "x".repeat(10 * 1024 * 1024) });
          expect((await admin.post("/api/v1/ves/events/ingest", tooBig)).status).to.equal(413);
          const text = await admin.post("/api/v1/ves/events/ingest", "{}", { "content-type": "text/plain" });
          expect(text.status).to.equal(415);
          expect(text.json).to.have.nested.property("error.code", "UNSUPPORTED_MEDIA_TYPE");
          const head = await admin.get(`/api/v1/ves/head?tenant_id=${agent.tenantId}&store_id=${agent.storeId}`);
          expect(head.json.head_sequence).to.equal(0n);
        });
      });

      describe("auth", function () {
        it("requires a valid API key", async function () {
          const agent = await newAgent();
          const e = await agent.event();
          const anon = await ingest(client(url), agent, [e]);
          expect([anon.status, (anon.json.error as unknown as { code: string }).code]).to.deep.equal([
            401,
            "missing_auth",
          ]);
          const wrong = await ingest(client(url, "ss_nope"), agent, [e]);
          expect([wrong.status, (wrong.json.error as unknown as { code: string }).code]).to.deep.equal([
            401,
            "invalid_api_key",
          ]);
          const xApi = await fetch(`${url}/api/v1/ves/head?tenant_id=${agent.tenantId}&store_id=${agent.storeId}`, {
            headers: { "x-api-key": ADMIN_KEY },
          });
          expect(xApi.status).to.equal(200);
        });

        it("keeps tenants out of each other's streams", async function () {
          const a = await newAgent();
          const b = await newAgent();
          const keyA = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, { tenantId: a.tenantId });
          expect(keyA.json.permissions).to.equal("read_write");
          const asA = client(url, keyA.json.apiKey as unknown as string);
          expect((await ingest(asA, a, [await a.event()])).json.eventsAccepted).to.equal(1n);
          const bEvent = await b.event();
          expect(
            (await asA.post("/api/v1/ves/events/ingest", { agentId: b.agentId, events: [bEvent] })).status,
          ).to.equal(403);
          await ingest(admin, b, [bEvent]);
          expect((await asA.get(`/api/v1/ves/events?tenant_id=${b.tenantId}&store_id=${b.storeId}`)).status).to.equal(
            403,
          );
          expect((await asA.get(`/api/v1/ves/events/${bEvent.event_id}`)).status).to.equal(404);
          expect((await asA.get(`/api/v1/ves/head?tenant_id=${b.tenantId}&store_id=${b.storeId}`)).status).to.equal(
            403,
          );
          expect(
            (
              await asA.post("/api/v1/agents/keys", {
                tenantId: b.tenantId,
                agentId: a.agentId,
                keyId: 2,
                publicKey: "00".repeat(32),
              })
            ).status,
          ).to.equal(403);
          expect((await asA.get("/v1/commitments/pending")).status).to.equal(403);
        });

        it("limits read-only and store-scoped keys", async function () {
          const a = await newAgent();
          const ro = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, { tenantId: a.tenantId, readOnly: true });
          const asRo = client(url, ro.json.apiKey as unknown as string);
          expect((await ingest(asRo, a, [await a.event()])).status).to.equal(403);
          expect((await asRo.get(`/api/v1/ves/head?tenant_id=${a.tenantId}&store_id=${a.storeId}`)).status).to.equal(
            200,
          );
          const scoped = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, {
            tenantId: a.tenantId,
            storeIds: [randomUUID()],
          });
          const asScoped = client(url, scoped.json.apiKey as unknown as string);
          expect((await ingest(asScoped, a, [await a.event()])).status).to.equal(403);
        });
      });

      describe("agent keys", function () {
        it("rejects duplicate registrations and inverted validity windows with JSON errors", async function () {
          const a = await newAgent();
          const body = {
            tenantId: a.tenantId,
            agentId: a.agentId,
            keyId: 1,
            publicKey: ves.bytesToHex(a.key.publicKey),
          };
          const dup = await admin.post("/api/v1/agents/keys", body);
          expect([dup.status, (dup.json.error as unknown as { code: string }).code]).to.deep.equal([
            409,
            "KEY_ALREADY_EXISTS",
          ]);
          const inverted = await admin.post("/api/v1/agents/keys", {
            ...body,
            keyId: 2,
            validFrom: "2030-01-01T00:00:00Z",
            validTo: "2029-01-01T00:00:00Z",
          });
          expect(inverted.status).to.equal(400);
          expect((await admin.post("/api/v1/agents/keys", { ...body, keyId: 3, publicKey: "zz" })).status).to.equal(
            400,
          );
        });

        it("stops accepting a revoked key's new events but keeps its old ones", async function () {
          const a = await newAgent();
          const old = await a.event();
          await ingest(admin, a, [old]);
          const rev = await admin.post("/api/v1/agents/keys/revoke", {
            tenantId: a.tenantId,
            agentId: a.agentId,
            keyId: 1,
          });
          expect(rev.status, rev.text).to.equal(200);
          const list = await admin.get(`/api/v1/agents/keys?tenant_id=${a.tenantId}&agent_id=${a.agentId}`);
          expect((list.json.keys as unknown as { status: string }[])[0]?.status).to.equal("revoked");
          const r = await ingest(admin, a, [await a.event()]);
          expect((r.json.rejections as unknown as { reason: string }[])[0]?.reason).to.equal(
            "agent_key_invalid: Agent key has been revoked",
          );
          expect((await ingest(admin, a, [old])).json.receipts).to.have.length(1);
          expect(
            (await admin.post("/api/v1/agents/keys/revoke", { tenantId: a.tenantId, agentId: a.agentId, keyId: 7 }))
              .status,
          ).to.equal(404);
        });

        it("honours validity windows", async function () {
          const a = await newAgent();
          for (const [keyId, validFrom, validTo, reason] of [
            [2, "2999-01-01T00:00:00Z", undefined, "agent_key_invalid: Agent key is not yet valid"],
            [3, undefined, "2001-01-01T00:00:00Z", "agent_key_invalid: Agent key has expired"],
          ] as const) {
            const k = ves.ed25519Keygen();
            await admin.post("/api/v1/agents/keys", {
              tenantId: a.tenantId,
              agentId: a.agentId,
              keyId,
              publicKey: ves.bytesToHex(k.publicKey),
              ...(validFrom === undefined ? {} : { validFrom }),
              ...(validTo === undefined ? {} : { validTo }),
            });
            const e = await a.event({ agentKeyId: keyId, signingKey: k.secretKey });
            const r = await ingest(admin, a, [e]);
            expect((r.json.rejections as unknown as { reason: string }[])[0]?.reason).to.equal(reason);
          }
        });
      });

      describe("commitments and proofs", function () {
        it("commits a range idempotently, proves every event and matches `ves commit`", async function () {
          const a = await newAgent();
          const events = [];
          for (let i = 0; i < 5; i++) events.push(await a.event());
          await ingest(admin, a, events);
          const body = { tenant_id: a.tenantId, store_id: a.storeId, sequence_start: 1, sequence_end: 5 };
          const c = await admin.post("/api/v1/ves/commitments", body);
          expect(c.status, c.text).to.equal(200);
          expect((await admin.post("/api/v1/ves/commitments", body)).json.batch_id).to.equal(c.json.batch_id);
          const overlap = await admin.post("/api/v1/ves/commitments", { ...body, sequence_end: 4 });
          expect(overlap.status).to.equal(400);
          expect(
            (await admin.post("/api/v1/ves/commitments", { ...body, sequence_start: 6, sequence_end: 9 })).status,
          ).to.equal(400);

          const wire = ves.parseCommitment(c.json);
          if (!wire.ok) throw new Error("commitment does not parse");
          expect(ves.verifyCommitment(wire.value)).to.deep.equal({ ok: true });
          for (let seq = 1n; seq <= 5n; seq++) {
            const p = await admin.get(`/api/v1/ves/proofs/${seq}?tenant_id=${a.tenantId}&store_id=${a.storeId}`);
            expect(p.status, p.text).to.equal(200);
            const proof = ves.parseInclusionProof(p.json);
            if (!proof.ok) throw new Error("proof does not parse");
            expect(ves.verifyInclusionAgainstCommitment(proof.value, wire.value).ok, `seq ${seq}`).to.equal(true);
            const verify = await admin.post("/api/v1/ves/proofs/verify", {
              leaf_hash: p.json.leaf_hash,
              merkle_root: p.json.merkle_root,
              proof_path: p.json.proof_path,
              leaf_index: p.json.leaf_index,
              leaf_count: 5,
            });
            expect(verify.json.valid).to.equal(true);
          }

          // The same events through the `ves commit` CLI give the same root and state root.
          const dir = mkdtempSync(path.join(tmpdir(), "ves-cli-"));
          try {
            writeFileSync(path.join(dir, "events.json"), `[${events.map((e) => ves.envelopeToJson(e)).join(",")}]`);
            const cli = spawnSync(
              process.execPath,
              [path.join(ROOT, "bin", "ves"), "commit", path.join(dir, "events.json"), "--start", "1"],
              {
                encoding: "utf8",
              },
            );
            expect(cli.status, cli.stderr).to.equal(0);
            const out = JSON.parse(cli.stdout) as Record<string, unknown>;
            const flat = JSON.stringify(out);
            expect(flat).to.include(c.json.merkle_root as unknown as string);
            expect(flat).to.include(c.json.new_state_root as unknown as string);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        });

        it("chains state roots, rejects a proof request outside the batch and reports uncommitted events", async function () {
          const a = await newAgent();
          await ingest(admin, a, [await a.event(), await a.event(), await a.event()]);
          const c1 = await admin.post("/api/v1/ves/commitments", {
            tenant_id: a.tenantId,
            store_id: a.storeId,
            sequence_start: 1,
            sequence_end: 2,
          });
          const pending = await admin.get(`/api/v1/ves/proofs/3?tenant_id=${a.tenantId}&store_id=${a.storeId}`);
          expect(pending.status).to.equal(404);
          const c2 = await admin.post("/api/v1/ves/commitments", {
            tenant_id: a.tenantId,
            store_id: a.storeId,
            sequence_start: 3,
            sequence_end: 3,
          });
          expect(c2.json.prev_state_root).to.equal(c1.json.new_state_root);
          const w1 = ves.parseCommitment(c1.json);
          const w2 = ves.parseCommitment(c2.json);
          if (!w1.ok || !w2.ok) throw new Error("commitments do not parse");
          expect(ves.verifyStateRootChain([w1.value, w2.value]).ok).to.equal(true);
          const outside = await admin.get(
            `/api/v1/ves/proofs/3?tenant_id=${a.tenantId}&store_id=${a.storeId}&batch_id=${c1.json.batch_id}`,
          );
          expect(outside.status).to.equal(400);
          const b = await newAgent();
          const foreign = await admin.get(
            `/api/v1/ves/proofs/1?tenant_id=${b.tenantId}&store_id=${b.storeId}&batch_id=${c1.json.batch_id}`,
          );
          expect(foreign.status).to.equal(403);
          const ev = await admin.get(`/api/v1/ves/events?tenant_id=${a.tenantId}&store_id=${a.storeId}&from=1&limit=2`);
          expect(ev.json.next).to.equal(3n);
          expect(ev.json.has_more).to.equal(true);
          expect((ev.json.events as unknown as { batch_id: string }[])[0]?.batch_id).to.equal(c1.json.batch_id);
          const head = await admin.get(`/api/v1/ves/head?tenant_id=${a.tenantId}&store_id=${a.storeId}`);
          expect(head.json.head_sequence).to.equal(3);
          expect((head.json.latest_commitment as unknown as { batch_id: string }).batch_id).to.equal(c2.json.batch_id);
        });

        it("serves the anchor service's pending and anchored routes", async function () {
          const a = await newAgent();
          await ingest(admin, a, [await a.event()]);
          const c = await admin.post("/api/v1/ves/commitments", {
            tenant_id: a.tenantId,
            store_id: a.storeId,
            sequence_start: 1,
            sequence_end: 1,
          });
          const id = c.json.batch_id as unknown as string;
          const pending = await admin.get("/v1/commitments/pending?limit=5000");
          const mine = (pending.json.commitments as unknown as { batch_id: string; events_root: string }[]).find(
            (x) => x.batch_id === id,
          );
          expect(mine?.events_root).to.equal(`0x${c.json.merkle_root as unknown as string}`);
          const tx = "0x" + "ab".repeat(32);
          const body = { chain_tx_hash: tx, chain_id: 84532001, block_number: 7 };
          expect((await admin.post(`/v1/commitments/${id}/anchored`, body)).json.status).to.equal("anchored");
          expect((await admin.post(`/v1/commitments/${id}/anchored`, body)).json.status).to.equal("already_anchored");
          expect(
            (await admin.post(`/v1/commitments/${id}/anchored`, { ...body, chain_tx_hash: "0x" + "cd".repeat(32) }))
              .status,
          ).to.equal(409);
          expect((await admin.post(`/v1/commitments/${randomUUID()}/anchored`, body)).status).to.equal(404);
          expect((await admin.post(`/v1/commitments/${id}/anchored`, { ...body, chain_id: 2 ** 33 })).status).to.equal(
            400,
          );
          const after = await admin.get("/v1/commitments/pending?limit=5000");
          expect((after.json.commitments as unknown as { batch_id: string }[]).some((x) => x.batch_id === id)).to.equal(
            false,
          );
          const got = await admin.get(`/api/v1/ves/commitments/${id}`);
          expect(got.json).to.deep.include({ is_anchored: true, chain_id: 84532001, chain_block_number: 7 });
          const anchored = await admin.get(
            `/api/v1/ves/commitments?tenant_id=${a.tenantId}&store_id=${a.storeId}&anchored=true`,
          );
          expect(anchored.json.count).to.equal(1n);
          const unanchored = await admin.get(`/api/v1/ves/commitments?tenant_id=${a.tenantId}&store_id=${a.storeId}`);
          expect(unanchored.json.count).to.equal(0n);
        });
      });

      describe("operations", function () {
        it("reports health, readiness, metrics (on their own listener) and an OpenAPI document of every route", async function () {
          const anon = client(url);
          expect((await anon.get("/health")).json).to.deep.include({ status: "ok" });
          expect((await anon.get("/ready")).status).to.equal(200);
          const onApi = await anon.get("/metrics");
          expect(onApi.status, onApi.text).to.equal(404);
          expect((onApi.json.error as unknown as { code: string }).code).to.equal("NOT_FOUND");
          expect(onApi.text).not.to.include("ves_events_accepted_total");
          const metricsUrl = new URL(sequencer.metricsUrl!);
          expect(metricsUrl.hostname).to.equal("127.0.0.1");
          expect(metricsUrl.port).not.to.equal(new URL(url).port);
          const metrics = await fetch(metricsUrl);
          expect(metrics.status).to.equal(200);
          expect(await metrics.text()).to.match(/ves_events_accepted_total \d+/);
          expect((await fetch(new URL("/docs/json", metricsUrl))).status).to.equal(404);
          const docs = await anon.get("/docs/json");
          const paths = Object.keys(docs.json.paths as unknown as object);
          for (const p of [
            "/api/v1/ves/events/ingest",
            "/api/v1/ves/events",
            "/api/v1/ves/events/{event_id}",
            "/api/v1/ves/head",
            "/api/v1/ves/sequencer-key",
            "/api/v1/ves/commitments",
            "/api/v1/ves/commitments/{batch_id}",
            "/api/v1/ves/proofs/{sequence_number}",
            "/api/v1/ves/proofs/verify",
            "/api/v1/agents/keys",
            "/api/v1/agents/keys/revoke",
            "/v1/commitments/pending",
            "/v1/commitments/{batch_id}/anchored",
          ]) {
            expect(paths, p).to.include(p);
          }
          expect((await anon.get("/nope")).status).to.equal(404);
        });

        it("commits full batches and waiting events automatically", async function () {
          const {
            seq,
            url: workerUrl,
            cleanup: cleanupWorker,
          } = await startSequencer({
            commitWorker: true,
            commitMaxEvents: 5,
            commitMaxWaitMs: 300,
            commitIntervalMs: 50,
          });
          try {
            const c = client(workerUrl, ADMIN_KEY);
            const agentId = randomUUID();
            const tenantId = randomUUID();
            const storeId = randomUUID();
            const key = ves.ed25519Keygen();
            await c.post("/api/v1/agents/keys", {
              tenantId,
              agentId,
              keyId: 1,
              publicKey: ves.bytesToHex(key.publicKey),
            });
            const events = [];
            for (let i = 0; i < 12; i++) {
              events.push(
                (
                  await ves.buildEnvelope({
                    tenantId,
                    storeId,
                    sourceAgentId: agentId,
                    agentKeyId: 1,
                    entityType: "sku",
                    entityId: `S-${i}`,
                    eventType: "inventory.adjusted",
                    payload: { delta: i },
                    signingKey: key.secretKey,
                  })
                ).envelope,
              );
            }
            await c.post("/api/v1/ves/events/ingest", { agentId, events });
            const deadline = Date.now() + 10_000;
            let ranges: string[] = [];
            while (Date.now() < deadline) {
              const list = await c.get(
                `/api/v1/ves/commitments?tenant_id=${tenantId}&store_id=${storeId}&anchored=all`,
              );
              ranges = (list.json.commitments as unknown as { sequence_start: bigint; sequence_end: bigint }[]).map(
                (x) => `${x.sequence_start}-${x.sequence_end}`,
              );
              if (ranges.length === 3) break;
              await new Promise((r) => setTimeout(r, 100));
            }
            expect(ranges).to.deep.equal(["1-5", "6-10", "11-12"]);
          } finally {
            await seq.stop();
            await cleanupWorker();
          }
        });
      });
    });
  }
});
