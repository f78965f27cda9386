import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
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

const TX = `0x${"ab".repeat(32)}`;

/** Repeats `call` until it answers `status` (a lease lapsing on the sequencer's clock), for up to 30 s. */
async function waitForStatus<R extends { status: number }>(call: () => Promise<R>, status: number): Promise<R> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await call();
    if (r.status === status || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
      const body = r.json as unknown as { status: string; commitment: Record<string, unknown> };
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
      expect((again.json as unknown as { status: string }).status).to.equal("anchored");
    });

    it("is idempotent on a commitment that is not anchored, and answers 404 for an unknown one", async function () {
      const id = await commitment();
      const r = await admin.delete(`/v1/commitments/${id}/anchored`);
      expect(r.status, r.text).to.equal(200);
      expect((r.json as unknown as { status: string }).status).to.equal("not_anchored");
      const unknown = await admin.delete(`/v1/commitments/00000000-0000-4000-8000-000000000001/anchored`);
      expect(unknown.status).to.equal(404);
      expect((unknown.json as unknown as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
    });

    it("keeps one anchor lease per sequencer database: 200 to the holder, 409 naming it to anyone else, also through a second sequencer process", async function () {
      const first = await admin.post("/v1/anchor/lease", { holderId: "anchor-1", leaseMs: 60_000 });
      expect(first.status, first.text).to.equal(200);
      const held = first.json as unknown as { holderId: string; expiresAt: string };
      expect(held.holderId).to.equal("anchor-1");
      expect(Date.parse(held.expiresAt)).to.be.greaterThan(Date.now());
      // A second sequencer process on the same database sees the same lease.
      const other = await startSequencer(setup);
      try {
        const otherAdmin = client(other.url, ADMIN_KEY);
        const busy = await otherAdmin.post("/v1/anchor/lease", { holderId: "anchor-2", leaseMs: 60_000 });
        expect(busy.status, busy.text).to.equal(409);
        expect((busy.json as unknown as { holderId: string }).holderId).to.equal("anchor-1");
        const renewOther = await otherAdmin.post("/v1/anchor/lease/renew", { holderId: "anchor-2", leaseMs: 60_000 });
        expect(renewOther.status).to.equal(409);
        const renew = await otherAdmin.post("/v1/anchor/lease/renew", { holderId: "anchor-1", leaseMs: 120_000 });
        expect(renew.status, renew.text).to.equal(200);
        expect(Date.parse((renew.json as unknown as { expiresAt: string }).expiresAt)).to.be.greaterThan(
          Date.parse(held.expiresAt),
        );
        const wrongRelease = await otherAdmin.post("/v1/anchor/lease/release", { holderId: "anchor-2" });
        expect(wrongRelease.status).to.equal(409);
        const release = await otherAdmin.post("/v1/anchor/lease/release", { holderId: "anchor-1" });
        expect(release.status, release.text).to.equal(200);
        expect((release.json as unknown as { released: boolean }).released).to.equal(true);
        const taken = await otherAdmin.post("/v1/anchor/lease", { holderId: "anchor-2", leaseMs: 1000 });
        expect(taken.status, taken.text).to.equal(200);
      } finally {
        await other.seq.stop();
      }
      // A lapsed lease goes to the next taker.
      const lapsed = await waitForStatus(
        () => admin.post("/v1/anchor/lease", { holderId: "anchor-3", leaseMs: 60_000 }),
        200,
      );
      expect((lapsed.json as unknown as { holderId: string }).holderId).to.equal("anchor-3");
      expect((await admin.post("/v1/anchor/lease/release", { holderId: "anchor-3" })).status).to.equal(200);
      const bad = await admin.post("/v1/anchor/lease", { holderId: "", leaseMs: 5 });
      expect(bad.status).to.equal(400);
    });

    it("requires the bootstrap admin key", async function () {
      const id = await commitment();
      const created = await admin.post("/api/v1/agents/00000000-0000-4000-8000-0000000000aa/api-keys", {
        tenantId: "00000000-0000-4000-8000-0000000000bb",
        admin: true,
      });
      const key = (created.json as unknown as { apiKey?: string }).apiKey;
      const tenantAdmin = client(url, key);
      const r = await tenantAdmin.delete(`/v1/commitments/${id}/anchored`);
      expect(r.status).to.be.oneOf([401, 403]);
      expect((await tenantAdmin.post("/v1/anchor/lease", { holderId: "x", leaseMs: 5000 })).status).to.be.oneOf([
        401, 403,
      ]);
      expect((await client(url).delete(`/v1/commitments/${id}/anchored`)).status).to.equal(401);
    });
  });
}
