import { writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import {
  AnchorState,
  Backoff,
  CircuitBreaker,
  backoffDelay,
  parseProofRecord,
  resolveAnchorConfig,
  uuidOfBytes32,
} from "../../../offchain/anchor";
import { isAppError } from "../../../offchain/common";
import { tempDir } from "../../support/anchor";

const KEY = "11".repeat(32);
const API = "ss_admin_test_key_0123456789abcdef";

describe("anchor building blocks", function () {
  describe("#resolveAnchorConfig", function () {
    it("reports every bad key at once, missing secrets included (exit code 2)", function () {
      try {
        resolveAnchorConfig({ rpcUrl: "localhost:8545" }, { ANCHOR__CONFIRMATIONS: "0", ANCHOR__PORT: "x" });
        expect.fail("accepted a bad configuration");
      } catch (e) {
        expect(isAppError(e, "CONFIG_INVALID")).to.equal(true);
        const msg = (e as Error).message;
        for (const key of [
          "--rpc-url",
          "ANCHOR__CONFIRMATIONS",
          "ANCHOR__PORT",
          "ANCHOR__SIGNER_KEY",
          "ANCHOR__SEQUENCER_API_KEY",
        ]) {
          expect(msg).to.include(key);
        }
        expect((e as { exitCode: number }).exitCode).to.equal(2);
      }
    });

    it("refuses secrets as flags and reads them from _FILE variables", function () {
      expect(() =>
        resolveAnchorConfig({ signerKey: KEY }, { ANCHOR__SIGNER_KEY: KEY, ANCHOR__SEQUENCER_API_KEY: API }),
      ).to.throw(/secrets are not accepted as flags/);
      const { dir, cleanup } = tempDir("ves-anchor-cfg-");
      try {
        writeFileSync(path.join(dir, "key"), `${KEY}\n`);
        const c = resolveAnchorConfig(
          { confirmations: "3" },
          { ANCHOR__SIGNER_KEY_FILE: path.join(dir, "key"), ANCHOR__SEQUENCER_API_KEY: API, ANCHOR__PORT: "0" },
        );
        expect(c.signerKey).to.equal(KEY);
        expect(c.confirmations).to.equal(3);
        expect(c.port).to.equal(0);
        expect(c.proofApiUrl).to.equal(c.sequencerUrl);
      } finally {
        cleanup();
      }
    });
  });

  describe("failure handling", function () {
    it("backs off exponentially with jitter in [d/2, d], capped", function () {
      expect(backoffDelay(1, 1000, 60_000, () => 0)).to.equal(500);
      expect(backoffDelay(1, 1000, 60_000, () => 1)).to.equal(1000);
      expect(backoffDelay(4, 1000, 60_000, () => 1)).to.equal(8000);
      expect(backoffDelay(30, 1000, 60_000, () => 1)).to.equal(60_000);
      let now = 0;
      const b = new Backoff(100, 1000, () => now);
      expect(b.ready("s")).to.equal(true);
      const d = b.fail("s");
      expect(b.ready("s")).to.equal(false);
      expect(b.ready("other")).to.equal(true);
      now += d;
      expect(b.ready("s")).to.equal(true);
      b.succeed("s");
      expect(b.failures("s")).to.equal(0);
    });

    it("opens the breaker after the threshold, lets one probe through after the pause, closes on success", function () {
      let now = 0;
      const states: string[] = [];
      const br = new CircuitBreaker(
        3,
        1000,
        (s) => states.push(s),
        () => now,
      );
      br.failure();
      br.failure();
      expect(br.allow()).to.equal(true);
      br.failure();
      expect(br.state).to.equal("open");
      expect(br.allow()).to.equal(false);
      now += 1000;
      expect(br.allow()).to.equal(true);
      expect(br.state).to.equal("halfOpen");
      br.failure();
      expect(br.state).to.equal("open");
      now += 1000;
      expect(br.allow()).to.equal(true);
      br.success();
      expect(br.state).to.equal("closed");
      expect(states).to.deep.equal(["open", "halfOpen", "open", "halfOpen", "closed"]);
    });
  });

  describe("#parseProofRecord", function () {
    const good = {
      proofId: "p1",
      batchId: "D982E688-BC8E-4CB3-BA26-B7777A98C526",
      proofHash: "ab".repeat(32),
      policyHash: `0x${"cd".repeat(32)}`,
      policyLimit: "18446744073709551615",
      allCompliant: true,
      proofSize: 4096,
      provingTimeMs: 12,
    };

    it("reads the fields commitStarkProof needs (hex with or without 0x, u64 as strings)", function () {
      const p = parseProofRecord(good)!;
      expect(p.batchId).to.equal("d982e688-bc8e-4cb3-ba26-b7777a98c526");
      expect(p.proofHash).to.equal(`0x${"ab".repeat(32)}`);
      expect(p.policyLimit).to.equal(2n ** 64n - 1n);
      expect(p.proofSize).to.equal(4096n);
    });

    it("refuses records the registry would reject or that do not fit its types", function () {
      expect(parseProofRecord({ ...good, proofSize: 0 })).to.equal(null);
      expect(parseProofRecord({ ...good, proofHash: "00".repeat(32) })).to.equal(null);
      expect(parseProofRecord({ ...good, policyLimit: "18446744073709551616" })).to.equal(null);
      expect(parseProofRecord({ ...good, allCompliant: "yes" })).to.equal(null);
      expect(parseProofRecord({ ...good, batchId: "not-a-uuid" })).to.equal(null);
    });
  });

  describe("state file", function () {
    it("maps left-aligned bytes32 ids back to UUIDs and refuses other ids", function () {
      expect(uuidOfBytes32(`0xd982e688bc8e4cb3ba26b7777a98c526${"00".repeat(16)}`)).to.equal(
        "d982e688-bc8e-4cb3-ba26-b7777a98c526",
      );
      expect(uuidOfBytes32(`0x${"11".repeat(32)}`)).to.equal(null);
    });

    it("keeps sends, attempts and the checkpoint across a reopen, and refuses another chain's file", function () {
      const { dir, cleanup } = tempDir("ves-anchor-state-");
      const file = path.join(dir, "a.db");
      const id = { chainId: 84532001n, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
      try {
        const s1 = new AnchorState(file, id);
        const sendId = s1.recordSend(
          { batchId: "b", stream: "t/s", kind: "batch", proofId: null, nonce: 3, eventCount: 2, data: "0x12" },
          { txHash: "0xaa", raw: "0xraw", maxFeePerGas: 10n, maxPriorityFeePerGas: 1n },
        );
        s1.advance(41, "0xhash", [
          { batchId: "b", kind: "batch", txHash: "0xaa", blockNumber: 41, blockHash: "0xhash", logIndex: 0 },
        ]);
        s1.close();
        const s2 = new AnchorState(file, id);
        expect(s2.sends("sent").map((s) => s.id)).to.deep.equal([sendId]);
        expect(s2.attempts(sendId)[0]!.raw).to.equal("0xraw");
        expect(s2.checkpoint()).to.deep.equal({ block: 41, hash: "0xhash" });
        expect(s2.chainEvent("b", "batch")!.txHash).to.equal("0xaa");
        expect([...s2.busyStreams()]).to.deep.equal(["t/s"]);
        s2.rewind(40, "0xprev");
        expect(s2.chainEvent("b", "batch")).to.equal(null);
        s2.close();
        expect(() => new AnchorState(file, { ...id, chainId: 1n })).to.throw(/belongs to chain_id 84532001/);
      } finally {
        cleanup();
      }
    });
  });
});
