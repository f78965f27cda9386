/**
 * Test-only helpers that build forged compliance traces (false statements) and feed them to the real prover through
 * its `trace` hook, plus a direct AIR check that lists which constraints a trace violates.
 */
import {
  air,
  field as F,
  poseidon2 as P2,
  type ProofOptions,
  type StarkProof,
  TEST_OPTIONS,
} from "../../../../offchain/stark";
import { proveAir } from "../../../../offchain/stark/testing";

/** A forged trace together with the statement it claims. */
export interface Forgery {
  readonly trace: air.Trace;
  readonly statement: air.AirStatement;
}

/** Indices of the constraints the trace violates on the rows where they are enforced. */
export function violatedConstraints(trace: air.Trace, st: air.AirStatement): Set<number> {
  const per = air.staticPeriodicValues();
  per.push(air.limitDigits(st.limit));
  const out = new Array<number>(air.NUM_CONSTRAINTS).fill(0);
  const bad = new Set<number>();
  const n = air.TRACE_LENGTH;
  for (let r = 0; r < n; r++) {
    const cur = trace.map((c) => c[r] as number);
    const nxt = trace.map((c) => c[(r + 1) % n] as number);
    air.evaluateConstraints(
      air.BASE_RING,
      cur,
      nxt,
      per.map((c) => c[r] as number),
      Array.from(st.commitment),
      out,
    );
    const enforced = (i: number): boolean => {
      if (i < air.GROUPS.TRANSITION[1]) return r < n - 1;
      if (i < air.GROUPS.ALL_ROWS[1]) return true;
      if (i < air.GROUPS.FIRST[1]) return r === 0;
      if (i < air.GROUPS.OUTPUT[1]) return r === air.OUTPUT_ROW;
      return r === n - 1;
    };
    out.forEach((v, i) => {
      if (v !== 0 && enforced(i)) bad.add(i);
    });
  }
  return bad;
}

/** Poseidon2 trace columns for an arbitrary 16-lane input state, and the resulting commitment. */
export function hashColumns(input: readonly number[]): { columns: Uint32Array[]; commitment: Uint32Array } {
  const s = Uint32Array.from(input);
  P2.externalLayer(s);
  const columns = Array.from({ length: 16 }, () => new Uint32Array(air.TRACE_LENGTH));
  for (let r = 0; r < air.TRACE_LENGTH; r++) {
    for (let j = 0; j < 16; j++) (columns[j] as Uint32Array)[r] = s[j] as number;
    if (r < air.OUTPUT_ROW) P2.roundStep(s, r, false);
  }
  return { columns, commitment: P2.permute(input).slice(0, 8) };
}

/** Proves a forged trace with the real prover (the prover does not check the trace when it comes from the hook). */
export function proveForged(f: Forgery, context: Uint8Array, options: ProofOptions = TEST_OPTIONS): StarkProof {
  return proveAir(null, f.statement, context, options, { trace: f.trace });
}

/** The commitment of a witness, as the statement an honest prover would claim. */
export function honestStatement(amount: bigint, blinding: number[], limit: bigint): air.AirStatement {
  return { limit, commitment: P2.commitAmount(amount, blinding) };
}

/** Field element −1. */
export const MINUS_ONE = F.P - 1;
