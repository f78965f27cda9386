/**
 * The specialised batch composition (batch/compose.ts, what the prover runs) against the generic reference
 * (`batchComposeQuotient` over `evaluateBatchConstraints`): equal at every quotient-domain point on random trace
 * extensions, random challenges and random public inputs, for small shapes (1, 3 and 8 events; the LDE as large as the
 * quotient domain and twice it). Budget: about 1 s.
 */
import { expect } from "chai";

import {
  BATCH_CONSTRAINTS,
  BATCH_WIDTH,
  type BatchAirStatement,
  DOMAIN_OFFSET,
  batchTraceLength,
  field as F,
} from "../../../../offchain/stark";
import { batchComposeQuotient, batchComposeQuotientFast, seededWords } from "../../../../offchain/stark/testing";

const P = F.P;
const rng = seededWords(20261203);

/** A uniform field element, or (one time in four) 0 or 1 so that sparse and boolean paths run too. */
function element(): number {
  const r = rng();
  if ((r & 3) === 0) return (r >>> 2) & 1;
  return (rng() >>> 1) % P;
}

function randomStatement(numEvents: number): BatchAirStatement {
  const allowed = Uint8Array.from({ length: numEvents }, () => rng() & 1);
  const commitments = Uint32Array.from({ length: 8 * numEvents }, (_, k) =>
    allowed[k >> 3] === 1 ? (rng() >>> 1) % P : 0,
  );
  const allowedCount = allowed.reduce((a, v) => a + v, 0);
  return {
    limit: (BigInt(rng()) << 32n) | BigInt(rng()),
    numEvents,
    allowed,
    commitments,
    compliantCount: allowedCount === 0 ? 0 : rng() % (allowedCount + 1),
  };
}

describe("stark batch composition (specialised vs generic)", function () {
  for (const [numEvents, blowup] of [
    [1, 1],
    [3, 2],
    [8, 1],
    [8, 2],
  ] as const) {
    it(`agrees at every quotient-domain point: ${numEvents} event(s), LDE ${blowup}× the quotient domain`, function () {
      const s = randomStatement(numEvents);
      const n = batchTraceLength(numEvents);
      const QN = 8 * n;
      const N = blowup * QN;
      const lde = Array.from({ length: BATCH_WIDTH }, () => Uint32Array.from({ length: N }, element));
      const alphas = Array.from({ length: BATCH_CONSTRAINTS }, (): F.Ext => [
        element(),
        element(),
        element(),
        element(),
      ]);
      const expected = batchComposeQuotient(s, lde, N, QN, DOMAIN_OFFSET, alphas);
      const actual = batchComposeQuotientFast(s, lde, N, QN, DOMAIN_OFFSET, alphas);
      for (let k = 0; k < 4; k++) expect(actual[k], `coordinate ${k}`).to.deep.equal(expected[k]);
      // the quotient is not trivially zero (the comparison could fail)
      expect(expected[0].some((v) => v !== 0)).to.equal(true);
    });
  }

  it("refuses a wrong number of challenges", function () {
    const s = randomStatement(1);
    const n = batchTraceLength(1);
    const lde = Array.from({ length: BATCH_WIDTH }, () => new Uint32Array(8 * n));
    expect(() => batchComposeQuotientFast(s, lde, 8 * n, 8 * n, DOMAIN_OFFSET, [])).to.throw(RangeError);
  });
});
