import { randomUUID } from "node:crypto";

import { expect } from "chai";
import { JsonRpcProvider, Wallet, ZeroHash, id as keccakText } from "ethers";

import { HttpProofSource, SequencerClient, createAnchor, type AnchorService } from "../../../offchain/anchor";
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
import { submitBatchProof } from "../../support/proofs";

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

  describe("proof path, against the real sequencer's proof routes (batch proofs proven and submitted in the test)", function () {
    /** Proves and submits a batch proof of `batchId`; its record (hashes without 0x). */
    const prove = async (batchId: string) => submitBatchProof(admin, batchId);
    /** The proof's anchor as the sequencer's proof GET route shows it (undefined: not recorded). */
    const proofAnchor = async (proofId: string) => {
      const r = await admin.get(`/api/v1/ves/validity/proofs/${proofId}`);
      expect(r.status, r.text).to.equal(200);
      const a = r.json.anchor as unknown as { chainId: bigint; txHash: string; blockNumber: bigint } | null;
      return a ?? undefined;
    };
    /** The sequencer's audit entries of an action on a proof. */
    const audits = async (tenantId: string, action: string, proofId: string) => {
      const r = await admin.get(`/api/v1/admin/audit?tenant_id=${tenantId}&limit=500`);
      const entries = r.json.entries as unknown as { action: string; target: string | null }[];
      return entries.filter((e) => e.action === action && e.target === proofId).length;
    };
    const proofLogs = async (batchId: string) =>
      registry.queryFilter(registry.filters.StarkProofCommitted(id32(batchId)), 0, "latest");

    it("tells an unknown proof (PROOF_NOT_FOUND) from a missing route (unsupported) on both proof anchor routes", async function () {
      const real = new HttpProofSource(new SequencerClient(seqUrl, ADMIN_KEY, 3000));
      const where = { chainId: 84532001n, txHash: `0x${"ab".repeat(32)}`, blockNumber: 1n };
      expect(await real.markProofAnchored(randomUUID(), where)).to.equal("not_found");
      expect(await real.unmarkProofAnchored(randomUUID())).to.equal("not_found");
      const routeless = new HttpProofSource(new SequencerClient(`${seqUrl}/elsewhere`, ADMIN_KEY, 3000));
      expect(await routeless.markProofAnchored(randomUUID(), where)).to.equal("unsupported");
      expect(await routeless.unmarkProofAnchored(randomUUID())).to.equal("unsupported");
    });

    it("anchors a batch with its proof in one commitBatchWithStarkProof and records the proof's transaction", async function () {
      const s = await newStream(admin);
      const batch = await commit(admin, s, 2);
      const record = await prove(batch);
      const proofId = record.proofId as string;
      await anchor({ ANCHOR__PROOFS: "true", ANCHOR__PROOF_WAIT_MS: "60000" });
      const tx = await waitFor("reported", () => anchoredTx(admin, batch));
      expect(await registry.verifyStarkProofHash(id32(batch), `0x${record.proofHash as string}`)).to.equal(true);
      const onChain = await registry.starkProofs(id32(batch));
      expect(onChain.policyLimit).to.equal(100_000n);
      expect(onChain.proofSize).to.equal(BigInt(record.proofSize as number));
      const recorded = await waitFor("proof anchor recorded", () => proofAnchor(proofId));
      expect(recorded.txHash).to.equal(tx);
      const receipt = await provider.getTransactionReceipt(tx);
      expect(recorded.blockNumber).to.equal(receipt!.blockNumber);
      expect(recorded.chainId).to.equal(84532001);
      const calldata = (await provider.getTransaction(tx))!.data;
      expect(calldata.slice(0, 10)).to.equal(registry.interface.getFunction("commitBatchWithStarkProof").selector);
    });

    it("anchors without the proof after the wait, then commits the late proof with commitStarkProof", async function () {
      const s = await newStream(admin);
      const batch = await commit(admin, s, 2);
      const { svc } = await anchor({ ANCHOR__PROOFS: "true", ANCHOR__PROOF_WAIT_MS: "300" });
      const tx = await waitFor("reported without a proof", () => anchoredTx(admin, batch));
      expect(await registry.hasStarkProof(id32(batch))).to.equal(false);
      const record = await prove(batch);
      const recorded = await waitFor("late proof recorded", () => proofAnchor(record.proofId as string));
      expect(recorded.txHash).to.not.equal(tx);
      expect(await registry.verifyStarkProofHash(id32(batch), `0x${record.proofHash as string}`)).to.equal(true);
      const calldata = (await provider.getTransaction(recorded.txHash))!.data;
      expect(calldata.slice(0, 10)).to.equal(registry.interface.getFunction("commitStarkProof").selector);
      expect(svc.stats().total_proofs_anchored).to.equal(1);
    });

    it("un-records a reported proof anchor whose block was reorganised away (DELETE) and anchors the proof again", async function () {
      const s = await newStream(admin);
      const batch = await commit(admin, s, 2);
      const { svc } = await anchor({ ANCHOR__PROOFS: "true", ANCHOR__PROOF_WAIT_MS: "300" });
      await waitFor("batch reported without a proof", () => anchoredTx(admin, batch));
      const snapshot = await devnet.rpc<string>("evm_snapshot");
      const record = await prove(batch);
      const proofId = record.proofId as string;
      const first = await waitFor("proof anchor recorded", () => proofAnchor(proofId));
      expect(await proofLogs(batch)).to.have.length(1);
      // Nothing is mined until the watcher has un-recorded the proof's anchor (its block is gone).
      await devnet.rpc("evm_setAutomine", [false]);
      await devnet.rpc("evm_revert", [snapshot]);
      await waitFor("proof anchor un-recorded", async () => (await proofAnchor(proofId)) === undefined || undefined);
      expect(await audits(s.agent.tenantId, "proof.unanchor", proofId)).to.equal(1);
      await devnet.rpc("evm_setAutomine", [true]);
      await devnet.rpc("evm_mine");
      await waitFor("proof anchored and recorded again", async () => {
        const logs = await proofLogs(batch);
        const a = await proofAnchor(proofId);
        return logs.length === 1 && a !== undefined && a.txHash === logs[0]!.transactionHash ? a : undefined;
      });
      expect(await audits(s.agent.tenantId, "proof.anchor", proofId)).to.equal(2);
      expect(await registry.verifyStarkProofHash(id32(batch), `0x${record.proofHash as string}`)).to.equal(true);
      expect(svc.stats().reorgs).to.be.at.least(1);
      expect(first.txHash).to.be.a("string");
    });

    it("un-records both anchors of a reorganised commitBatchWithStarkProof and anchors batch and proof again", async function () {
      const s = await newStream(admin);
      const snapshot = await devnet.rpc<string>("evm_snapshot");
      const batch = await commit(admin, s, 2);
      const record = await prove(batch);
      const proofId = record.proofId as string;
      await anchor({ ANCHOR__PROOFS: "true", ANCHOR__PROOF_WAIT_MS: "60000" });
      const first = await waitFor("proof anchor recorded", () => proofAnchor(proofId));
      expect(first.txHash).to.equal(await anchoredTx(admin, batch));
      await devnet.rpc("evm_setAutomine", [false]);
      await devnet.rpc("evm_revert", [snapshot]);
      await waitFor("both anchors un-recorded", async () =>
        (await proofAnchor(proofId)) === undefined && (await anchoredTx(admin, batch)) === undefined ? true : undefined,
      );
      expect(await audits(s.agent.tenantId, "proof.unanchor", proofId)).to.equal(1);
      await devnet.rpc("evm_setAutomine", [true]);
      await devnet.rpc("evm_mine");
      const again = await waitFor("batch and proof anchored and recorded again", async () => {
        const logs = await commitLogs(batch);
        const a = await proofAnchor(proofId);
        const tx = await anchoredTx(admin, batch);
        return logs.length === 1 && a !== undefined && a.txHash === logs[0]!.transactionHash && tx === a.txHash
          ? a
          : undefined;
      });
      expect(await audits(s.agent.tenantId, "proof.anchor", proofId)).to.equal(2);
      const calldata = (await provider.getTransaction(again.txHash))!.data;
      expect(calldata.slice(0, 10)).to.equal(registry.interface.getFunction("commitBatchWithStarkProof").selector);
    });
  });
});
