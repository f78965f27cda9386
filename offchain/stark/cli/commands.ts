/**
 * The ves-stark commands: gen-inputs, prove, verify, inspect and benchmark. Machine output (JSON, base64, VALID) goes
 * to stdout, progress and human notes to stderr; amounts and blinding values are never printed or logged. Failures
 * are AppErrors with exit code 1.
 */
import { createRequire } from "node:module";

import type * as CliProgress from "cli-progress";

import { AppError } from "../../common";
import { bytesToHex, complianceProofHash, stringifyJsonExact } from "../../ves";
import { NUM_CONSTRAINTS, TRACE_LENGTH, TRACE_WIDTH } from "../air";
import {
  type ComplianceProofBundle,
  MAX_BUNDLE_TEXT_LENGTH,
  MAX_PROOF_B64_LENGTH,
  decodeBase64Strict,
  makeBundle,
  parseBundle,
} from "../bundle";
import { proveCompliance, verifyCompliance, type ComplianceVerdict } from "../compliance";
import { isStarkError } from "../errors";
import {
  type CompliancePublicInputs,
  parsePublicInputs,
  publicInputsHash,
  randomPublicInputs,
  unboundInputs,
} from "../inputs";
import { checkOpening } from "../opening";
import { type Policy, isCompliant, policiesEqual, policyFromLimit, rawLimit } from "../policy";
import {
  PRESETS,
  PRESET_NAMES,
  type PresetName,
  type ProofOptions,
  deriveParams,
  optionsEqual,
  securityLevels,
} from "../security";
import { MAX_PROOF_BYTES, deserializeProof } from "../serialization";
import {
  AMOUNT_LIMIT,
  INPUTS_LIMIT,
  OPENING_LIMIT,
  type ReadLimit,
  assertSecretTarget,
  err,
  out,
  readJson,
  readText,
  writePublic,
  writeSecret,
} from "./io";

/** Wraps a library error into a CLI error (exit code 1). */
function fail(e: unknown): never {
  if (isStarkError(e)) throw new AppError(`STARK_${e.code}`, e.message);
  throw e;
}

/** Builds the CLI policy, mapping library errors to AppErrors. */
export function cliPolicy(id: string, limit: bigint): Policy {
  try {
    return policyFromLimit(id, limit);
  } catch (e) {
    fail(e);
  }
}

/** `gen-inputs`: random public inputs for the policy. */
export function genInputs(policy: Policy, output?: string): void {
  const text = `${stringifyJsonExact(randomPublicInputs(policy), 2)}\n`;
  if (output === undefined) out(text);
  else writePublic(output, text);
}

const U64_MAX = (1n << 64n) - 1n;

/** A decimal u64 (surrounding whitespace allowed), or undefined. */
export function parseAmount(text: string): bigint | undefined {
  const m = /^\s*(0|[1-9][0-9]{0,19})\s*$/.exec(text);
  if (m === null) return undefined;
  const v = BigInt(m[1] as string);
  return v <= U64_MAX ? v : undefined;
}

/**
 * Reads the private amount from a file (or stdin for "-"): one decimal u64, at most AMOUNT_LIMIT bytes. The error
 * never repeats the file's content.
 * @throws AppError STARK_CLI_AMOUNT (exit 1), or a read error.
 */
export function amountFromFile(path: string): bigint {
  const amount = parseAmount(readText(path, AMOUNT_LIMIT));
  if (amount === undefined) {
    const what = path === "-" ? "standard input" : path;
    throw new AppError("STARK_CLI_AMOUNT", `the amount in ${what} must be one decimal integer in 0..2^64-1`);
  }
  return amount;
}

function loadInputs(path: string, policy: Policy): CompliancePublicInputs {
  let parsed: { inputs: CompliancePublicInputs; policy: Policy };
  try {
    parsed = parsePublicInputs(readJson(path, INPUTS_LIMIT));
  } catch (e) {
    fail(e);
  }
  if (!policiesEqual(parsed.policy, policy)) {
    throw new AppError(
      "STARK_POLICY_MISMATCH",
      `the inputs' policy ${parsed.policy.id} ${rawLimit(parsed.policy)} differs from --policy/--limit`,
    );
  }
  return parsed.inputs;
}

/** Options of `prove`. */
export interface ProveOptions {
  readonly amount: bigint;
  readonly policy: Policy;
  readonly inputs?: string;
  readonly output?: string;
  readonly json?: boolean;
  readonly opening?: string;
  /** The option preset (default: production). */
  readonly preset?: PresetName;
}

/** `prove`: proves the amount against the policy; prints base64 or the bundle. */
export function prove(o: ProveOptions): void {
  if (!isCompliant(o.policy, o.amount)) {
    throw new AppError(
      "STARK_AMOUNT_NOT_COMPLIANT",
      `the amount does not satisfy ${o.policy.id} ${rawLimit(o.policy)}`,
    );
  }
  if (o.opening !== undefined) assertSecretTarget(o.opening);
  const inputs = o.inputs === undefined ? randomPublicInputs(o.policy) : loadInputs(o.inputs, o.policy);
  let proof;
  try {
    const options = PRESETS[o.preset ?? "production"];
    proof = proveCompliance({ amount: o.amount, publicInputs: unboundInputs(inputs), options });
  } catch (e) {
    fail(e);
  }
  const hash = bytesToHex(complianceProofHash(proof.proofBytes));
  err(
    `proved in ${proof.provingTimeMs.toFixed(1)} ms: ${proof.proofBytes.length} bytes, proof hash ${hash.slice(0, 16)}…, ` +
      `witness commitment ${proof.witnessCommitmentHex}\n`,
  );
  if (o.opening !== undefined) writeSecret(o.opening, `${stringifyJsonExact(proof.opening, 2)}\n`);
  const text =
    o.json === true
      ? `${stringifyJsonExact(makeBundle(proof), 2)}\n`
      : Buffer.from(proof.proofBytes).toString("base64");
  if (o.output === undefined) out(o.json === true ? text : `${text}\n`);
  else writePublic(o.output, text);
}

/** Options of `verify`. */
export interface VerifyOptions {
  readonly proof: string;
  readonly policy: Policy;
  readonly inputs?: string;
  readonly witnessCommitmentHex?: string;
  readonly opening?: string;
}

interface LoadedProof {
  readonly bundle?: ComplianceProofBundle;
  readonly proofBytes: Uint8Array;
}

/** Proof and bundle files: the largest bundle (a MAX_PROOF_BYTES proof in base64 plus the other fields). */
const PROOF_FILE_LIMIT: ReadLimit = { maxBytes: MAX_BUNDLE_TEXT_LENGTH, tooLargeCode: "STARK_PROOF_TOO_LARGE" };

function loadProof(path: string): LoadedProof {
  // the size is checked before the file is read, the proofB64 length before it is decoded or hashed
  const text = readText(path, PROOF_FILE_LIMIT).trim();
  if (text.startsWith("{")) {
    try {
      const { bundle, proofBytes } = parseBundle(text);
      return { bundle, proofBytes };
    } catch (e) {
      fail(e);
    }
  }
  if (text.length > MAX_PROOF_B64_LENGTH) {
    throw new AppError("STARK_PROOF_TOO_LARGE", `${path} holds more than ${MAX_PROOF_B64_LENGTH} base64 characters`);
  }
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined) throw new AppError("STARK_MALFORMED_PROOF", `${path} is neither a proof bundle nor base64`);
  return { proofBytes: bytes };
}

/** `verify`: prints VALID or INVALID: reason; returns false when invalid. */
export function verify(o: VerifyOptions): boolean {
  const loaded = loadProof(o.proof);
  let publicInputs: unknown;
  if (o.inputs !== undefined) publicInputs = readJson(o.inputs, INPUTS_LIMIT);
  if (loaded.bundle !== undefined) {
    if (publicInputs !== undefined) {
      // the separate inputs must be the bundle's (with or without the commitment)
      let given: CompliancePublicInputs;
      try {
        given = parsePublicInputs(publicInputs).inputs;
      } catch (e) {
        fail(e);
      }
      if (publicInputsHash(given) !== loaded.bundle.publicInputsHash) {
        out("INVALID: PUBLIC_INPUTS_MISMATCH (the inputs file differs from the bundle's)\n");
        return false;
      }
    }
    publicInputs = loaded.bundle.publicInputs;
  }
  if (publicInputs === undefined) throw new AppError("STARK_MISSING_INPUTS", "a raw proof needs --inputs");
  const commitment = o.witnessCommitmentHex ?? loaded.bundle?.witnessCommitmentHex;
  const verdict: ComplianceVerdict = verifyCompliance({
    proofBytes: loaded.proofBytes,
    publicInputs,
    expectedPolicy: o.policy,
    ...(commitment === undefined ? {} : { witnessCommitmentHex: commitment }),
  });
  if (!verdict.valid) {
    out(`INVALID: ${verdict.reason} (${verdict.detail})\n`);
    return false;
  }
  if (o.opening !== undefined) {
    try {
      const { inputs } = parsePublicInputs(publicInputs);
      checkOpening(readJson(o.opening, OPENING_LIMIT), inputs, commitment);
    } catch (e) {
      if (isStarkError(e)) {
        out(`INVALID: ${e.code} (${e.message})\n`);
        return false;
      }
      throw e;
    }
  }
  out("VALID\n");
  return true;
}

/**
 * `inspect`: sizes, hashes, options and security of a proof or bundle (never an amount). The whole proof is parsed
 * first: a header without the proof behind it is an error (exit 1), not a security figure.
 */
export function inspect(path: string): void {
  const loaded = loadProof(path);
  const bytes = loaded.proofBytes;
  const lines: [string, string][] = [];
  lines.push(["Format", loaded.bundle === undefined ? "Raw base64" : "ComplianceProofBundle JSON"]);
  lines.push(["Proof Size", `${bytes.length} bytes (limit ${MAX_PROOF_BYTES})`]);
  lines.push(["Proof Hash", bytesToHex(complianceProofHash(bytes))]);
  try {
    const o = deserializeProof(bytes).options;
    const p = deriveParams(o, TRACE_LENGTH);
    const levels = securityLevels(o, TRACE_LENGTH);
    const preset = PRESET_NAMES.find((name) => optionsEqual(PRESETS[name], o));
    lines.push(["Preset", preset ?? "none (not in the verifier's default allow-list)"]);
    lines.push([
      "Options",
      `queries ${o.numQueries}, blowup ${2 ** o.blowupLog2}, grinding ${o.grindingBits} bits, folding ${2 ** o.foldingLog2}, remainder ≤ ${2 ** o.remainderLog2}`,
    ]);
    lines.push(["Trace", `${TRACE_LENGTH} rows × ${TRACE_WIDTH} columns, ${NUM_CONSTRAINTS} constraints`]);
    lines.push(["Domains", `degree bound ${p.degreeBound}, LDE ${p.ldeSize}, ${p.numChunks} composition chunks`]);
    lines.push(["Conjectured Security", `${levels.conjectured} bits`]);
    lines.push([
      "Provable Security",
      `${levels.provable} bits (unique decoding ${levels.uniqueDecoding}, list decoding ${levels.listDecoding})`,
    ]);
  } catch (e) {
    fail(e);
  }
  const b = loaded.bundle;
  if (b !== undefined) {
    const pi = b.publicInputs;
    lines.push(["Bundle Hash", b.bundleHash]);
    lines.push(["Proof Version", String(b.proofVersion)]);
    lines.push(["Policy", `${pi.policyId} ${stringifyJsonExact(pi.policyParams)}`]);
    lines.push(["Policy Hash", pi.policyHash]);
    lines.push(["Event ID", pi.eventId]);
    lines.push(["Public Inputs Hash", b.publicInputsHash]);
    lines.push(["Bound Public Inputs Hash", b.boundPublicInputsHash]);
    lines.push(["Witness Commitment", b.witnessCommitmentHex]);
    lines.push(["Proving Time", `${b.metadata.proving_time_ms} ms`]);
    lines.push(["Prover Version", b.metadata.prover_version]);
  }
  out(lines.map(([k, v]) => `${k}: ${v}`).join("\n") + "\n");
}

function securityText(options: ProofOptions): string {
  const l = securityLevels(options, TRACE_LENGTH);
  return `${l.conjectured} bits conjectured, ${l.provable} bits provable (unique decoding ${l.uniqueDecoding}, list decoding ${l.listDecoding})`;
}

/** Options of `benchmark`. */
export interface BenchmarkOptions {
  readonly count: number;
  readonly maxAmount: bigint;
  readonly policy: Policy;
  /** The option preset (default: production). */
  readonly preset?: PresetName;
}

function randomBelow(bound: bigint): bigint {
  // bound ≥ 1; uniform enough for a benchmark
  const r = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  return r % bound;
}

/** `benchmark`: proves and verifies `count` random compliant amounts; prints average, min and max. */
export function benchmark(o: BenchmarkOptions): void {
  const cap = o.policy.id === "aml.threshold" ? rawLimit(o.policy) - 1n : rawLimit(o.policy);
  if (cap < 0n) throw new AppError("STARK_INVALID_THRESHOLD", "aml.threshold must be at least 1");
  const top = o.maxAmount < cap ? o.maxAmount : cap;
  const options = PRESETS[o.preset ?? "production"];
  // cli-progress loads only for a benchmark on a terminal, not with the CLI (issue 17).
  const bar = process.stderr.isTTY
    ? new (createRequire(__filename)("cli-progress") as typeof CliProgress).SingleBar({
        stream: process.stderr,
        format: "proving [{bar}] {value}/{total}",
      })
    : undefined;
  bar?.start(o.count, 0);
  const prove: number[] = [];
  const verifyMs: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < o.count; i++) {
    const amount = randomBelow(top + 1n);
    const inputs = randomPublicInputs(o.policy);
    const t0 = performance.now();
    const p = proveCompliance({ amount, publicInputs: inputs, options });
    const t1 = performance.now();
    const v = verifyCompliance({ proofBytes: p.proofBytes, publicInputs: p.publicInputs, expectedPolicy: o.policy });
    const t2 = performance.now();
    if (!v.valid) throw new AppError("STARK_BENCHMARK_INVALID", `benchmark proof ${i} did not verify: ${v.reason}`);
    prove.push(t1 - t0);
    verifyMs.push(t2 - t1);
    sizes.push(p.proofBytes.length);
    bar?.update(i + 1);
  }
  bar?.stop();
  const stats = (xs: number[]): string => {
    const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `avg ${avg.toFixed(2)}, min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}`;
  };
  const avgSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  out(
    [
      `runs: ${o.count} (${o.policy.id} ${rawLimit(o.policy)}, amounts ≤ ${top}, preset ${o.preset ?? "production"})`,
      `prove ms: ${stats(prove)}`,
      `verify ms: ${stats(verifyMs)}`,
      `proof bytes: avg ${avgSize.toFixed(0)} (${(avgSize / 1024).toFixed(1)} KB), min ${Math.min(...sizes)}, max ${Math.max(...sizes)}`,
      `security: ${securityText(options)}`,
    ].join("\n") + "\n",
  );
}
