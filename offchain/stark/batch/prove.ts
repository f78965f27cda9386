/**
 * proveBatch: proves the compliance of every event of a batch statement with the generic STARK prover (proveStark)
 * over the batch AIR, and returns the shareable bundle. The prover checks its witness first: every event with
 * reason `none` must come with an opening of its C_i; its flag is 1 exactly when the amount satisfies the policy.
 */
import { hexToBytes } from "../../ves";
import { StarkError } from "../errors";
import { commitmentToHex } from "../opening";
import { isCompliant } from "../policy";
import { commitAmount } from "../poseidon2";
import { type ProverHooks, proveStark } from "../prover";
import { PRODUCTION_OPTIONS, type ProofOptions, securityLevels } from "../security";
import { serializeProof } from "../serialization";
import {
  BATCH_CONSTRAINTS,
  BATCH_WIDTH,
  type BatchEventWitness,
  batchTraceLength,
  buildBatchTraceUnchecked,
} from "./air";
import { type BatchProofBundle, makeBatchBundle } from "./bundle";
import { batchAir } from "./protocol";
import {
  type BatchClaim,
  type BatchStatement,
  type BatchWitness,
  type ParsedBatchStatement,
  airStatementOf,
  batchRootsMismatch,
  batchStatementHash,
  parseBatchStatement,
} from "./statement";

/** Test-only instrumentation of the batch prover (exposed through testing.ts only). */
export interface BatchProverHooks extends ProverHooks {
  /** Replaces the per-event witnesses (amount, blinding, flag) written into the trace, unchecked (`trace`, the
   * inherited hook, replaces the whole trace). */
  readonly events?: readonly BatchEventWitness[];
  /** Replaces the claim bound into the transcript. */
  readonly claim?: BatchClaim;
  /** Skips the prover's statement-level checks (roots), so that a forged statement reaches the verifier. */
  readonly skipStatementChecks?: boolean;
}

/** The honest per-event witnesses and claim of a statement. */
function honestWitness(
  p: ParsedBatchStatement,
  witness: BatchWitness,
): {
  events: BatchEventWitness[];
  claim: BatchClaim;
} {
  const n = p.statement.events.length;
  if (typeof witness !== "object" || witness === null || !Array.isArray(witness.openings)) {
    throw new TypeError("witness must be {openings: [...]}");
  }
  if (witness.openings.length !== n) {
    throw new StarkError(
      "INVALID_BATCH_WITNESS",
      `the witness has ${witness.openings.length} openings for ${n} events`,
    );
  }
  let count = 0;
  const events = p.statement.events.map((e, i): BatchEventWitness => {
    const o = witness.openings[i];
    if (p.allowed[i] !== 1) return { amount: 0n, blinding: [0, 0, 0, 0, 0], flag: 0 };
    if (o === null || o === undefined) {
      throw new StarkError("INVALID_BATCH_WITNESS", `event ${i} (reason none) needs an opening`);
    }
    if (typeof o.amount !== "bigint" || o.amount < 0n || o.amount >= 1n << 64n) {
      throw new StarkError("INVALID_BATCH_WITNESS", `event ${i}: the amount is not a u64`);
    }
    let c: string;
    try {
      c = commitmentToHex(commitAmount(o.amount, o.blinding));
    } catch {
      throw new StarkError("INVALID_BATCH_WITNESS", `event ${i}: bad blinding`);
    }
    if (c !== e.amountCommitment) {
      throw new StarkError("INVALID_BATCH_WITNESS", `event ${i}: the opening does not open amountCommitment`);
    }
    const flag = isCompliant(p.policy, o.amount) ? 1 : 0;
    count += flag;
    return { amount: o.amount, blinding: o.blinding, flag };
  });
  return {
    events,
    claim: { inScopeCount: p.inScopeCount, compliantCount: count, allCompliant: count === p.inScopeCount },
  };
}

/**
 * Proves a batch statement for its witness with the given options (default: production).
 * @throws StarkError INVALID_BATCH_STATEMENT (also when the events do not reproduce the statement's roots),
 * INVALID_BATCH_WITNESS, or a policy error; TypeError / RangeError for bad arguments.
 */
export function proveBatch(
  statement: BatchStatement,
  witness: BatchWitness,
  options: ProofOptions = PRODUCTION_OPTIONS,
): BatchProofBundle {
  return proveBatchWithHooks(statement, witness, options, {});
}

/** proveBatch with test-only hooks (re-exported by testing.ts; never on the index). */
export function proveBatchWithHooks(
  statement: BatchStatement,
  witness: BatchWitness,
  options: ProofOptions,
  hooks: BatchProverHooks,
): BatchProofBundle {
  const start = performance.now();
  const p = parseBatchStatement(statement);
  if (hooks.skipStatementChecks !== true) {
    const mismatch = batchRootsMismatch(p);
    if (mismatch !== null) throw new StarkError("INVALID_BATCH_STATEMENT", `${mismatch}: the events give other roots`);
  }
  const honest = honestWitness(p, witness);
  const events = hooks.events ?? honest.events;
  const claim = hooks.claim ?? honest.claim;
  const air = airStatementOf(p, claim.compliantCount);
  const stHash = batchStatementHash(statement);
  const trace = hooks.trace ?? buildBatchTraceUnchecked(p.limit, events);
  const { events: _e, claim: _c, skipStatementChecks: _s, trace: _t, ...proverHooks } = hooks;
  const forged = hooks.trace !== undefined || hooks.events !== undefined || hooks.claim !== undefined;
  const proof = proveStark(
    batchAir(air, claim, hexToBytes(stHash)),
    forged ? null : trace,
    options,
    forged ? { ...proverHooks, trace } : proverHooks,
  );
  const proofBytes = serializeProof(proof);
  const n = batchTraceLength(air.numEvents);
  const levels = securityLevels(options, n);
  return makeBatchBundle(proofBytes, statement, stHash, claim, {
    proving_time_ms: Math.round(performance.now() - start),
    num_constraints: BATCH_CONSTRAINTS,
    trace_length: n,
    trace_width: BATCH_WIDTH,
    num_events: air.numEvents,
    security_bits: levels.conjectured,
    provable_security_bits: levels.provable,
  });
}
