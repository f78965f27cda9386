/**
 * Builds the compliance execution trace from the private witness (amount, blinding) and the public limit. The
 * unchecked builder also produces traces for false statements (amount above the limit, with the subtraction's
 * borrow propagated into the final carry), which the adversarial tests feed to the prover to show that the verifier
 * rejects them.
 */
import { P } from "../field";
import { TOTAL_ROUNDS, WIDTH, amountLimbs, commitmentInput, externalLayer, roundStep } from "../poseidon2";
import { COL, LIMB_START, TRACE_LENGTH, TRACE_WIDTH, limitDigits } from "./layout";

/** The private witness plus the public limit it is checked against. */
export interface ComplianceWitness {
  readonly amount: bigint;
  readonly blinding: readonly number[];
  readonly limit: bigint;
}

/** A trace: TRACE_WIDTH columns of TRACE_LENGTH field elements. */
export type Trace = Uint32Array[];

const U64 = 1n << 64n;

/**
 * Builds the trace without checking amount ≤ limit: the diff is (limit − amount) mod 2^64, so an over-limit amount
 * leaves a carry out of the top digit.
 */
export function buildTraceUnchecked(w: ComplianceWitness): Trace {
  const cols: Trace = Array.from({ length: TRACE_WIDTH }, () => new Uint32Array(TRACE_LENGTH));
  const col = (i: number): Uint32Array => cols[i] as Uint32Array;
  // 1 ----- Poseidon2 rounds: row 0 = M_E · input, row r + 1 = round r (row r)
  const state = commitmentInput(w.amount, w.blinding);
  externalLayer(state);
  for (let r = 0; r < TRACE_LENGTH; r++) {
    for (let j = 0; j < WIDTH; j++) col(COL.STATE + j)[r] = state[j] as number;
    if (r < TOTAL_ROUNDS) {
      roundStep(state, r, false);
    }
  }
  // 2 ----- bits of amount and diff, carries of amount + diff = limit (mod 2^64)
  const diff = (((w.limit - w.amount) % U64) + U64) % U64;
  const ell = limitDigits(w.limit);
  let carry = 0;
  for (let r = 0; r < TRACE_LENGTH; r++) {
    const a0 = Number((w.amount >> BigInt(2 * r)) & 1n);
    const a1 = Number((w.amount >> BigInt(2 * r + 1)) & 1n);
    const d0 = Number((diff >> BigInt(2 * r)) & 1n);
    const d1 = Number((diff >> BigInt(2 * r + 1)) & 1n);
    col(COL.A0)[r] = a0;
    col(COL.A1)[r] = a1;
    col(COL.D0)[r] = d0;
    col(COL.D1)[r] = d1;
    col(COL.CARRY)[r] = carry;
    carry = (a0 + 2 * a1 + d0 + 2 * d1 + carry - (ell[r] as number)) / 4;
  }
  // 3 ----- limb carriers: K_k starts at limb k and loses one weighted digit per row of its block
  const limbs = amountLimbs(w.amount);
  for (let k = 0; k < 3; k++) {
    let rem = limbs[k] as number;
    const start = LIMB_START[k] as number;
    const end = k < 2 ? (LIMB_START[k + 1] as number) : TRACE_LENGTH;
    for (let r = 0; r < TRACE_LENGTH; r++) {
      col(COL.K0 + k)[r] = rem;
      if (r >= start && r < end) {
        const digit = (col(COL.A0)[r] as number) + 2 * (col(COL.A1)[r] as number);
        rem -= digit * 4 ** (r - start);
      }
    }
  }
  return cols;
}

/** Builds the honest trace; throws a RangeError if the amount exceeds the limit or a blinding lane is not canonical. */
export function buildTrace(w: ComplianceWitness): Trace {
  if (w.amount > w.limit) throw new RangeError("amount exceeds the limit: no honest trace exists");
  for (const b of w.blinding) if (!Number.isInteger(b) || b < 0 || b >= P) throw new RangeError("bad blinding lane");
  return buildTraceUnchecked(w);
}
