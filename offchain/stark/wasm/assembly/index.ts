/**
 * WebAssembly kernels of the STARK prover and verifier, in AssemblyScript (compiled at install time by
 * scripts/build-wasm.js into dist/wasm/stark-kernels.wasm). They mirror the TypeScript reference (poly.ts, merkle.ts,
 * transcript.ts, fri.ts, air/compose.ts and the verifier's constraint and DEEP checks) and give identical outputs:
 * KoalaBear (p = 2^31 − 2^24 + 1) arithmetic as Montgomery products on 64-bit integers, BLAKE3 with native rotates,
 * and the wide loops (butterflies, compressions, composition) four lanes at a time in SIMD.
 *
 * This entry module only re-exports the kernels (the module's exports); each lives in a module of its own: field.ts
 * (Montgomery arithmetic, scalar and four SIMD lanes), memory.ts (the fixed layout), ntt.ts, blake3.ts and
 * blake3x4.ts (one and four messages per compression), merkle.ts, grind.ts, compose.ts, points.ts, fri.ts,
 * quotient.ts and deep.ts.
 *
 * No runtime, no allocation: every kernel works on raw pointers into linear memory, which the loader
 * (../index.ts) lays out. The fixed area at `__heap_base` holds the twiddle table and BLAKE3 scratch; `arenaStart()`
 * is where the loader's per-call buffers begin. Field elements in and out are canonical (< p), in standard form;
 * only the twiddle and scale tables (and the composition's tables and coefficients) are kept in Montgomery form
 * (x·2^32 mod p).
 */

export { arenaStart, maxLogN } from "./memory";
export { ntt, intt, cosetEvaluate } from "./ntt";
export { merkleTree, gatherRows, hashLeaves, verifyBatch } from "./merkle";
export { grind } from "./grind";
export { composeCompliance } from "./compose";
export { evalAtPoints } from "./points";
export { foldRows } from "./fri";
export { quotientAtPoint } from "./quotient";
export { deepValues, deepPolynomial } from "./deep";
