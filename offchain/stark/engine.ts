/**
 * What the generic STARK prover and verifier (proveStark / verifyStark) need to know about an AIR: its trace shape,
 * its constraint count, how to seed the Fiat–Shamir transcript with every public input, and how to evaluate the
 * constraint composition — on the quotient domain for the prover and at the out-of-domain point for the verifier.
 * The compliance AIR (air/) and the batch AIR (batch/) both implement it; every constraint of either must have
 * degree ≤ 3 in the trace polynomials after division (deriveParams sizes the composition for that).
 */
import type { Ext } from "./field";
import type { ExtVec } from "./poly";
import type { DerivedParams, ProofOptions } from "./security";
import type { Transcript } from "./transcript";

/** An AIR instance (an AIR together with its public inputs), as the generic prover and verifier see it. */
export interface StarkAir {
  /** Rows of the trace (a power of two). */
  readonly traceLength: number;
  /** Columns of the trace. */
  readonly traceWidth: number;
  /** Number of constraints (one challenge power each). */
  readonly numConstraints: number;
  /** A transcript seeded with the protocol id, the proof context (options and sizes) and every public input. */
  seedTranscript(options: ProofOptions, params: DerivedParams): Transcript;
  /**
   * Prover: the composition Q = Σ_groups (Σ α_i C_i) / Z_group on the coset shift·⟨ω_QN⟩, reading the trace LDE
   * (N points on shift·⟨ω_N⟩).
   */
  composeQuotient(
    traceLde: readonly Uint32Array[],
    N: number,
    QN: number,
    shift: number,
    alphas: readonly Ext[],
  ): ExtVec;
  /** Verifier: Q(z) from the out-of-domain frame (every column at z and ω·z). */
  quotientAt(traceZ: readonly Ext[], traceZw: readonly Ext[], z: Ext, alphas: readonly Ext[]): Ext;
}
