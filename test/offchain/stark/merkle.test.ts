/**
 * Tests of the word-level BLAKE3 (against @noble/hashes) and of the Merkle vector commitment with batch openings.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { expect } from "chai";

import { blake3Bytes, blake3Words, merkle, wordsToBytes } from "../../../offchain/stark";
import { seededWords } from "../../../offchain/stark/testing";

const rng = seededWords(11);
const words = (n: number): Uint32Array => Uint32Array.from({ length: n }, () => rng());

function leafDigest(row: Uint32Array): Uint32Array {
  const d = new Uint32Array(8);
  merkle.hashLeaf(row, 0, row.length, d);
  return d;
}

describe("stark merkle", function () {
  describe("blake3Words", function () {
    it("matches @noble/hashes blake3 for every block boundary, plain and keyed", function () {
      const key = words(8);
      for (const n of [0, 1, 15, 16, 17, 28, 32, 33, 100, 256]) {
        const w = words(n);
        const out = new Uint32Array(8);
        blake3Words(w, 0, n, out);
        expect(Buffer.from(wordsToBytes(out)).toString("hex"), `plain ${n}`).to.equal(
          Buffer.from(blake3(wordsToBytes(w))).toString("hex"),
        );
        blake3Words(w, 0, n, out, 0, key);
        expect(Buffer.from(wordsToBytes(out)).toString("hex"), `keyed ${n}`).to.equal(
          Buffer.from(blake3(wordsToBytes(w), { key: wordsToBytes(key) })).toString("hex"),
        );
      }
    });

    it("blake3Bytes matches @noble/hashes blake3 on every byte length up to two chunks", function () {
      const data = Uint8Array.from({ length: 2100 }, (_, i) => (i * 131 + 7) & 0xff);
      for (let n = 0; n <= 2100; n += n < 1100 ? 1 : 97) {
        const m = data.subarray(0, n);
        expect(Buffer.from(blake3Bytes(m)).toString("hex"), `length ${n}`).to.equal(
          Buffer.from(blake3(m)).toString("hex"),
        );
      }
      const key = Uint8Array.from({ length: 32 }, (_, i) => i);
      expect(Buffer.from(blake3Bytes(data.subarray(0, 70), key)).toString("hex")).to.equal(
        Buffer.from(blake3(data.subarray(0, 70), { key })).toString("hex"),
      );
    });

    it("refuses more than one chunk with a RangeError", function () {
      expect(() => blake3Words(new Uint32Array(257), 0, 257, new Uint32Array(8))).to.throw(RangeError);
    });
  });

  describe("vector commitment", function () {
    const N = 64;
    const rows = Array.from({ length: N }, () => words(12));
    const tree = merkle.buildTree(N, 12, (i, buf) => buf.set(rows[i] as Uint32Array));
    const root = merkle.treeRoot(tree);

    it("opens any subset of leaves and verifies it against the root", function () {
      for (const subset of [[0], [63], [0, 1], [5, 9, 33, 34, 62], Array.from({ length: N }, (_, i) => i)]) {
        const auth = merkle.openBatch(tree, subset);
        const digests = subset.map((i) => leafDigest(rows[i] as Uint32Array));
        expect(merkle.verifyBatch(root, N, subset, digests, auth), subset.join(",")).to.equal(true);
      }
    });

    it("shares authentication nodes between neighbouring leaves", function () {
      expect(merkle.openBatch(tree, [0]).length).to.equal(6);
      expect(merkle.openBatch(tree, [0, 1]).length).to.equal(5);
      expect(
        merkle.openBatch(
          tree,
          Array.from({ length: N }, (_, i) => i),
        ).length,
      ).to.equal(0);
    });

    it("rejects a changed leaf, a wrong index, a changed node and surplus or missing nodes", function () {
      const subset = [3, 17, 40];
      const auth = merkle.openBatch(tree, subset);
      const digests = subset.map((i) => leafDigest(rows[i] as Uint32Array));
      const changed = rows[17]?.slice() as Uint32Array;
      changed[0] = (changed[0] as number) ^ 1;
      expect(merkle.verifyBatch(root, N, subset, [digests[0]!, leafDigest(changed), digests[2]!], auth)).to.equal(
        false,
      );
      expect(merkle.verifyBatch(root, N, [3, 18, 40], digests, auth)).to.equal(false);
      const badAuth = auth.map((d) => d.slice());
      const node = badAuth[2] as Uint32Array;
      node[0] = (node[0] as number) ^ 1;
      expect(merkle.verifyBatch(root, N, subset, digests, badAuth)).to.equal(false);
      expect(merkle.verifyBatch(root, N, subset, digests, [...auth, auth[0]!])).to.equal(false);
      expect(merkle.verifyBatch(root, N, subset, digests, auth.slice(1))).to.equal(false);
      expect(merkle.verifyBatch(root, N, [], [], [])).to.equal(false);
    });

    it("separates leaves from internal nodes", function () {
      // a 16-word leaf equal to two child digests must not hash like the internal node above them
      const twoLeaves = new Uint32Array(16);
      twoLeaves.set(tree.nodes.subarray(2 * 8, 3 * 8), 0);
      twoLeaves.set(tree.nodes.subarray(3 * 8, 4 * 8), 8);
      expect(Array.from(leafDigest(twoLeaves))).to.not.deep.equal(Array.from(tree.nodes.subarray(8, 16)));
    });
  });
});
