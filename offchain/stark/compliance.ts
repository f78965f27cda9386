/**
 * Per-event compliance proofs: prove that a private amount satisfies the public policy and opens the public witness
 * commitment, and verify such proofs following stark-reference.md §2.11 (size cap, input format, commitment, policy
 * hash, expected policy, effective limit, then the STARK) with a closed union of failure reasons. The transcript is
 * bound to the SHA-256 of the JCS of every public input (boundPublicInputsHash).
 */
import { TRACE_LENGTH, type AirStatement } from "./air";
import { StarkError, isStarkError } from "./errors";
import { type CompliancePublicInputs, boundPublicInputsDigest, parsePublicInputs } from "./inputs";
import { type CommitmentOpening, commitmentFromHex, commitmentToHex, makeOpening, randomBlindingFrom } from "./opening";
import { type Policy, effectiveLimit, isCompliant, policiesEqual } from "./policy";
import { commitAmount } from "./poseidon2";
import { type ProverHooks, proveAir } from "./prover";
import { type WordSource } from "./random";
import {
  type AcceptableOptions,
  DEFAULT_ACCEPTABLE,
  PRODUCTION_OPTIONS,
  type ProofOptions,
  conjecturedSecurity,
  optionsEqual,
  securityLevels,
} from "./security";
import { MAX_PROOF_BYTES, deserializeProof, readProofOptions, serializeProof } from "./serialization";
import { type StarkFailure, verifyAir } from "./verifier";

/** Everything a compliance proof produces. */
export interface ComplianceProof {
  readonly proofBytes: Uint8Array;
  /** The inputs with witnessCommitment set (what the proof is bound to). */
  readonly publicInputs: CompliancePublicInputs;
  readonly witnessCommitmentHex: string;
  /** Secret: the opening artifact (amount and blinding). */
  readonly opening: CommitmentOpening;
  readonly options: ProofOptions;
  readonly provingTimeMs: number;
}

/** Arguments of proveCompliance. */
export interface ProveComplianceArgs {
  readonly amount: bigint;
  readonly publicInputs: unknown;
  readonly options?: ProofOptions;
}

/**
 * Test-only randomness of the prover (exposed through offchain/stark/testing.ts, never through the index): a known
 * blinding makes C brute-forceable over typical amounts, and a known RNG makes the proof's randomisers known.
 */
export interface ProverRandomness {
  /** Blinding lanes (default: fresh from the CSPRNG). */
  readonly blinding?: readonly number[];
  /** Randomness source of the blinding and the prover (default: the OS CSPRNG). */
  readonly rng?: WordSource;
}

/**
 * Proves that `amount` complies with the policy named in the public inputs, with a fresh CSPRNG blinding and fresh
 * prover randomness (a caller cannot choose either).
 * @throws TypeError / RangeError for bad arguments; StarkError (AMOUNT_NOT_COMPLIANT, input errors) otherwise.
 */
export function proveCompliance(args: ProveComplianceArgs): ComplianceProof {
  return proveComplianceWithRandomness(args, {});
}

/**
 * proveCompliance with caller-chosen randomness: for tests and benches only (re-exported by testing.ts).
 * @throws as proveCompliance.
 */
export function proveComplianceWithRandomness(
  args: ProveComplianceArgs,
  randomness: ProverRandomness,
): ComplianceProof {
  if (typeof args !== "object" || args === null) throw new TypeError("arguments must be an object");
  if (typeof args.amount !== "bigint") throw new TypeError("amount must be a bigint");
  if (args.amount < 0n || args.amount >= 1n << 64n) throw new RangeError("amount must be a u64");
  const start = performance.now();
  // 1 ----- validate the inputs and the policy; refuse non-compliant amounts
  const { inputs, policy } = parsePublicInputs(args.publicInputs);
  const limit = effectiveLimit(policy);
  if (!isCompliant(policy, args.amount)) {
    throw new StarkError("AMOUNT_NOT_COMPLIANT", `the amount does not satisfy ${policy.id}`);
  }
  // 2 ----- commit to the amount and bind the commitment into the inputs
  const blinding = randomness.blinding ?? randomBlindingFrom(randomness.rng);
  const commitment = commitAmount(args.amount, blinding);
  const witnessCommitmentHex = commitmentToHex(commitment);
  if (inputs.witnessCommitment !== undefined && inputs.witnessCommitment !== witnessCommitmentHex) {
    throw new StarkError("WITNESS_COMMITMENT_MISMATCH", "the inputs carry a different witnessCommitment");
  }
  const bound: CompliancePublicInputs = { ...inputs, witnessCommitment: witnessCommitmentHex };
  // 3 ----- prove
  const options = args.options ?? PRODUCTION_OPTIONS;
  const statement: AirStatement = { limit, commitment };
  const hooks: ProverHooks = randomness.rng === undefined ? {} : { rng: randomness.rng };
  const proof = proveAir({ amount: args.amount, blinding, limit }, statement, bindingContext(bound), options, hooks);
  const proofBytes = serializeProof(proof);
  return {
    proofBytes,
    publicInputs: bound,
    witnessCommitmentHex,
    opening: makeOpening(args.amount, blinding, bound),
    options,
    provingTimeMs: performance.now() - start,
  };
}

/** The transcript context: the 32-byte boundPublicInputsHash. */
export function bindingContext(bound: CompliancePublicInputs): Uint8Array {
  return boundPublicInputsDigest(bound);
}

/** Every reason a compliance verification can fail (a closed union). */
export type ComplianceFailure =
  | StarkFailure
  | "PROOF_TOO_LARGE"
  | "UNSUPPORTED_VERSION"
  | "INVALID_PUBLIC_INPUTS"
  | "INVALID_HEX"
  | "UNSUPPORTED_POLICY"
  | "MISSING_POLICY_PARAM"
  | "INVALID_POLICY_PARAM"
  | "INVALID_POLICY_HASH"
  | "INVALID_THRESHOLD"
  | "POLICY_MISMATCH"
  | "LIMIT_MISMATCH"
  | "MISSING_WITNESS_COMMITMENT"
  | "INVALID_WITNESS_COMMITMENT"
  | "WITNESS_COMMITMENT_MISMATCH";

/**
 * Outcome of verifyCompliance. A valid verdict carries both security figures of the proof's options side by side:
 * `securityBits` is the conjectured security (what the verifier's floor checks), `provableSecurityBits` the provable
 * security of the same parameters (the larger of the unique- and list-decoding bounds, see security.ts).
 */
export type ComplianceVerdict =
  | {
      readonly valid: true;
      readonly policy: Policy;
      readonly securityBits: number;
      readonly provableSecurityBits: number;
    }
  | { readonly valid: false; readonly reason: ComplianceFailure; readonly detail: string };

/** Arguments of verifyCompliance. */
export interface VerifyComplianceArgs {
  readonly proofBytes: Uint8Array;
  readonly publicInputs: unknown;
  /** The commitment to check against (else the inputs' witnessCommitment). */
  readonly witnessCommitmentHex?: string;
  /**
   * The policy and limit the verifier requires (mandatory: the inputs are the prover's, so a verifier that took the
   * policy from them would accept whatever limit the prover chose, e.g. a cap of 2^64 − 1).
   */
  readonly expectedPolicy: Policy;
}

const INPUT_FAILURES = new Set<string>([
  "INVALID_PUBLIC_INPUTS",
  "INVALID_HEX",
  "UNSUPPORTED_POLICY",
  "MISSING_POLICY_PARAM",
  "INVALID_POLICY_PARAM",
  "INVALID_POLICY_HASH",
  "INVALID_THRESHOLD",
  "INVALID_WITNESS_COMMITMENT",
  "PROOF_TOO_LARGE",
  "UNSUPPORTED_VERSION",
  "MALFORMED_PROOF",
]);

function rejected(reason: ComplianceFailure, detail: string): ComplianceVerdict {
  return { valid: false, reason, detail };
}

/** True if `p` is a well-formed Policy (a supported id with its u64 parameter). */
function isPolicy(p: unknown): p is Policy {
  if (typeof p !== "object" || p === null) return false;
  const o = p as Record<string, unknown>;
  const limit = o.id === "aml.threshold" ? o.threshold : o.id === "order_total.cap" ? o.cap : undefined;
  return typeof limit === "bigint" && limit >= 0n && limit < 1n << 64n;
}

/**
 * Verifies a compliance proof against the policy the verifier expects (`expectedPolicy`, mandatory). Never throws
 * for a bad proof or bad inputs (only for arguments of the wrong type, including a missing expected policy). The
 * options in the proof header are checked against `acceptable` before any other work.
 */
export function verifyCompliance(
  args: VerifyComplianceArgs,
  acceptable: AcceptableOptions = DEFAULT_ACCEPTABLE,
): ComplianceVerdict {
  if (typeof args !== "object" || args === null) throw new TypeError("arguments must be an object");
  if (!(args.proofBytes instanceof Uint8Array)) throw new TypeError("proofBytes must be a Uint8Array");
  if (!isPolicy(args.expectedPolicy)) {
    throw new TypeError("expectedPolicy (the policy and limit the verifier requires) must be a Policy");
  }
  const expected = args.expectedPolicy;
  try {
    // 1 ----- size cap, then the options in the header against the allow-list
    if (args.proofBytes.length > MAX_PROOF_BYTES) return rejected("PROOF_TOO_LARGE", `${args.proofBytes.length} bytes`);
    const options = readProofOptions(args.proofBytes);
    if (!acceptable.options.some((a) => optionsEqual(a, options))) {
      return rejected("UNACCEPTABLE_OPTIONS", "the proof's options are not in the verifier's allow-list");
    }
    const bits = conjecturedSecurity(options, TRACE_LENGTH);
    if (bits < acceptable.minSecurityBits) return rejected("INSUFFICIENT_SECURITY", `${bits} bits`);
    // 2 ----- public inputs: format, policy, policy hash
    const { inputs, policy } = parsePublicInputs(args.publicInputs);
    // 3 ----- witness commitment: supplied and embedded must agree
    const supplied = args.witnessCommitmentHex;
    if (supplied !== undefined && inputs.witnessCommitment !== undefined && supplied !== inputs.witnessCommitment) {
      return rejected("WITNESS_COMMITMENT_MISMATCH", "inputs.witnessCommitment differs from the supplied commitment");
    }
    const commitmentHex = supplied ?? inputs.witnessCommitment;
    if (commitmentHex === undefined) return rejected("MISSING_WITNESS_COMMITMENT", "no witness commitment given");
    const commitment = commitmentFromHex(commitmentHex);
    // 4 ----- expected policy and effective limit
    if (expected.id !== policy.id) return rejected("POLICY_MISMATCH", `${policy.id} ≠ ${expected.id}`);
    if (!policiesEqual(expected, policy)) return rejected("LIMIT_MISMATCH", "policy limit differs");
    const limit = effectiveLimit(policy);
    // 5 ----- parse the proof and run the STARK verifier
    const proof = deserializeProof(args.proofBytes);
    const bound: CompliancePublicInputs = { ...inputs, witnessCommitment: commitmentHex };
    const verdict = verifyAir(proof, { limit, commitment }, bindingContext(bound), acceptable);
    if (!verdict.valid) return rejected(verdict.reason, "STARK verification failed");
    return {
      valid: true,
      policy,
      securityBits: bits,
      provableSecurityBits: securityLevels(options, TRACE_LENGTH).provable,
    };
  } catch (e) {
    if (isStarkError(e) && INPUT_FAILURES.has(e.code)) return rejected(e.code as ComplianceFailure, e.message);
    if (isStarkError(e, "WITNESS_COMMITMENT_MISMATCH")) return rejected("WITNESS_COMMITMENT_MISMATCH", e.message);
    throw e;
  }
}
