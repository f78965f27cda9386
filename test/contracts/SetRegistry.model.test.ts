import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre, { ethers } from "hardhat";

import SetRegistryModule from "../../deploy/modules/SetRegistry";
import { SetRegistry__factory } from "../../typechain-types";

/** Seed of the randomised run; set SETREGISTRY_MODEL_SEED to replay another sequence. */
const SEED = Number(process.env.SETREGISTRY_MODEL_SEED ?? 20261123);
const STEPS = 120;
const ZERO = ethers.ZeroHash;

/** mulberry32: a small deterministic PRNG, so a failing sequence can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

interface ModelBatch {
  eventsRoot: string;
  newStateRoot: string;
  start: bigint;
  end: bigint;
  count: bigint;
}

/** The off-chain model of the registry's rules: what each call should do, and the state after it. */
class RegistryModel {
  strict = true;
  readonly batches = new Map<string, ModelBatch>();
  readonly latest = new Map<string, string>();
  readonly proofs = new Map<string, { proofHash: string; allCompliant: boolean }>();

  /** The custom error a commit must revert with, or undefined for success (the contract's check order). */
  commitOutcome(batchId: string, key: string, prev: string, b: ModelBatch): string | undefined {
    if (b.end < b.start) return "InvalidSequenceRange";
    if (b.end - b.start + 1n !== b.count) return "InvalidEventCount";
    if (b.eventsRoot === ZERO) return "EmptyEventsRoot";
    if (batchId === ZERO) return "InvalidBatchId";
    if (b.newStateRoot === ZERO) return "EmptyStateRoot";
    if (this.batches.has(batchId)) return "BatchAlreadyCommitted";
    const latestId = this.latest.get(key);
    if (this.strict && latestId !== undefined) {
      const last = this.batches.get(latestId)!;
      if (last.newStateRoot !== prev) return "StateRootMismatch";
      if (last.end + 1n !== b.start) return "SequenceGap";
    }
    return undefined;
  }

  applyCommit(batchId: string, key: string, b: ModelBatch) {
    this.batches.set(batchId, b);
    this.latest.set(key, batchId);
  }

  proofOutcome(batchId: string, newStateRoot: string, proofHash: string): string | undefined {
    const b = this.batches.get(batchId);
    if (b === undefined) return "BatchNotCommitted";
    if (this.proofs.has(batchId)) return "StarkProofAlreadyCommitted";
    if (b.newStateRoot !== newStateRoot) return "StateRootMismatchInProof";
    if (proofHash === ZERO) return "InvalidProof";
    return undefined;
  }
}

async function deployRegistryFixture() {
  const [owner, sequencer] = await ethers.getSigners();
  if (!owner || !sequencer) throw new Error("need two signers");
  const deployed = await hre.ignition.deploy(SetRegistryModule, {
    parameters: { SetRegistryModule: { owner: owner.address, sequencer: sequencer.address } },
  });
  const registry = SetRegistry__factory.connect(await deployed.registry.getAddress(), owner);
  return { registry, asSequencer: registry.connect(sequencer) };
}

describe("SetRegistry against an off-chain model", function () {
  it(`agrees with the model over ${STEPS} random operations (seed ${SEED})`, async function () {
    const { registry, asSequencer } = await loadFixture(deployRegistryFixture);
    const rnd = prng(SEED);
    const model = new RegistryModel();
    const streams = [1, 2, 3].map((s) => ({
      tenantId: ethers.zeroPadBytes(ethers.toBeHex(0xa0 + s, 16), 32),
      storeId: ethers.zeroPadBytes(ethers.toBeHex(0xb0 + s, 16), 32),
    }));
    const keyOf = (s: { tenantId: string; storeId: string }) =>
      ethers.solidityPackedKeccak256(["bytes32", "bytes32"], [s.tenantId, s.storeId]);
    const word = (label: string) => ethers.keccak256(ethers.toUtf8Bytes(`${SEED}:${label}`));
    const counts = { commits: 0, proofs: 0, reverts: 0 };

    for (let step = 0; step < STEPS; step++) {
      const roll = rnd.next();
      if (roll < 0.05) {
        model.strict = !model.strict;
        await registry.setStrictMode(model.strict);
        continue;
      }
      if (roll < 0.7) {
        // A commit: usually the valid continuation of a stream, sometimes one mutation of it.
        const stream = streams[rnd.int(streams.length)]!;
        const key = keyOf(stream);
        const latestId = model.latest.get(key);
        const last = latestId === undefined ? undefined : model.batches.get(latestId);
        const start = last === undefined ? BigInt(rnd.int(5)) : last.end + 1n;
        const size = BigInt(1 + rnd.int(20));
        let batchId = word(`batch${step}`);
        let prev = last?.newStateRoot ?? ZERO;
        const b: ModelBatch = {
          eventsRoot: word(`events${step}`),
          newStateRoot: word(`state${step}`),
          start,
          end: start + size - 1n,
          count: size,
        };
        switch (rnd.chance(0.4) ? rnd.int(7) : -1) {
          case 0:
            prev = word(`forged${step}`);
            break;
          case 1:
            b.start += 1n + BigInt(rnd.int(3));
            b.end = b.start + size - 1n;
            break;
          case 2:
            b.count += 1n;
            break;
          case 3:
            batchId = [...model.batches.keys()][rnd.int(Math.max(1, model.batches.size))] ?? ZERO;
            break;
          case 4:
            b.eventsRoot = ZERO;
            break;
          case 5:
            b.newStateRoot = ZERO;
            break;
          case 6:
            [b.start, b.end] = [b.end + 1n, b.start];
            break;
        }
        const expected = model.commitOutcome(batchId, key, prev, b);
        const tx = asSequencer.commitBatch(
          batchId,
          stream.tenantId,
          stream.storeId,
          b.eventsRoot,
          prev,
          b.newStateRoot,
          b.start,
          b.end,
          b.count,
        );
        if (expected === undefined) {
          await expect(tx, `step ${step}: commit`).to.emit(registry, "BatchCommitted");
          model.applyCommit(batchId, key, b);
          counts.commits++;
        } else {
          await expect(tx, `step ${step}: commit`).to.be.revertedWithCustomError(registry, expected);
          counts.reverts++;
        }
      } else {
        // A proof: for a random known batch (or an unknown id), sometimes with a wrong root or zero hash.
        const ids = [...model.batches.keys()];
        const batchId = ids.length === 0 || rnd.chance(0.1) ? word(`unknown${step}`) : ids[rnd.int(ids.length)]!;
        const root = rnd.chance(0.15) ? word(`wrong${step}`) : (model.batches.get(batchId)?.newStateRoot ?? ZERO);
        const proofHash = rnd.chance(0.1) ? ZERO : word(`proof${step}`);
        const allCompliant = rnd.chance(0.8);
        const expected = model.proofOutcome(batchId, root, proofHash);
        const tx = asSequencer.commitStarkProof(
          batchId,
          proofHash,
          ZERO,
          root,
          word("policy"),
          10_000n,
          allCompliant,
          100n,
          5n,
        );
        if (expected === undefined) {
          await expect(tx, `step ${step}: proof`).to.emit(registry, "StarkProofCommitted");
          model.proofs.set(batchId, { proofHash, allCompliant });
          counts.proofs++;
        } else {
          await expect(tx, `step ${step}: proof`).to.be.revertedWithCustomError(registry, expected);
          counts.reverts++;
        }
      }
    }

    // The run must have exercised both paths, or it proves little.
    expect(counts.commits, "successful commits").to.be.greaterThan(10);
    expect(counts.reverts, "reverted calls").to.be.greaterThan(10);
    expect(counts.proofs, "proofs").to.be.greaterThan(3);

    // Final state: every counter, batch, proof and stream head equals the model's.
    expect(await registry.getRegistryStats()).to.deep.equal([
      BigInt(model.batches.size),
      BigInt(model.proofs.size),
      false,
      model.strict,
    ]);
    for (const [id, b] of model.batches) {
      const c = await registry.getBatchCommitment(id);
      expect([c.eventsRoot, c.newStateRoot, c.sequenceStart, c.sequenceEnd, c.eventCount], id).to.deep.equal([
        b.eventsRoot,
        b.newStateRoot,
        b.start,
        b.end,
        b.count,
      ]);
      const p = model.proofs.get(id);
      expect(await registry.getBatchWithProofStatus(id).then((r) => [r[1], r[2]]), id).to.deep.equal([
        p !== undefined,
        p?.allCompliant ?? false,
      ]);
      if (p) expect(await registry.verifyStarkProofHash(id, p.proofHash)).to.equal(true);
    }
    for (const s of streams) {
      const latestId = model.latest.get(keyOf(s));
      const last = latestId === undefined ? undefined : model.batches.get(latestId);
      expect(await registry.getTenantStoreSummary(s.tenantId, s.storeId)).to.deep.equal([
        latestId ?? ZERO,
        last?.newStateRoot ?? ZERO,
        last?.end ?? 0n,
        latestId !== undefined && model.proofs.has(latestId),
      ]);
    }
  });
});
