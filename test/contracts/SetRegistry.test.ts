import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre, { ethers } from "hardhat";

import SetRegistryModule from "../../deploy/modules/SetRegistry";
import { SetRegistry__factory, SetRegistryV2__factory } from "../../typechain-types";
import abiVectors from "../vectors/registry-abi.json";
import keccakVectors from "../vectors/registry-keccak-merkle.json";
import vesVectors from "../vectors/registry-ves-merkle.json";
import { PAD_LEAF, vesNode, vesProof, vesRoot } from "../support/ves-merkle";

const ZERO = ethers.ZeroHash;
const U64_MAX = 2n ** 64n - 1n;
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

/** A labelled non-zero bytes32. */
const b32 = (label: string) => ethers.keccak256(ethers.toUtf8Bytes(label));
/** A UUID-shaped bytes32: 16 bytes then 16 zero bytes. */
const uuid32 = (n: number) => ethers.zeroPadBytes(ethers.toBeHex(n, 16), 32);
/** The registry's stream key: keccak256(tenantId ‖ storeId). */
const streamKey = (tenantId: string, storeId: string) =>
  ethers.solidityPackedKeccak256(["bytes32", "bytes32"], [tenantId, storeId]);

interface Batch {
  batchId: string;
  tenantId: string;
  storeId: string;
  eventsRoot: string;
  prevStateRoot: string;
  newStateRoot: string;
  start: bigint;
  end: bigint;
  count: bigint;
}

interface Proof {
  proofHash: string;
  policyHash: string;
  policyLimit: bigint;
  allCompliant: boolean;
  proofSize: bigint;
  provingTimeMs: bigint;
}

const TENANT = uuid32(0x64527dd3);
const STORE = uuid32(0x91def158);

/** The n-th batch of the default stream, chained to batch n-1, with 10 events each. */
function nthBatch(n: number, overrides: Partial<Batch> = {}): Batch {
  const start = BigInt(n - 1) * 10n + 1n;
  return {
    batchId: uuid32(0x1000 + n),
    tenantId: TENANT,
    storeId: STORE,
    eventsRoot: b32(`events${n}`),
    prevStateRoot: n === 1 ? ZERO : b32(`state${n - 1}`),
    newStateRoot: b32(`state${n}`),
    start,
    end: start + 9n,
    count: 10n,
    ...overrides,
  };
}

const PROOF: Proof = {
  proofHash: b32("proof"),
  policyHash: b32("policy"),
  policyLimit: 10_000n,
  allCompliant: true,
  proofSize: 4096n,
  provingTimeMs: 1234n,
};

function commitArgs(b: Batch) {
  return [
    b.batchId,
    b.tenantId,
    b.storeId,
    b.eventsRoot,
    b.prevStateRoot,
    b.newStateRoot,
    b.start,
    b.end,
    b.count,
  ] as const;
}

async function deployRegistryFixture() {
  const [owner, sequencer, other, second] = await ethers.getSigners();
  if (!owner || !sequencer || !other || !second) throw new Error("need four signers");
  const deployed = await hre.ignition.deploy(SetRegistryModule, {
    parameters: { SetRegistryModule: { owner: owner.address, sequencer: sequencer.address } },
  });
  const registry = SetRegistry__factory.connect(await deployed.registry.getAddress(), owner);
  const implementation = await deployed.implementation.getAddress();
  const asSequencer = registry.connect(sequencer);
  const commit = (b: Batch, signer = sequencer) => registry.connect(signer).commitBatch(...commitArgs(b));
  const prove = (batchId: string, newStateRoot: string, p: Partial<Proof> = {}, signer = sequencer) => {
    const q = { ...PROOF, ...p };
    return registry
      .connect(signer)
      .commitStarkProof(
        batchId,
        q.proofHash,
        ZERO,
        newStateRoot,
        q.policyHash,
        q.policyLimit,
        q.allCompliant,
        q.proofSize,
        q.provingTimeMs,
      );
  };
  return { registry, asSequencer, implementation, owner, sequencer, other, second, commit, prove };
}

describe("SetRegistry", function () {
  describe("ABI", function () {
    it("keeps every reference function selector", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const iface = new ethers.Interface(registry.interface.fragments);
      for (const [signature, selector] of Object.entries(abiVectors.functions)) {
        expect(iface.getFunction(signature)?.selector, signature).to.equal(selector);
      }
    });

    it("adds only verifyVesInclusion to the reference functions", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const ours = registry.interface.fragments.filter((f) => f.type === "function").map((f) => f.format("sighash"));
      const extra = ours.filter((s) => !(s in abiVectors.functions));
      expect(extra).to.deep.equal(["verifyVesInclusion(bytes32,bytes32,bytes32[],uint256)"]);
      expect(ours).to.have.length(Object.keys(abiVectors.functions).length + 1);
    });

    it("keeps every reference event topic and error selector", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const iface = new ethers.Interface(registry.interface.fragments);
      for (const [signature, topic] of Object.entries(abiVectors.events)) {
        expect(iface.getEvent(signature)?.topicHash, signature).to.equal(topic);
      }
      for (const [signature, selector] of Object.entries(abiVectors.errors)) {
        expect(iface.getError(signature)?.selector, signature).to.equal(selector);
      }
    });

    it("returns the reference getter shapes", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      expect(registry.interface.getFunction("commitments")?.outputs).to.have.length(6);
      expect(registry.interface.getFunction("starkProofs")?.outputs).to.have.length(7);
      const struct = registry.interface.getFunction("getBatchCommitment")?.outputs[0];
      expect(struct?.components?.map((c) => c.name)).to.deep.equal(abiVectors.structs.getBatchCommitment);
    });

    it("derives the reference tenant/store key", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const ex = abiVectors.examples.tenantStoreKey;
      expect(streamKey(ex.tenantId, ex.storeId)).to.equal(ex.key);
      const b = nthBatch(1, { tenantId: ex.tenantId, storeId: ex.storeId });
      await commit(b);
      expect(await registry.latestCommitment(ex.key)).to.equal(b.batchId);
    });
  });

  describe("#initialize", function () {
    it("sets the owner, authorizes the sequencer and enables strict mode", async function () {
      const { registry, owner, sequencer } = await loadFixture(deployRegistryFixture);
      expect(await registry.owner()).to.equal(owner.address);
      expect(await registry.authorizedSequencers(sequencer.address)).to.equal(true);
      expect(await registry.authorizedSequencerCount()).to.equal(1n);
      expect(await registry.strictModeEnabled()).to.equal(true);
      expect(await registry.legacyFunctionsEnabled()).to.equal(false);
      expect(await registry.paused()).to.equal(false);
      expect(await registry.getRegistryStats()).to.deep.equal([0n, 0n, false, true]);
    });

    it("emits ownership, sequencer and initialized events in that order", async function () {
      const { owner, sequencer } = await loadFixture(deployRegistryFixture);
      const impl = await ethers.deployContract("SetRegistry");
      const data = impl.interface.encodeFunctionData("initialize", [owner.address, sequencer.address]);
      const proxy = await ethers.deployContract("ERC1967Proxy", [await impl.getAddress(), data]);
      const receipt = await proxy.deploymentTransaction()?.wait();
      const names = (receipt?.logs ?? [])
        .map((log) => impl.interface.parseLog(log)?.name)
        .filter((n) => n !== undefined && n !== "Upgraded");
      expect(names).to.deep.equal(["OwnershipTransferred", "SequencerAuthorized", "Initialized"]);
    });

    it("authorizes nobody when the initial sequencer is zero", async function () {
      const { owner } = await loadFixture(deployRegistryFixture);
      const impl = await ethers.deployContract("SetRegistry");
      const data = impl.interface.encodeFunctionData("initialize", [owner.address, ethers.ZeroAddress]);
      const proxy = await ethers.deployContract("ERC1967Proxy", [await impl.getAddress(), data]);
      const registry = SetRegistry__factory.connect(await proxy.getAddress(), owner);
      expect(await registry.authorizedSequencerCount()).to.equal(0n);
      expect(await registry.authorizedSequencers(ethers.ZeroAddress)).to.equal(false);
    });

    it("rejects the zero owner", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const impl = await ethers.deployContract("SetRegistry");
      const data = impl.interface.encodeFunctionData("initialize", [ethers.ZeroAddress, ethers.ZeroAddress]);
      await expect(ethers.deployContract("ERC1967Proxy", [await impl.getAddress(), data]))
        .to.be.revertedWithCustomError(registry, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
    });

    it("cannot run twice, nor on the implementation", async function () {
      const { registry, implementation, owner, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.initialize(other.address, other.address)).to.be.revertedWithCustomError(
        registry,
        "InvalidInitialization",
      );
      const impl = SetRegistry__factory.connect(implementation, owner);
      await expect(impl.initialize(owner.address, other.address)).to.be.revertedWithCustomError(
        registry,
        "InvalidInitialization",
      );
    });

    it("keeps its state in the ERC-7201 namespace with counters packed in one slot", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      const base =
        BigInt(
          ethers.keccak256(
            ethers.AbiCoder.defaultAbiCoder().encode(
              ["uint256"],
              [BigInt(ethers.keccak256(ethers.toUtf8Bytes("stateset.storage.SetRegistry"))) - 1n],
            ),
          ),
        ) & ~0xffn;
      await commit(nthBatch(1));
      await prove(nthBatch(1).batchId, nthBatch(1).newStateRoot);
      await registry.setLegacyFunctionsEnabled(true);
      const word = BigInt(await ethers.provider.getStorage(await registry.getAddress(), base + 4n));
      expect(word & (2n ** 64n - 1n), "totalCommitments").to.equal(1n);
      expect((word >> 64n) & (2n ** 64n - 1n), "totalStarkProofs").to.equal(1n);
      expect((word >> 128n) & (2n ** 64n - 1n), "authorizedSequencerCount").to.equal(1n);
      expect((word >> 192n) & 0xffn, "strictModeEnabled").to.equal(1n);
      expect((word >> 200n) & 0xffn, "legacyFunctionsEnabled").to.equal(1n);
    });
  });

  describe("#setSequencerAuthorization", function () {
    it("grants and revokes, counting only real changes", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.setSequencerAuthorization(other.address, true))
        .to.emit(registry, "SequencerAuthorized")
        .withArgs(other.address, true);
      expect(await registry.authorizedSequencerCount()).to.equal(2n);
      await registry.setSequencerAuthorization(other.address, true);
      expect(await registry.authorizedSequencerCount()).to.equal(2n);
      await expect(registry.setSequencerAuthorization(other.address, false))
        .to.emit(registry, "SequencerAuthorized")
        .withArgs(other.address, false);
      expect(await registry.authorizedSequencerCount()).to.equal(1n);
      await registry.setSequencerAuthorization(other.address, false);
      expect(await registry.authorizedSequencerCount()).to.equal(1n);
      expect(await registry.authorizedSequencers(other.address)).to.equal(false);
    });

    it("lets a newly authorized sequencer commit and stops a revoked one", async function () {
      const { registry, sequencer, other, commit } = await loadFixture(deployRegistryFixture);
      await registry.setSequencerAuthorization(other.address, true);
      await commit(nthBatch(1), other);
      await registry.setSequencerAuthorization(sequencer.address, false);
      await expect(commit(nthBatch(2))).to.be.revertedWithCustomError(registry, "NotAuthorizedSequencer");
    });

    it("rejects the zero address", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.setSequencerAuthorization(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(
        registry,
        "InvalidAddress",
      );
    });

    it("prevents non-owners from changing sequencers", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.connect(other).setSequencerAuthorization(other.address, true))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("#batchSetSequencerAuthorization", function () {
    it("authorizes each address with its own event, duplicates counted once", async function () {
      const { registry, other, second } = await loadFixture(deployRegistryFixture);
      const tx = registry.batchSetSequencerAuthorization([other.address, second.address, other.address], true);
      await expect(tx).to.emit(registry, "SequencerAuthorized").withArgs(other.address, true);
      await expect(tx).to.emit(registry, "SequencerAuthorized").withArgs(second.address, true);
      expect(await registry.authorizedSequencerCount()).to.equal(3n);
      expect(await registry.areSequencersAuthorized([other.address, second.address, ethers.ZeroAddress])).to.deep.equal(
        [true, true, false],
      );
      await registry.batchSetSequencerAuthorization([other.address, second.address], false);
      expect(await registry.authorizedSequencerCount()).to.equal(1n);
    });

    it("rejects an empty array", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.batchSetSequencerAuthorization([], true)).to.be.revertedWithCustomError(
        registry,
        "EmptyArray",
      );
    });

    it("rejects the whole call when any address is zero", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(
        registry.batchSetSequencerAuthorization([other.address, ethers.ZeroAddress], true),
      ).to.be.revertedWithCustomError(registry, "InvalidAddress");
      expect(await registry.authorizedSequencers(other.address)).to.equal(false);
    });

    it("prevents non-owners from changing sequencers", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.connect(other).batchSetSequencerAuthorization([other.address], true))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("#setStrictMode and #setLegacyFunctionsEnabled", function () {
    it("toggles strict mode with an event", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.setStrictMode(false)).to.emit(registry, "StrictModeUpdated").withArgs(false);
      expect(await registry.strictModeEnabled()).to.equal(false);
      await expect(registry.setStrictMode(true)).to.emit(registry, "StrictModeUpdated").withArgs(true);
    });

    it("toggles legacy functions with an event", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.setLegacyFunctionsEnabled(true)).to.emit(registry, "LegacyFunctionsUpdated").withArgs(true);
      expect(await registry.legacyFunctionsEnabled()).to.equal(true);
    });

    it("prevents non-owners from toggling flags", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.connect(other).setStrictMode(false))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
      await expect(registry.connect(other).setLegacyFunctionsEnabled(true))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("#pause and #unpause", function () {
    it("blocks every writer while paused and resumes after", async function () {
      const { registry, asSequencer, owner, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await registry.setLegacyFunctionsEnabled(true);
      await expect(registry.pause()).to.emit(registry, "Paused").withArgs(owner.address);
      await expect(commit(nthBatch(2))).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await expect(prove(nthBatch(1).batchId, nthBatch(1).newStateRoot)).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
      const b = nthBatch(2);
      await expect(
        asSequencer.commitBatchWithStarkProof(...commitArgs(b), b32("p"), b32("q"), 1n, true, 1n, 1n),
      ).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await expect(asSequencer.registerBatchRoot(100n, 110n, b32("r"))).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
      await expect(registry.unpause()).to.emit(registry, "Unpaused").withArgs(owner.address);
      await commit(nthBatch(2));
      expect(await registry.totalCommitments()).to.equal(2n);
    });

    it("keeps admin functions working while paused", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await registry.pause();
      await registry.setSequencerAuthorization(other.address, true);
      await registry.setStrictMode(false);
      expect(await registry.getRegistryStats()).to.deep.equal([0n, 0n, true, false]);
    });

    it("rejects pausing twice and unpausing when not paused", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.unpause()).to.be.revertedWithCustomError(registry, "ExpectedPause");
      await registry.pause();
      await expect(registry.pause()).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });

    it("prevents non-owners from pausing", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.connect(other).pause())
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
      await registry.pause();
      await expect(registry.connect(other).unpause())
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("#commitBatch", function () {
    it("stores the commitment and emits BatchCommitted then BatchStreamLinked", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1, { prevStateRoot: b32("genesis") });
      const tx = commit(b);
      await expect(tx)
        .to.emit(registry, "BatchCommitted")
        .withArgs(b.batchId, streamKey(TENANT, STORE), b.eventsRoot, b.newStateRoot, b.start, b.end, b.count);
      await expect(tx).to.emit(registry, "BatchStreamLinked").withArgs(b.batchId, TENANT, STORE, b.prevStateRoot);
      const receipt = await (await tx).wait();
      const names = receipt?.logs.map((l) => registry.interface.parseLog(l)?.name);
      expect(names).to.deep.equal(["BatchCommitted", "BatchStreamLinked"]);

      const ts = BigInt(await time.latest());
      expect(await registry.commitments(b.batchId)).to.deep.equal([
        b.eventsRoot,
        b.newStateRoot,
        b.start,
        b.end,
        b.count,
        ts,
      ]);
      const c = await registry.getBatchCommitment(b.batchId);
      expect([c.eventsRoot, c.newStateRoot, c.sequenceStart, c.sequenceEnd, c.eventCount, c.timestamp]).to.deep.equal([
        b.eventsRoot,
        b.newStateRoot,
        b.start,
        b.end,
        b.count,
        ts,
      ]);
      expect(await registry.totalCommitments()).to.equal(1n);
      expect(await registry["batchExists(bytes32)"](b.batchId)).to.equal(true);
      expect(await registry.getLatestBatchId(TENANT, STORE)).to.equal(b.batchId);
      expect(await registry.latestCommitment(streamKey(TENANT, STORE))).to.equal(b.batchId);
      expect(await registry.getLatestStateRoot(TENANT, STORE)).to.equal(b.newStateRoot);
      expect(await registry.getHeadSequence(TENANT, STORE)).to.equal(b.end);
      expect(await registry.headSequence(streamKey(TENANT, STORE))).to.equal(b.end);
    });

    it("chains batches of a stream and counts them", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      for (let n = 1; n <= 3; n++) await commit(nthBatch(n));
      expect(await registry.totalCommitments()).to.equal(3n);
      expect(await registry.getHeadSequence(TENANT, STORE)).to.equal(30n);
      expect(await registry.getLatestStateRoot(TENANT, STORE)).to.equal(b32("state3"));
    });

    it("accepts any previous root and start for the first batch of a stream", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1, { prevStateRoot: b32("anything"), start: 500n, end: 509n }));
      expect(await registry.getHeadSequence(TENANT, STORE)).to.equal(509n);
    });

    it("keeps streams independent", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const otherStore = uuid32(7);
      await commit(nthBatch(1));
      await commit(nthBatch(1, { batchId: uuid32(0x2001), storeId: otherStore }));
      await commit(nthBatch(2));
      expect(await registry.getHeadSequence(TENANT, otherStore)).to.equal(10n);
      expect(await registry.getHeadSequence(TENANT, STORE)).to.equal(20n);
    });

    it("prevents unauthorized callers from committing", async function () {
      const { registry, other, commit } = await loadFixture(deployRegistryFixture);
      await expect(commit(nthBatch(1), other)).to.be.revertedWithCustomError(registry, "NotAuthorizedSequencer");
    });

    it("rejects an inverted range before checking the count", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await expect(commit(nthBatch(1, { start: 10n, end: 9n, count: 0n }))).to.be.revertedWithCustomError(
        registry,
        "InvalidSequenceRange",
      );
    });

    it("rejects a count that differs from the range size", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await expect(commit(nthBatch(1, { count: 9n })))
        .to.be.revertedWithCustomError(registry, "InvalidEventCount")
        .withArgs(10n, 9n);
      await expect(commit(nthBatch(1, { start: 0n, end: 2n ** 32n, count: 1n })))
        .to.be.revertedWithCustomError(registry, "InvalidEventCount")
        .withArgs(2n ** 32n + 1n, 1n);
    });

    it("does not wrap the count for the full uint64 range", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await expect(commit(nthBatch(1, { start: 0n, end: U64_MAX, count: 0n })))
        .to.be.revertedWithCustomError(registry, "InvalidEventCount")
        .withArgs(U64_MAX, 0n);
    });

    it("rejects zero events root, batch id and new state root", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await expect(commit(nthBatch(1, { eventsRoot: ZERO }))).to.be.revertedWithCustomError(
        registry,
        "EmptyEventsRoot",
      );
      await expect(commit(nthBatch(1, { batchId: ZERO }))).to.be.revertedWithCustomError(registry, "InvalidBatchId");
      await expect(commit(nthBatch(1, { newStateRoot: ZERO }))).to.be.revertedWithCustomError(
        registry,
        "EmptyStateRoot",
      );
    });

    it("rejects a batch id used before, in any stream", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await expect(commit(nthBatch(2, { batchId: nthBatch(1).batchId }))).to.be.revertedWithCustomError(
        registry,
        "BatchAlreadyCommitted",
      );
      await expect(
        commit(nthBatch(1, { batchId: nthBatch(1).batchId, storeId: uuid32(9) })),
      ).to.be.revertedWithCustomError(registry, "BatchAlreadyCommitted");
    });

    it("rejects a broken state-root chain in strict mode", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await expect(commit(nthBatch(2, { prevStateRoot: b32("forged") })))
        .to.be.revertedWithCustomError(registry, "StateRootMismatch")
        .withArgs(b32("state1"), b32("forged"));
    });

    it("rejects gaps and overlaps in strict mode", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await expect(commit(nthBatch(2, { start: 12n, end: 21n })))
        .to.be.revertedWithCustomError(registry, "SequenceGap")
        .withArgs(11n, 12n);
      await expect(commit(nthBatch(2, { start: 10n, end: 19n })))
        .to.be.revertedWithCustomError(registry, "SequenceGap")
        .withArgs(11n, 10n);
    });

    it("cannot continue a stream that ended at the largest sequence", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1, { start: U64_MAX - 9n, end: U64_MAX }));
      await expect(commit(nthBatch(2, { start: 0n, end: 9n })))
        .to.be.revertedWithCustomError(registry, "SequenceGap")
        .withArgs(0n, 0n);
    });

    it("skips continuity checks when strict mode is off and checks the last written batch when back on", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await registry.setStrictMode(false);
      await commit(nthBatch(3, { prevStateRoot: b32("whatever") }));
      expect(await registry.getHeadSequence(TENANT, STORE)).to.equal(30n);
      await registry.setStrictMode(true);
      await expect(commit(nthBatch(2)))
        .to.be.revertedWithCustomError(registry, "StateRootMismatch")
        .withArgs(b32("state3"), b32("state1"));
      await commit(nthBatch(4));
    });
  });

  describe("#commitStarkProof", function () {
    it("stores the proof commitment and counts it", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1);
      await commit(b);
      await expect(prove(b.batchId, b.newStateRoot))
        .to.emit(registry, "StarkProofCommitted")
        .withArgs(b.batchId, PROOF.proofHash, PROOF.policyHash, PROOF.allCompliant, PROOF.proofSize);
      const ts = BigInt(await time.latest());
      expect(await registry.starkProofs(b.batchId)).to.deep.equal([
        PROOF.proofHash,
        PROOF.policyHash,
        PROOF.policyLimit,
        PROOF.allCompliant,
        PROOF.proofSize,
        PROOF.provingTimeMs,
        ts,
      ]);
      expect(await registry.getStarkProofDetails(b.batchId)).to.deep.equal([
        PROOF.proofHash,
        PROOF.policyHash,
        true,
        ts,
      ]);
      expect(await registry.hasStarkProof(b.batchId)).to.equal(true);
      expect(await registry.verifyStarkProofHash(b.batchId, PROOF.proofHash)).to.equal(true);
      expect(await registry.verifyStarkProofHash(b.batchId, b32("other"))).to.equal(false);
      expect(await registry.totalStarkProofs()).to.equal(1n);
    });

    it("reports nothing for a batch without proof", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      expect(await registry.hasStarkProof(nthBatch(1).batchId)).to.equal(false);
      expect(await registry.verifyStarkProofHash(nthBatch(1).batchId, ZERO)).to.equal(false);
      expect(await registry.getStarkProofDetails(nthBatch(1).batchId)).to.deep.equal([ZERO, ZERO, false, 0n]);
    });

    it("rejects a proof for an unknown batch", async function () {
      const { registry, prove } = await loadFixture(deployRegistryFixture);
      await expect(prove(b32("nope"), b32("state1"))).to.be.revertedWithCustomError(registry, "BatchNotCommitted");
    });

    it("rejects a second proof for a batch", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await prove(nthBatch(1).batchId, nthBatch(1).newStateRoot);
      await expect(prove(nthBatch(1).batchId, nthBatch(1).newStateRoot)).to.be.revertedWithCustomError(
        registry,
        "StarkProofAlreadyCommitted",
      );
    });

    it("rejects a proof whose new state root is not the batch's", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await expect(prove(nthBatch(1).batchId, b32("state9"))).to.be.revertedWithCustomError(
        registry,
        "StateRootMismatchInProof",
      );
    });

    it("rejects a zero proof hash or size", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      const { batchId, newStateRoot } = nthBatch(1);
      await expect(prove(batchId, newStateRoot, { proofHash: ZERO })).to.be.revertedWithCustomError(
        registry,
        "InvalidProof",
      );
      await expect(prove(batchId, newStateRoot, { proofSize: 0n })).to.be.revertedWithCustomError(
        registry,
        "InvalidProof",
      );
    });

    it("prevents unauthorized callers from committing proofs", async function () {
      const { registry, other, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await expect(prove(nthBatch(1).batchId, nthBatch(1).newStateRoot, {}, other)).to.be.revertedWithCustomError(
        registry,
        "NotAuthorizedSequencer",
      );
    });
  });

  describe("#commitBatchWithStarkProof", function () {
    it("stores batch and proof with both events", async function () {
      const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1);
      const tx = asSequencer.commitBatchWithStarkProof(
        ...commitArgs(b),
        PROOF.proofHash,
        PROOF.policyHash,
        PROOF.policyLimit,
        false,
        PROOF.proofSize,
        PROOF.provingTimeMs,
      );
      await expect(tx).to.emit(registry, "BatchCommitted");
      await expect(tx).to.emit(registry, "BatchStreamLinked").withArgs(b.batchId, TENANT, STORE, b.prevStateRoot);
      await expect(tx)
        .to.emit(registry, "StarkProofCommitted")
        .withArgs(b.batchId, PROOF.proofHash, PROOF.policyHash, false, PROOF.proofSize);
      const [commitment, hasProof, compliant] = await registry.getBatchWithProofStatus(b.batchId);
      expect(commitment.eventsRoot).to.equal(b.eventsRoot);
      expect([hasProof, compliant]).to.deep.equal([true, false]);
      expect(await registry.getRegistryStats()).to.deep.equal([1n, 1n, false, true]);
    });

    it("stores nothing when the proof is invalid", async function () {
      const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1);
      await expect(
        asSequencer.commitBatchWithStarkProof(...commitArgs(b), ZERO, PROOF.policyHash, 1n, true, 1n, 1n),
      ).to.be.revertedWithCustomError(registry, "InvalidProof");
      expect(await registry["batchExists(bytes32)"](b.batchId)).to.equal(false);
      expect(await registry.totalCommitments()).to.equal(0n);
    });

    it("applies the batch checks", async function () {
      const { registry, asSequencer, other, commit } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      const b = nthBatch(2, { start: 15n, end: 24n });
      const p = [PROOF.proofHash, PROOF.policyHash, 1n, true, 1n, 1n] as const;
      await expect(asSequencer.commitBatchWithStarkProof(...commitArgs(b), ...p))
        .to.be.revertedWithCustomError(registry, "SequenceGap")
        .withArgs(11n, 15n);
      await expect(
        registry.connect(other).commitBatchWithStarkProof(...commitArgs(nthBatch(2)), ...p),
      ).to.be.revertedWithCustomError(registry, "NotAuthorizedSequencer");
    });
  });

  describe("#registerBatchRoot (legacy)", function () {
    it("is disabled by default", async function () {
      const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
      await expect(asSequencer.registerBatchRoot(1n, 10n, b32("root"))).to.be.revertedWithCustomError(
        registry,
        "LegacyFunctionsDisabled",
      );
    });

    it("registers a root on the (0, 0) stream that getBatchRoot finds", async function () {
      const { registry, asSequencer, sequencer } = await loadFixture(deployRegistryFixture);
      await registry.setLegacyFunctionsEnabled(true);
      const tx = asSequencer.registerBatchRoot(1n, 10n, b32("root"));
      await expect(tx).to.emit(registry, "BatchCommitted");
      const receipt = await (await tx).wait();
      const block = await ethers.provider.getBlock(receipt!.blockNumber);
      const batchId = ethers.solidityPackedKeccak256(
        ["uint256", "uint256", "uint256", "address"],
        [1n, 10n, block!.timestamp, sequencer.address],
      );
      await expect(tx)
        .to.emit(registry, "BatchCommitted")
        .withArgs(batchId, streamKey(ZERO, ZERO), b32("root"), ZERO, 1n, 10n, 10n);
      await expect(tx).to.emit(registry, "BatchStreamLinked").withArgs(batchId, ZERO, ZERO, ZERO);
      expect(await registry.getBatchRoot(1n, 10n)).to.equal(b32("root"));
      expect(await registry.getBatchRoot(1n, 11n)).to.equal(ZERO);
      expect(await registry.totalCommitments()).to.equal(1n);
    });

    it("checks sequence continuity in strict mode and lets commitBatch continue with a zero root", async function () {
      const { registry, asSequencer, commit } = await loadFixture(deployRegistryFixture);
      await registry.setLegacyFunctionsEnabled(true);
      await asSequencer.registerBatchRoot(1n, 10n, b32("root"));
      await expect(asSequencer.registerBatchRoot(12n, 20n, b32("root2")))
        .to.be.revertedWithCustomError(registry, "SequenceGap")
        .withArgs(11n, 12n);
      await commit(nthBatch(2, { tenantId: ZERO, storeId: ZERO, prevStateRoot: ZERO }));
      expect(await registry.getHeadSequence(ZERO, ZERO)).to.equal(20n);
    });

    it("rejects ranges the stored types cannot hold instead of truncating", async function () {
      const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
      await registry.setLegacyFunctionsEnabled(true);
      for (const [start, end] of [
        [10n, 9n],
        [1n, 2n ** 64n],
        [0n, 2n ** 32n],
      ] as const) {
        await expect(
          asSequencer.registerBatchRoot(start, end, b32("r")),
          `${start}..${end}`,
        ).to.be.revertedWithCustomError(registry, "InvalidSequenceRange");
      }
      await expect(asSequencer.registerBatchRoot(1n, 2n, ZERO)).to.be.revertedWithCustomError(
        registry,
        "EmptyEventsRoot",
      );
    });

    it("prevents unauthorized callers from registering", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      await registry.setLegacyFunctionsEnabled(true);
      await expect(registry.connect(other).registerBatchRoot(1n, 2n, b32("r"))).to.be.revertedWithCustomError(
        registry,
        "NotAuthorizedSequencer",
      );
    });

    it("rejects a second identical registration in the same block", async function () {
      const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
      await registry.setLegacyFunctionsEnabled(true);
      await registry.setStrictMode(false);
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const first = await asSequencer.registerBatchRoot(1n, 10n, b32("r"), { gasLimit: 300_000n });
        const second = await asSequencer.registerBatchRoot(1n, 10n, b32("r"), { gasLimit: 300_000n });
        await ethers.provider.send("evm_mine", []);
        expect((await ethers.provider.getTransactionReceipt(first.hash))?.status).to.equal(1);
        expect((await ethers.provider.getTransactionReceipt(second.hash))?.status).to.equal(0);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      expect(await registry.totalCommitments()).to.equal(1n);
    });
  });

  describe("batch and stream views", function () {
    it("answers the multi-item views in order, with zeros for unknown ids", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      const [b1, b2] = [nthBatch(1), nthBatch(2)];
      const otherStore = uuid32(5);
      await commit(b1);
      await commit(b2);
      await prove(b1.batchId, b1.newStateRoot, { allCompliant: false });
      const unknown = b32("unknown");
      expect(await registry["batchExists(bytes32[])"]([b1.batchId, unknown, b2.batchId])).to.deep.equal([
        true,
        false,
        true,
      ]);
      const list = await registry.getBatchCommitments([b2.batchId, unknown]);
      expect(list[0]?.sequenceStart).to.equal(11n);
      expect(list[1]?.timestamp).to.equal(0n);
      expect(await registry.getBatchProofStatuses([b1.batchId, b2.batchId])).to.deep.equal([
        [true, false],
        [false, false],
      ]);
      expect(await registry.getBatchLatestStateRoots([TENANT, TENANT], [STORE, otherStore])).to.deep.equal([
        b2.newStateRoot,
        ZERO,
      ]);
      expect(await registry.getBatchHeadSequences([TENANT, TENANT], [STORE, otherStore])).to.deep.equal([20n, 0n]);
      expect(await registry.getTenantStoreSummary(TENANT, STORE)).to.deep.equal([
        b2.batchId,
        b2.newStateRoot,
        20n,
        false,
      ]);
      expect(await registry.getTenantStoreSummary(TENANT, otherStore)).to.deep.equal([ZERO, ZERO, 0n, false]);
    });

    it("rejects parallel arrays of different length", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.getBatchLatestStateRoots([TENANT], [])).to.be.revertedWithCustomError(
        registry,
        "ArrayLengthMismatch",
      );
      await expect(registry.getBatchHeadSequences([], [STORE])).to.be.revertedWithCustomError(
        registry,
        "ArrayLengthMismatch",
      );
    });

    it("reports proof coverage in basis points", async function () {
      const { registry, commit, prove } = await loadFixture(deployRegistryFixture);
      expect(await registry.getExtendedRegistryStatus()).to.deep.equal([0n, 0n, 1n, false, true, 10_000n]);
      await commit(nthBatch(1));
      await commit(nthBatch(2));
      await prove(nthBatch(2).batchId, nthBatch(2).newStateRoot);
      expect(await registry.getExtendedRegistryStatus()).to.deep.equal([2n, 1n, 1n, false, true, 5_000n]);
    });
  });

  describe("#verifyInclusion (keccak)", function () {
    const L = keccakVectors.leaves;
    const named: Record<string, string> = {
      leaf0: L[0]!,
      leaf1: L[1]!,
      leaf2: L[2]!,
      leaf3: L[3]!,
      h01: keccakVectors.h01,
      h23: keccakVectors.h23,
    };

    async function keccakBatchFixture() {
      const base = await deployRegistryFixture();
      const b = nthBatch(1, { eventsRoot: keccakVectors.root, end: 4n, count: 4n });
      await base.commit(b);
      return { ...base, batchId: b.batchId };
    }

    it("reproduces the reference vectors", async function () {
      const h01 = ethers.keccak256(ethers.concat([named.leaf0!, named.leaf1!]));
      const h23 = ethers.keccak256(ethers.concat([named.leaf2!, named.leaf3!]));
      expect([h01, h23]).to.deep.equal([keccakVectors.h01, keccakVectors.h23]);
      expect(ethers.keccak256(ethers.concat([h01, h23]))).to.equal(keccakVectors.root);
    });

    it("accepts the proof of every leaf", async function () {
      const { registry, batchId } = await loadFixture(keccakBatchFixture);
      for (const { index, proof } of keccakVectors.proofs) {
        const path = proof.map((n) => named[n]!);
        expect(await registry.verifyInclusion(batchId, L[index]!, path, index), `leaf ${index}`).to.equal(true);
      }
    });

    it("rejects a wrong index, a wrong sibling and a wrong leaf", async function () {
      const { registry, batchId } = await loadFixture(keccakBatchFixture);
      const path0 = [named.leaf1!, named.h23!];
      expect(await registry.verifyInclusion(batchId, L[0]!, path0, 1)).to.equal(false);
      expect(await registry.verifyInclusion(batchId, L[0]!, [named.leaf2!, named.h23!], 0)).to.equal(false);
      expect(await registry.verifyInclusion(batchId, L[2]!, path0, 0)).to.equal(false);
    });

    it("rejects indices with bits above the proof length", async function () {
      const { registry, batchId, commit } = await loadFixture(keccakBatchFixture);
      // The reference accepted index 0 + 4 for leaf 0; here the batch must also be large enough to hold index 4.
      const big = nthBatch(1, {
        batchId: b32("big"),
        storeId: uuid32(3),
        eventsRoot: keccakVectors.root,
        end: 8n,
        count: 8n,
      });
      await commit(big);
      expect(await registry.verifyInclusion(big.batchId, L[0]!, [named.leaf1!, named.h23!], 0)).to.equal(true);
      expect(await registry.verifyInclusion(big.batchId, L[0]!, [named.leaf1!, named.h23!], 4)).to.equal(false);
      expect(await registry.verifyInclusion(batchId, L[0]!, [named.leaf1!, named.h23!], 4)).to.equal(false);
    });

    it("rejects an index at or beyond the event count", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1, { eventsRoot: keccakVectors.root, end: 3n, count: 3n });
      await commit(b);
      expect(await registry.verifyInclusion(b.batchId, L[2]!, [named.leaf3!, named.h01!], 2)).to.equal(true);
      expect(await registry.verifyInclusion(b.batchId, L[3]!, [named.leaf2!, named.h01!], 3)).to.equal(false);
    });

    it("accepts a one-leaf tree with an empty proof and rejects unknown batches", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const b = nthBatch(1, { eventsRoot: L[0]!, end: 1n, count: 1n });
      await commit(b);
      expect(await registry.verifyInclusion(b.batchId, L[0]!, [], 0)).to.equal(true);
      expect(await registry.verifyInclusion(b.batchId, L[1]!, [], 0)).to.equal(false);
      expect(await registry.verifyInclusion(b32("unknown"), L[0]!, [], 0)).to.equal(false);
    });
  });

  describe("#verifyMultipleInclusions", function () {
    async function keccakBatchFixture() {
      const base = await deployRegistryFixture();
      const b = nthBatch(1, { eventsRoot: keccakVectors.root, end: 4n, count: 4n });
      await base.commit(b);
      const L = keccakVectors.leaves;
      const proofs = [
        [L[1]!, keccakVectors.h23],
        [L[0]!, keccakVectors.h23],
        [L[3]!, keccakVectors.h01],
        [L[2]!, keccakVectors.h01],
      ];
      return { ...base, batchId: b.batchId, leaves: L, proofs };
    }

    it("accepts when every proof is valid", async function () {
      const { registry, batchId, leaves, proofs } = await loadFixture(keccakBatchFixture);
      expect(await registry.verifyMultipleInclusions(batchId, leaves, proofs, [0, 1, 2, 3])).to.equal(true);
    });

    it("rejects when one proof is invalid", async function () {
      const { registry, batchId, leaves, proofs } = await loadFixture(keccakBatchFixture);
      expect(await registry.verifyMultipleInclusions(batchId, leaves, proofs, [0, 1, 3, 2])).to.equal(false);
    });

    it("rejects mismatched lengths, empty sets and unknown batches", async function () {
      const { registry, batchId, leaves, proofs } = await loadFixture(keccakBatchFixture);
      expect(await registry.verifyMultipleInclusions(batchId, leaves, proofs, [0, 1, 2])).to.equal(false);
      expect(await registry.verifyMultipleInclusions(batchId, [], [], [])).to.equal(false);
      expect(await registry.verifyMultipleInclusions(b32("unknown"), leaves, proofs, [0, 1, 2, 3])).to.equal(false);
    });
  });

  describe("#verifyVesInclusion", function () {
    const leavesOf = (n: number, salt = "leaf") => Array.from({ length: n }, (_, i) => b32(`${salt}${i}`));

    it("matches the VES tree vectors", async function () {
      expect(PAD_LEAF).to.equal(vesVectors.padLeaf);
      for (const t of vesVectors.trees) {
        const leaves = t.leafBytes.map((b) => ethers.hexlify(new Uint8Array(32).fill(b)));
        expect(vesRoot(leaves), `${t.leafBytes.length} leaves`).to.equal(t.root);
        if (t.proofForIndex2) expect(vesProof(leaves, 2)).to.deep.equal(t.proofForIndex2);
      }
    });

    it("accepts the proof of every leaf of trees with 1 to 9 and 70 leaves", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 70]) {
        const leaves = leavesOf(n, `t${n}-`);
        const b = nthBatch(1, {
          batchId: uuid32(0x5000 + n),
          storeId: uuid32(n),
          eventsRoot: vesRoot(leaves),
          end: BigInt(n),
          count: BigInt(n),
        });
        await commit(b);
        for (let i = 0; i < n; i++) {
          expect(
            await registry.verifyVesInclusion(b.batchId, leaves[i]!, vesProof(leaves, i), i),
            `${i}/${n}`,
          ).to.equal(true);
        }
      }
    });

    it("verifies the reference's three-leaf vector on-chain", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const t = vesVectors.trees[2]!;
      const leaves = t.leafBytes.map((b) => ethers.hexlify(new Uint8Array(32).fill(b)));
      const b = nthBatch(1, { eventsRoot: t.root, end: 3n, count: 3n });
      await commit(b);
      expect(await registry.verifyVesInclusion(b.batchId, leaves[2]!, t.proofForIndex2!, 2)).to.equal(true);
    });

    async function fiveLeafFixture() {
      const base = await deployRegistryFixture();
      const leaves = leavesOf(5);
      const b = nthBatch(1, { eventsRoot: vesRoot(leaves), end: 5n, count: 5n });
      await base.commit(b);
      return { ...base, leaves, batchId: b.batchId };
    }

    it("rejects a wrong index and a wrong sibling", async function () {
      const { registry, leaves, batchId } = await loadFixture(fiveLeafFixture);
      const proof1 = vesProof(leaves, 1);
      expect(await registry.verifyVesInclusion(batchId, leaves[1]!, proof1, 1)).to.equal(true);
      expect(await registry.verifyVesInclusion(batchId, leaves[1]!, proof1, 0)).to.equal(false);
      expect(await registry.verifyVesInclusion(batchId, leaves[1]!, proof1, 3)).to.equal(false);
      for (let d = 0; d < proof1.length; d++) {
        const bad = [...proof1];
        bad[d] = b32(`bad${d}`);
        expect(await registry.verifyVesInclusion(batchId, leaves[1]!, bad, 1), `sibling ${d}`).to.equal(false);
      }
    });

    it("rejects padding positions and indices past the event count", async function () {
      const { registry, leaves, batchId } = await loadFixture(fiveLeafFixture);
      // Position 5 holds PAD_LEAF in the padded tree; its path is valid but it is not an event.
      const padded = [...leaves, PAD_LEAF, PAD_LEAF, PAD_LEAF];
      expect(vesRoot(padded)).to.equal(vesRoot(leaves));
      expect(await registry.verifyVesInclusion(batchId, PAD_LEAF, vesProof(padded, 5), 5)).to.equal(false);
      expect(await registry.verifyVesInclusion(batchId, leaves[0]!, vesProof(leaves, 0), 8)).to.equal(false);
      expect(await registry.verifyVesInclusion(batchId, leaves[0]!, vesProof(leaves, 0), 2n ** 255n)).to.equal(false);
    });

    it("rejects an inner node presented as a leaf with a shorter path", async function () {
      const { registry, leaves, batchId } = await loadFixture(fiveLeafFixture);
      const inner = vesNode(leaves[0]!, leaves[1]!);
      const shortPath = vesProof(leaves, 0).slice(1);
      // The shortened path does hash to the root from the inner node...
      let node = inner;
      for (const [d, sib] of shortPath.entries()) node = ((0 >> d) & 1) === 0 ? vesNode(node, sib) : vesNode(sib, node);
      expect(node).to.equal(vesRoot(leaves));
      // ...but its length is not the tree depth.
      expect(await registry.verifyVesInclusion(batchId, inner, shortPath, 0)).to.equal(false);
    });

    it("rejects a longer path and unknown batches", async function () {
      const { registry, leaves, batchId } = await loadFixture(fiveLeafFixture);
      expect(await registry.verifyVesInclusion(batchId, leaves[0]!, [...vesProof(leaves, 0), ZERO], 0)).to.equal(false);
      expect(await registry.verifyVesInclusion(b32("unknown"), leaves[0]!, vesProof(leaves, 0), 0)).to.equal(false);
    });

    it("accepts a one-leaf tree only with an empty path", async function () {
      const { registry, commit } = await loadFixture(deployRegistryFixture);
      const leaf = b32("only");
      const b = nthBatch(1, { eventsRoot: leaf, end: 1n, count: 1n });
      await commit(b);
      expect(await registry.verifyVesInclusion(b.batchId, leaf, [], 0)).to.equal(true);
      expect(await registry.verifyVesInclusion(b.batchId, leaf, [PAD_LEAF], 0)).to.equal(false);
      expect(await registry.verifyVesInclusion(b.batchId, leaf, [], 1)).to.equal(false);
    });
  });

  describe("upgrades and ownership", function () {
    it("upgrades to a second implementation and keeps the state", async function () {
      const { registry, owner, sequencer, commit, prove } = await loadFixture(deployRegistryFixture);
      await commit(nthBatch(1));
      await prove(nthBatch(1).batchId, nthBatch(1).newStateRoot);
      const v2 = await ethers.deployContract("SetRegistryV2");
      const v2Address = await v2.getAddress();
      const tx = registry.upgradeToAndCall(v2Address, "0x");
      await expect(tx).to.emit(registry, "ContractUpgraded").withArgs(v2Address, owner.address);
      await expect(tx).to.emit(registry, "Upgraded").withArgs(v2Address);
      const names = (await (await tx).wait())?.logs.map((l) => registry.interface.parseLog(l)?.name);
      expect(names).to.deep.equal(["ContractUpgraded", "Upgraded"]);

      const upgraded = SetRegistryV2__factory.connect(await registry.getAddress(), owner);
      expect(await upgraded.version()).to.equal("2");
      const slot = await ethers.provider.getStorage(await registry.getAddress(), IMPLEMENTATION_SLOT);
      expect(ethers.getAddress(ethers.dataSlice(slot, 12))).to.equal(v2Address);
      expect(await upgraded.owner()).to.equal(owner.address);
      expect(await upgraded.getRegistryStats()).to.deep.equal([1n, 1n, false, true]);
      expect(await upgraded.getLatestStateRoot(TENANT, STORE)).to.equal(b32("state1"));
      expect(await upgraded.authorizedSequencers(sequencer.address)).to.equal(true);
      await upgraded.connect(sequencer).commitBatch(...commitArgs(nthBatch(2)));
      expect(await upgraded.totalCommitments()).to.equal(2n);
    });

    it("prevents non-owners from upgrading", async function () {
      const { registry, other } = await loadFixture(deployRegistryFixture);
      const v2 = await ethers.deployContract("SetRegistryV2");
      await expect(registry.connect(other).upgradeToAndCall(await v2.getAddress(), "0x"))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });

    it("rejects upgrades that carry value", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const v2 = await ethers.deployContract("SetRegistryV2");
      const call = v2.interface.encodeFunctionData("version");
      await expect(registry.upgradeToAndCall(await v2.getAddress(), call, { value: 1n })).to.be.revertedWithCustomError(
        registry,
        "ERC1967NonPayable",
      );
    });

    it("rejects implementations that are not UUPS-compatible", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const notProxiable = await ethers.deployContract("NotProxiable");
      await expect(registry.upgradeToAndCall(await notProxiable.getAddress(), "0x"))
        .to.be.revertedWithCustomError(registry, "ERC1967InvalidImplementation")
        .withArgs(await notProxiable.getAddress());
      const wrong = await ethers.deployContract("WrongProxiableUUID");
      await expect(registry.upgradeToAndCall(await wrong.getAddress(), "0x"))
        .to.be.revertedWithCustomError(registry, "UUPSUnsupportedProxiableUUID")
        .withArgs(ethers.toBeHex(1, 32));
    });

    it("answers proxiableUUID only on the implementation", async function () {
      const { registry, implementation, owner } = await loadFixture(deployRegistryFixture);
      await expect(registry.proxiableUUID()).to.be.revertedWithCustomError(registry, "UUPSUnauthorizedCallContext");
      expect(await SetRegistry__factory.connect(implementation, owner).proxiableUUID()).to.equal(IMPLEMENTATION_SLOT);
      expect(await registry.UPGRADE_INTERFACE_VERSION()).to.equal("5.0.0");
    });

    it("transfers ownership in one step and rejects the zero owner", async function () {
      const { registry, owner, other } = await loadFixture(deployRegistryFixture);
      await expect(registry.transferOwnership(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
      await expect(registry.transferOwnership(other.address))
        .to.emit(registry, "OwnershipTransferred")
        .withArgs(owner.address, other.address);
      await expect(registry.setStrictMode(false))
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
      await registry.connect(other).setStrictMode(false);
    });

    it("renounces ownership, after which admin functions are closed", async function () {
      const { registry, owner } = await loadFixture(deployRegistryFixture);
      await registry.renounceOwnership();
      expect(await registry.owner()).to.equal(ethers.ZeroAddress);
      await expect(registry.pause())
        .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
    });
  });
});
