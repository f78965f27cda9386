/**
 * Proofs stored, verified and served by the sequencer, over HTTP on both backends: prover keys (bootstrap admin only,
 * refused everywhere else), per-event compliance proofs (inputs from the stored event, verification on submit,
 * specific refusals, re-verification), and the validity family's pending list and leases (claim, 409, renew,
 * release, expiry takeover) and batch proofs verified on submit against the stored commitment and events.
 */
import { randomUUID } from "node:crypto";

import Ajv from "ajv";
import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
import {
  buildBatchStatement,
  makeBundle,
  policyFromLimit,
  proveBatch,
  proveCompliance,
  type BatchCommitmentRecord,
  type CompliancePublicInputs,
} from "../../../../offchain/stark";
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sequencer proofs", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      let seq: Sequencer;
      let url: string;
      let admin: Client;
      let prover: Client;
      let agent: Agent;
      let reader: Client;
      let eventIds: string[];
      let batchId: string;

      before(async function () {
        setup = await backend.setup();
        ({ seq, url } = await startSequencer(setup));
        admin = client(url, ADMIN_KEY);
        agent = await newAgent(admin);
        const events = [await agent.event(), await agent.event(), await agent.event()];
        const r = await ingest(admin, agent, events);
        expect(r.status, r.text).to.equal(200);
        eventIds = events.map((e) => (e as unknown as { event_id: string }).event_id);
        const c = await admin.post("/api/v1/ves/commitments", {
          tenant_id: agent.tenantId,
          store_id: agent.storeId,
          sequence_start: "1",
          sequence_end: "3",
        });
        expect(c.status, c.text).to.equal(200);
        batchId = c.json.batch_id as unknown as string;
        const k = await admin.post("/api/v1/admin/prover-keys", { label: "prover one" });
        expect(k.status, k.text).to.equal(201);
        expect(k.json.permissions).to.equal("prover");
        prover = client(url, k.json.api_key as unknown as string);
        const rk = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, permissions: "read" });
        reader = client(url, rk.json.api_key as unknown as string);
      });

      after(async function () {
        await seq?.stop();
        await setup?.cleanup();
      });

      it("lets only the bootstrap admin create prover keys (HTTP and CLI)", async function () {
        const ta = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, permissions: "admin" });
        const tenantAdmin = client(url, ta.json.api_key as unknown as string);
        const r = await tenantAdmin.post("/api/v1/admin/prover-keys", {});
        expect(r.status).to.equal(403);
        expect((await prover.post("/api/v1/admin/prover-keys", {})).status).to.equal(403);
        await seq.stop();
        const out = await cli(["admin", "key", "create-prover", "--label", "cli prover"], sequencerEnv(setup));
        expect(out.code, out.stderr).to.equal(0);
        expect(out.json.permissions).to.equal("prover");
        ({ seq, url } = await startSequencer(setup));
        admin = client(url, ADMIN_KEY);
        const viaCli = client(url, out.json.api_key as unknown as string);
        expect((await viaCli.get("/api/v1/ves/validity/pending")).status).to.equal(200);
      });

      it("refuses a prover key everywhere but the proof routes", async function () {
        const k = await admin.post("/api/v1/admin/prover-keys", {});
        prover = client(url, k.json.api_key as unknown as string);
        const reader2 = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, permissions: "read" });
        reader = client(url, reader2.json.api_key as unknown as string);
        const s = `tenant_id=${agent.tenantId}&store_id=${agent.storeId}`;
        const refused: [string, () => Promise<{ status: number }>][] = [
          ["ingest", async () => ingest(prover, agent, [await agent.event()])],
          ["events", () => prover.get(`/api/v1/ves/events?${s}`)],
          ["one event", () => prover.get(`/api/v1/ves/events/${eventIds[0]}`)],
          ["head", () => prover.get(`/api/v1/ves/head?${s}`)],
          [
            "commit",
            () =>
              prover.post("/api/v1/ves/commitments", {
                tenant_id: agent.tenantId,
                store_id: agent.storeId,
                sequence_start: "1",
                sequence_end: "1",
              }),
          ],
          ["commitments", () => prover.get(`/api/v1/ves/commitments?${s}`)],
          ["commitment", () => prover.get(`/api/v1/ves/commitments/${batchId}`)],
          ["inclusion proof", () => prover.get(`/api/v1/ves/proofs/1?${s}`)],
          ["agent keys", () => prover.get(`/api/v1/agents/keys?tenant_id=${agent.tenantId}&agent_id=${agent.agentId}`)],
          [
            "register agent key",
            () =>
              prover.post("/api/v1/agents/keys", {
                tenantId: agent.tenantId,
                agentId: randomUUID(),
                keyId: 1,
                publicKey: "00".repeat(32),
              }),
          ],
          ["api keys", () => prover.get("/api/v1/admin/api-keys")],
          ["create api key", () => prover.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId })],
          ["tenants", () => prover.get("/api/v1/admin/tenants")],
          ["audit", () => prover.get(`/api/v1/admin/audit?tenant_id=${agent.tenantId}`)],
          ["anchor pending", () => prover.get("/v1/commitments/pending")],
        ];
        for (const [name, call] of refused) {
          const r = await call();
          expect(r.status, name).to.be.oneOf([401, 403, 404]);
          expect(r.status, name).to.not.equal(200);
        }
        expect((await prover.get("/api/v1/ves/validity/pending")).status).to.equal(200);
        expect((await reader.get("/api/v1/ves/validity/pending")).status).to.equal(403);
      });

      async function complianceBundle(eventId: string, amount: bigint, limit = 10_000n, c: Client = prover) {
        const r = await c.get(`/api/v1/ves/compliance/${eventId}/inputs?policy_id=aml.threshold&policy_limit=${limit}`);
        expect(r.status, r.text).to.equal(200);
        const inputs = r.json as unknown as CompliancePublicInputs;
        return makeBundle(proveCompliance({ amount, publicInputs: inputs }));
      }

      it("verifies a compliance proof on submit, stores it with what commitStarkProof needs, and re-verifies it", async function () {
        const bundle = await complianceBundle(eventIds[0]!, 1234n);
        const r = await prover.post(`/api/v1/ves/compliance/${eventIds[0]}/proofs`, {
          bundle,
          proverId: "p1",
          policyId: "aml.threshold",
          policyLimit: "10000",
        });
        expect(r.status, r.text).to.equal(201);
        expect(r.json).to.include({ proofType: "compliance", batchId, eventId: eventIds[0], allCompliant: true });
        expect(r.json.policyLimit).to.equal(10000);
        expect(r.json.proofHash).to.equal(bundle.proofHash);
        expect(r.json.proofSize).to.equal(bundle.metadata.proof_size);
        const id = r.json.proofId as unknown as string;
        const list = await reader.get(`/api/v1/ves/compliance/${eventIds[0]}/proofs`);
        expect(list.json.count).to.equal(1);
        const one = await reader.get(`/api/v1/ves/compliance/proofs/${id}`);
        expect(one.status).to.equal(200);
        expect((one.json.bundle as unknown as { proofHash: string }).proofHash).to.equal(bundle.proofHash);
        const v = await reader.get(`/api/v1/ves/compliance/proofs/${id}/verify`);
        expect(v.json).to.include({ valid: true, reason: null });
        expect((await reader.get(`/api/v1/ves/validity/proofs/${id}`)).status).to.equal(404);
        const other = await admin.post("/api/v1/admin/api-keys", { tenant_id: randomUUID(), permissions: "read" });
        const stranger = client(url, other.json.api_key as unknown as string);
        expect((await stranger.get(`/api/v1/ves/compliance/proofs/${id}`)).status).to.equal(404);
      });

      it("refuses wrong compliance proofs with a specific reason, and a read key's submission", async function () {
        const bundle = await complianceBundle(eventIds[1]!, 5n);
        const other = await prover.post(`/api/v1/ves/compliance/${eventIds[2]}/proofs`, { bundle });
        expect(other.status).to.equal(422);
        expect((other.json.error as unknown as { code: string }).code).to.equal("EVENT_MISMATCH");
        const limit = await prover.post(`/api/v1/ves/compliance/${eventIds[1]}/proofs`, {
          bundle,
          policyId: "aml.threshold",
          policyLimit: "20000",
        });
        expect((limit.json.error as unknown as { code: string }).code).to.equal("LIMIT_MISMATCH");
        const proofBytes = Buffer.from(bundle.proofB64, "base64");
        proofBytes[proofBytes.length - 40]! ^= 1;
        const tampered = { ...bundle, proofB64: proofBytes.toString("base64") };
        const bad = await prover.post(`/api/v1/ves/compliance/${eventIds[1]}/proofs`, { bundle: tampered });
        expect(bad.status).to.equal(400);
        expect((bad.json.error as unknown as { code: string }).code).to.equal("INVALID_BUNDLE");
        expect((await reader.post(`/api/v1/ves/compliance/${eventIds[1]}/proofs`, { bundle })).status).to.equal(403);
        expect((await reader.get(`/api/v1/ves/compliance/${eventIds[1]}/proofs`)).json.count).to.equal(0);
      });

      it("lists unproven commitments and leases them: 409 to another prover, renew, release, expiry takeover", async function () {
        const pending = await prover.get("/api/v1/ves/validity/pending?limit=10");
        expect(pending.status).to.equal(200);
        const mine = (pending.json.pending as unknown as { batchId: string; claim: unknown }[]).find(
          (x) => x.batchId === batchId,
        );
        expect(mine?.claim).to.equal(null);
        const base = `/api/v1/ves/validity/${batchId}/claim`;
        // A long first lease, so the 409s below cannot meet an expired one; the renewal then shortens it.
        const a = await prover.post(base, { proverId: "a", leaseMs: 60_000 });
        expect(a.status, a.text).to.equal(200);
        const b = await prover.post(base, { proverId: "b", leaseMs: 60_000 });
        expect(b.status).to.equal(409);
        expect((b.json.error as unknown as { code: string }).code).to.equal("CLAIM_HELD");
        expect((await prover.post(`${base}/renew`, { proverId: "b", leaseMs: 300 })).status).to.equal(409);
        expect((await prover.post(`${base}/renew`, { proverId: "a", leaseMs: 300 })).status).to.equal(200);
        await sleep(400);
        const taken = await prover.post(base, { proverId: "b", leaseMs: 60_000 });
        expect(taken.status, taken.text).to.equal(200);
        expect((taken.json.claim as unknown as { proverId: string }).proverId).to.equal("b");
        expect((await prover.post(`${base}/release`, { proverId: "a" })).status).to.equal(409);
        expect((await prover.post(`${base}/release`, { proverId: "b" })).status).to.equal(200);
        expect((await prover.post(base, { proverId: "a", leaseMs: 60_000 })).status).to.equal(200);
      });

      it("serves a commitment's events and inputs, and verifies batch proofs on submit", async function () {
        const ev = await prover.get(`/api/v1/ves/validity/${batchId}/events`);
        expect(ev.status).to.equal(200);
        expect((ev.json.events as unknown as unknown[]).length).to.equal(3);
        const inp = await prover.get(`/api/v1/ves/validity/${batchId}/inputs?policy_id=aml.threshold&policy_limit=100`);
        expect(inp.status).to.equal(200);
        expect((inp.json.events as unknown as { scope: string }[])[0]!.scope).to.equal("in_scope");
        // The response is what /docs/json documents, with and without a policy.
        const doc = (await admin.get("/docs/json")).json as unknown as {
          paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>>;
        };
        const documented = doc.paths["/api/v1/ves/validity/{batch_id}/inputs"]!.get!.responses["200"]!.content[
          "application/json"
        ] as { schema: object };
        const validate = new Ajv({ strict: false }).compile(documented.schema);
        const bare = await prover.get(`/api/v1/ves/validity/${batchId}/inputs`);
        for (const r of [inp, bare])
          expect(validate(JSON.parse(r.text)), JSON.stringify(validate.errors)).to.equal(true);
        expect(JSON.parse(bare.text).policy).to.equal(null);
        const c = await admin.get(`/api/v1/ves/commitments/${batchId}`);
        const pulled = (
          ev.json.events as unknown as { sequenceNumber: bigint; eventId: string; envelope: unknown }[]
        ).map((e) => ({ sequence_number: e.sequenceNumber, event_id: e.eventId, envelope: e.envelope }));
        const policy = policyFromLimit("aml.threshold", 100_000n);
        const { statement, witness } = buildBatchStatement({
          commitment: c.json as unknown as BatchCommitmentRecord,
          events: pulled,
          policy,
          currency: "EUR",
        });
        const bundle = proveBatch(statement, witness);
        const wrongLimit = await prover.post(`/api/v1/ves/validity/${batchId}/proofs`, {
          bundle,
          policyId: "aml.threshold",
          policyLimit: "5",
        });
        expect(wrongLimit.status, wrongLimit.text).to.equal(422);
        expect((wrongLimit.json.error as unknown as { code: string }).code, wrongLimit.text).to.equal("LIMIT_MISMATCH");
        const other = await ingest(admin, agent, [await agent.event()]);
        expect(other.status).to.equal(200);
        const c2 = await admin.post("/api/v1/ves/commitments", {
          tenant_id: agent.tenantId,
          store_id: agent.storeId,
          sequence_start: "4",
          sequence_end: String(other.json.sequenceEnd),
        });
        const elsewhere = await prover.post(`/api/v1/ves/validity/${c2.json.batch_id}/proofs`, { bundle });
        expect(elsewhere.status, elsewhere.text).to.equal(422);
        expect((await reader.post(`/api/v1/ves/validity/${batchId}/proofs`, { bundle })).status).to.equal(403);
        const r = await prover.post(`/api/v1/ves/validity/${batchId}/proofs`, {
          bundle,
          proverId: "p1",
          policyId: "aml.threshold",
          policyLimit: "100000",
        });
        expect(r.status, r.text).to.equal(201);
        expect(r.json).to.include({ proofType: "validity", batchId, proofHash: bundle.proofHash });
        expect(r.json.policyLimit).to.equal(100000);
        const id = r.json.proofId as unknown as string;
        expect((await reader.get(`/api/v1/ves/validity/proofs/${id}/verify`)).json).to.include({ valid: true });
        const pending = await prover.get("/api/v1/ves/validity/pending?limit=100");
        const ids = (pending.json.pending as unknown as { batchId: string }[]).map((x) => x.batchId);
        expect(ids).to.not.include(batchId);
        expect((await prover.post(`/api/v1/ves/validity/${batchId}/claim`, { proverId: "z" })).status).to.equal(409);
      });
    });
  }
});
