/**
 * The explorer page in a real browser (Debian's Chromium through playwright-core) against a real sequencer (SQLite)
 * with seeded data: every view shows the API's numbers, the live view shows a newly pushed event, in-browser
 * verification agrees with offchain/ves for a real event, checks the roots anchored on SetRegistry (Hardhat's
 * in-process chain behind a loopback JSON-RPC endpoint) and fails for a tampered proof, a wrong API key shows an error, a payload carrying markup renders as text and runs nothing, and no page breaks its Content-Security-Policy.
 * Each view is saved as a screenshot under test-artifacts/explorer/ (wide and narrow).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import hre, { ethers } from "hardhat";
import type { Browser, BrowserContext, Page } from "playwright-core";

import SetRegistryModule from "../../deploy/modules/SetRegistry";
import { SetRegistry__factory, type SetRegistry } from "../../typechain-types";

import * as ves from "../../offchain/ves";
import type { Sequencer } from "../../offchain/sequencer";
import { launchChromium, screenshot } from "../support/browser";
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
  type Response,
} from "../support/sequencer";

/** A field of a response's JSON body, as text. */
const str = (r: Response, name: string): string => String((r.json as Record<string, unknown>)[name]);

/** Generous waits for a loaded machine; every wait is on a condition, never a fixed sleep. */
const WAIT = { timeout: 30_000 };
const XSS = "<img src=x onerror=window.__xss=1>";
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

interface Seeded {
  readonly tenantId: string;
  readonly a: Agent;
  readonly b: Agent;
  readonly readKey: string;
  readonly envelopes: ves.VesEventEnvelope[];
  readonly anchoredBatch: string;
  /** The anchoring transaction (hex without 0x) and its block. */
  readonly anchorTx: string;
  readonly anchorBlock: number;
}

/** SetRegistry on Hardhat's in-process chain, with its sequencer's signer. */
async function deployRegistry(): Promise<SetRegistry> {
  const [owner, sequencer] = await ethers.getSigners();
  if (!owner || !sequencer) throw new Error("need two signers");
  const deployed = await hre.ignition.deploy(SetRegistryModule, {
    parameters: { SetRegistryModule: { owner: owner.address, sequencer: sequencer.address } },
  });
  return SetRegistry__factory.connect(await deployed.registry.getAddress(), sequencer);
}

/**
 * A loopback JSON-RPC endpoint over Hardhat's in-process chain that answers browsers as a node with CORS enabled
 * does (preflight included).
 */
async function rpcEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type",
  };
  const server = http.createServer((req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end();
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const call = JSON.parse(body) as { id: unknown; method: string; params?: unknown[] };
      hre.network.provider.send(call.method, call.params ?? []).then(
        (result: unknown) =>
          res
            .writeHead(200, { ...cors, "content-type": "application/json" })
            .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result })),
        (e: Error) =>
          res
            .writeHead(200, { ...cors, "content-type": "application/json" })
            .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32000, message: e.message } })),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Seeds a tenant with two streams: A (5 events, 1..3 committed and anchored on `registry`) and B (2 events, committed,
 * not anchored).
 */
async function seed(admin: Client, registry: SetRegistry): Promise<Seeded> {
  const tenantId = crypto.randomUUID();
  const a = await newAgent(admin, tenantId, crypto.randomUUID());
  const b = await newAgent(admin, tenantId, crypto.randomUUID());
  const recipients = [1, 2].map((kid) => ({ kid, publicKey: ves.x25519Keygen().publicKey }));
  const envelopes = [
    await a.event({ entityType: "order", entityId: "ORD-7", eventType: "order.created", payload: { total: "19.99" } }),
    await a.event({ entityType: "order", entityId: "ORD-7", eventType: "order.paid", payload: { paid: true } }),
    await a.event({ entityType: "order", entityId: "ORD-8", eventType: "order.created", payload: { total: "5.00" } }),
    await a.event({ entityType: "note", entityId: XSS, eventType: "note.added", payload: { text: XSS } }),
    await a.event({ entityType: "order", entityId: "ORD-9", eventType: "order.secret", payload: { x: 1 }, recipients }),
  ];
  let r = await ingest(admin, a, envelopes);
  expect(r.status, r.text).to.equal(200);
  r = await ingest(admin, b, [await b.event(), await b.event()]);
  expect(r.status, r.text).to.equal(200);

  r = await admin.post("/api/v1/ves/commitments", {
    tenant_id: tenantId,
    store_id: a.storeId,
    sequence_start: 1,
    sequence_end: 3,
  });
  expect(r.status, r.text).to.equal(200);
  const anchoredBatch = str(r, "batch_id");
  const tx = await registry.commitBatch(
    ves.bytesTo0xHex(ves.uuidToBytes32(anchoredBatch)),
    ves.bytesTo0xHex(ves.uuidToBytes32(tenantId)),
    ves.bytesTo0xHex(ves.uuidToBytes32(a.storeId)),
    `0x${str(r, "merkle_root")}`,
    `0x${str(r, "prev_state_root")}`,
    `0x${str(r, "new_state_root")}`,
    1n,
    3n,
    3,
  );
  const mined = await tx.wait();
  if (mined === null) throw new Error("the anchoring transaction was not mined");
  r = await admin.post(`/v1/commitments/${anchoredBatch}/anchored`, {
    chain_tx_hash: mined.hash,
    chain_id: (await ethers.provider.getNetwork()).chainId,
    block_number: mined.blockNumber,
  });
  expect(r.status, r.text).to.equal(200);
  r = await admin.post("/api/v1/ves/commitments", {
    tenant_id: tenantId,
    store_id: b.storeId,
    sequence_start: 1,
    sequence_end: 2,
  });
  expect(r.status, r.text).to.equal(200);

  r = await admin.post(`/api/v1/agents/${a.agentId}/api-keys`, { tenantId, readOnly: true });
  expect(r.status, r.text).to.equal(200);
  return {
    tenantId,
    a,
    b,
    readKey: str(r, "apiKey"),
    envelopes,
    anchoredBatch,
    anchorTx: mined.hash.slice(2),
    anchorBlock: mined.blockNumber,
  };
}

/** The trimmed text of the first element matching `selector`. */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent(WAIT)) ?? "").trim();
}

describe("Explorer page (Chromium)", function () {
  this.timeout(180_000);

  let setup: BackendSetup;
  let seq: Sequencer;
  let base: string;
  let admin: Client;
  let data: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let rpc: Awaited<ReturnType<typeof rpcEndpoint>>;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    const sqlite = BACKENDS.find((b) => b.name === "SQLite")!;
    setup = await sqlite.setup();
    let registry: SetRegistry;
    [registry, rpc, browser] = await Promise.all([deployRegistry(), rpcEndpoint(), launchChromium()]);
    const started = await startSequencer(setup, {
      explorerChainRpcUrl: rpc.url,
      explorerRegistryAddress: await registry.getAddress(),
    });
    seq = started.seq;
    base = started.url;
    admin = client(base, ADMIN_KEY);
    data = await seed(admin, registry);
    context = await browser.newContext({ viewport: WIDE });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${base}/explorer/`);
    await page.fill("#api-key", data.readKey);
    await page.click("button[type=submit]");
    await page.waitForSelector("#streams-table", WAIT);
  });

  after(async function () {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await seq?.stop();
    await rpc?.close();
    await setup?.cleanup();
  });

  afterEach(function () {
    expect(cspViolations, "Content-Security-Policy violations").to.deep.equal([]);
    expect(pageErrors, "uncaught page errors").to.deep.equal([]);
  });

  it("serves the page with a strict Content-Security-Policy and keeps the key in sessionStorage only", async function () {
    const res = await page.request.get(`${base}/explorer/`);
    expect(res.headers()["content-security-policy"]).to.include("script-src 'self'");
    expect(res.headers()["content-security-policy"]).to.not.include("unsafe-inline");
    const stored = await page.evaluate(
      '({ session: sessionStorage.getItem("ves.explorer.apiKey"), local: localStorage.length, cookie: document.cookie })',
    );
    expect(stored).to.deep.equal({ session: data.readKey, local: 0, cookie: "" });
  });

  it("lists the tenant's streams with head, committed range, latest state root and anchor status", async function () {
    const api = await client(base, data.readKey).get("/api/v1/ves/streams");
    const streams = api.json.streams as unknown as { store_id: string; latest_state_root: string }[];
    const rowA = page.locator(`#streams-table tr[data-store="${data.a.storeId}"]`);
    const rowB = page.locator(`#streams-table tr[data-store="${data.b.storeId}"]`);
    expect(await rowA.locator("[data-field=head]").textContent()).to.equal("5");
    expect(await rowA.locator("[data-field=committed]").textContent()).to.equal("3");
    expect(await rowA.locator("[data-field=uncommitted]").textContent()).to.equal("2");
    expect(await rowA.locator("[data-anchor]").getAttribute("data-anchor")).to.equal("anchored");
    const rootA = streams.find((s) => s.store_id === data.a.storeId)!.latest_state_root;
    expect(await rowA.locator("code.hash").getAttribute("data-full")).to.equal(rootA);
    expect(await rowB.locator("[data-field=head]").textContent()).to.equal("2");
    expect(await rowB.locator("[data-field=uncommitted]").textContent()).to.equal("0");
    expect(await rowB.locator("[data-anchor]").getAttribute("data-anchor")).to.equal("committed");
    await screenshot(page, "streams-wide");
    await page.setViewportSize(NARROW);
    await screenshot(page, "streams-narrow");
    await page.setViewportSize(WIDE);
  });

  it("shows a stream's events, renders a markup payload as text, and updates live", async function () {
    await page.goto(`${base}/explorer/#/stream/${data.a.storeId}`);
    await page.waitForSelector("#events-body tr[data-seq='5']", WAIT);
    expect(await page.locator("#events-body tr").count()).to.equal(5);
    const secret = page.locator("#events-body tr[data-seq='5']");
    expect(await secret.locator(".badge-enc").textContent()).to.equal("encrypted for 2 recipients");
    const first = page.locator("#events-body tr[data-seq='1']");
    expect(await first.textContent())
      .to.include("order.created")
      .and.include("order/ORD-7");

    // The markup is shown as text; no element was made from it and nothing ran.
    const note = page.locator("#events-body tr[data-seq='4']");
    expect(await note.textContent()).to.include(XSS);
    expect(await page.locator("main img").count()).to.equal(0);
    expect(await page.evaluate("typeof window.__xss")).to.equal("undefined");
    await screenshot(page, "events-wide");

    // A new event arrives while the page is open.
    const fresh = await data.a.event({ entityType: "order", entityId: "ORD-7", eventType: "order.shipped" });
    const r = await ingest(admin, data.a, [fresh]);
    expect(r.status, r.text).to.equal(200);
    await page.waitForSelector("#events-body tr[data-seq='6'].fresh", WAIT);
    await page.waitForFunction('document.getElementById("head-sequence")?.textContent === "6"', null, WAIT);
    expect(await page.locator("#events-body tr").first().getAttribute("data-seq")).to.equal("6");
    expect(await text(page, "#events-body tr[data-seq='6']")).to.include("order.shipped");
    await page.setViewportSize(NARROW);
    await screenshot(page, "events-narrow");
    await page.setViewportSize(WIDE);
  });

  it("shows an entity's history with its count and version", async function () {
    await page.goto(`${base}/explorer/#/entity/${data.a.storeId}/order/ORD-7`);
    await page.waitForSelector("#entity-table", WAIT);
    const api = await client(base, data.readKey).get(
      `/api/v1/ves/entities/order/ORD-7?tenant_id=${data.tenantId}&store_id=${data.a.storeId}`,
    );
    expect(api.status, api.text).to.equal(200);
    expect(await text(page, "#entity-total")).to.equal("3");
    expect(await text(page, "#entity-version")).to.equal(String(api.json.current_version));
    expect(await page.locator("#entity-table tbody tr").count()).to.equal(3);
    await screenshot(page, "entity-wide");

    // The markup entity id: reachable by its link, shown as text.
    await page.goto(`${base}/explorer/#/entity/${data.a.storeId}/note/${encodeURIComponent(XSS)}`);
    await page.waitForSelector("#entity-table", WAIT);
    expect(await text(page, "#view-title")).to.equal(`Entity note/${XSS}`);
    expect(await page.locator("main img").count()).to.equal(0);
  });

  it("lists commitments with range, roots, anchor status, transaction hash and block", async function () {
    await page.goto(`${base}/explorer/#/stream/${data.a.storeId}/commitments`);
    await page.waitForSelector("#commitments-table", WAIT);
    expect(await text(page, "#commitment-count")).to.equal("1");
    expect(await text(page, "#anchored-count")).to.equal("1");
    const row = page.locator("#commitments-table tbody tr").first();
    expect(await row.locator("[data-field=range]").textContent()).to.equal("1–3");
    expect(await row.locator("[data-field=block]").textContent()).to.equal(String(data.anchorBlock));
    expect(await row.locator(`code[data-full="${data.anchorTx}"]`).count()).to.equal(1);
    expect(await row.locator(`code[data-full="${data.anchoredBatch}"]`).count()).to.equal(1);
    await screenshot(page, "commitments-wide");
  });

  it("says when there are no proofs to show, or when the sequencer offers none", async function () {
    // Validity-proof routes are another part's: the page must say which empty state applies.
    const api = await client(base, data.readKey).get(`/api/v1/ves/validity/${data.anchoredBatch}/proofs`);
    const routeMissing = api.status === 404 && api.text.includes('"message":"no route ');
    if (!routeMissing) expect(api.status, api.text).to.equal(200);
    await page.goto(`${base}/explorer/#/stream/${data.a.storeId}/proofs`);
    const empty = page.locator("main [data-state=empty]");
    await empty.waitFor(WAIT);
    expect(await empty.textContent()).to.include(
      routeMissing ? "not available on this sequencer" : "No proofs yet for this stream's commitments",
    );
    await screenshot(page, "proofs-wide");
  });

  it("draws an event's inclusion proof and verifies it in the browser exactly as offchain/ves does", async function () {
    const envelope = data.envelopes[1]!;
    await page.goto(`${base}/explorer/#/event/${envelope.event_id}`);
    await page.waitForSelector("#verify", WAIT);
    expect(await page.locator(".tree .tree-level").count()).to.equal(2);
    await page.click("#verify");
    const result = page.locator("#verify-result[data-verdict]");
    await result.waitFor(WAIT);
    expect(await result.getAttribute("data-verdict")).to.equal("pass");

    // The browser's leaf and root are offchain/ves's.
    const parsed = ves.parseEnvelope(envelope);
    if (!parsed.ok) throw new Error(parsed.rejection.message);
    const leaf = ves.leafHash({
      tenantId: data.tenantId,
      storeId: data.a.storeId,
      sequenceNumber: 2n,
      eventSigningHash: ves.eventSigningHash(parsed.event),
      agentSignature: parsed.event.agentSignature,
    });
    const proof = await client(base, data.readKey).get(
      `/api/v1/ves/proofs/2?tenant_id=${data.tenantId}&store_id=${data.a.storeId}`,
    );
    const root = ves.rootFromProof(
      leaf,
      Number(proof.json.leaf_index),
      (proof.json.proof_path as unknown as string[]).map((h) => ves.hexToBytes(h)),
    );
    expect(await result.getAttribute("data-leaf")).to.equal(ves.bytesToHex(leaf));
    expect(await result.getAttribute("data-root")).to.equal(ves.bytesToHex(root));
    expect(ves.bytesToHex(root)).to.equal(proof.json.merkle_root);
    expect(await page.locator("#verify-result .check-fail").count()).to.equal(0);
    // The roots anchored on SetRegistry, read by the browser with a raw eth_call, are the commitment's.
    const onChain = page.locator('#verify-result li[data-check="On-chain roots (SetRegistry)"]');
    expect(await onChain.getAttribute("class")).to.equal("check-ok");
    expect(await onChain.textContent()).to.include(String(proof.json.merkle_root));
    await screenshot(page, "event-verified-wide");
    await page.setViewportSize(NARROW);
    await screenshot(page, "event-verified-narrow");
    await page.setViewportSize(WIDE);
  });

  it("fails the in-browser verification for a tampered proof", async function () {
    const envelope = data.envelopes[1]!;
    await page.route("**/api/v1/ves/proofs/**", async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { proof_path: string[] };
      const sibling = body.proof_path[0]!;
      body.proof_path[0] = (sibling[0] === "0" ? "1" : "0") + sibling.slice(1);
      await route.fulfill({ response: res, json: body });
    });
    try {
      await page.goto(`${base}/explorer/#/event/${envelope.event_id}`);
      await page.reload();
      await page.waitForSelector("#verify", WAIT);
      await page.click("#verify");
      const result = page.locator("#verify-result[data-verdict]");
      await result.waitFor(WAIT);
      expect(await result.getAttribute("data-verdict")).to.equal("fail");
      const failed = page.locator("#verify-result .check-fail");
      expect(await failed.count()).to.equal(1);
      expect(await failed.textContent())
        .to.include("Path to the commitment's Merkle root")
        .and.include("root_mismatch");
      await screenshot(page, "event-tampered-wide");
    } finally {
      await page.unroute("**/api/v1/ves/proofs/**");
    }
  });

  it("charts events per minute per stream and commit-to-anchor latency", async function () {
    await page.goto(`${base}/explorer/#/charts`);
    await page.waitForSelector("#rate-table", WAIT);
    await page.waitForSelector("#events-chart canvas", WAIT);
    await page.waitForSelector("#latency-chart canvas", WAIT);
    const rows = page.locator("#rate-table tbody tr");
    const counts = new Map<string, string>();
    for (let i = 0; i < (await rows.count()); i++) {
      const store = ((await rows.nth(i).locator("a").textContent()) ?? "").trim();
      counts.set(store, ((await rows.nth(i).locator("[data-field=events]").textContent()) ?? "").trim());
    }
    expect(Object.fromEntries(counts)).to.deep.equal({ [data.a.storeId]: "6", [data.b.storeId]: "2" });
    const c = await client(base, data.readKey).get(`/api/v1/ves/commitments/${data.anchoredBatch}`);
    const latency = (Date.parse(str(c, "anchored_at")) - Date.parse(str(c, "committed_at"))) / 1000;
    expect(await text(page, "#latency-count")).to.equal("1");
    expect(Number(await page.locator("#latency-median").getAttribute("data-seconds"))).to.equal(latency);
    await screenshot(page, "charts-wide");
  });

  it("moves through the views with the keyboard", async function () {
    await page.goto(`${base}/explorer/#/streams`);
    await page.waitForSelector("#streams-table", WAIT);
    await page.locator(`#streams-table a[href="#/stream/${data.b.storeId}"]`).focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector("#events-body tr[data-seq='2']", WAIT);
    expect(await page.evaluate("document.activeElement?.id")).to.equal("view-title");
  });

  it("shows an error for a wrong API key", async function () {
    const other = await browser.newContext({ viewport: WIDE });
    try {
      const p = await other.newPage();
      await p.goto(`${base}/explorer/`);
      await p.fill("#api-key", "ss_wrong_key_0123456789abcdef");
      await p.click("button[type=submit]");
      const alert = p.locator("main [role=alert]");
      await alert.waitFor(WAIT);
      expect(await alert.textContent())
        .to.include("refused the API key")
        .and.include("invalid_api_key");
      expect(await p.evaluate('sessionStorage.getItem("ves.explorer.apiKey")')).to.equal(null);
      await screenshot(p, "wrong-key-wide");
    } finally {
      await other.close();
    }
  });
});
