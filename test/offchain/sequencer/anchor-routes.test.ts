import { expect } from "chai";

import type { Sequencer } from "../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../../support/sequencer";

const TX = `0x${"ab".repeat(32)}`;

for (const backend of BACKENDS) {
  describe(`sequencer anchoring routes for the anchor service (${backend.name})`, function () {
    this.timeout(60_000);
    let setup: BackendSetup;
    let seq: Sequencer;
    let admin: Client;
    let url: string;

    before(async function () {
      setup = await backend.setup();
      ({ seq, url } = await startSequencer(setup));
      admin = client(url, ADMIN_KEY);
    });

    after(async function () {
      await seq?.stop();
      await setup?.cleanup();
    });

    async function commitment(): Promise<string> {
      const agent = await newAgent(admin);
      expect((await ingest(admin, agent, [await agent.event(), await agent.event()])).status).to.equal(200);
      const c = await admin.post("/api/v1/ves/commitments", {
        tenant_id: agent.tenantId,
        store_id: agent.storeId,
        sequence_start: 1,
        sequence_end: 2,
      });
      expect(c.status, c.text).to.equal(200);
      return (c.json as Record<string, unknown>).batch_id as string;
    }

    const pendingIds = async () =>
      (
        ((await admin.get("/v1/commitments/pending?limit=5000")).json as Record<string, unknown>).commitments as {
          batch_id: string;
        }[]
      ).map((c) => c.batch_id);

    it("DELETE /v1/commitments/{id}/anchored un-records an anchor: the commitment is pending again", async function () {
      const id = await commitment();
      const marked = await admin.post(`/v1/commitments/${id}/anchored`, {
        chain_tx_hash: TX,
        chain_id: 84532001,
        block_number: 7,
      });
      expect(marked.status, marked.text).to.equal(200);
      expect(await pendingIds()).to.not.include(id);
      const r = await admin.delete(`/v1/commitments/${id}/anchored`);
      expect(r.status, r.text).to.equal(200);
      const body = r.json as { status: string; commitment: Record<string, unknown> };
      expect(body.status).to.equal("unanchored");
      expect(body.commitment.is_anchored).to.equal(false);
      expect(body.commitment.chain_tx_hash).to.equal(null);
      expect(body.commitment.chain_block_number).to.equal(null);
      expect(await pendingIds()).to.include(id);
      // A new transaction can be recorded afterwards (no conflict with the cleared one).
      const again = await admin.post(`/v1/commitments/${id}/anchored`, {
        chain_tx_hash: `0x${"cd".repeat(32)}`,
        chain_id: 84532001,
      });
      expect(again.status, again.text).to.equal(200);
      expect((again.json as { status: string }).status).to.equal("anchored");
    });

    it("is idempotent on a commitment that is not anchored, and answers 404 for an unknown one", async function () {
      const id = await commitment();
      const r = await admin.delete(`/v1/commitments/${id}/anchored`);
      expect(r.status, r.text).to.equal(200);
      expect((r.json as { status: string }).status).to.equal("not_anchored");
      const unknown = await admin.delete(`/v1/commitments/00000000-0000-4000-8000-000000000001/anchored`);
      expect(unknown.status).to.equal(404);
      expect((unknown.json as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
    });

    it("requires the bootstrap admin key", async function () {
      const id = await commitment();
      const created = await admin.post("/api/v1/agents/00000000-0000-4000-8000-0000000000aa/api-keys", {
        tenantId: "00000000-0000-4000-8000-0000000000bb",
        admin: true,
      });
      const key = (created.json as { apiKey?: string }).apiKey;
      const tenantAdmin = client(url, key);
      const r = await tenantAdmin.delete(`/v1/commitments/${id}/anchored`);
      expect(r.status).to.be.oneOf([401, 403]);
      expect((await client(url).delete(`/v1/commitments/${id}/anchored`)).status).to.equal(401);
    });
  });
}
