/**
 * The proof anchoring routes of the anchor service over HTTP on both backends:
 * `POST|DELETE /api/v1/ves/validity/proofs/{proof_id}/anchored` (bootstrap admin) — recorded, idempotent for the same
 * transaction, 409 for another, 404 for unknown and compliance proofs, 400 for bad bodies, 403 for other keys,
 * un-recorded and recorded again, shown by the proof GET routes, audited, and documented in `/docs/json`.
 */
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
import { makeBundle, proveCompliance, type CompliancePublicInputs } from "../../../../offchain/stark";
import { submitBatchProof } from "../../../support/proofs";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type Agent,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

const TX_A = `0x${"ab".repeat(32)}`;
const TX_B = `0x${"cd".repeat(32)}`;
const code = (r: { json: Record<string, unknown> }) => (r.json.error as unknown as { code: string }).code;

for (const backend of BACKENDS) {
  describe(`sequencer proof anchoring routes (${backend.name})`, function () {
    this.timeout(60_000);
    let setup: BackendSetup;
    let seq: Sequencer;
    let url: string;
    let admin: Client;
    let agent: Agent;
    let reader: Client;
    let proofId: string;
    let complianceId: string;

    before(async function () {
      setup = await backend.setup();
      ({ seq, url } = await startSequencer(setup));
      admin = client(url, ADMIN_KEY);
      agent = await newAgent(admin);
      const events = [await agent.event(), await agent.event()];
      expect((await ingest(admin, agent, events)).status).to.equal(200);
      const c = await admin.post("/api/v1/ves/commitments", {
        tenant_id: agent.tenantId,
        store_id: agent.storeId,
        sequence_start: "1",
        sequence_end: "2",
      });
      expect(c.status, c.text).to.equal(200);
      const batchId = c.json.batch_id as unknown as string;
      proofId = (await submitBatchProof(admin, batchId)).proofId as string;
      const eventId = (events[0] as unknown as { event_id: string }).event_id;
      const inp = await admin.get(
        `/api/v1/ves/compliance/${eventId}/inputs?policy_id=aml.threshold&policy_limit=10000`,
      );
      const bundle = makeBundle(
        proveCompliance({ amount: 5n, publicInputs: inp.json as unknown as CompliancePublicInputs }),
      );
      const cp = await admin.post(`/api/v1/ves/compliance/${eventId}/proofs`, { bundle });
      expect(cp.status, cp.text).to.equal(201);
      complianceId = cp.json.proofId as unknown as string;
      const rk = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, permissions: "read" });
      reader = client(url, rk.json.api_key as unknown as string);
    });

    after(async function () {
      await seq?.stop();
      await setup?.cleanup();
    });

    const path = (id: string) => `/api/v1/ves/validity/proofs/${id}/anchored`;
    const anchorOf = async (id: string) =>
      (await reader.get(`/api/v1/ves/validity/proofs/${id}`)).json.anchor as unknown as Record<string, unknown> | null;

    it("records a proof's anchoring transaction, idempotently, and refuses another with 409", async function () {
      expect(await anchorOf(proofId)).to.equal(null);
      const r = await admin.post(path(proofId), { chainId: 84532001, txHash: TX_A, blockNumber: 7 });
      expect(r.status, r.text).to.equal(200);
      expect(r.json).to.include({ proofId, proofType: "validity", status: "anchored" });
      expect(r.json.anchor).to.deep.include({ chainId: 84532001, txHash: TX_A, blockNumber: 7 });
      const again = await admin.post(path(proofId), {
        chainId: "84532001",
        txHash: TX_A.toUpperCase().replace("0X", "0x"),
        blockNumber: "7",
      });
      expect(again.status, again.text).to.equal(200);
      expect(again.json.status).to.equal("already_anchored");
      const other = await admin.post(path(proofId), { chainId: 84532001, txHash: TX_B, blockNumber: 8 });
      expect(other.status).to.equal(409);
      expect(code(other)).to.equal("PROOF_ALREADY_ANCHORED");
      const shown = await anchorOf(proofId);
      expect(shown).to.deep.include({ chainId: 84532001, txHash: TX_A, blockNumber: 7 });
      expect(shown!.anchoredAt).to.be.a("string");
      const list = await reader.get(`/api/v1/ves/validity/${r.json.batchId}/proofs`);
      expect((list.json.proofs as unknown as { anchor: { txHash: string } }[])[0]!.anchor.txHash).to.equal(TX_A);
      const verify = await reader.get(`/api/v1/ves/validity/proofs/${proofId}/verify`);
      expect((verify.json.anchor as unknown as { txHash: string }).txHash).to.equal(TX_A);
    });

    it("un-records an anchor (then not_anchored) and records another transaction after it", async function () {
      const d = await admin.delete(path(proofId));
      expect(d.status, d.text).to.equal(200);
      expect(d.json.status).to.equal("unanchored");
      expect((d.json.proof as unknown as { proofId: string; anchor: unknown }).anchor).to.equal(null);
      expect(await anchorOf(proofId)).to.equal(null);
      const twice = await admin.delete(path(proofId));
      expect(twice.status).to.equal(200);
      expect(twice.json.status).to.equal("not_anchored");
      const max = (2n ** 64n - 1n).toString();
      const r = await admin.post(path(proofId), { chainId: max, txHash: TX_B, blockNumber: 2n ** 64n - 1n });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.status).to.equal("anchored");
      expect(await anchorOf(proofId)).to.deep.include({
        chainId: 2n ** 64n - 1n,
        txHash: TX_B,
        blockNumber: 2n ** 64n - 1n,
      });
      const audit = await admin.get(`/api/v1/admin/audit?tenant_id=${agent.tenantId}`);
      const actions = JSON.stringify(audit.json);
      expect(actions).to.include("proof.anchor");
      expect(actions).to.include("proof.unanchor");
    });

    it("answers 404 PROOF_NOT_FOUND for an unknown proof and a compliance proof, on both routes", async function () {
      for (const id of [randomUUID(), complianceId]) {
        const r = await admin.post(path(id), { chainId: 1, txHash: TX_A, blockNumber: 1 });
        expect(r.status, id).to.equal(404);
        expect(code(r)).to.equal("PROOF_NOT_FOUND");
        const d = await admin.delete(path(id));
        expect(d.status, id).to.equal(404);
        expect(code(d)).to.equal("PROOF_NOT_FOUND");
      }
      // An unknown route is told apart by its code.
      const none = await admin.post(`/api/v1/ves/validity/proofs/${proofId}/anchoredx`, {});
      expect(code(none)).to.equal("NOT_FOUND");
    });

    it("refuses bad bodies with 400 and a reason", async function () {
      const bad: (Record<string, unknown> | string)[] = [
        `{"chainId": 1, "txHash": "${TX_A}", "blockNumber": 18446744073709551616}`,
        `{"chainId": 1, "txHash": "${TX_A}", "blockNumber": -18446744073709551615}`,
        {},
        { chainId: 1, blockNumber: 1 },
        { chainId: 1, txHash: TX_A },
        { chainId: 1, txHash: "ab".repeat(32), blockNumber: 1 },
        { chainId: 1, txHash: `0x${"ab".repeat(31)}`, blockNumber: 1 },
        { chainId: 1, txHash: `0x${"zz".repeat(32)}`, blockNumber: 1 },
        { chainId: 0, txHash: TX_A, blockNumber: 1 },
        { chainId: -1, txHash: TX_A, blockNumber: 1 },
        { chainId: 1.5, txHash: TX_A, blockNumber: 1 },
        { chainId: 1, txHash: TX_A, blockNumber: "18446744073709551616" },
        { chainId: 1, txHash: TX_A, blockNumber: "0x10" },
        { chainId: 1, txHash: TX_A, blockNumber: "1e3" },
        { chainId: 1, txHash: TX_A, blockNumber: "" },
        { chainId: true, txHash: TX_A, blockNumber: 1 },
        { chainId: 1, txHash: TX_A, blockNumber: null },
        { chainId: 1, txHash: TX_A, blockNumber: 1, extra: true },
      ];
      for (const body of bad) {
        const r = await admin.post(path(proofId), body);
        expect(r.status, typeof body === "string" ? body : JSON.stringify(body)).to.equal(400);
        expect(code(r), r.text).to.be.oneOf(["INVALID_REQUEST", "INVALID_FIELD_VALUE"]);
        expect((r.json.error as unknown as { message: string }).message).to.not.equal("");
      }
      expect((await anchorOf(proofId))!.txHash).to.equal(TX_B);
    });

    it("is for the bootstrap admin only (403 for a tenant admin, a reader and a prover key)", async function () {
      const ta = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, permissions: "admin" });
      const pk = await admin.post("/api/v1/admin/prover-keys", {});
      for (const key of [ta.json.api_key, pk.json.api_key]) {
        const c = client(url, key as unknown as string);
        expect((await c.post(path(proofId), { chainId: 1, txHash: TX_A, blockNumber: 1 })).status).to.equal(403);
        expect((await c.delete(path(proofId))).status).to.equal(403);
      }
      expect((await reader.delete(path(proofId))).status).to.equal(403);
      expect((await client(url).delete(path(proofId))).status).to.equal(401);
      expect((await anchorOf(proofId))!.txHash).to.equal(TX_B);
    });

    it("documents both routes with request and response schemas in /docs/json", async function () {
      const doc = (await admin.get("/docs/json")).json as unknown as {
        paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>>;
      };
      const route = doc.paths["/api/v1/ves/validity/proofs/{proof_id}/anchored"]!;
      expect(route.post!.requestBody).to.not.equal(undefined);
      expect(route.post!.responses).to.have.property("200");
      expect(route.delete!.responses).to.have.property("200");
    });
  });
}
