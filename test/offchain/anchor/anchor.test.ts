import { createServer, type Server } from "node:http";

import { expect } from "chai";
import { JsonRpcProvider, Wallet, ZeroHash, id as keccakText } from "ethers";

import { createAnchor, type AnchorService } from "../../../offchain/anchor";
import { connectRegistry } from "../../../offchain/common";
import type { SetRegistry } from "../../../typechain-types";
import { ADMIN_KEY, BACKENDS, client, startSequencer, type BackendSetup, type Client } from "../../support/sequencer";
import type { Sequencer } from "../../../offchain/sequencer";
import {
  KEYS,
  anchorConfig,
  anchoredTx,
  commit,
  getJson,
  id32,
  newStream,
  startDevnet,
  tempDir,
  waitFor,
  type Devnet,
} from "../../support/anchor";

describe("anchor service (real hardhat devnet child process, real sequencer)", function () {
  this.timeout(180_000);

  let devnet: Devnet;
  let setup: BackendSetup;
  let seq: Sequencer;
  let seqUrl: string;
  let admin: Client;
  let provider: JsonRpcProvider;
  let registry: SetRegistry;
  let tmp: ReturnType<typeof tempDir>;
  const running: AnchorService[] = [];

  /** Starts an anchor on this suite's devnet and sequencer; stopped after the test. */
  async function anchor(extra: Record<string, string> = {}): Promise<{ svc: AnchorService; url: string }> {
    const svc = createAnchor(anchorConfig(devnet, seqUrl, tmp.dir, extra));
    running.push(svc);
    const url = await svc.start();
    return { svc, url };
  }

  /** The BatchCommitted logs of a batch (exactly one when anchored once). */
  async function commitLogs(batchId: string) {
    return registry.queryFilter(registry.filters.BatchCommitted(id32(batchId)), 0, "latest");
  }

  before(async function () {
    [devnet, setup] = await Promise.all([startDevnet(), BACKENDS[0]!.setup()]);
    ({ seq, url: seqUrl } = await startSequencer(setup));
    admin = client(seqUrl, ADMIN_KEY);
    provider = new JsonRpcProvider(devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    registry = await connectRegistry(devnet.registry, provider);
    tmp = tempDir("ves-anchor-test-");
  });

  afterEach(async function () {
    for (const svc of running.splice(0)) await svc.stop();
    await devnet.rpc("evm_setAutomine", [true]).catch(() => undefined);
  });

  after(async function () {
    provider?.destroy();
    await seq?.stop();
    await devnet?.stop();
    await setup?.cleanup();
    tmp?.cleanup();
  });

  it("anchors several streams, each strictly in order, and reports every anchor to the sequencer", async function () {
    const streams = await Promise.all([newStream(admin), newStream(admin), newStream(admin)]);
    const batches: string[][] = [];
    for (const s of streams)
      batches.push([await commit(admin, s, 2), await commit(admin, s, 3), await commit(admin, s, 1)]);
    const { url } = await anchor();
    for (const list of batches) {
      for (const b of list) await waitFor(`batch ${b} reported`, () => anchoredTx(admin, b));
    }
    for (const [i, list] of batches.entries()) {
      let lastBlock = -1;
      for (const b of list) {
        const logs = await commitLogs(b);
        expect(logs, b).to.have.length(1);
        expect(logs[0]!.transactionHash).to.equal(await anchoredTx(admin, b));
        // Strict order within the stream: each batch in a later block than the one before it.
        expect(logs[0]!.blockNumber).to.be.greaterThan(lastBlock);
        lastBlock = logs[0]!.blockNumber;
      }
      const s = streams[i]!;
      expect(await registry.getHeadSequence(id32(s.agent.tenantId), id32(s.agent.storeId))).to.equal(6n);
    }
    const stats = await getJson(`${url}/stats`);
    expect(stats.json.total_anchored).to.be.at.least(9);
    expect((await getJson(`${url}/ready`)).status).to.equal(200);
    expect((await getJson(`${url}/health`)).json.status).to.equal("ok");
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.match(/set_anchor_batches_anchored_total \d+/);
    expect(metrics).to.include("set_anchor_gas_used_total");
    expect(metrics).to.include("set_anchor_pending_age_seconds");
  });

  it("surfaces a rejected commitment as a decoded StateRootMismatch without blocking other streams", async function () {
    const bad = await newStream(admin);
    const good = await newStream(admin);
    // Someone else anchored a batch of the bad stream with another state root: the sequencer's chain cannot follow.
    const bogusRoot = keccakText("not the sequencer's root");
    const owner = registry.connect(new Wallet(KEYS.sequencer, provider));
    await (
      await owner.commitBatch(
        keccakText("foreign batch"),
        id32(bad.agent.tenantId),
        id32(bad.agent.storeId),
        keccakText("events"),
        ZeroHash,
        bogusRoot,
        1n,
        1n,
        1,
      )
    ).wait();
    const rejected = await commit(admin, bad, 2);
    const ok1 = await commit(admin, good, 2);
    const ok2 = await commit(admin, good, 2);
    const { url } = await anchor();
    await waitFor("good stream anchored", async () => (await anchoredTx(admin, ok2)) !== undefined);
    expect(await anchoredTx(admin, ok1)).to.be.a("string");
    const stats = await waitFor("the decoded failure in /stats", async () => {
      const s = (await getJson(`${url}/stats`)).json;
      return (s.failures_by_error as Record<string, number>).StateRootMismatch ? s : undefined;
    });
    const blocked = Object.values(stats.blocked_streams as Record<string, string>).join(" ");
    expect(blocked).to.include(`StateRootMismatch(${bogusRoot}, ${ZeroHash})`);
    expect(await anchoredTx(admin, rejected)).to.equal(undefined);
    expect(await commitLogs(rejected)).to.have.length(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.match(/set_anchor_failures_total\{error="StateRootMismatch"\} [1-9]/);
  });

  it("recovers a batch already anchored on-chain from the logs and reports that transaction", async function () {
    const s = await newStream(admin);
    const batch = await commit(admin, s, 2);
    const pending = ((await admin.get("/v1/commitments/pending?limit=5000")).json as Record<string, unknown>)
      .commitments as Record<string, unknown>[];
    const p = pending.find((c) => c.batch_id === batch)!;
    const signer = registry.connect(new Wallet(KEYS.sequencer, provider));
    const tx = await signer.commitBatch(
      id32(batch),
      id32(s.agent.tenantId),
      id32(s.agent.storeId),
      p.events_root as string,
      p.prev_state_root as string,
      p.new_state_root as string,
      BigInt(p.sequence_start as number),
      BigInt(p.sequence_end as number),
      Number(p.event_count),
    );
    await tx.wait();
    const { url } = await anchor();
    expect(await waitFor("reported", () => anchoredTx(admin, batch))).to.equal(tx.hash);
    expect(await commitLogs(batch)).to.have.length(1);
    const stats = (await getJson(`${url}/stats`)).json;
    expect(stats.reconciled).to.be.at.least(1);
    // (The suite's rejected stream from another test may add its StateRootMismatch; the recovery itself adds nothing.)
    expect(Object.keys(stats.failures_by_error as object)).to.not.include.members(["BatchAlreadyCommitted"]);
    expect(stats.transactions_sent).to.equal(0);
  });

  it("waits out an RPC outage (the node stopped with SIGSTOP) and anchors once the node is back", async function () {
    const s = await newStream(admin);
    const { url } = await anchor();
    await waitFor("ready", async () => (await getJson(`${url}/ready`)).status === 200);
    devnet.proc.kill("SIGSTOP");
    let batch: string;
    try {
      batch = await commit(admin, s, 2);
      await waitFor(
        "RPC failures counted",
        async () => ((await getJson(`${url}/stats`)).json.l2_connection_failures as number) >= 2,
      );
      expect(await anchoredTx(admin, batch)).to.equal(undefined);
    } finally {
      devnet.proc.kill("SIGCONT");
    }
    await waitFor("anchored after the outage", () => anchoredTx(admin, batch));
    expect(await commitLogs(batch)).to.have.length(1);
  });

  it("waits out the sequencer being down and reports once it is back", async function () {
    const s = await newStream(admin);
    const { url } = await anchor();
    await waitFor("ready", async () => (await getJson(`${url}/ready`)).status === 200);
    const port = Number(new URL(seqUrl).port);
    await seq.stop();
    try {
      await waitFor(
        "sequencer failures counted",
        async () => ((await getJson(`${url}/stats`)).json.sequencer_api_failures as number) >= 1,
      );
    } finally {
      ({ seq } = await startSequencer(setup, { port }));
    }
    const batch = await commit(admin, s, 2);
    await waitFor("anchored after the sequencer came back", () => anchoredTx(admin, batch));
    expect(await commitLogs(batch)).to.have.length(1);
  });

  it("replaces a stuck transaction with higher fees and reports the one that was mined", async function () {
    const s = await newStream(admin);
    await devnet.rpc("evm_setAutomine", [false]);
    const batch = await commit(admin, s, 2);
    const { url } = await anchor({ ANCHOR__STUCK_AFTER_MS: "500" });
    await waitFor(
      "a replacement",
      async () => ((await getJson(`${url}/stats`)).json.transactions_replaced as number) >= 1,
    );
    await devnet.rpc("evm_setAutomine", [true]);
    await devnet.rpc("evm_mine");
    const tx = await waitFor("reported", () => anchoredTx(admin, batch));
    const logs = await commitLogs(batch);
    expect(logs).to.have.length(1);
    expect(logs[0]!.transactionHash).to.equal(tx);
    // The mined transaction is the replacement: its tip is above the node's suggestion (1 gwei) by the bump.
    const mined = await provider.getTransaction(tx);
    expect(mined!.maxPriorityFeePerGas! > 1_000_000_000n).to.equal(true);
  });

  it("holds transactions back above the gas-price ceiling", async function () {
    const s = await newStream(admin);
    const batch = await commit(admin, s, 1);
    const { url } = await anchor({ ANCHOR__MAX_FEE_PER_GAS_WEI: "1" });
    await waitFor("a gas skip", async () => ((await getJson(`${url}/stats`)).json.gas_price_skips as number) >= 1);
    expect((await getJson(`${url}/stats`)).json.transactions_sent).to.equal(0);
    expect(await commitLogs(batch)).to.have.length(0);
  });

  it("re-sends a transaction reorganised away before its confirmations (evm_snapshot / evm_revert)", async function () {
    const s = await newStream(admin);
    const snapshot = await devnet.rpc<string>("evm_snapshot");
    const batch = await commit(admin, s, 2);
    const { svc } = await anchor({ ANCHOR__CONFIRMATIONS: "3" });
    await waitFor(
      "mined, awaiting confirmations",
      () => ((svc.stats().sends as Record<string, number>).mined ?? 0) >= 1,
    );
    expect(await commitLogs(batch)).to.have.length(1);
    await devnet.rpc("evm_revert", [snapshot]);
    expect(await commitLogs(batch)).to.have.length(0);
    await waitFor("re-sent and mined again", async () => (await commitLogs(batch)).length === 1);
    await devnet.rpc("evm_mine");
    await devnet.rpc("evm_mine");
    const tx = await waitFor("reported", () => anchoredTx(admin, batch));
    expect((await commitLogs(batch))[0]!.transactionHash).to.equal(tx);
    expect(svc.stats().reorgs).to.be.at.least(1);
  });

  it("un-records a reported anchor whose block was reorganised away and anchors it again", async function () {
    const s = await newStream(admin);
    const snapshot = await devnet.rpc<string>("evm_snapshot");
    const batch = await commit(admin, s, 2);
    const { svc } = await anchor();
    const first = await waitFor("reported", () => anchoredTx(admin, batch));
    await devnet.rpc("evm_revert", [snapshot]);
    // Another transaction takes the reverted block's place, so the chain moves past it.
    await devnet.rpc("evm_mine");
    const second = await waitFor("re-anchored and reported again", async () => {
      const tx = await anchoredTx(admin, batch);
      return tx !== undefined && tx !== first ? tx : undefined;
    });
    const logs = await commitLogs(batch);
    expect(logs).to.have.length(1);
    expect(logs[0]!.transactionHash).to.equal(second);
    expect(svc.stats().reorgs).to.be.at.least(1);
  });

  describe("proof path, against an in-test stub of the two proof routes (GET …/proofs, POST …/anchored) serving records for the real sequencer's commitments", function () {
    let stub: Server;
    let stubUrl: string;
    const records = new Map<string, Record<string, unknown>>();
    const anchoredCalls: { proofId: string; body: Record<string, unknown> }[] = [];

    before(async function () {
      stub = createServer((req, res) => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `ApiKey ${ADMIN_KEY}`) return send(401, { error: { code: "UNAUTHORIZED" } });
        const list = /^\/api\/v1\/ves\/validity\/([0-9a-f-]{36})\/proofs$/.exec(req.url ?? "");
        if (req.method === "GET" && list) {
          const r = records.get(list[1]!);
          return send(200, { proofs: r === undefined ? [] : [r], count: r === undefined ? 0 : 1 });
        }
        const mark = /^\/api\/v1\/ves\/validity\/proofs\/([^/]+)\/anchored$/.exec(req.url ?? "");
        if (req.method === "POST" && mark) {
          let text = "";
          req.on("data", (d: Buffer) => (text += d.toString()));
          req.on("end", () => {
            anchoredCalls.push({ proofId: mark[1]!, body: JSON.parse(text) as Record<string, unknown> });
            send(200, { proofId: mark[1], status: "anchored" });
          });
          return;
        }
        send(404, { error: { code: "NOT_FOUND" } });
      });
      await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", () => resolve()));
      stubUrl = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
    });

    after(async function () {
      await new Promise<void>((resolve) => stub.close(() => resolve()));
    });

    const recordFor = (batchId: string, n: number) => ({
      proofId: `proof-${batchId}`,
      batchId,
      proofType: "stark-batch",
      proofHash: keccakText(`proof ${batchId}`),
      policyHash: keccakText("policy"),
      policyLimit: "18446744073709551615",
      allCompliant: true,
      proofSize: 4096 + n,
      provingTimeMs: 321,
    });

    it("anchors a batch with its proof in one commitBatchWithStarkProof when the proof is there", async function () {
      const s = await newStream(admin);
      const batch = await commit(admin, s, 2);
      records.set(batch, recordFor(batch, 1));
      await anchor({ ANCHOR__PROOFS: "true", ANCHOR__PROOF_API_URL: stubUrl, ANCHOR__PROOF_WAIT_MS: "60000" });
      const tx = await waitFor("reported", () => anchoredTx(admin, batch));
      expect(await registry.verifyStarkProofHash(id32(batch), keccakText(`proof ${batch}`))).to.equal(true);
      const onChain = await registry.starkProofs(id32(batch));
      expect(onChain.policyLimit).to.equal(2n ** 64n - 1n);
      expect(onChain.proofSize).to.equal(4097n);
      const call = await waitFor("proof anchor reported", () =>
        anchoredCalls.find((c) => c.proofId === `proof-${batch}`),
      );
      expect(call.body.txHash).to.equal(tx);
      const receipt = await provider.getTransactionReceipt(tx);
      expect(call.body.blockNumber).to.equal(receipt!.blockNumber);
      expect(call.body.chainId).to.equal(84532001);
      const calldata = (await provider.getTransaction(tx))!.data;
      expect(calldata.slice(0, 10)).to.equal(registry.interface.getFunction("commitBatchWithStarkProof").selector);
    });

    it("anchors without the proof after the wait, then commits the late proof with commitStarkProof", async function () {
      const s = await newStream(admin);
      const batch = await commit(admin, s, 2);
      const { svc } = await anchor({
        ANCHOR__PROOFS: "true",
        ANCHOR__PROOF_API_URL: stubUrl,
        ANCHOR__PROOF_WAIT_MS: "300",
      });
      const tx = await waitFor("reported without a proof", () => anchoredTx(admin, batch));
      expect(await registry.hasStarkProof(id32(batch))).to.equal(false);
      records.set(batch, recordFor(batch, 2));
      const call = await waitFor("late proof reported", () =>
        anchoredCalls.find((c) => c.proofId === `proof-${batch}`),
      );
      expect(call.body.txHash).to.not.equal(tx);
      expect(await registry.verifyStarkProofHash(id32(batch), keccakText(`proof ${batch}`))).to.equal(true);
      const calldata = (await provider.getTransaction(call.body.txHash as string))!.data;
      expect(calldata.slice(0, 10)).to.equal(registry.interface.getFunction("commitStarkProof").selector);
      expect(svc.stats().total_proofs_anchored).to.equal(1);
    });
  });
});
