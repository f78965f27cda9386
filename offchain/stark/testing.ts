/**
 * Test-only entry point of offchain/stark: the knobs that must never reach production callers. A caller that chooses
 * the prover's blinding or randomness makes the witness commitment C brute-forceable over typical amounts (and the
 * proof's randomisers known), so none of these is on the part's index. Importable only from test/ and bench/: the
 * eslint configuration refuses an import of this file from anywhere else (offchain/**, tasks/, scripts/, deploy/).
 */
import { type ComplianceProof, type ProveComplianceArgs, proveComplianceWithRandomness } from "./compliance";
import { randomBlindingFrom } from "./opening";
import { type WordSource, seededWords } from "./random";

export { proveAir, type ProverHooks } from "./prover";
/** The compliance AIR as the generic prover and verifier see it (differential tests of its quotient at a point). */
export { complianceAir } from "./protocol";
/** The generic verifier over any StarkAir (differential tests drive it with an AIR whose OOD check is neutralised). */
export { verifyStark } from "./verifier";
export type { StarkAir } from "./engine";
/** The WebAssembly kernels: tests and benches run both paths in one process (kernels on, then forced off). */
export {
  type Kernels,
  type LoadResult,
  STAMP_FILE,
  WASM_FILE,
  loadWasmKernels,
  reloadWasmKernels,
  setWasmKernelsEnabled,
  sourcesHash,
  wasmDir,
  wasmKernels,
} from "./wasm";
export { type ProverRandomness } from "./compliance";
/** The public inputs' canonical JSON from their known key order (differential test against jcsExact). */
export { knownInputsJcs } from "./inputs";
export { seededWords, type WordSource };

/** proveCompliance with a chosen blinding and/or a chosen randomness source (reproducible tests, benches). */
export function proveComplianceWith(
  args: ProveComplianceArgs & { readonly blinding?: readonly number[]; readonly rng?: WordSource },
): ComplianceProof {
  const { blinding, rng, ...rest } = args;
  return proveComplianceWithRandomness(rest, {
    ...(blinding === undefined ? {} : { blinding }),
    ...(rng === undefined ? {} : { rng }),
  });
}

/** Blinding lanes drawn from a chosen word source (e.g. seededWords) instead of the CSPRNG. */
export function blindingFrom(rng: WordSource): number[] {
  return randomBlindingFrom(rng);
}

export { proveBatchWithHooks, type BatchProverHooks } from "./batch/prove";
export { batchConstraintViolations, buildBatchTraceUnchecked } from "./batch/air";
/** The generic batch composition (the reference) and the specialised one the prover runs, for differential tests. */
export { batchComposeQuotient } from "./batch/air";
export { batchComposeQuotientFast } from "./batch/compose";
