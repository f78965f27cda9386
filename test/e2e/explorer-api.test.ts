/**
 * The sequencer's side of the explorer, on both backends: `GET /api/v1/ves/streams` (every stream with events, head,
 * latest commitment and anchor status; a store-scoped key sees its stores; permissions and errors) and the static
 * `/explorer` routes (the page, its modules, uPlot from node_modules, config, a strict Content-Security-Policy).
 */
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import { AppError } from "../../offchain/common";
import { resolveSequencerConfig, type Sequencer } from "../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  sequencerEnv,
  startSequencer,
  type BackendSetup,
  type Client,
  type Response,
} from "../support/sequencer";

/** A field of a response's JSON body, as text. */
const str = (r: Response, name: string): string => String((r.json as Record<string, unknown>)[name]);
/** The reason code of an error answer. */
const errorCode = (r: Response): unknown =>
  ((r.json as Record<string, unknown>).error as { code?: unknown } | undefined)?.code;

interface StreamJson {
  store_id: string;
  head_sequence: bigint;
  committed_sequence: bigint;
  uncommitted_events: bigint;
  latest_state_root: string | null;
  anchor_status: string;
  latest_commitment: { batch_id: string; new_state_root: string; chain_block_number: bigint | null } | null;
}

for (const backend of BACKENDS) {
  describe(`Explorer API (${backend.name})`, function () {
    this.timeout(120_000);

    let setup: BackendSetup;
    let seq: Sequencer;
    let base: string;
    let admin: Client;

    before(async function () {
      setup = await backend.setup();
      ({ seq, url: base } = await startSequencer(setup));
      admin = client(base, ADMIN_KEY);
    });

    after(async function () {
      await seq?.stop();
      await setup?.cleanup();
    });

    describe("GET /api/v1/ves/streams", function () {
      it("lists every stream with events, registered or not, with head, commitment and anchor status", async function () {
        const tenantId = randomUUID();
        const [storeA, storeB, storeC] = [randomUUID(), randomUUID(), randomUUID()].sort();
        const a = await newAgent(admin, tenantId, storeA);
        const b = await newAgent(admin, tenantId, storeB);
        const c = await newAgent(admin, tenantId, storeC);
        expect((await ingest(admin, a, [await a.event(), await a.event(), await a.event()])).status).to.equal(200);
        expect((await ingest(admin, b, [await b.event()])).status).to.equal(200);
        expect((await ingest(admin, c, [await c.event(), await c.event()])).status).to.equal(200);
        // Another tenant's stream is never listed.
        const stranger = await newAgent(admin);
        expect((await ingest(admin, stranger, [await stranger.event()])).status).to.equal(200);

        let r = await admin.post("/api/v1/ves/commitments", {
          tenant_id: tenantId,
          store_id: storeA,
          sequence_start: 1,
          sequence_end: 2,
        });
        expect(r.status, r.text).to.equal(200);
        const batchA = str(r, "batch_id");
        const rootA = str(r, "new_state_root");
        r = await admin.post(`/v1/commitments/${batchA}/anchored`, {
          chain_tx_hash: "cd".repeat(32),
          chain_id: 31337,
          block_number: 7,
        });
        expect(r.status, r.text).to.equal(200);
        r = await admin.post("/api/v1/ves/commitments", {
          tenant_id: tenantId,
          store_id: storeC,
          sequence_start: 1,
          sequence_end: 2,
        });
        expect(r.status, r.text).to.equal(200);
        const rootC = str(r, "new_state_root");

        r = await admin.get(`/api/v1/ves/streams?tenant_id=${tenantId}`);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.tenant_id).to.equal(tenantId);
        expect(r.json.count).to.equal(3);
        const streams = r.json.streams as unknown as StreamJson[];
        expect(streams.map((s) => s.store_id)).to.deep.equal([storeA, storeB, storeC]);
        const [sa, sb, sc] = streams as [StreamJson, StreamJson, StreamJson];
        expect([sa.head_sequence, sa.committed_sequence, sa.uncommitted_events]).to.deep.equal([3n, 2n, 1n]);
        expect(sa.anchor_status).to.equal("anchored");
        expect(sa.latest_state_root).to.equal(rootA);
        expect(sa.latest_commitment?.batch_id).to.equal(batchA);
        expect(sa.latest_commitment?.chain_block_number).to.equal(7n);
        expect([sb.head_sequence, sb.committed_sequence, sb.uncommitted_events]).to.deep.equal([1n, 0n, 1n]);
        expect(sb.anchor_status).to.equal("uncommitted");
        expect(sb.latest_state_root).to.equal(null);
        expect(sb.latest_commitment).to.equal(null);
        expect([sc.head_sequence, sc.uncommitted_events, sc.anchor_status]).to.deep.equal([2n, 0n, "committed"]);
        expect(sc.latest_state_root).to.equal(rootC);

        // A read key of the tenant gets the same list without naming the tenant; `limit` caps it.
        r = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, { tenantId, readOnly: true });
        const reader = client(base, str(r, "apiKey"));
        r = await reader.get("/api/v1/ves/streams");
        expect(r.status, r.text).to.equal(200);
        expect((r.json.streams as unknown as StreamJson[]).map((s) => s.store_id)).to.deep.equal([
          storeA,
          storeB,
          storeC,
        ]);
        r = await reader.get("/api/v1/ves/streams?limit=1");
        expect((r.json.streams as unknown as StreamJson[]).map((s) => s.store_id)).to.deep.equal([storeA]);

        // A store-scoped key sees its store only.
        r = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, { tenantId, readOnly: true, storeIds: [storeB] });
        r = await client(base, str(r, "apiKey")).get(`/api/v1/ves/streams?tenant_id=${tenantId}`);
        expect(r.status, r.text).to.equal(200);
        expect((r.json.streams as unknown as StreamJson[]).map((s) => s.store_id)).to.deep.equal([storeB]);

        // Another tenant's key may not read this tenant.
        r = await admin.post(`/api/v1/agents/${stranger.agentId}/api-keys`, {
          tenantId: stranger.tenantId,
          readOnly: true,
        });
        const other = client(base, str(r, "apiKey"));
        r = await other.get(`/api/v1/ves/streams?tenant_id=${tenantId}`);
        expect([r.status, errorCode(r)]).to.deep.equal([403, "INSUFFICIENT_PERMISSIONS"]);
      });

      it("answers an empty list for a tenant without events, and the errors of a bad request", async function () {
        let r = await admin.get(`/api/v1/ves/streams?tenant_id=${randomUUID()}`);
        expect(r.status, r.text).to.equal(200);
        expect([r.json.count, r.json.streams]).to.deep.equal([0, []]);
        r = await admin.get("/api/v1/ves/streams");
        expect([r.status, errorCode(r)]).to.deep.equal([400, "INVALID_FIELD_VALUE"]);
        r = await admin.get("/api/v1/ves/streams?tenant_id=nope");
        expect([r.status, errorCode(r)]).to.deep.equal([400, "INVALID_REQUEST"]);
        r = await client(base, "ss_wrong_key_0123456789abcdef").get(`/api/v1/ves/streams?tenant_id=${randomUUID()}`);
        expect([r.status, errorCode(r)]).to.deep.equal([401, "invalid_api_key"]);
        r = await client(base).get(`/api/v1/ves/streams?tenant_id=${randomUUID()}`);
        expect(r.status).to.equal(401);
      });
    });

    describe("GET /explorer", function () {
      it("serves the page, its modules and uPlot under a strict Content-Security-Policy", async function () {
        const plain = client(base);
        const redirect = await fetch(`${base}/explorer`, { redirect: "manual" });
        expect([redirect.status, redirect.headers.get("location")]).to.deep.equal([302, "/explorer/"]);
        const expected: [string, string, string][] = [
          ["/explorer/", "text/html", '<script type="module" src="app.js">'],
          ["/explorer/app.js", "text/javascript", "import { ApiError"],
          ["/explorer/ves-browser.js", "text/javascript", "VES_LEAF_V1"],
          ["/explorer/explorer.css", "text/css", ":root"],
          ["/explorer/vendor/uPlot.esm.js", "text/javascript", "export { uPlot as default }"],
          ["/explorer/vendor/uPlot.min.css", "text/css", ".uplot"],
        ];
        for (const [path, type, content] of expected) {
          const r = await plain.get(path);
          expect(r.status, path).to.equal(200);
          expect(r.headers.get("content-type"), path).to.include(type);
          expect(r.text, path).to.include(content);
          const csp = r.headers.get("content-security-policy") ?? "";
          expect(csp, path).to.include("default-src 'none'").and.include("script-src 'self'");
          expect(csp, path).to.include("connect-src 'self';").and.include("frame-ancestors 'none'");
          expect(csp, path).to.not.include("unsafe");
          expect(r.headers.get("x-content-type-options"), path).to.equal("nosniff");
        }
        const config = await plain.get("/explorer/config.json");
        expect(config.json).to.deep.equal({ chainRpcUrl: null, registryAddress: null });
        for (const path of ["/explorer/nope.js", "/explorer/..%2Fapi.ts", "/explorer/vendor/uPlot.cjs.js"]) {
          const r = await plain.get(path);
          expect([r.status, errorCode(r)], path).to.deep.equal([404, "NOT_FOUND"]);
        }
      });

      it("tells the page its chain settings and lets it connect to that origin only", async function () {
        const registry = `0x${"11".repeat(20)}`;
        const other = await startSequencer(setup, {
          explorerChainRpcUrl: "http://127.0.0.1:8545/rpc",
          explorerRegistryAddress: registry,
        });
        try {
          const r = await client(other.url).get("/explorer/config.json");
          expect(r.json).to.deep.equal({ chainRpcUrl: "http://127.0.0.1:8545/rpc", registryAddress: registry });
          expect(r.headers.get("content-security-policy")).to.include("connect-src 'self' http://127.0.0.1:8545;");
        } finally {
          await other.seq.stop();
        }
        expect(() => resolveSequencerConfig({ explorerChainRpcUrl: "file:///etc/passwd" }, sequencerEnv(setup)))
          .to.throw(AppError)
          .with.property("code", "CONFIG_INVALID");
        expect(() => resolveSequencerConfig({ explorerRegistryAddress: "0x1234" }, sequencerEnv(setup)))
          .to.throw(AppError)
          .with.property("code", "CONFIG_INVALID");
      });
    });
  });
}
