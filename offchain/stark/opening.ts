/**
 * Witness commitments in hex, the blinding vector, and the opening artifact. C (8 field elements) is written as
 * 8 big-endian u32 = 64 lowercase hex characters; every lane must be canonical (< p), so each commitment has exactly
 * one encoding. The opening {amount, blinding, event binding fields} is meant only for parties entitled to the amount
 * (e.g. a recipient of the encrypted payload): it lets them check that C opens to the payload's amount.
 */
import { P } from "./field";
import { StarkError } from "./errors";
import { type CompliancePublicInputs, isHex64 } from "./inputs";
import { BLINDING_LANES, COMMIT_LANES, commitAmount } from "./poseidon2";
import { type WordSource, cryptoWords, randomElements } from "./random";

/** Encodes commitment lanes as 64 lowercase hex characters (big-endian u32 per lane). */
export function commitmentToHex(c: Uint32Array): string {
  if (c.length !== COMMIT_LANES) throw new RangeError(`commitment must have ${COMMIT_LANES} lanes`);
  return Array.from(c, (v) => v.toString(16).padStart(8, "0")).join("");
}

/**
 * Decodes a commitment hex string.
 * @throws StarkError INVALID_HEX (format) or INVALID_WITNESS_COMMITMENT (a lane ≥ p).
 */
export function commitmentFromHex(hex: string): Uint32Array {
  if (!isHex64(hex)) throw new StarkError("INVALID_HEX", "witness commitment must be 64 lowercase hex characters");
  const out = new Uint32Array(COMMIT_LANES);
  for (let i = 0; i < COMMIT_LANES; i++) {
    const v = parseInt(hex.slice(8 * i, 8 * i + 8), 16);
    if (v >= P)
      throw new StarkError("INVALID_WITNESS_COMMITMENT", `commitment lane ${i} is not a canonical field element`);
    out[i] = v;
  }
  return out;
}

/** Fresh uniformly random blinding lanes from the OS CSPRNG. */
export function randomBlinding(): number[] {
  return randomBlindingFrom(cryptoWords());
}

/** Blinding lanes from a given word source (internal and testing.ts only; the CSPRNG when undefined). */
export function randomBlindingFrom(rng: WordSource = cryptoWords()): number[] {
  return Array.from(randomElements(rng, BLINDING_LANES));
}

/**
 * The witness commitment C of (amount, blinding) as 64 lowercase hex characters (what proofs carry as
 * witnessCommitmentHex): a pure function for parties that commit to an amount themselves.
 * @throws RangeError for an amount outside u64 or a bad blinding.
 */
export function amountCommitmentHex(amount: bigint, blinding: readonly number[]): string {
  if (typeof amount !== "bigint" || amount < 0n || amount >= 1n << 64n) throw new RangeError("amount must be a u64");
  if (!Array.isArray(blinding) || blinding.length !== BLINDING_LANES) {
    throw new RangeError(`blinding must have ${BLINDING_LANES} lanes`);
  }
  if (blinding.some((v) => typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= P)) {
    throw new RangeError("blinding lanes must be canonical field elements");
  }
  return commitmentToHex(commitAmount(amount, blinding));
}

/** Encodes blinding lanes as 40 lowercase hex characters (big-endian u32 per lane). */
export function blindingToHex(b: readonly number[]): string {
  if (b.length !== BLINDING_LANES) throw new RangeError(`blinding must have ${BLINDING_LANES} lanes`);
  return b.map((v) => v.toString(16).padStart(8, "0")).join("");
}

/**
 * Decodes blinding hex.
 * @throws StarkError INVALID_OPENING for a bad encoding or a lane ≥ p.
 */
export function blindingFromHex(hex: unknown): number[] {
  if (typeof hex !== "string" || !/^[0-9a-f]{40}$/.test(hex)) {
    throw new StarkError("INVALID_OPENING", "blinding must be 40 lowercase hex characters");
  }
  const out: number[] = [];
  for (let i = 0; i < BLINDING_LANES; i++) {
    const v = parseInt(hex.slice(8 * i, 8 * i + 8), 16);
    if (v >= P) throw new StarkError("INVALID_OPENING", `blinding lane ${i} is not a canonical field element`);
    out.push(v);
  }
  return out;
}

/** Version of the opening artifact format. */
export const OPENING_VERSION = 1;

/** The opening artifact (holds the plaintext amount: store with 0600 permissions, never log). */
export interface CommitmentOpening {
  readonly version: number;
  readonly amount: string;
  readonly blinding: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceNumber: number | bigint;
  readonly payloadKind: number;
  readonly payloadPlainHash: string;
  readonly payloadCipherHash: string;
  readonly eventSigningHash: string;
  readonly witnessCommitmentHex: string;
}

const BINDING_FIELDS = [
  "eventId",
  "tenantId",
  "storeId",
  "sequenceNumber",
  "payloadKind",
  "payloadPlainHash",
  "payloadCipherHash",
  "eventSigningHash",
] as const;

/** Builds the opening artifact for an amount, its blinding and the public inputs it was proven for. */
export function makeOpening(
  amount: bigint,
  blinding: readonly number[],
  inputs: CompliancePublicInputs,
): CommitmentOpening {
  return {
    version: OPENING_VERSION,
    amount: amount.toString(),
    blinding: blindingToHex(blinding),
    eventId: inputs.eventId,
    tenantId: inputs.tenantId,
    storeId: inputs.storeId,
    sequenceNumber: inputs.sequenceNumber,
    payloadKind: inputs.payloadKind,
    payloadPlainHash: inputs.payloadPlainHash,
    payloadCipherHash: inputs.payloadCipherHash,
    eventSigningHash: inputs.eventSigningHash,
    witnessCommitmentHex: commitmentToHex(commitAmount(amount, blinding)),
  };
}

/**
 * Checks an opening against public inputs: same event binding fields, C recomputed from (amount, blinding) equals
 * the opening's and the inputs' witness commitment. Returns the amount.
 * @throws StarkError INVALID_OPENING or WITNESS_COMMITMENT_MISMATCH.
 */
export function checkOpening(opening: unknown, inputs: CompliancePublicInputs, commitmentHex?: string): bigint {
  if (typeof opening !== "object" || opening === null)
    throw new StarkError("INVALID_OPENING", "opening must be an object");
  const o = opening as Record<string, unknown>;
  if (o.version !== OPENING_VERSION)
    throw new StarkError("INVALID_OPENING", `unsupported opening version ${String(o.version)}`);
  if (typeof o.amount !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(o.amount) || BigInt(o.amount) >= 1n << 64n) {
    throw new StarkError("INVALID_OPENING", "opening amount must be a decimal u64 string");
  }
  for (const k of BINDING_FIELDS) {
    if (String(o[k]) !== String(inputs[k]))
      throw new StarkError("INVALID_OPENING", `opening field ${k} does not match the inputs`);
  }
  const amount = BigInt(o.amount);
  const c = commitmentToHex(commitAmount(amount, blindingFromHex(o.blinding)));
  const expected = commitmentHex ?? inputs.witnessCommitment;
  if (c !== o.witnessCommitmentHex || (expected !== undefined && c !== expected)) {
    throw new StarkError("WITNESS_COMMITMENT_MISMATCH", "the opening does not open the witness commitment");
  }
  return amount;
}
