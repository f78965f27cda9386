/**
 * `stateset-sync verify --onchain` / `--all` against a real devnet (child process), a real SQLite sequencer and
 * commitments anchored in SetRegistry: a writer agent pushes events through the CLI, an auditor with a read-only key
 * verifies them. Tampering with an event in the sequencer's database, or with a root on the chain (a second registry
 * deployment whose batch carries another root), is named as the failing step.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";

import Database from "better-sqlite3";
import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";

import { connectRegistry } from "../../../offchain/common";
import * as ves from "../../../offchain/ves";
import { ERC1967Proxy__factory, SetRegistry__factory, type SetRegistry } from "../../../typechain-types";
import { KEYS, id32, startDevnet, type Devnet } from "../../support/anchor";
import { setUpAgent, sync, tempDir, type AgentHome, type Stack } from "../../support/agent";
import { ADMIN_KEY, BACKENDS, client, startSequencer } from "../../support/sequencer";

/** startStack of test/support/agent.ts, keeping the SQLite data directory (the tamper test edits the database). */
async function startSqliteStack(): Promise<Stack & { dataDir: string }> {
  const setup = await BACKENDS[0]!.setup();
  const { seq, url } = await startSequencer(setup);
  const bootstrap = client(url, ADMIN_KEY);
  const tenantId = randomUUID();
  const storeId = randomUUID();
  const mint = async (agentId: string, body: Record<string, unknown>): Promise<string> => {
    const r = await bootstrap.post(`/api/v1/agents/${agentId}/api-keys`, { tenantId, ...body });
    expect(r.status, r.text).to.equal(200);
    return r.json.apiKey as unknown as string;
  };
  return {
    seq,
    url,
    bootstrap,
    tenantId,
    storeId,
    dataDir: setup.dataDir,
    tenantAdminKey: await mint(randomUUID(), { admin: true }),
    apiKeyFor: (agentId, options = {}) => mint(agentId, options.readOnly === true ? { readOnly: true } : {}),
    stop: async () => {
      await seq.stop();
      await setup.cleanup();
    },
  };
}

interface Batch {
  batchId: string;
  c: Record<string, unknown>;
}

describe("stateset-sync verify --onchain (real devnet, real sequencer, anchored commitments)", function () {
  this.timeout(180_000);

  let devnet: Devnet;
  let stack: Stack & { dataDir: string };
  let provider: JsonRpcProvider;
  let registry: SetRegistry;
  let writer: AgentHome;
  let auditorDir: string;
  let auditorEnv: NodeJS.ProcessEnv;
  const dirs: { remove: () => void }[] = [];
  const batches: Batch[] = [];
  const eventIds: string[] = [];

  const auditor = (args: readonly string[]) => sync(args, auditorDir, auditorEnv);

  async function anchor(reg: SetRegistry, b: Batch, eventsRoot = `0x${b.c.merkle_root as string}`) {
    const tx = await reg.commitBatch(
      id32(b.batchId),
      id32(stack.tenantId),
      id32(stack.storeId),
      eventsRoot,
      `0x${b.c.prev_state_root as string}`,
      `0x${b.c.new_state_root as string}`,
      BigInt(b.c.sequence_start as bigint),
      BigInt(b.c.sequence_end as bigint),
      Number(b.c.leaf_count),
    );
    return tx.wait();
  }

  before(async function () {
    [devnet, stack] = await Promise.all([startDevnet(), startSqliteStack()]);
    provider = new JsonRpcProvider(devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const signer = new Wallet(KEYS.sequencer, provider);
    registry = await connectRegistry(devnet.registry, signer);

    const w = tempDir("ves-onchain-writer-");
    dirs.push(w);
    writer = await setUpAgent(stack, w.dir);
    const payloads = [
      ["shipment", "SHP-1", "shipment.dispatched", { carrier: "UPS", label: "120.00" }],
      ["sku", "SKU-1", "sku.counted", { onHand: 12 }],
      ["note", "NOTE-1", "note.added", { text: "gift wrap", label: "120.00" }],
      ["shipment", "SHP-1", "shipment.delivered", { signedBy: "J. Doe" }],
      ["note", "NOTE-2", "note.added", { text: "called customer" }],
    ] as const;
    for (const [entityType, id, type, payload] of payloads) {
      const r = await writer.run([
        "append",
        "--entity-type",
        entityType,
        "--entity-id",
        id,
        "--event-type",
        type,
        "--payload",
        JSON.stringify(payload),
        "--json",
      ]);
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      eventIds.push(String(r.json.eventId));
    }
    const push = await writer.run(["push", "--json"]);
    expect(push.code, push.stderr + push.stdout).to.equal(0);

    // Two commitments (1..3, 4..5), each anchored and reported to the sequencer.
    for (const [start, end] of [
      [1n, 3n],
      [4n, 5n],
    ] as const) {
      const c = await stack.bootstrap.post("/api/v1/ves/commitments", {
        tenant_id: stack.tenantId,
        store_id: stack.storeId,
        sequence_start: start,
        sequence_end: end,
      });
      expect(c.status, c.text).to.equal(200);
      const b = { batchId: c.json.batch_id as unknown as string, c: c.json as Record<string, unknown> };
      batches.push(b);
      const receipt = await anchor(registry, b);
      const rep = await stack.bootstrap.post(`/v1/commitments/${b.batchId}/anchored`, {
        chain_tx_hash: receipt!.hash,
        chain_id: 84532001,
        block_number: receipt!.blockNumber,
      });
      expect(rep.status, rep.text).to.equal(200);
    }

    // The auditor: a read-only key of the stream, and the chain given at init.
    const a = tempDir("ves-onchain-auditor-");
    dirs.push(a);
    auditorDir = a.dir;
    const auditorId = randomUUID();
    auditorEnv = { STATESET_API_KEY: await stack.apiKeyFor(auditorId, { readOnly: true }) };
    const init = await auditor([
      "init",
      "--sequencer-url",
      stack.url,
      "--tenant-id",
      stack.tenantId,
      "--store-id",
      stack.storeId,
      "--agent-id",
      auditorId,
      "--rpc-url",
      devnet.url,
      "--registry",
      devnet.registry,
      "--json",
    ]);
    expect(init.code, init.stderr).to.equal(0);
  });

  after(async function () {
    provider?.destroy();
    await stack?.stop();
    await devnet?.stop();
    for (const d of dirs) d.remove();
  });

  it("verifies one event through every step; proofs the sequencer does not hold are skipped, never passed", async function () {
    const r = await auditor(["verify", eventIds[3]!, "--onchain", "--json"]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json.ok).to.equal(true);
    const steps = r.json.steps as unknown as { step: string; status: string; detail: string }[];
    const status = Object.fromEntries(steps.map((s) => [s.step, s.status]));
    expect(status).to.deep.equal({
      signature: "passed",
      receipt: "passed",
      "inclusion (off-chain)": "passed",
      "inclusion (on-chain)": "passed",
      "state-root chain": "passed",
      "batch proof": "skipped",
      "event proof": "skipped",
    });
    expect(steps.find((s) => s.step === "state-root chain")!.detail).to.match(/^2 commitment\(s\)/);
    expect(steps.find((s) => s.step === "batch proof")!.detail).to.match(/^skipped: /);

    const human = await auditor(["verify", eventIds[0]!, "--onchain"]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.include("✓ inclusion (on-chain): eventsRoot of");
    expect(human.stdout).to.include("Verified.");
  });

  it("--all checks the whole stream with the read-only key", async function () {
    const r = await auditor(["verify", "--all", "--json"]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.json).to.include({ ok: true, eventsChecked: 5, commitmentsChecked: 2, firstBroken: null });
  });

  it("npx hardhat ves:verify runs the same verification; bad chain settings are clear errors", async function () {
    const hardhat = path.join(path.resolve(__dirname, "..", "..", ".."), "node_modules", ".bin", "hardhat");
    const env: NodeJS.ProcessEnv = { ...process.env, ...auditorEnv };
    delete env.HARDHAT_NETWORK;
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        hardhat,
        ["ves:verify", "--event", eventIds[1]!, "--home", path.join(auditorDir, ".stateset"), "--json"],
        { cwd: path.resolve(__dirname, "..", "..", ".."), env, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      ),
    );
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf("{")))).to.include({ ok: true, failedStep: null });

    const badAddress = await auditor(["verify", eventIds[0]!, "--onchain", "--registry", "0x1234"]);
    expect(badAddress.code).to.equal(1);
    expect(badAddress.stderr).to.include("registry must be a 0x-prefixed 20-byte address");
    const noCode = await auditor(["verify", eventIds[0]!, "--onchain", "--registry", `0x${"ab".repeat(20)}`]);
    expect(noCode.code).to.equal(3);
    expect(noCode.stderr).to.include("no contract code");
    const unreachable = await auditor(["verify", eventIds[0]!, "--onchain", "--rpc-url", "http://127.0.0.1:9"]);
    expect(unreachable.code).to.equal(3);
    expect(unreachable.stderr).to.include("cannot reach the chain");
    const usage = await auditor(["verify", eventIds[0]!, "--all"]);
    expect(usage.code).to.equal(2);
  });

  it("a root changed on the chain (a second registry whose batch carries another events root) fails inclusion (on-chain)", async function () {
    // Deployed and owned by the funded sequencer account, which it also authorizes.
    const owner = new Wallet(KEYS.sequencer, provider);
    const impl = await new SetRegistry__factory(owner).deploy();
    await impl.waitForDeployment();
    const init = impl.interface.encodeFunctionData("initialize", [owner.address, owner.address]);
    const proxy = await new ERC1967Proxy__factory(owner).deploy(await impl.getAddress(), init);
    await proxy.waitForDeployment();
    const second = SetRegistry__factory.connect(await proxy.getAddress(), owner);
    await anchor(second, batches[0]!);
    await anchor(second, batches[1]!, ves.bytesTo0xHex(ves.sha256(ves.utf8Encode("another root"))));
    const address = await second.getAddress();

    const ok = await auditor(["verify", eventIds[0]!, "--onchain", "--registry", address, "--json"]);
    expect(ok.code, ok.stdout).to.equal(0);
    const bad = await auditor(["verify", eventIds[4]!, "--onchain", "--registry", address, "--json"]);
    expect(bad.code).to.equal(1);
    expect(bad.json.failedStep).to.equal("inclusion (on-chain)");
    const all = await auditor(["verify", "--all", "--registry", address]);
    expect(all.code).to.equal(1);
    expect(all.stdout).to.match(
      new RegExp(`first broken link at event ${eventIds[3]!} \\(sequence 4\\), step inclusion \\(on-chain\\)`),
    );
  });

  it("an event changed in the sequencer's SQLite database fails the signature step", async function () {
    const db = new Database(path.join(stack.dataDir, "sequencer.db"));
    try {
      const row = db.prepare("SELECT envelope_json FROM ves_events WHERE event_id = ?").get(eventIds[2]) as {
        envelope_json: string;
      };
      expect(row.envelope_json).to.include('"120.00"');
      db.prepare("UPDATE ves_events SET envelope_json = ? WHERE event_id = ?").run(
        row.envelope_json.replace('"120.00"', '"12.00"'),
        eventIds[2],
      );
    } finally {
      db.close();
    }
    const r = await auditor(["verify", eventIds[2]!, "--onchain", "--json"]);
    expect(r.code).to.equal(1);
    expect(r.json.failedStep).to.equal("signature");
    const all = await auditor(["verify", "--all"]);
    expect(all.code).to.equal(1);
    expect(all.stdout).to.include(`first broken link at event ${eventIds[2]!} (sequence 3), step signature`);
  });
});
