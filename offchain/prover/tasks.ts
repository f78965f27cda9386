/**
 * The prover's CPU work as plain-data tasks: prove a commitment's batch proof and verify it, or prove one event's
 * compliance and verify it. The same functions run on the pool's worker threads (proof-worker.ts) and, with
 * `threads: 0`, on the main thread. Inputs and outputs are structured-clone friendly (objects, bigints, byte arrays).
 */
import {
  makeBundle,
  proveBatch,
  proveCompliance,
  verifyBatch,
  verifyCompliance,
  type BatchCommitmentRecord,
  type BatchStatement,
  type BatchWitness,
  type CompliancePublicInputs,
  type ComplianceProofBundle,
  type Policy,
  type PulledEvent,
} from "../stark";

/** Prove and self-verify a commitment's batch proof. */
export interface BatchTask {
  readonly kind: "batch";
  readonly statement: BatchStatement;
  readonly witness: BatchWitness;
  readonly commitment: BatchCommitmentRecord;
  readonly policy: Policy;
  readonly events: readonly PulledEvent[];
}

/** Prove and self-verify one event's compliance. */
export interface EventTask {
  readonly kind: "event";
  readonly amount: bigint;
  readonly publicInputs: CompliancePublicInputs;
  readonly policy: Policy;
}

export type ProofTask = BatchTask | EventTask;

/** A batch task's result: the bundle to submit and the compliant count the verifier found. */
export interface BatchResult {
  readonly kind: "batch";
  readonly bundle: unknown;
  readonly compliantCount: number;
}

/** An event task's result: the bundle to submit. */
export interface EventResult {
  readonly kind: "event";
  readonly bundle: ComplianceProofBundle;
}

export type ProofResult = BatchResult | EventResult;

/**
 * Runs a task.
 * @throws Error when the prover's own proof does not verify (a bug, never submitted).
 */
export function runProofTask(task: ProofTask): ProofResult {
  if (task.kind === "batch") {
    const bundle = proveBatch(task.statement, task.witness);
    const own = verifyBatch(bundle, { commitment: task.commitment, policy: task.policy, events: task.events });
    if (!own.valid) throw new Error(`own batch proof does not verify: ${own.reason}`);
    return { kind: "batch", bundle, compliantCount: own.compliantCount };
  }
  const proof = proveCompliance({ amount: task.amount, publicInputs: task.publicInputs });
  const own = verifyCompliance({
    proofBytes: proof.proofBytes,
    publicInputs: proof.publicInputs,
    expectedPolicy: task.policy,
  });
  if (!own.valid) throw new Error(`own proof does not verify: ${own.reason}`);
  return { kind: "event", bundle: makeBundle(proof) };
}
