/**
 * `stateset-sync mcp` through the SDK's own client over a real stdio child process (bin/stateset-sync), against a
 * real sequencer on a loopback port: the tool list and its schemas, every tool called, bad arguments, guardrail
 * refusals, preview mode writing nothing, a retried `stateset_record_action` with the same commandId, and per-day
 * limits that survive a restart.
 *
 * Budget: about 20 s of the suite (one SQLite sequencer, four short-lived server processes).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import Database from "better-sqlite3";
import { expect } from "chai";

import { deriveEventId, runSyncCli } from "../../../offchain/agent";
import type { Sequencer } from "../../../offchain/sequencer";
import { ADMIN_KEY, BACKENDS, client, startSequencer, type BackendSetup } from "../../support/sequencer";

const BIN = path.join(__dirname, "..", "..", "..", "bin", "stateset-sync");

const READ_TOOLS = [
  "stateset_get_head",
  "stateset_get_entity_history",
  "stateset_get_inclusion_proof",
  "stateset_wait_for_event",
  "sync_status",
  "sync_outbox",
  "sync_decrypt_event",
  "sync_verify_receipt",
  "sync_verify_inclusion",
];
const WRITE_TOOLS = [
  "stateset_record_action",
  "sync_push",
  "sync_pull",
  "create_order",
  "adjust_inventory",
  "record_payment",
  "request_return",
];

const GUARDRAILS = {
  allowedEventTypes: ["order.*", "inventory.adjusted", "payment.completed", "return.requested"],
  requireBaseVersion: true,
  maxWriteValue: 60_000,
  maxDailyValue: 1_000_000,
  maxDailyWrites: 100,
  maxInventoryAdjustment: 100,
};

type Json = Record<string, unknown> & Record<string, never>;

/** A running `stateset-sync mcp` child with its SDK client. */
interface Server {
  readonly client: Client;
  readonly stderr: () => string;
  readonly errors: Error[];
  call(name: string, args?: Record<string, unknown>): Promise<{ result: CallToolResult; json: Json }>;
  close(): Promise<void>;
}

async function serve(home: string, apply: boolean): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "--home", home, "mcp", ...(apply ? ["--apply"] : [])],
    env: { STATESET_API_KEY: ADMIN_KEY },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const errors: Error[] = [];
  const c = new Client({ name: "ves-mcp-test", version: "1.0.0" });
  c.onerror = (e) => errors.push(e);
  await c.connect(transport);
  return {
    client: c,
    stderr: () => stderr,
    errors,
    async call(name, args = {}) {
      const result = (await c.callTool({ name, arguments: args })) as CallToolResult;
      const first = result.content[0];
      const text = first !== undefined && first.type === "text" ? first.text : "";
      return { result, json: JSON.parse(text) as Json };
    },
    close: () => c.close(),
  };
}

/** The error of an isError result. */
function errorOf(r: { result: CallToolResult; json: Json }): { code: string; message: string; retryable: boolean } {
  expect(r.result.isError, JSON.stringify(r.json)).to.equal(true);
  expect(r.json.ok).to.equal(false);
  const e = r.json.error as unknown as { code: string; message: string; retryable: boolean; hint?: string };
  expect(e.code).to.be.a("string");
  expect(e.message).to.be.a("string");
  expect(e.retryable).to.be.a("boolean");
  return e;
}

/** The structured content of a successful result (and its text is the same JSON). */
function ok(r: { result: CallToolResult; json: Json }): Json {
  expect(r.result.isError ?? false, JSON.stringify(r.json)).to.equal(false);
  expect(r.result.structuredContent).to.deep.equal(r.json);
  return r.json;
}

async function sync(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  let out = "";
  let err = "";
  const code = await runSyncCli(args, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env,
    cwd: tmpdir(),
    readStdin: () => "",
  });
  expect(code, `${args.join(" ")}: ${err}`).to.equal(0);
  return out;
}

/** A configured agent home with a generated (and optionally registered) key; `mcp` replaces the guardrails. */
async function makeHome(url: string, register: boolean, mcp?: object): Promise<{ home: string; agentId: string }> {
  const home = mkdtempSync(path.join(tmpdir(), "ves-mcp-home-"));
  const env = { STATESET_API_KEY: ADMIN_KEY, STATESET_ADMIN_API_KEY: ADMIN_KEY };
  const tenant = TENANT;
  const out = await sync(
    ["--home", home, "init", "--json", "--sequencer-url", url, "--tenant-id", tenant, "--store-id", STORE],
    env,
  );
  const agentId = (JSON.parse(out) as { config: { agentId: string } }).config.agentId;
  await sync(["--home", home, "keys:generate"], env);
  if (register) await sync(["--home", home, "keys:register"], env);
  if (mcp !== undefined) setGuardrails(home, mcp);
  return { home, agentId };
}

function setGuardrails(home: string, mcp: object): void {
  const file = path.join(home, "sync.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, mcp }, null, 2));
}

function rows(home: string, table: string): number {
  const db = new Database(path.join(home, "outbox.db"), { readonly: true, fileMustExist: true });
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    return exists === undefined ? 0 : (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const TENANT = randomUUID();
/** The command of the first recorded action (retried in several tests). */
const FIRST = randomUUID();
const STORE = randomUUID();

describe("stateset-sync mcp", function () {
  let setup: BackendSetup;
  let seq: Sequencer;
  let url: string;
  let main: { home: string; agentId: string };
  let previewHome: { home: string; agentId: string };
  let readOnlyHome: { home: string; agentId: string };
  let apply: Server;
  let preview: Server;
  let readOnly: Server;
  const homes: string[] = [];
  let firstDay = ""; // the UTC day of the first writes: the per-day totals below count from it

  before(async function () {
    firstDay = new Date().toISOString().slice(0, 10);
    setup = await BACKENDS[0]!.setup();
    ({ seq, url } = await startSequencer(setup));
    main = await makeHome(url, true, GUARDRAILS);
    previewHome = await makeHome(url, false, GUARDRAILS);
    readOnlyHome = await makeHome(url, true);
    homes.push(main.home, previewHome.home, readOnlyHome.home);
    [apply, preview, readOnly] = await Promise.all([
      serve(main.home, true),
      serve(previewHome.home, false),
      serve(readOnlyHome.home, true),
    ]);
  });

  after(async function () {
    await Promise.all([apply, preview, readOnly].map((s) => s?.close()));
    await seq?.stop();
    await setup?.cleanup();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  const order = (commandId: string, unitPrice = 1250, quantity = 2) => ({
    commandId,
    customerId: "cust-1",
    items: [{ sku: "SKU-1", name: "Widget", quantity, unitPrice }],
    currency: "USD",
  });

  describe("tools/list", function () {
    it("lists every tool with input and output schemas and honest annotations", async function () {
      const { tools } = await apply.client.listTools();
      expect(tools.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS, ...WRITE_TOOLS].sort());
      for (const t of tools) {
        expect(t.outputSchema, t.name).to.be.an("object");
        expect(t.annotations?.destructiveHint, t.name).to.equal(false);
        expect(t.annotations?.idempotentHint, t.name).to.equal(true);
        expect(t.annotations?.readOnlyHint, t.name).to.equal(READ_TOOLS.includes(t.name));
      }
      const record = tools.find((t) => t.name === "stateset_record_action")!;
      expect(Object.keys(record.inputSchema.properties ?? {}).sort()).to.deep.equal(
        ["baseVersion", "commandId", "entityId", "entityType", "eventType", "payload"].sort(),
      );
      expect(record.inputSchema.required).to.have.members([
        "entityType",
        "entityId",
        "eventType",
        "payload",
        "commandId",
      ]);
      expect((record.inputSchema as { additionalProperties?: unknown }).additionalProperties).to.equal(false);
      const proof = tools.find((t) => t.name === "stateset_get_inclusion_proof")!;
      expect(proof.inputSchema.required).to.deep.equal(["sequenceNumber"]);
      const wait = tools.find((t) => t.name === "stateset_wait_for_event")!;
      expect(Object.keys(wait.inputSchema.properties ?? {}).sort()).to.deep.equal(
        ["entityId", "entityType", "eventType", "from", "timeoutMs"].sort(),
      );
    });
  });

  describe("writes with --apply", function () {
    let firstSeq: string;

    it("records an action once: a retried call with the same commandId is the same event", async function () {
      const args = {
        entityType: "order",
        entityId: "ORD-100",
        eventType: "order.created",
        payload: { items: [{ sku: "A", quantity: 1, unitPrice: 900 }], total: 900, currency: "USD" },
        commandId: FIRST,
      };
      const a = ok(await apply.call("stateset_record_action", args));
      expect(a).to.include({ ok: true, preview: false, applied: true, duplicate: false, status: "acknowledged" });
      const event = a.event as unknown as { eventId: string; payload: { amountCommitment?: string } };
      expect(event.eventId).to.equal(deriveEventId(main.agentId, FIRST));
      expect(event.payload.amountCommitment).to.match(/^[0-9a-f]{64}$/);
      firstSeq = a.sequenceNumber as unknown as string;
      const head = ok(await apply.call("stateset_get_head")).headSequence;

      const b = ok(await apply.call("stateset_record_action", args));
      expect(b).to.include({ duplicate: true, status: "acknowledged", sequenceNumber: firstSeq });
      expect((b.event as unknown as { eventId: string }).eventId).to.equal(event.eventId);
      expect(ok(await apply.call("stateset_get_head")).headSequence).to.equal(head);
      const outbox = ok(await apply.call("sync_outbox", { status: "all", limit: 500 }));
      const mine = (outbox.events as unknown as { commandId: string }[]).filter((e) => e.commandId === FIRST);
      expect(mine).to.have.length(1);

      const conflict = errorOf(
        await apply.call("stateset_record_action", { ...args, payload: { ...args.payload, total: 901 } }),
      );
      expect(conflict.code).to.equal("COMMAND_CONFLICT");
    });

    it("refuses a stale baseVersion as a structured rejection", async function () {
      const e = errorOf(
        await apply.call("stateset_record_action", {
          entityType: "order",
          entityId: "ORD-100",
          eventType: "order.updated",
          payload: { status: "packed" },
          commandId: randomUUID(),
          baseVersion: 7,
        }),
      );
      expect(e.code).to.equal("REJECTED");
      expect(e.message).to.contain("version_conflict");
      expect(e.retryable).to.equal(false);
      const good = ok(
        await apply.call("stateset_record_action", {
          entityType: "order",
          entityId: "ORD-100",
          eventType: "order.updated",
          payload: { status: "packed" },
          commandId: randomUUID(),
          baseVersion: "1",
        }),
      );
      expect(good.status).to.equal("acknowledged");
    });

    it("records through each typed tool", async function () {
      const o = ok(await apply.call("create_order", order(randomUUID())));
      expect(o).to.include({ status: "acknowledged", applied: true });
      expect((o.event as unknown as { payload: { total: number } }).payload.total).to.equal(2500);
      const inv = ok(
        await apply.call("adjust_inventory", { commandId: randomUUID(), sku: "SKU-1", delta: -2, baseVersion: 0 }),
      );
      expect(inv).to.include({ status: "acknowledged" });
      expect((inv.event as unknown as { entityType: string; entityId: string }).entityId).to.equal("SKU-1");
      const pay = ok(
        await apply.call("record_payment", {
          commandId: randomUUID(),
          orderId: "ORD-100",
          amount: 900,
          currency: "USD",
        }),
      );
      expect(pay).to.include({ status: "acknowledged" });
      const ret = ok(
        await apply.call("request_return", {
          commandId: randomUUID(),
          orderId: "ORD-100",
          items: [{ sku: "A", quantity: 1 }],
          reason: "damaged",
          refundAmount: 900,
          currency: "USD",
        }),
      );
      expect(ret).to.include({ status: "acknowledged" });
      const totalMismatch = errorOf(await apply.call("create_order", { ...order(randomUUID()), total: 1 }));
      expect(totalMismatch.code).to.equal("INVALID_INPUT");
    });

    it("answers every read tool on the recorded events", async function () {
      const eventId = deriveEventId(main.agentId, FIRST);
      const head = ok(await apply.call("stateset_get_head"));
      expect(BigInt(head.headSequence as unknown as string) >= 6n).to.equal(true);
      expect(head.latestCommitment).to.equal(null);
      const notYet = errorOf(await apply.call("stateset_get_inclusion_proof", { sequenceNumber: firstSeq }));
      expect(notYet).to.include({ code: "NOT_FOUND", retryable: true });

      const admin = client(url, ADMIN_KEY);
      const c = await admin.post("/api/v1/ves/commitments", {
        tenant_id: TENANT,
        store_id: STORE,
        sequence_start: 1,
        sequence_end: BigInt(head.headSequence as unknown as string),
      });
      expect(c.status, c.text).to.equal(200);

      const proof = ok(await apply.call("stateset_get_inclusion_proof", { sequenceNumber: Number(firstSeq) }));
      expect(proof).to.include({ sequenceNumber: firstSeq, pathValid: true, problem: null });
      const receipt = ok(await apply.call("sync_verify_receipt", { eventId }));
      expect(receipt.verified).to.equal(true);
      expect((receipt.steps as unknown as { step: string }[]).map((x) => x.step)).to.include("receipt");
      const inclusion = ok(await apply.call("sync_verify_inclusion", { eventId }));
      expect(inclusion.verified, JSON.stringify(inclusion.steps)).to.equal(true);
      expect((inclusion.steps as unknown as { step: string; ok: boolean }[]).map((x) => x.step)).to.include(
        "inclusion proof",
      );
      const decrypted = ok(await apply.call("sync_decrypt_event", { eventId }));
      expect(decrypted).to.include({ source: "outbox", payloadKind: 0 });
      expect((decrypted.payload as unknown as { total: number }).total).to.equal(900);

      const found = ok(
        await apply.call("stateset_wait_for_event", { from: 1, entityId: "ORD-100", eventType: "order.updated" }),
      );
      expect(found.found).to.equal(true);
      expect((found.event as unknown as { eventType: string }).eventType).to.equal("order.updated");
      const none = ok(
        await apply.call("stateset_wait_for_event", { from: found.nextSequence, entityId: "ORD-100", timeoutMs: 0 }),
      );
      expect(none).to.include({ found: false, event: null });

      // The entity-history route is another engineer's; until it exists the tool answers a structured NOT_FOUND.
      const route = await admin.get(`/api/v1/ves/entities/order/ORD-100?tenant_id=${TENANT}&store_id=${STORE}`);
      const history = await apply.call("stateset_get_entity_history", { entityType: "order", entityId: "ORD-100" });
      if (route.status === 404) {
        expect(errorOf(history).code).to.equal("NOT_FOUND");
      } else {
        const h = ok(history);
        expect(h.currentVersion).to.equal("2");
        expect((h.events as unknown as { verified: boolean }[]).every((e) => e.verified)).to.equal(true);
      }

      const status = ok(await apply.call("sync_status"));
      expect(status).to.include({ agentId: main.agentId, connected: true });
      expect((status.mcp as unknown as { mode: string }).mode).to.equal("apply");
      expect((status.outbox as unknown as { pending: number }).pending).to.equal(0);
      const push = ok(await apply.call("sync_push"));
      expect(push).to.include({ preview: false, acknowledged: 0, pending: 0 });
      const pull = ok(await apply.call("sync_pull"));
      expect(pull.preview).to.equal(false);
      expect(pull.stored).to.equal(pull.pulled);
      expect(pull.pulled).to.equal(Number(head.headSequence));
    });
  });

  describe("bad arguments", function () {
    it("answers them as structured INVALID_INPUT results and keeps serving", async function () {
      const missing = errorOf(
        await apply.call("stateset_record_action", { entityType: "order", entityId: "X", eventType: "order.created" }),
      );
      expect(missing.code).to.equal("INVALID_INPUT");
      expect(missing.message).to.contain("commandId");
      const notUuid = errorOf(await apply.call("create_order", { ...order("not-a-uuid") }));
      expect(notUuid.code).to.equal("INVALID_INPUT");
      const unknown = errorOf(await apply.call("sync_outbox", { statuz: "pending" }));
      expect(unknown.message).to.contain("statuz");
      const zero = errorOf(await apply.call("stateset_get_inclusion_proof", { sequenceNumber: 0 }));
      expect(zero.code).to.equal("INVALID_INPUT");
      const badPayload = errorOf(
        await apply.call("stateset_record_action", {
          entityType: "order",
          entityId: "X",
          eventType: "order.created",
          payload: { total: "lots" },
          commandId: randomUUID(),
        }),
      );
      expect(badPayload.code).to.equal("INVALID_INPUT");
      const unknownTool = await apply.client.callTool({ name: "no_such_tool", arguments: {} });
      expect(unknownTool.isError).to.equal(true);
      ok(await apply.call("stateset_get_head"));
      expect(apply.errors).to.deep.equal([]);
    });
  });

  describe("guardrails", function () {
    it("refuses event types off the allow-list, missing base versions and values over the limits", async function () {
      const before = rows(main.home, "_ves_outbox");
      const denied = errorOf(
        await apply.call("stateset_record_action", {
          entityType: "customer",
          entityId: "C-1",
          eventType: "customer.created",
          payload: {},
          commandId: randomUUID(),
        }),
      );
      expect(denied).to.include({ code: "POLICY_DENIED", retryable: false });
      const noBase = errorOf(
        await apply.call("stateset_record_action", {
          entityType: "order",
          entityId: "ORD-100",
          eventType: "order.updated",
          payload: { status: "shipped" },
          commandId: randomUUID(),
        }),
      );
      expect(noBase.code).to.equal("BASE_VERSION_REQUIRED");
      const noBaseTyped = errorOf(
        await apply.call("adjust_inventory", { commandId: randomUUID(), sku: "S", delta: 1 }),
      );
      expect(noBaseTyped.code).to.equal("BASE_VERSION_REQUIRED");
      const tooBig = errorOf(await apply.call("create_order", order(randomUUID(), 30_001, 2)));
      expect(tooBig.code).to.equal("LIMIT_EXCEEDED");
      expect(tooBig.message).to.contain("60000");
      const bigDelta = errorOf(
        await apply.call("adjust_inventory", { commandId: randomUUID(), sku: "S", delta: -101, baseVersion: 0 }),
      );
      expect(bigDelta.code).to.equal("LIMIT_EXCEEDED");
      expect(rows(main.home, "_ves_outbox")).to.equal(before);
    });

    it("refuses every write on a server whose allow-list is empty", async function () {
      for (const [name, args] of [
        ["create_order", order(randomUUID())],
        ["record_payment", { commandId: randomUUID(), orderId: "O", amount: 1, currency: "USD" }],
      ] as const) {
        const e = errorOf(await readOnly.call(name, args));
        expect(e.code).to.equal("POLICY_DENIED");
        expect(e.message).to.contain("read-only");
      }
      ok(await readOnly.call("stateset_get_head"));
      expect(rows(readOnlyHome.home, "_ves_outbox")).to.equal(0);
    });

    it("keeps per-day limits across a restart and still answers a retried command", async function () {
      // The totals reset at 00:00 UTC: a run that crossed it, or is about to, has no fixed totals to check.
      const now = new Date();
      if (now.toISOString().slice(0, 10) !== firstDay || 86_400_000 - (now.getTime() % 86_400_000) < 30_000)
        this.skip();
      const status = ok(await apply.call("sync_status"));
      const today = (status.mcp as unknown as { today: { day: string; writes: number; value: string } }).today;
      expect(today.writes).to.equal(rows(main.home, "_ves_mcp_writes") - 1); // the stale-baseVersion write: released
      expect(today.value).to.equal(String(900 + 2500 + 900 + 900));
      // One write and 100 minor units left for today; the server restarts and must still know today's totals.
      await apply.close();
      setGuardrails(main.home, {
        ...GUARDRAILS,
        maxDailyWrites: today.writes + 1,
        maxDailyValue: Number(today.value) + 100,
      });
      apply = await serve(main.home, true);
      const after = ok(await apply.call("sync_status"));
      expect((after.mcp as unknown as { today: unknown }).today).to.deep.equal(today);
      const overValue = errorOf(await apply.call("create_order", order(randomUUID(), 101, 1)));
      expect(overValue.code).to.equal("LIMIT_EXCEEDED");
      expect(overValue.message).to.contain("maxDailyValue");
      ok(await apply.call("create_order", order(randomUUID(), 100, 1)));
      const overCount = errorOf(await apply.call("create_order", order(randomUUID(), 0, 1)));
      expect(overCount.code).to.equal("LIMIT_EXCEEDED");
      expect(overCount.message).to.contain("maxDailyWrites");
      // A retried command was counted when it was first applied: it is answered, not refused.
      const again = ok(
        await apply.call("stateset_record_action", {
          entityType: "order",
          entityId: "ORD-100",
          eventType: "order.created",
          payload: { items: [{ sku: "A", quantity: 1, unitPrice: 900 }], total: 900, currency: "USD" },
          commandId: FIRST,
        }),
      );
      expect(again).to.include({ duplicate: true, status: "acknowledged" });
    });
  });

  describe("preview mode", function () {
    it("returns the event it would sign and writes nothing", async function () {
      const commandId = randomUUID();
      const p = ok(await preview.call("create_order", order(commandId)));
      expect(p).to.include({ ok: true, preview: true, applied: false, status: "preview", sequenceNumber: null });
      expect((p.notice as unknown as { code: string }).code).to.equal("APPLY_REQUIRED");
      const event = p.event as unknown as { eventId: string; entityId: string; baseVersion: string; payload: object };
      expect(event.eventId).to.equal(deriveEventId(previewHome.agentId, commandId));
      expect(event.entityId).to.equal(`order-${commandId}`);
      expect(event.baseVersion).to.equal("0");
      expect(event.payload).to.deep.include({ total: 2500, currency: "USD" });
      const record = ok(
        await preview.call("stateset_record_action", {
          entityType: "order",
          entityId: "P-1",
          eventType: "order.created",
          payload: { items: [{ sku: "A", quantity: 1, unitPrice: 5 }], total: 5, currency: "USD" },
          commandId: randomUUID(),
        }),
      );
      expect(record.preview).to.equal(true);
      const refused = errorOf(await preview.call("create_order", order(randomUUID(), 60_001, 1)));
      expect(refused.code).to.equal("LIMIT_EXCEEDED");
      expect(ok(await preview.call("sync_push"))).to.include({ preview: true, acknowledged: 0 });
      const pull = ok(await preview.call("sync_pull"));
      expect(pull).to.include({ preview: true, pulled: 0 });
      expect(pull.headSequence).to.not.equal("0");
      expect(rows(previewHome.home, "_ves_outbox")).to.equal(0);
      expect(rows(previewHome.home, "_ves_mcp_writes")).to.equal(0);
      expect(rows(previewHome.home, "_ves_pulled_events")).to.equal(0);
    });
  });

  describe("stdio", function () {
    it("keeps stdout for the protocol and logs on stderr", async function () {
      expect(preview.errors).to.deep.equal([]);
      expect(preview.stderr()).to.contain("preview mode");
      expect(apply.stderr()).to.contain("apply mode");
    });
  });
});
