/**
 * Tests of the Merkle tree and commitments: the §12.3 D vectors, exhaustive proof checks for trees of 1…70 leaves
 * (every leaf verifies; every wrong index, sibling, direction or path length fails), a naive recursive root, the
 * state-root chain, REST forms and the on-chain bytes32 arguments.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  PAD_LEAF,
  anchorArgs,
  buildCommitment,
  buildMerkleTree,
  bytesToHex,
  commitmentProof,
  commitmentToWire,
  hexToBytes,
  inclusionProof,
  inclusionProofToWire,
  merkleRoot,
  nextPowerOfTwo,
  nodeHash,
  verifyCommitment,
  verifyInclusionAgainstCommitment,
  verifyInclusionProof,
  verifyStateRootChain,
  type CommitmentWire,
} from "../../../offchain/ves";
import derived from "../../vectors/ves-protocol-derived.json";
import repo from "../../vectors/ves-protocol-repo.json";
import { fcOptions } from "./support/fc";
import * as naive from "./support/naive";

const leafOf = (b: number) => new Uint8Array(32).fill(b);

/** Deterministic distinct leaves. */
function leaves(n: number, salt = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(naive.sha(`leaf ${salt} ${i}`)));
}

function flipByte(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at % 32] = (out[at % 32] as number) ^ 0x01;
  return out;
}

const TENANT = "64527dd3-a654-4410-9327-e58a1492ce77";
const STORE = "91def158-819a-4461-b5c9-7759750ad157";

describe("ves merkle", function () {
  describe("§12.3 D vectors", function () {
    for (const tree of derived.merkle.trees) {
      it(`computes the root of ${tree.leaves.length} leaf tree(s) [${tree.leaves.join(",")}]`, function () {
        const ls = tree.leaves.map(leafOf);
        expect(bytesToHex(merkleRoot(ls))).to.equal(tree.root);
        expect(naive.naiveRoot(ls.map((l) => Buffer.from(l))).toString("hex")).to.equal(tree.root);
      });
    }

    it("hashes the padded node and proves index 2 of three leaves", function () {
      const tree = derived.merkle.trees[2] as (typeof derived.merkle.trees)[2];
      const node = tree.nodes?.[0];
      expect(bytesToHex(nodeHash(leafOf(3), PAD_LEAF))).to.equal(node?.hash);
      const built = buildMerkleTree(tree.leaves.map(leafOf));
      expect(built.depth).to.equal(2);
      expect(built.paddedLeafCount).to.equal(4);
      for (const p of tree.proofs ?? []) {
        const proof = inclusionProof(built, p.leaf_index);
        expect(proof.proofPath.map(bytesToHex)).to.deep.equal(p.proof_path);
        expect(proof.directions).to.deep.equal(p.directions);
      }
    });

    it("makes a single leaf its own root at depth 0", function () {
      const t = buildMerkleTree([leafOf(42)]);
      expect(t.depth).to.equal(0);
      expect(inclusionProof(t, 0).proofPath).to.deep.equal([]);
      expect(
        verifyInclusionProof({ leafHash: leafOf(42), leafIndex: 0, proofPath: [], merkleRoot: t.root, leafCount: 1 })
          .ok,
      ).to.equal(true);
    });

    it("returns the zero root for no leaves but refuses to build an empty tree", function () {
      expect(bytesToHex(merkleRoot([]))).to.equal("00".repeat(32));
      expect(() => buildMerkleTree([])).to.throw(RangeError, "at least one leaf");
      expect(() => buildMerkleTree([new Uint8Array(31)])).to.throw(RangeError, "32 bytes");
    });
  });

  it("matches the naive recursive root for random leaf sets", function () {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 40 }), (ls) => {
        expect(bytesToHex(merkleRoot(ls))).to.equal(naive.naiveRoot(ls.map((l) => Buffer.from(l))).toString("hex"));
      }),
      fcOptions(60),
    );
  });

  it("verifies every proof of trees of 1…70 leaves and fails every wrong index or sibling", function () {
    // Plain checks collected into one list: chai's per-call overhead would dominate ~200k verifications.
    const problems: string[] = [];
    let checks = 0;
    const check = (cond: boolean, what: string) => {
      checks++;
      if (!cond) problems.push(what);
    };
    for (let n = 1; n <= 70; n++) {
      const tree = buildMerkleTree(leaves(n, n));
      const padded = nextPowerOfTwo(n);
      check(tree.paddedLeafCount === padded && tree.depth === Math.log2(padded), `n=${n} shape`);
      for (let i = 0; i < n; i++) {
        const p = inclusionProof(tree, i);
        const base = { leafHash: p.leafHash, proofPath: p.proofPath, merkleRoot: tree.root };
        check(
          verifyInclusionProof({ ...base, directions: p.directions, leafIndex: i, leafCount: n }).ok,
          `n=${n} i=${i}`,
        );
        check(verifyInclusionProof({ ...base, leafIndex: i, paddedLeafCount: padded }).ok, `n=${n} i=${i} padded`);
        // Every other index: inside the real leaves, in the padding (also with only the padded size known, where
        // the root check must catch it), and past the padded size.
        for (let j = 0; j < padded + 2; j++) {
          if (j === i) continue;
          const r = verifyInclusionProof({ ...base, leafIndex: j, leafCount: n });
          check(!r.ok && (j < n || r.reason === "index_out_of_range"), `n=${n} i=${i} j=${j}`);
          if (j >= n) {
            const q = verifyInclusionProof({ ...base, leafIndex: j, paddedLeafCount: padded });
            check(!q.ok && (j < padded || q.reason === "index_out_of_range"), `n=${n} i=${i} j=${j} padded`);
          }
        }
        // Every sibling changed in one byte.
        p.proofPath.forEach((_, d) => {
          const proofPath = p.proofPath.map((sib, k) => (k === d ? flipByte(sib, i + d) : sib));
          check(!verifyInclusionProof({ ...base, proofPath, leafIndex: i, leafCount: n }).ok, `n=${n} i=${i} d=${d}`);
        });
      }
    }
    expect(problems).to.deep.equal([]);
    expect(checks).to.be.greaterThan(200_000);
  });

  it("rejects proofs of the wrong length, flipped directions, padding indices and changed leaves", function () {
    const tree = buildMerkleTree(leaves(5));
    const p = inclusionProof(tree, 3);
    const base = { leafHash: p.leafHash, leafIndex: 3, proofPath: p.proofPath, merkleRoot: tree.root, leafCount: 5 };
    const reason = (r: ReturnType<typeof verifyInclusionProof>) => (r.ok ? "ok" : r.reason);
    expect(reason(verifyInclusionProof({ ...base, proofPath: [...p.proofPath, PAD_LEAF] }))).to.equal(
      "path_length_mismatch",
    );
    expect(reason(verifyInclusionProof({ ...base, proofPath: p.proofPath.slice(1) }))).to.equal("path_length_mismatch");
    expect(
      reason(verifyInclusionProof({ ...base, directions: p.directions.map((d, k) => (k === 1 ? !d : d)) })),
    ).to.equal("direction_mismatch");
    expect(reason(verifyInclusionProof({ ...base, leafIndex: 6, leafHash: PAD_LEAF }))).to.equal("index_out_of_range");
    expect(reason(verifyInclusionProof({ ...base, leafHash: flipByte(p.leafHash, 0) }))).to.equal("root_mismatch");
    expect(reason(verifyInclusionProof({ ...base, leafIndex: -1 }))).to.equal("index_out_of_range");
    expect(reason(verifyInclusionProof({ ...base, leafIndex: 1.5 }))).to.equal("index_out_of_range");
    expect(() =>
      verifyInclusionProof({ leafHash: p.leafHash, leafIndex: 3, proofPath: p.proofPath, merkleRoot: tree.root }),
    ).to.throw(TypeError);
    expect(() => verifyInclusionProof({ ...base, paddedLeafCount: 16 })).to.throw(RangeError);
  });

  describe("commitments", function () {
    function chain(count: number): CommitmentWire[] {
      const out: CommitmentWire[] = [];
      let prev: Uint8Array = new Uint8Array(32);
      let start = 1n;
      for (let k = 0; k < count; k++) {
        const c = buildCommitment({
          tenantId: TENANT,
          storeId: STORE,
          sequenceStart: start,
          leaves: leaves(3 + k, k),
          prevStateRoot: prev,
        });
        out.push(
          commitmentToWire(c, {
            batchId: `00000000-0000-4000-8000-00000000000${k}`,
            committedAt: "2025-01-01T00:00:00Z",
          }),
        );
        prev = c.newStateRoot;
        start = c.sequenceEnd + 1n;
      }
      return out;
    }

    it("computes the new state root from the naive preimage", function () {
      const prev = new Uint8Array(32).fill(9);
      const c = buildCommitment({
        tenantId: TENANT,
        storeId: STORE,
        sequenceStart: 41n,
        leaves: leaves(3),
        prevStateRoot: prev,
      });
      expect(c.sequenceEnd).to.equal(43n);
      const pre = naive.stateRootPreimage(
        naive.streamIdOf(TENANT, STORE),
        Buffer.from(prev),
        Buffer.from(c.merkleRoot),
        41n,
        43n,
        3,
      );
      expect(bytesToHex(c.newStateRoot)).to.equal(naive.sha(pre).toString("hex"));
      expect(verifyCommitment(commitmentToWire(c, { batchId: TENANT, committedAt: "t" })).ok).to.equal(true);
    });

    it("accepts a chained sequence of commitments and detects every break", function () {
      const ok = chain(3);
      expect(verifyStateRootChain(ok, { fromGenesis: true }).ok).to.equal(true);
      const broken = (i: number, patch: Partial<CommitmentWire>) =>
        ok.map((c, k) => (k === i ? { ...c, ...patch } : c));
      const second = ok[1] as CommitmentWire;
      expect(verifyStateRootChain(broken(1, { prev_state_root: "00".repeat(32) })).ok).to.equal(false);
      expect(
        verifyStateRootChain(
          broken(1, { sequence_start: second.sequence_start + 1n, sequence_end: second.sequence_end + 1n }),
        ).ok,
      ).to.equal(false);
      expect(verifyStateRootChain(broken(2, { new_state_root: "11".repeat(32) })).ok).to.equal(false);
      expect(verifyStateRootChain(broken(1, { store_id: TENANT })).ok).to.equal(false);
      expect(verifyStateRootChain([ok[0] as CommitmentWire, ok[2] as CommitmentWire]).ok).to.equal(false);
      expect(verifyStateRootChain(ok.slice(1)).ok).to.equal(true);
      expect(verifyStateRootChain(ok.slice(1), { fromGenesis: true }).ok).to.equal(false);
    });

    it("checks a commitment's counts, depth and root", function () {
      const c = chain(1)[0] as CommitmentWire;
      expect(verifyCommitment(c).ok).to.equal(true);
      for (const patch of [
        { leaf_count: 4 },
        { padded_leaf_count: 8 },
        { tree_depth: 3 },
        { merkle_root: "22".repeat(32) },
        { sequence_end: c.sequence_start - 1n },
        { ves_version: 2 },
      ]) {
        expect(verifyCommitment({ ...c, ...patch }).ok, JSON.stringify(Object.keys(patch))).to.equal(false);
      }
    });

    it("round-trips proofs through the REST form and checks them against the commitment", function () {
      const c = buildCommitment({ tenantId: TENANT, storeId: STORE, sequenceStart: 100n, leaves: leaves(6) });
      const batchId = "9f7f314e-80c3-45dc-af6d-11d6c1a68701";
      const wireC = commitmentToWire(c, { batchId, committedAt: "2025-01-01T00:00:00Z" });
      for (let seq = 100n; seq <= 105n; seq++) {
        const p = commitmentProof(c, seq);
        const wireP = inclusionProofToWire(p, { sequenceNumber: seq, batchId, merkleRoot: c.merkleRoot });
        expect(wireP.leaf_index).to.equal(Number(seq - 100n));
        expect(verifyInclusionAgainstCommitment(wireP, wireC, c.leaves[Number(seq - 100n)]).ok).to.equal(true);
        expect(
          verifyInclusionAgainstCommitment({ ...wireP, leaf_index: (wireP.leaf_index + 1) % 6 }, wireC).ok,
        ).to.equal(false);
        expect(verifyInclusionAgainstCommitment({ ...wireP, sequence_number: 106n }, wireC).ok).to.equal(false);
        expect(verifyInclusionAgainstCommitment({ ...wireP, batch_id: TENANT }, wireC).ok).to.equal(false);
        expect(verifyInclusionAgainstCommitment(wireP, wireC, PAD_LEAF).ok).to.equal(false);
      }
      expect(() => commitmentProof(c, 99n)).to.throw(RangeError);
    });

    it("produces the bytes32 anchor arguments", function () {
      const c = chain(1)[0] as CommitmentWire;
      const args = anchorArgs({ ...c, tenant_id: repo.uuid_to_bytes32[0]?.uuid ?? "" });
      expect(args.tenantId).to.equal(`0x${repo.uuid_to_bytes32[0]?.bytes32}`);
      expect(args.eventsRoot).to.equal(`0x${c.merkle_root}`);
      expect(args.stateRoot).to.equal(`0x${c.new_state_root}`);
      expect(args.batchId.slice(34)).to.equal("0".repeat(32));
      expect([args.sequenceStart, args.sequenceEnd, args.eventCount]).to.deep.equal([
        c.sequence_start,
        c.sequence_end,
        c.leaf_count,
      ]);
      expect(hexToBytes(args.storeId)).to.have.length(32);
    });
  });
});
