/**
 * `stateset-sync` against a real sequencer on a loopback port: the agent's first workflow (init → keys → register →
 * append plain, encrypted and typed events → push → a second agent pulls, verifies and decrypts what was encrypted for
 * it), per-event settlement, `verify`, key rotation with revocation on the sequencer, the reference's defects
 * (agent-cli-mcp.md §5.2) each shown absent, and bad input with its messages and exit codes.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { Agent, deriveEventId, deriveKid } from "../../../offchain/agent";
import { blindingFromHex, amountCommitmentHex } from "../../../offchain/stark";
import * as ves from "../../../offchain/ves";
import { client } from "../../support/sequencer";
import { ROOT, setUpAgent, startStack, sync, syncBin, tempDir, type AgentHome, type Stack } from "../../support/agent";

type Json = Record<string, never> & Record<string, unknown>;

describe("stateset-sync", function () {
  this.timeout(60_000);

  let stack: Stack;
  const dirs: (() => void)[] = [];
  const newDir = () => {
    const t = tempDir();
    dirs.push(t.remove);
    return t.dir;
  };

  before(async function () {
    stack = await startStack();
  });

  after(async function () {
    await stack?.stop();
    for (const remove of dirs) remove();
  });

  describe("first workflow", function () {
    let alice: AgentHome;
    let bob: AgentHome;
    const carol = ves.x25519Keygen();
    const carolKid = deriveKid(carol.publicKey);
    const ids: Record<string, string> = {};

    before(async function () {
      alice = await setUpAgent(stack, newDir());
      bob = await setUpAgent(stack, newDir());
    });

    it("keeps keys in 0600 files and never prints private keys", async function () {
      const keyDir = path.join(alice.dir, ".stateset", "keys", alice.agentId);
      for (const f of ["signing-keys.json", "encryption-keys.json"]) {
        expect(statSync(path.join(keyDir, f)).mode & 0o777).to.equal(0o600);
      }
      expect(statSync(keyDir).mode & 0o777).to.equal(0o700);
      const secret = (
        JSON.parse(readFileSync(path.join(keyDir, "signing-keys.json"), "utf8")) as { privateKey: string }[]
      )[0]!.privateKey;
      for (const args of [
        ["keys:list", "--json"],
        ["keys:export"],
        ["config", "show", "--json"],
        ["doctor", "--json"],
      ]) {
        const r = await alice.run(args);
        expect(r.stdout + r.stderr).not.to.include(secret);
        expect(r.stdout + r.stderr).not.to.include(alice.env.STATESET_API_KEY);
      }
      const shown = await alice.run(["config", "show", "--json"]);
      expect(shown.json.apiKey).to.equal("***redacted***");
    });

    it("doctor passes once the key is registered", async function () {
      const r = await alice.run(["doctor", "--json"]);
      expect(r.code, r.stdout).to.equal(0);
      const checks = r.json.checks as unknown as { name: string; ok: boolean }[];
      expect(checks.find((c) => c.name === "agent key registered")?.ok).to.equal(true);
      expect(checks.find((c) => c.name === "sequencer receipt keys")?.ok).to.equal(true);
    });

    it("publishes the typed schemas, so the sequencer enforces the same shapes", async function () {
      const r = await sync(["schemas:publish", "--json"], alice.dir, alice.adminEnv);
      expect(r.code, r.stderr).to.equal(0);
      expect((r.json.published as unknown as unknown[]).length).to.equal(9);
      const again = await sync(["schemas:publish", "--json"], alice.dir, alice.adminEnv);
      expect((again.json.unchanged as unknown as unknown[]).length).to.equal(9);
      // Without the admin credential it is refused, and the agent key alone cannot publish.
      const plain = await alice.run(["schemas:publish"]);
      expect(plain.code).to.equal(1);
      expect(plain.stderr).to.match(/tenant-admin credential/);
    });

    it("names recipients in the config and refuses a duplicate kid or name", async function () {
      const exported = await bob.run(["keys:export"]);
      const rec = exported.json.recipient as unknown as { kid: number; x25519: string };
      expect((await alice.run(["config", "set", "recipient.bob", `${rec.kid}:${rec.x25519}`])).code).to.equal(0);
      const dupName = await alice.run([
        "config",
        "set",
        "recipient.bob",
        `${carolKid}:${ves.bytesToHex(carol.publicKey)}`,
      ]);
      expect(dupName.code).to.equal(1);
      expect(dupName.stderr).to.match(/recipient name "bob" is used twice/);
      const dupKid = await alice.run([
        "config",
        "set",
        "recipient.bob2",
        `${rec.kid}:${ves.bytesToHex(carol.publicKey)}`,
      ]);
      expect(dupKid.code).to.equal(1);
      expect(dupKid.stderr).to.match(/kid .* is used twice/);
      expect(
        (await alice.run(["config", "set", "recipient.carol", `${carolKid}:${ves.bytesToHex(carol.publicKey)}`])).code,
      ).to.equal(0);
      // Kids derive from the key, so two agents' first keys do not collide (the reference's were both 1).
      expect(rec.kid).to.not.equal(carolKid);
    });

    it("appends plain, encrypted and typed events with amount commitments", async function () {
      const order = await alice.run([
        "append",
        "--event-type",
        "order.created",
        "--entity-id",
        "ORD-1",
        "--payload",
        JSON.stringify({
          customerId: "C-1",
          items: [{ sku: "SKU-1", quantity: 1, unitPrice: 1999 }],
          total: 1999,
          currency: "USD",
        }),
        "--json",
      ]);
      expect(order.code, order.stderr).to.equal(0);
      expect(order.json.entityType).to.equal("order");
      expect(order.json.amountCommitment).to.match(/^[0-9a-f]{64}$/);
      ids.order = order.json.eventId as unknown as string;

      const payment = await alice.run(
        [
          "event:append",
          "--event-type",
          "payment.completed",
          "--entity-id",
          "PAY-1",
          "--payload",
          "-",
          "--encrypt-for",
          "bob",
          "--json",
        ],
        JSON.stringify({ orderId: "ORD-1", amount: 1999, currency: "USD" }),
      );
      expect(payment.code, payment.stderr).to.equal(0);
      expect(payment.json.payloadKind).to.equal(1);
      ids.payment = payment.json.eventId as unknown as string;

      const payloadFile = path.join(alice.dir, "return.json");
      writeFileSync(
        payloadFile,
        JSON.stringify({
          orderId: "ORD-1",
          items: [{ sku: "SKU-1", quantity: 1 }],
          reason: "damaged",
          refundAmount: 1999,
          currency: "USD",
        }),
      );
      const ret = await alice.run([
        "append",
        "--event-type",
        "return.requested",
        "--entity-id",
        "RET-1",
        "--payload",
        `@${payloadFile}`,
        "--encrypt-for",
        "carol",
        "--json",
      ]);
      expect(ret.code, ret.stderr).to.equal(0);
      ids.ret = ret.json.eventId as unknown as string;

      const inv = await alice.run([
        "append",
        "--event-type",
        "inventory.adjusted",
        "--entity-id",
        "SKU-1",
        "--payload",
        '{"sku":"SKU-1","delta":-1}',
        "--json",
      ]);
      expect(inv.code, inv.stderr).to.equal(0);
      expect(inv.json.amountCommitment).to.equal(null);
      ids.inv = inv.json.eventId as unknown as string;

      const custom = await alice.run([
        "append",
        "--entity-type",
        "note",
        "--event-type",
        "note.added",
        "--entity-id",
        "N-1",
        "--payload",
        '{"text":"hello"}',
        "--json",
      ]);
      expect(custom.code, custom.stderr).to.equal(0);
      ids.custom = custom.json.eventId as unknown as string;

      // The commitment opens to the amount with the blinding written next to it.
      const own = await alice.run(["decrypt", ids.order, "--json"]);
      const p = own.json.payload as unknown as {
        total: bigint | number;
        amountCommitment: string;
        amountBlinding: string;
      };
      expect(amountCommitmentHex(BigInt(p.total), blindingFromHex(p.amountBlinding))).to.equal(p.amountCommitment);
      const status = await alice.run(["status", "--json"]);
      expect((status.json.outbox as unknown as { pending: number }).pending).to.equal(5);
    });

    it("pushes every event and stores verified receipts", async function () {
      const r = await alice.run(["push", "--json"]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.json.acknowledged).to.equal(5);
      expect(r.json.rejected).to.deep.equal([]);
      const out = await alice.run(["outbox", "--json"]);
      const events = out.json.events as unknown as { status: string; sequenceNumber: bigint }[];
      expect(events.map((e) => e.status)).to.deep.equal(Array(5).fill("acknowledged"));
      expect(events.map((e) => Number(e.sequenceNumber))).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it("lets a second agent pull, verify and decrypt what was encrypted for it, and not the rest", async function () {
      const r = await bob.run(["pull", "--json"]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.json.stored).to.equal(5);
      expect(r.json.quarantined).to.deep.equal([]);
      expect(r.json.decrypted).to.equal(1);
      expect(r.json.notRecipient).to.equal(1);
      const mine = await bob.run(["decrypt", ids.payment!, "--json"]);
      expect(mine.code, mine.stderr).to.equal(0);
      const p = mine.json.payload as unknown as {
        amount: bigint | number;
        amountCommitment: string;
        amountBlinding: string;
      };
      expect(Number(p.amount)).to.equal(1999);
      expect(amountCommitmentHex(BigInt(p.amount), blindingFromHex(p.amountBlinding))).to.equal(p.amountCommitment);
      const notMine = await bob.run(["decrypt", ids.ret!, "--json"]);
      expect(notMine.code).to.equal(1);
      expect((notMine.json.error as unknown as { code: string }).code).to.equal("DECRYPT_FAILED");
      // The recipient that was named (carol) can decrypt it with the library's primitives.
      const item = await client(stack.url, bob.env.STATESET_API_KEY).get(`/api/v1/ves/events/${ids.ret}`);
      const d = await ves.decryptEnvelope(item.json.envelope, carolKid, carol.secretKey);
      expect(d.ok).to.equal(true);
      // The cursor is stored: a second pull fetches nothing new.
      const again = await bob.run(["pull", "--json"]);
      expect(again.json.pulled).to.equal(0);
      const agent = Agent.open({ cwd: bob.dir, env: bob.env });
      try {
        const rows = agent.pulledEvents();
        expect(rows.map((x) => x.sourceAgentId)).to.deep.equal(Array(5).fill(alice.agentId));
      } finally {
        agent.close();
      }
    });

    it("verifies an event off-chain: signature, receipt, commitment and inclusion proof", async function () {
      const before = await alice.run(["verify", ids.payment!, "--json"]);
      expect(before.code).to.equal(1);
      const failed = (before.json.steps as unknown as { step: string; ok: boolean }[]).filter((s) => !s.ok);
      expect(failed.map((s) => s.step)).to.deep.equal(["commitment"]);
      const c = await stack.bootstrap.post("/api/v1/ves/commitments", {
        tenant_id: stack.tenantId,
        store_id: stack.storeId,
        sequence_start: 1,
        sequence_end: 5,
      });
      expect(c.status, c.text).to.equal(200);
      const r = await alice.run(["verify", ids.payment!]);
      expect(r.code, r.stdout).to.equal(0);
      for (const step of [
        "event",
        "agent key",
        "payload hash and signature",
        "receipt",
        "commitment",
        "inclusion proof",
      ]) {
        expect(r.stdout).to.match(new RegExp(`✓ ${step}:`));
      }
      const status = await bob.run(["status", "--json"]);
      expect(status.code).to.equal(0);
      expect(Number(status.json.streamHead)).to.equal(5);
      expect((status.json.latestCommitment as unknown as { anchored: boolean }).anchored).to.equal(false);
      const unknown = await alice.run(["verify", "00000000-0000-4000-8000-000000000000"]);
      expect(unknown.code).to.equal(1);
    });

    it("rotates the signing key and revokes the old one on the sequencer once nothing pending uses it", async function () {
      // An event signed with key 1 is pending when the rotation happens.
      expect(
        (
          await alice.run([
            "append",
            "--entity-type",
            "note",
            "--event-type",
            "note.added",
            "--entity-id",
            "N-2",
            "--payload",
            "{}",
          ])
        ).code,
      ).to.equal(0);
      expect((await alice.run(["config", "set", "rotation-grace-seconds", "0"])).code).to.equal(0);
      const rot = await sync(["keys:rotate", "--json"], alice.dir, alice.adminEnv);
      expect(rot.code, rot.stderr).to.equal(0);
      expect(rot.json.newKeyId).to.equal(2);
      // Daily work without the admin credential: the revocation is reported, not failed.
      const status = await alice.run(["status", "--json"]);
      expect((status.json.notes as unknown as string[]).join(" ")).to.match(/no admin credential/);
      const push = await sync(["push", "--json"], alice.dir, alice.adminEnv);
      expect(push.code, push.stdout + push.stderr).to.equal(0);
      expect(push.json.acknowledged).to.equal(1);
      expect(push.json.revokedKeyIds).to.deep.equal([1]);
      const keys = await client(stack.url, alice.env.STATESET_API_KEY).get(
        `/api/v1/agents/keys?tenant_id=${stack.tenantId}&agent_id=${alice.agentId}`,
      );
      const remote = keys.json.keys as unknown as { key_id: number; status: string }[];
      expect(remote.find((k) => Number(k.key_id) === 1)?.status).to.equal("revoked");
      // New events use key 2; events signed with key 1 before its revocation still verify on pull.
      const next = await alice.run([
        "append",
        "--entity-type",
        "note",
        "--event-type",
        "note.added",
        "--entity-id",
        "N-3",
        "--payload",
        "{}",
        "--json",
      ]);
      expect(next.json.agentKeyId).to.equal(2);
      expect((await alice.run(["push"])).code).to.equal(0);
      const pulled = await bob.run(["pull", "--from", "1", "--json"]);
      expect(pulled.code, pulled.stdout).to.equal(0);
      expect(pulled.json.stored).to.equal(7);
    });
  });

  describe("settlement", function () {
    it("settles rejected, replayed and accepted events of one push each from its own result", async function () {
      const a = await setUpAgent(stack, newDir());
      const accepted = await a.run([
        "append",
        "--event-type",
        "order.cancelled",
        "--entity-id",
        "S-1",
        "--payload",
        '{"reason":"x"}',
        "--json",
      ]);
      // base_version 7 on a new entity: a version conflict (and base_version 0 is sent, not dropped: see below).
      const conflict = await a.run([
        "append",
        "--event-type",
        "order.updated",
        "--entity-id",
        "S-2",
        "--payload",
        '{"status":"paid"}',
        "--base-version",
        "7",
        "--json",
      ]);
      const replay = await a.run([
        "append",
        "--entity-type",
        "note",
        "--event-type",
        "note.added",
        "--entity-id",
        "S-3",
        "--payload",
        "{}",
        "--json",
      ]);
      // A previous push that died after sending: the sequencer already holds this exact envelope.
      const agent = Agent.open({ cwd: a.dir, env: a.env });
      const held = agent.outbox.byEventId(replay.json.eventId as unknown as string)!;
      agent.close();
      const direct = await client(stack.url, a.env.STATESET_API_KEY).post("/api/v1/ves/events/ingest", {
        agentId: a.agentId,
        events: [held.envelope],
      });
      expect(direct.json.eventsAccepted).to.equal(1);
      const originalReceipt = (
        direct.json.receipts as unknown as { sequenceNumber: bigint; receiptHash: string }[]
      )[0]!;

      const push = await a.run(["push", "--json"]);
      expect(push.code).to.equal(1);
      expect(push.json.acknowledged).to.equal(2);
      expect(push.json.replayed).to.equal(1);
      expect(
        (push.json.rejected as unknown as { eventId: string; reason: string }[]).map((x) => x.eventId),
      ).to.deep.equal([conflict.json.eventId]);
      const out = await a.run(["outbox", "--json"]);
      const rows = out.json.events as unknown as {
        eventId: string;
        status: string;
        sequenceNumber: bigint | null;
        rejection: { reason: string } | null;
      }[];
      const byId = new Map(rows.map((r) => [r.eventId, r]));
      expect(byId.get(accepted.json.eventId as unknown as string)?.status).to.equal("acknowledged");
      expect(byId.get(conflict.json.eventId as unknown as string)?.status).to.equal("rejected");
      expect(byId.get(conflict.json.eventId as unknown as string)?.rejection?.reason).to.match(/version/);
      const replayed = byId.get(replay.json.eventId as unknown as string)!;
      expect(replayed.status).to.equal("acknowledged");
      expect(replayed.sequenceNumber).to.equal(originalReceipt.sequenceNumber);
      // A rejection is never retried.
      const again = await a.run(["push", "--json"]);
      expect(again.code).to.equal(0);
      expect(again.json.requests).to.equal(0);
    });

    it("sends base_version 0 and every batch until the outbox is empty", async function () {
      const a = await setUpAgent(stack, newDir());
      expect((await a.run(["config", "set", "batch-size", "2"])).code).to.equal(0);
      const first = await a.run([
        "append",
        "--event-type",
        "order.cancelled",
        "--entity-id",
        "Z-1",
        "--payload",
        '{"reason":"a"}',
        "--base-version",
        "0",
        "--json",
      ]);
      const second = await a.run([
        "append",
        "--event-type",
        "order.cancelled",
        "--entity-id",
        "Z-1",
        "--payload",
        '{"reason":"b"}',
        "--base-version",
        "0",
        "--json",
      ]);
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await a.run([
              "append",
              "--entity-type",
              "note",
              "--event-type",
              "note.added",
              "--entity-id",
              `Z-${i + 2}`,
              "--payload",
              "{}",
            ])
          ).code,
        ).to.equal(0);
      }
      const push = await a.run(["push", "--json"]);
      expect(push.json.requests).to.equal(3);
      expect(push.json.acknowledged).to.equal(4);
      const rejected = push.json.rejected as unknown as { eventId: string; reason: string }[];
      expect(rejected.map((r) => r.eventId)).to.deep.equal([second.json.eventId]);
      expect(first.json.eventId).to.not.equal(second.json.eventId);
    });

    it("splits a request the sequencer refuses as too large (413) and sends both halves", async function () {
      const a = await setUpAgent(stack, newDir());
      // 12 payloads of ~900 KB: one request of about 11 MB is over the sequencer's 10 MiB body limit.
      const big = "x".repeat(900 * 1024);
      const agent = Agent.open({ cwd: a.dir, env: a.env });
      try {
        for (let i = 0; i < 12; i++) {
          await agent.append({ entityType: "note", entityId: `BIG-${i}`, eventType: "note.added", payload: { big } });
        }
      } finally {
        agent.close();
      }
      const push = await a.run(["push", "--json"]);
      expect(push.code, push.stderr).to.equal(0);
      expect(push.json.acknowledged).to.equal(12);
      expect(push.json.requests).to.equal(3);
    });

    it("makes a retried append with the same commandId the same event, and refuses a different one", async function () {
      const a = await setUpAgent(stack, newDir());
      const commandId = "5b0b7f4e-8a55-4f3c-9d7e-2c1f0a9b8c7d";
      const args = [
        "append",
        "--event-type",
        "inventory.reserved",
        "--entity-id",
        "SKU-9",
        "--payload",
        '{"sku":"SKU-9","quantity":2}',
        "--command-id",
        commandId,
        "--json",
      ];
      const one = await a.run(args);
      const two = await a.run(args);
      expect(one.json.eventId).to.equal(deriveEventId(a.agentId, commandId));
      expect(two.json.eventId).to.equal(one.json.eventId);
      expect(two.json.duplicate).to.equal(true);
      const other = await a.run([
        "append",
        "--event-type",
        "inventory.reserved",
        "--entity-id",
        "SKU-9",
        "--payload",
        '{"sku":"SKU-9","quantity":3}',
        "--command-id",
        commandId,
      ]);
      expect(other.code).to.equal(1);
      expect(other.stderr).to.match(/already used for a different event/);
      expect((await a.run(["push"])).code).to.equal(0);
      // After the push too, the same command is the same (acknowledged) event.
      const three = await a.run(args);
      expect(three.json.status).to.equal("acknowledged");
    });
  });

  describe("history", function () {
    it("lists an entity's events through the entity-history route, each verified", async function () {
      const a = await setUpAgent(stack, newDir());
      const steps: [string, string, string[]][] = [
        [
          "order.created",
          '{"items":[{"sku":"S","quantity":2,"unitPrice":500}],"total":1000,"currency":"EUR"}',
          ["--base-version", "0"],
        ],
        ["order.updated", '{"status":"paid"}', ["--base-version", "1"]],
        ["order.cancelled", '{"reason":"customer"}', ["--base-version", "2"]],
      ];
      for (const [type, payload, extra] of steps) {
        const r = await a.run(["append", "--event-type", type, "--entity-id", "H-1", "--payload", payload, ...extra]);
        expect(r.code, r.stderr).to.equal(0);
      }
      expect((await a.run(["push"])).code).to.equal(0);
      const h = await a.run(["history", "order", "H-1", "--json"]);
      expect(h.code, h.stderr).to.equal(0);
      expect(h.json.count).to.equal(3);
      expect(Number(h.json.total)).to.equal(3);
      expect(Number(h.json.currentVersion)).to.equal(3);
      expect(h.json.hasMore).to.equal(false);
      const events = h.json.events as unknown as { eventType: string; verified: boolean; payload: Json }[];
      expect(events.map((e) => e.eventType)).to.deep.equal(["order.created", "order.updated", "order.cancelled"]);
      expect(events.every((e) => e.verified)).to.equal(true);
      expect(Number(events[0]!.payload.total)).to.equal(1000);
      const page = await a.run(["history", "order", "H-1", "--limit", "2", "--json"]);
      expect(page.json.count).to.equal(2);
      expect(page.json.hasMore).to.equal(true);
      const human = await a.run(["history", "order", "H-1", "--from", "2"]);
      expect(human.stdout).to.match(/order\.cancelled .* ✓/);
      const none = await a.run(["history", "order", "NO-SUCH", "--json"]);
      expect(none.json.count).to.equal(0);
    });
  });

  describe("reference defects (agent-cli-mcp.md §5.2)", function () {
    it("sends any API key as `Authorization: ApiKey`, never as Bearer (5.2.3)", async function () {
      const seen: IncomingHttpHeaders[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"error":{"code":"invalid_api_key","message":"no"}}');
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const dir = newDir();
        const port = (server.address() as AddressInfo).port;
        const env = { STATESET_API_KEY: "plain-key-without-prefix" };
        const init = await sync(
          [
            "init",
            "--sequencer-url",
            `http://127.0.0.1:${port}`,
            "--tenant-id",
            stack.tenantId,
            "--store-id",
            stack.storeId,
          ],
          dir,
          env,
        );
        expect(init.code).to.equal(0);
        const r = await sync(["status"], dir, env);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.match(/401/);
        const sent = seen.map((h) => h.authorization).filter((x) => x !== undefined);
        expect(sent).to.not.be.empty;
        expect(sent).to.deep.equal(sent.map(() => "ApiKey plain-key-without-prefix"));
      } finally {
        server.close();
      }
    });

    it("has every command the README shows (5.2.10)", async function () {
      const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
      const commands = new Set([...readme.matchAll(/npx stateset-sync ([a-z:]+)/g)].map((m) => m[1]!));
      expect(commands.size).to.be.greaterThan(10);
      for (const c of commands) {
        const r = await sync([c, "--help"], newDir(), {});
        expect(r.code, `stateset-sync ${c} --help: ${r.stderr}`).to.equal(0);
      }
    });

    it("quarantines a received event whose amount commitment does not open, and doctor --promote re-checks it", async function () {
      const a = await setUpAgent(stack, newDir());
      const b = await setUpAgent(stack, newDir());
      // A misbehaving writer (not this CLI) signs an order whose commitment is for another amount.
      const keys = JSON.parse(
        readFileSync(path.join(a.dir, ".stateset", "keys", a.agentId, "signing-keys.json"), "utf8"),
      ) as { privateKey: string }[];
      const blinding = [1, 2, 3, 4, 5];
      const built = await ves.buildEnvelope({
        tenantId: stack.tenantId,
        storeId: stack.storeId,
        sourceAgentId: a.agentId,
        agentKeyId: 1,
        entityType: "order",
        entityId: "BAD-1",
        eventType: "order.cancelled",
        payload: {
          reason: "x",
          total: 500,
          currency: "USD",
          amountCommitment: amountCommitmentHex(501n, blinding),
          amountBlinding: "0000000100000002000000030000000400000005",
        },
        signingKey: ves.hexToBytes(keys[0]!.privateKey),
      });
      const direct = await client(stack.url, a.env.STATESET_API_KEY).post("/api/v1/ves/events/ingest", {
        agentId: a.agentId,
        events: [built.envelope],
      });
      expect(direct.json.eventsAccepted, direct.text).to.equal(1);
      const from = (direct.json.receipts as unknown as { sequenceNumber: bigint }[])[0]!.sequenceNumber;
      const pull = await b.run(["pull", "--from", String(from), "--json"]);
      expect(pull.code).to.equal(1);
      expect((pull.json.quarantined as unknown as { reason: string }[]).map((q) => q.reason)).to.deep.equal([
        "amount_commitment_invalid",
      ]);
      const doctor = await b.run(["doctor", "--promote", "--json"]);
      expect(doctor.json.promoted).to.deep.equal({ checked: 1, promoted: 0, stillQuarantined: 1 });
    });
  });

  describe("bad input", function () {
    let a: AgentHome;

    before(async function () {
      a = await setUpAgent(stack, newDir());
    });

    it("says `Sync not configured` and exits 1 without a configuration", async function () {
      const r = await sync(["push"], newDir(), {});
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('Sync not configured. Run "stateset-sync init" first.');
    });

    it("refuses malformed payloads before signing, with the problem named", async function () {
      const cases: [string[], RegExp][] = [
        [["--event-type", "order.created", "--payload", "{not json"], /not valid JSON/],
        [["--event-type", "order.created", "--payload", '{"items":[],"total":1,"currency":"USD"}'], /items/],
        [
          ["--event-type", "payment.completed", "--payload", '{"orderId":"O","amount":19.99,"currency":"USD"}'],
          /integer/,
        ],
        [
          ["--event-type", "payment.completed", "--payload", '{"orderId":"O","amount":1999,"currency":"usd"}'],
          /currency/,
        ],
        [["--event-type", "order.created", "--entity-type", "payment", "--payload", "{}"], /belongs to entity type/],
        [["--event-type", "note.added", "--payload", "{}"], /entity type is required/],
        [["--event-type", "note.added", "--entity-type", "note", "--payload", "[1]"], /JSON object/],
        [
          ["--event-type", "payment.refunded", "--payload", '{"amount":1,"currency":"USD","amountCommitment":"00"}'],
          /append computes it/,
        ],
        [
          ["--event-type", "note.added", "--entity-type", "note", "--payload", "{}", "--encrypt-for", "nobody"],
          /unknown recipient/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await a.run(["append", "--entity-id", "E-1", ...args]);
        expect(r.code, args.join(" ")).to.equal(1);
        expect(r.stderr, args.join(" ")).to.match(message);
      }
      const usage = await a.run([
        "append",
        "--entity-id",
        "E-1",
        "--event-type",
        "x.y",
        "--payload",
        "{}",
        "--base-version",
        "-1",
      ]);
      expect(usage.code).to.equal(2);
      const counts = await a.run(["outbox", "--json"]);
      expect(counts.json.events).to.deep.equal([]);
    });

    it("refuses unknown configuration keys, in `config set` and in sync.json", async function () {
      const r = await a.run(["config", "set", "colour", "blue"]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/unknown configuration key "colour"/);
      const dir = newDir();
      const b = await setUpAgent(stack, dir, { register: false });
      const file = path.join(dir, ".stateset", "sync.json");
      const cfg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...cfg, colour: "blue" }));
      const s = await b.run(["status"]);
      expect(s.code).to.equal(1);
      expect(s.stderr).to.match(/unknown key "colour"/);
    });

    it("keeps events pending when the key is unregistered or the API key is wrong, with a clear message", async function () {
      const b = await setUpAgent(stack, newDir(), { register: false });
      expect(
        (
          await b.run([
            "append",
            "--entity-type",
            "note",
            "--event-type",
            "note.added",
            "--entity-id",
            "K-1",
            "--payload",
            "{}",
          ])
        ).code,
      ).to.equal(0);
      const unregistered = await b.run(["push", "--json"]);
      expect(unregistered.code).to.equal(1);
      expect((unregistered.json.error as unknown as { code: string }).code).to.equal("KEY_NOT_REGISTERED");
      const wrong = await sync(["push"], b.dir, { STATESET_API_KEY: "ss_wrong_key" });
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(/401/);
      const missing = await sync(["push"], b.dir, {});
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/no API key/);
      const counts = await b.run(["status", "--json"]);
      expect((counts.json.outbox as unknown as { pending: number }).pending).to.equal(1);
      // Once registered, the same event goes through.
      expect((await sync(["keys:register"], b.dir, b.adminEnv)).code).to.equal(0);
      const ok = await b.run(["push", "--json"]);
      expect(ok.json.acknowledged).to.equal(1);
    });

    it("exits 3 when the sequencer is unreachable, counting the retry and losing nothing", async function () {
      const dir = newDir();
      const b = await setUpAgent(stack, dir);
      expect(
        (
          await b.run([
            "append",
            "--entity-type",
            "note",
            "--event-type",
            "note.added",
            "--entity-id",
            "U-1",
            "--payload",
            "{}",
          ])
        ).code,
      ).to.equal(0);
      // Point the agent at a closed loopback port.
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect((await b.run(["config", "set", "sequencer-url", `http://127.0.0.1:${port}`])).code).to.equal(0);
      expect((await b.run(["config", "set", "max-retries", "0"])).code).to.equal(0);
      const push = await syncBin(["push"], dir, b.env);
      expect(push.code, push.stderr).to.equal(3);
      expect(push.stderr).to.match(/unreachable/);
      const status = await b.run(["status", "--json"]);
      expect(status.code).to.equal(3);
      expect(status.json.connected).to.equal(false);
      const out = await b.run(["outbox", "--json"]);
      const rows = out.json.events as unknown as { status: string; retryCount: number }[];
      expect(rows).to.have.length(1);
      expect(rows[0]?.status).to.equal("pending");
      expect(rows[0]?.retryCount).to.equal(1);
      const doctor = await b.run(["doctor", "--json"]);
      expect(doctor.code).to.equal(3);
      // Back at the real sequencer, it is sent.
      expect((await b.run(["config", "set", "sequencer-url", stack.url])).code).to.equal(0);
      expect((await b.run(["push", "--json"])).json.acknowledged).to.equal(1);
    });

    it("exits 2 on usage errors and prints help with exit 0", async function () {
      expect((await a.run(["push", "--bogus"])).code).to.equal(2);
      expect((await a.run(["frobnicate"])).code).to.equal(2);
      expect((await a.run(["append", "--help"])).code).to.equal(0);
      expect((await a.run([])).code).to.equal(2);
    });

    it("refuses a second init without --force, and keeps the agent id with --force", async function () {
      const again = await a.run([
        "init",
        "--sequencer-url",
        stack.url,
        "--tenant-id",
        stack.tenantId,
        "--store-id",
        stack.storeId,
      ]);
      expect(again.code).to.equal(1);
      const forced = await a.run([
        "init",
        "--sequencer-url",
        stack.url,
        "--tenant-id",
        stack.tenantId,
        "--store-id",
        stack.storeId,
        "--force",
        "--json",
      ]);
      expect(forced.code).to.equal(0);
      expect((forced.json.config as unknown as Json).agentId).to.equal(a.agentId);
    });

    it("writes JSON to --output and refuses a key file readable by others in doctor", async function () {
      const out = path.join(a.dir, "status.json");
      const r = await a.run(["status", "--output", out]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal("");
      expect(JSON.parse(readFileSync(out, "utf8"))).to.have.property("outbox");
      const keyFile = path.join(a.dir, ".stateset", "keys", a.agentId, "signing-keys.json");
      chmodSync(keyFile, 0o644);
      const doctor = await a.run(["doctor", "--json"]);
      expect(doctor.code).to.equal(1);
      chmodSync(keyFile, 0o600);
    });
  });
});
