/**
 * Tests of the Poseidon2 instance: the Grain-LFSR constants and the permutation against Plonky3's published values,
 * the linear layers, diffusion (the property the reference's Rescue variant lacks, F1), and the witness commitment.
 */
import { createHash } from "node:crypto";

import { expect } from "chai";

import { field as F, poseidon2 as P2, air } from "../../../offchain/stark";
import vectors from "../../vectors/stark-poseidon2.json";

const hex = (a: ArrayLike<number>): string[] => Array.from(a, (v) => v.toString(16).padStart(8, "0"));

describe("stark poseidon2", function () {
  it("regenerates Plonky3's KoalaBear round constants with the Grain LFSR", function () {
    const c = P2.CONSTANTS;
    expect(hex(c.initial[0] as Uint32Array)).to.deep.equal(vectors.constants.initialRound0);
    expect(hex(c.initial[3] as Uint32Array)[15]).to.equal(vectors.constants.initialRound3Last);
    expect(hex(c.internal)).to.deep.equal(vectors.constants.internal);
    expect(hex(c.final[0] as Uint32Array)[0]).to.equal(vectors.constants.finalRound0First);
    expect(hex(c.final[3] as Uint32Array)).to.deep.equal(vectors.constants.finalRound3);
  });

  it("pins all 148 constants by digest", function () {
    const all = [
      ...P2.CONSTANTS.initial.flatMap((r) => Array.from(r)),
      ...P2.CONSTANTS.internal,
      ...P2.CONSTANTS.final.flatMap((r) => Array.from(r)),
    ];
    expect(all.length).to.equal(148);
    expect(all.every((v) => v < F.P)).to.equal(true);
    const digest = createHash("sha256")
      .update(Buffer.from(Uint32Array.from(all).buffer))
      .digest("hex");
    // SHA-256 of the 148 constants as u32 little-endian, in generation order
    expect(digest).to.equal("d0fc41a00aca77671013be51a5d6a12087b1412bb093c37fc3b8d9d3bb644cd4");
  });

  it("reproduces Plonky3's known-answer permutation", function () {
    expect(Array.from(P2.permute(vectors.permutation.input))).to.deep.equal(vectors.permutation.output);
  });

  it("uses the internal diagonal of Plonky3 (sum + V_i·x_i)", function () {
    const e = new Array<number>(16).fill(0);
    e[3] = 2;
    P2.internalLayer(e);
    // column 3 of 1·1ᵀ + diag(V) with V_3 = 1/2: every lane gets 2, lane 3 gets 2 + 1
    expect(e.filter((v, i) => i !== 3 && v === 2).length).to.equal(15);
    expect(e[3]).to.equal(3);
  });

  it("inverts the external layer", function () {
    const x = Array.from({ length: 16 }, (_, i) => (i * 7919 + 13) % F.P);
    const y = x.slice();
    P2.externalLayer(y);
    for (let i = 0; i < 16; i++) {
      let acc = 0;
      for (let j = 0; j < 16; j++)
        acc = F.add(acc, F.mul((air.EXTERNAL_INVERSE[i] as Uint32Array)[j] as number, y[j] as number));
      expect(acc).to.equal(x[i]);
    }
  });

  it("diffuses: changing any one input lane changes every output lane", function () {
    const base = Array.from({ length: 16 }, (_, i) => i + 1);
    const out = P2.permute(base);
    for (let lane = 0; lane < 16; lane++) {
      const changed = base.slice();
      changed[lane] = F.add(changed[lane] as number, 1);
      const out2 = P2.permute(changed);
      for (let j = 0; j < 16; j++) expect(out2[j], `input lane ${lane} → output lane ${j}`).to.not.equal(out[j]);
    }
  });

  it("rejects malformed states with a RangeError", function () {
    expect(() => P2.permute(new Array(15).fill(0))).to.throw(RangeError);
    expect(() => P2.permute([F.P, ...new Array(15).fill(0)])).to.throw(RangeError);
  });

  describe("witness commitment", function () {
    const blinding = [11, 22, 33, 44, 55];

    it("splits amounts into 22/22/20-bit limbs and refuses non-u64 values", function () {
      expect(P2.amountLimbs((1n << 64n) - 1n)).to.deep.equal([2 ** 22 - 1, 2 ** 22 - 1, 2 ** 20 - 1]);
      expect(P2.amountLimbs(5n + (7n << 22n) + (9n << 44n))).to.deep.equal([5, 7, 9]);
      expect(() => P2.amountLimbs(1n << 64n)).to.throw(RangeError);
      expect(() => P2.amountLimbs(-1n)).to.throw(RangeError);
    });

    it("is deterministic and changes with the amount and with every blinding lane", function () {
      const c = P2.commitAmount(5000n, blinding);
      expect(Array.from(P2.commitAmount(5000n, blinding))).to.deep.equal(Array.from(c));
      expect(Array.from(P2.commitAmount(5001n, blinding))).to.not.deep.equal(Array.from(c));
      for (let i = 0; i < 5; i++) {
        const b = blinding.slice();
        b[i] = (b[i] as number) + 1;
        const c2 = P2.commitAmount(5000n, b);
        for (let j = 0; j < 8; j++) expect(c2[j]).to.not.equal(c[j]);
      }
    });

    it("equals the first 8 lanes of the permutation of (limbs, blinding, tag, 0…)", function () {
      const state = [...P2.amountLimbs(123456789n), ...blinding, P2.COMMIT_TAG, 0, 0, 0, 0, 0, 0, 0];
      expect(Array.from(P2.commitAmount(123456789n, blinding))).to.deep.equal(
        Array.from(P2.permute(state).slice(0, 8)),
      );
    });
  });
});
