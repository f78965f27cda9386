/**
 * fast-check settings shared by the ves property tests: a fixed seed (override with VES_FC_SEED to explore) and a
 * bounded number of runs; a failing property reports its seed and path in the error.
 */
import type * as fc from "fast-check";

/** The seed of every ves property test. */
export const FC_SEED = process.env.VES_FC_SEED === undefined ? 20251123 : Number(process.env.VES_FC_SEED);

/** Property parameters with the shared seed. */
export function fcOptions(numRuns: number): fc.Parameters<unknown> {
  return { seed: FC_SEED, numRuns };
}
