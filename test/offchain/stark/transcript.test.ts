/**
 * Tests of the Fiat–Shamir transcript: determinism, dependence on every absorbed message and its order and label,
 * challenge ranges, and proof of work.
 */
import { expect } from "chai";

import { Transcript, field as F } from "../../../offchain/stark";

function run(msgs: [string, number[]][]): F.Ext {
  const t = new Transcript("test");
  for (const [label, data] of msgs) t.absorbWords(label, data);
  return t.challengeExt();
}

describe("stark transcript", function () {
  it("is deterministic", function () {
    expect(run([["a", [1, 2]]])).to.deep.equal(run([["a", [1, 2]]]));
  });

  it("depends on the data, the labels, the order and the protocol id", function () {
    const base = run([
      ["a", [1]],
      ["b", [2]],
    ]);
    expect(
      run([
        ["a", [1]],
        ["b", [3]],
      ]),
    ).to.not.deep.equal(base);
    expect(
      run([
        ["a", [1]],
        ["c", [2]],
      ]),
    ).to.not.deep.equal(base);
    expect(
      run([
        ["b", [2]],
        ["a", [1]],
      ]),
    ).to.not.deep.equal(base);
    expect(run([["a", [1, 2]]])).to.not.deep.equal(
      run([
        ["a", [1]],
        ["", [2]],
      ]),
    );
    const other = new Transcript("other");
    other.absorbWords("a", [1]);
    other.absorbWords("b", [2]);
    expect(other.challengeExt()).to.not.deep.equal(base);
  });

  it("clones into an independent transcript at the same state and squeeze position", function () {
    const t = new Transcript("test");
    t.absorbWords("a", [1, 2, 3]);
    t.challengeBase(); // mid-block: the clone continues from the same word
    const c = t.clone();
    expect(c.digest()).to.deep.equal(t.digest());
    expect(c.challengeExt()).to.deep.equal(t.challengeExt());
    c.absorbWords("b", [4]);
    expect(c.digest()).to.not.deep.equal(t.digest());
    t.absorbWords("b", [4]);
    expect(c.queryPositions(8, 1024)).to.deep.equal(t.queryPositions(8, 1024));
  });

  it("absorbs words as the bytes of their little-endian encoding (ToUint32 of each value)", function () {
    const a = new Transcript("test");
    const b = new Transcript("test");
    a.absorbWords("w", [1, 0xffffffff, 2 ** 32 + 5, -1, 1.5]);
    const bytes = new Uint8Array(20);
    [1, 0xffffffff, 5, 0xffffffff, 1].forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w, true));
    b.absorb("w", bytes);
    expect(a.digest()).to.deep.equal(b.digest());
  });

  it("squeezes distinct canonical challenges", function () {
    const t = new Transcript("test");
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const c = t.challengeExt();
      expect(c.every((v) => F.isCanonical(v))).to.equal(true);
      seen.add(c.join(","));
    }
    expect(seen.size).to.equal(50);
  });

  it("draws query positions inside the domain", function () {
    const t = new Transcript("test");
    const pos = t.queryPositions(200, 1024);
    expect(pos.every((p) => p >= 0 && p < 1024)).to.equal(true);
    expect(new Set(pos).size).to.be.greaterThan(150);
  });

  it("finds and checks proof-of-work nonces", function () {
    const t = new Transcript("pow");
    const nonce = t.grind(8);
    expect(t.checkPow(nonce, 8)).to.equal(true);
    let failures = 0;
    for (let n = 0; n < 64; n++) if (!t.checkPow(n, 8)) failures++;
    expect(failures).to.be.greaterThan(50);
    expect(t.checkPow(-1, 8)).to.equal(false);
    expect(t.checkPow(12345, 0)).to.equal(true);
  });
});
