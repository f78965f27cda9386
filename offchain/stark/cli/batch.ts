/**
 * Batch sub-commands of the `ves-stark` CLI (stark-reference.md §5, without the reference's experimental flag):
 * batch-prove (random events or the events of a commitment as the sequencer's pull route returns them),
 * batch-verify, sequencer (a chain of batches from genesis, one bundle per batch plus a final state file) and
 * chain-verify (a directory of batch proofs checked end to end: every proof, one stream, contiguous sequences and
 * each prev_state_root equal to the previous new_state_root). Machine output on stdout, notes on stderr; exit 1 for
 * an invalid proof or chain, 2 for usage. Nothing prints an amount or a blinding value.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { type Command, InvalidArgumentError, Option } from "commander";

import { AppError } from "../../common";
import { buildCommitment, bytesToHex, hexToBytes, leafHash, stringifyJsonExact } from "../../ves";
import {
  type BatchCommitmentRecord,
  type BatchEventInputs,
  type BatchProofBundle,
  type BatchStatement,
  type BatchVerdict,
  type BatchWitness,
  type PulledEvent,
  buildBatchStatement,
  proveBatch,
  verifyBatch,
} from "../batch";
import { isStarkError } from "../errors";
import { commitmentToHex, randomBlinding } from "../opening";
import {
  POLICY_IDS,
  type Policy,
  effectiveLimit,
  policyFromLimit,
  policyHashHex,
  policyParams,
  rawLimit,
} from "../policy";
import { commitAmount } from "../poseidon2";
import { PRESETS, PRESET_NAMES, type PresetName } from "../security";
import { err, out, readJson, writePublic } from "./io";

const GENESIS = "00".repeat(32);
/** Batch bundles and event files: up to 1,024 events of a few KB each. */
const BATCH_LIMIT = { maxBytes: 16 * 1024 * 1024 };
const STATE_FILE = "final_state.json";
const STATE_VERSION = 1;

function fail(e: unknown): never {
  if (isStarkError(e)) throw new AppError(`STARK_${e.code}`, e.message);
  throw e;
}

function policyOf(id: string, limit: bigint): Policy {
  try {
    return policyFromLimit(id, limit);
  } catch (e) {
    fail(e);
  }
}

function randomBelow(bound: bigint): bigint {
  if (bound <= 0n) return 0n;
  const r = BigInt(`0x${randomBytes(8).toString("hex")}`);
  return r % bound;
}

/** A batch of random signed-looking events (random signing hashes and signatures) with committed amounts. */
function randomBatch(o: {
  readonly amounts: readonly bigint[];
  readonly policy: Policy;
  readonly currency: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceStart: bigint;
  readonly prevStateRoot: string;
}): { statement: BatchStatement; witness: BatchWitness; commitment: BatchCommitmentRecord } {
  const events: BatchEventInputs[] = [];
  const openings: BatchWitness["openings"][number][] = [];
  o.amounts.forEach((amount, i) => {
    const blinding = randomBlinding();
    events.push({
      sequenceNumber: (o.sequenceStart + BigInt(i)).toString(),
      eventId: randomUUID(),
      eventType: "order.created",
      scope: "in_scope",
      reason: "none",
      amountCommitment: commitmentToHex(commitAmount(amount, blinding)),
      eventSigningHash: randomBytes(32).toString("hex"),
      agentSignature: randomBytes(64).toString("hex"),
    });
    openings.push({ amount, blinding });
  });
  const c = buildCommitment({
    tenantId: o.tenantId,
    storeId: o.storeId,
    sequenceStart: o.sequenceStart,
    leaves: events.map((e) =>
      leafHash({
        tenantId: o.tenantId,
        storeId: o.storeId,
        sequenceNumber: BigInt(e.sequenceNumber),
        eventSigningHash: hexToBytes(e.eventSigningHash),
        agentSignature: hexToBytes(e.agentSignature),
      }),
    ),
    prevStateRoot: hexToBytes(o.prevStateRoot),
  });
  const batchId = randomUUID();
  const statement: BatchStatement = {
    version: 1,
    batchId,
    tenantId: o.tenantId,
    storeId: o.storeId,
    sequenceStart: o.sequenceStart.toString(),
    sequenceEnd: c.sequenceEnd.toString(),
    policyId: o.policy.id,
    policyParams: policyParams(o.policy),
    policyHash: policyHashHex(o.policy),
    policyLimit: rawLimit(o.policy).toString(),
    effectiveLimit: effectiveLimit(o.policy).toString(),
    currency: o.currency,
    merkleRoot: bytesToHex(c.merkleRoot),
    prevStateRoot: o.prevStateRoot,
    newStateRoot: bytesToHex(c.newStateRoot),
    events,
  };
  return { statement, witness: { openings }, commitment: commitmentOf(statement) };
}

/** The commitment record a statement claims (for self-consistency checks when no record is given). */
function commitmentOf(st: BatchStatement): BatchCommitmentRecord {
  return {
    batch_id: st.batchId,
    tenant_id: st.tenantId,
    store_id: st.storeId,
    merkle_root: st.merkleRoot,
    prev_state_root: st.prevStateRoot,
    new_state_root: st.newStateRoot,
    sequence_start: st.sequenceStart,
    sequence_end: st.sequenceEnd,
  };
}

function statementOfUnknown(bundle: unknown): BatchStatement {
  const st = (bundle as { statement?: unknown } | null)?.statement;
  if (typeof st !== "object" || st === null)
    throw new AppError("STARK_INVALID_BUNDLE", "the file is not a batch bundle");
  return st as BatchStatement;
}

function report(bundle: BatchProofBundle): void {
  const m = bundle.metadata;
  err(
    `batch ${bundle.statement.batchId}: ${m.num_events} events (${bundle.claim.inScopeCount} in scope, ` +
      `${bundle.claim.compliantCount} compliant), all compliant: ${bundle.claim.allCompliant}\n` +
      `  proving time ${m.proving_time_ms} ms, proof ${m.proof_size} bytes, trace ${m.trace_length} × ${m.trace_width}, ` +
      `${m.security_bits} bits conjectured / ${m.provable_security_bits} provable\n` +
      `  state root ${bundle.statement.prevStateRoot.slice(0, 16)}… → ${bundle.statement.newStateRoot.slice(0, 16)}…\n`,
  );
}

function bundleText(bundle: BatchProofBundle): string {
  return `${stringifyJsonExact(bundle, 2)}\n`;
}

/** `batch-prove`. */
export function batchProve(o: {
  numEvents: number;
  events?: string;
  policy: Policy;
  currency: string;
  preset: PresetName;
  output?: string;
}): void {
  let statement: BatchStatement;
  let witness: BatchWitness;
  if (o.events !== undefined) {
    const file = readJson(o.events, BATCH_LIMIT) as { commitment?: unknown; events?: unknown } | null;
    if (
      typeof file !== "object" ||
      file === null ||
      !Array.isArray(file.events) ||
      typeof file.commitment !== "object"
    ) {
      throw new AppError("STARK_CLI_EVENTS", `${o.events} must hold {"commitment": {...}, "events": [...]}`);
    }
    try {
      ({ statement, witness } = buildBatchStatement({
        commitment: file.commitment as BatchCommitmentRecord,
        events: file.events as PulledEvent[],
        policy: o.policy,
        currency: o.currency,
      }));
    } catch (e) {
      fail(e);
    }
  } else {
    const limit = effectiveLimit(o.policy);
    const amounts = Array.from({ length: o.numEvents }, () => randomBelow(limit + 1n));
    ({ statement, witness } = randomBatch({
      amounts,
      policy: o.policy,
      currency: o.currency,
      tenantId: randomUUID(),
      storeId: randomUUID(),
      sequenceStart: 1n,
      prevStateRoot: GENESIS,
    }));
  }
  let bundle: BatchProofBundle;
  try {
    bundle = proveBatch(statement, witness, PRESETS[o.preset]);
  } catch (e) {
    fail(e);
  }
  report(bundle);
  if (o.output === undefined) out(bundleText(bundle));
  else writePublic(o.output, bundleText(bundle));
}

function verdictLine(v: BatchVerdict): string {
  return v.valid
    ? `VALID: batch ${v.batchId}, ${v.numEvents} events, ${v.compliantCount}/${v.inScopeCount} compliant, ` +
        `all compliant: ${v.allCompliant}\n`
    : `INVALID: ${v.reason} (${v.detail})\n`;
}

/** `batch-verify`: true if valid. */
export function batchVerify(o: { proof: string; commitment?: string; policy: Policy; currency?: string }): boolean {
  const bundle = readJson(o.proof, BATCH_LIMIT);
  let commitment: BatchCommitmentRecord;
  if (o.commitment !== undefined) {
    commitment = readJson(o.commitment, BATCH_LIMIT) as BatchCommitmentRecord;
    if (typeof commitment !== "object" || commitment === null) {
      throw new AppError("STARK_CLI_COMMITMENT", `${o.commitment} must hold a commitment record`);
    }
  } else {
    err("ves-stark: no --commitment given: checking the proof against the commitment its own statement names\n");
    commitment = commitmentOf(statementOfUnknown(bundle));
  }
  const v = verifyBatch(bundle, {
    commitment,
    policy: o.policy,
    ...(o.currency === undefined ? {} : { currency: o.currency }),
  });
  out(verdictLine(v));
  return v.valid;
}

/** `sequencer`: proves a chain of batches from genesis. */
export function sequencer(o: {
  numEvents: number;
  batchSize: number;
  policy: Policy;
  currency: string;
  includeViolations: boolean;
  outputDir?: string;
  preset: PresetName;
}): void {
  if (o.outputDir !== undefined) mkdirSync(o.outputDir, { recursive: true });
  const tenantId = randomUUID();
  const storeId = randomUUID();
  const limit = effectiveLimit(o.policy);
  let prev = GENESIS;
  let next = 1n;
  let batches = 0;
  let totalMs = 0;
  let totalBytes = 0;
  for (let done = 0; done < o.numEvents; done += o.batchSize) {
    const size = Math.min(o.batchSize, o.numEvents - done);
    const amounts = Array.from({ length: size }, (_, i) => {
      const seq = next + BigInt(i);
      // with --include-violations every 5th sequence number is over the limit (stark-reference.md §5)
      if (o.includeViolations && seq % 5n === 4n && limit < (1n << 64n) - 1001n) return limit + 1n + randomBelow(1000n);
      return randomBelow(limit + 1n);
    });
    const b = randomBatch({
      amounts,
      policy: o.policy,
      currency: o.currency,
      tenantId,
      storeId,
      sequenceStart: next,
      prevStateRoot: prev,
    });
    let bundle: BatchProofBundle;
    try {
      bundle = proveBatch(b.statement, b.witness, PRESETS[o.preset]);
    } catch (e) {
      fail(e);
    }
    const v = verifyBatch(bundle, { commitment: b.commitment, policy: o.policy, currency: o.currency });
    if (!v.valid) throw new AppError("STARK_BATCH_SELF_CHECK", `batch ${batches}: own proof rejected (${v.reason})`);
    report(bundle);
    if (o.outputDir !== undefined) {
      writePublic(join(o.outputDir, `batch_${String(batches).padStart(4, "0")}.json`), bundleText(bundle));
    }
    totalMs += bundle.metadata.proving_time_ms;
    totalBytes += bundle.metadata.proof_size;
    prev = b.statement.newStateRoot;
    next += BigInt(size);
    batches++;
  }
  const state = {
    version: STATE_VERSION,
    tenantId,
    storeId,
    finalStateRoot: prev,
    lastSequence: (next - 1n).toString(),
    totalEvents: o.numEvents,
    totalBatches: batches,
  };
  if (o.outputDir !== undefined) writePublic(join(o.outputDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  err(`${batches} batches, ${o.numEvents} events: proving ${totalMs} ms in total, ${totalBytes} proof bytes\n`);
  out(`${JSON.stringify(state)}\n`);
}

/** Why a chain of batch bundles is not valid, or null (first failure). */
export function chainProblem(bundles: readonly unknown[], policy: Policy, state?: unknown): string | null {
  if (bundles.length === 0) return "EMPTY_CHAIN: no batch proofs";
  let prev: BatchStatement | undefined;
  for (const [i, bundle] of bundles.entries()) {
    let st: BatchStatement;
    try {
      st = statementOfUnknown(bundle);
    } catch {
      return `INVALID_BUNDLE: batch ${i} is not a batch bundle`;
    }
    const v = verifyBatch(bundle, { commitment: commitmentOf(st), policy });
    if (!v.valid) return `${v.reason}: batch ${i} (${v.detail})`;
    if (prev === undefined) {
      if (st.prevStateRoot !== GENESIS) return `NOT_FROM_GENESIS: batch 0 does not start from the zero state root`;
    } else {
      if (st.tenantId !== prev.tenantId || st.storeId !== prev.storeId) {
        return `STREAM_CHANGE: batch ${i} is in another stream (tenant or store) than batch ${i - 1}`;
      }
      if (BigInt(st.sequenceStart) !== BigInt(prev.sequenceEnd) + 1n) {
        return `SEQUENCE_GAP: batch ${i} starts at ${st.sequenceStart}, not ${BigInt(prev.sequenceEnd) + 1n}`;
      }
      if (st.prevStateRoot !== prev.newStateRoot) {
        return `BROKEN_STATE_LINK: batch ${i}'s prev_state_root is not batch ${i - 1}'s new_state_root`;
      }
    }
    prev = st;
  }
  if (state !== undefined && prev !== undefined) {
    const s = state as Record<string, unknown> | null;
    if (
      typeof s !== "object" ||
      s === null ||
      s.finalStateRoot !== prev.newStateRoot ||
      s.totalBatches !== bundles.length ||
      s.tenantId !== prev.tenantId ||
      s.storeId !== prev.storeId
    ) {
      return `STATE_MISMATCH: ${STATE_FILE} does not match the last batch`;
    }
  }
  return null;
}

/** `chain-verify DIR`: true if the chain is valid. */
export function chainVerify(dir: string, policy: Policy): boolean {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => /^batch_[0-9]+\.json$/.test(n))
      .sort();
  } catch (e) {
    throw new AppError("STARK_CLI_READ", `cannot read ${dir}: ${(e as Error).message}`);
  }
  const bundles = names.map((n) => readJson(join(dir, n), BATCH_LIMIT));
  let state: unknown;
  if (readdirSync(dir).includes(STATE_FILE)) state = readJson(join(dir, STATE_FILE), { maxBytes: 64 * 1024 });
  const problem = chainProblem(bundles, policy, state);
  if (problem !== null) {
    out(`INVALID: ${problem}\n`);
    return false;
  }
  const last = statementOfUnknown(bundles.at(-1));
  out(`VALID: ${bundles.length} batches, sequences 1..${last.sequenceEnd}, final state root ${last.newStateRoot}\n`);
  return true;
}

// COMMANDS
// ================================================================================================

function parseCount(max: number) {
  return (value: string): number => {
    if (!/^[1-9][0-9]{0,6}$/.test(value) || Number(value) > max) {
      throw new InvalidArgumentError(`expected a count in 1..${max}, got "${value}"`);
    }
    return Number(value);
  };
}

function parseU64(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) >= 1n << 64n) {
    throw new InvalidArgumentError(`expected an integer in 0..2^64-1, got "${value}"`);
  }
  return BigInt(value);
}

function parseCurrency(value: string): string {
  if (!/^[A-Z]{3}$/.test(value)) throw new InvalidArgumentError("expected an ISO 4217 code such as USD");
  return value;
}

const policyOption = (): Option =>
  new Option("-p, --policy <id>", "policy id").choices([...POLICY_IDS]).default("aml.threshold");
const limitOption = (): Option =>
  new Option("-l, --limit <n>", "policy limit: the aml threshold (amount < n) or the cap (amount ≤ n)")
    .argParser(parseU64)
    .default(10000n, "10000");
const currencyOption = (): Option =>
  new Option("--currency <code>", "currency of the limit (amounts in others are out of scope)")
    .argParser(parseCurrency)
    .default("USD");
const presetOption = (): Option =>
  new Option("--preset <name>", "proof options").choices([...PRESET_NAMES]).default("production");

/** Adds the batch sub-commands to the program; `setFailed` marks an invalid proof or chain (exit 1). */
export function addBatchCommands(program: Command, setFailed: () => void): void {
  program
    .command("batch-prove")
    .description("prove the compliance of every event of a batch (random events, or a commitment's events)")
    .option("-n, --num-events <n>", "number of random events (1..1024)", parseCount(1024), 8)
    .option("-e, --events <file>", 'JSON {"commitment": {...}, "events": [...]} as the sequencer returns them')
    .addOption(limitOption())
    .addOption(policyOption())
    .addOption(currencyOption())
    .addOption(presetOption())
    .option("-o, --output <file>", "write the bundle to a file instead of stdout")
    .action(
      (o: {
        numEvents: number;
        events?: string;
        limit: bigint;
        policy: string;
        currency: string;
        preset: PresetName;
        output?: string;
      }) => {
        batchProve({ ...o, policy: policyOf(o.policy, o.limit) });
      },
    );

  program
    .command("batch-verify")
    .description("verify a batch proof bundle; prints VALID or INVALID: reason")
    .requiredOption("-f, --proof <file>", "batch bundle JSON, or - for stdin")
    .option("-c, --commitment <file>", "the commitment record to check against (the sequencer's REST form)")
    .addOption(limitOption())
    .addOption(policyOption())
    .option("--currency <code>", "require this currency", parseCurrency)
    .action((o: { proof: string; commitment?: string; limit: bigint; policy: string; currency?: string }) => {
      if (!batchVerify({ ...o, policy: policyOf(o.policy, o.limit) })) setFailed();
    });

  program
    .command("sequencer")
    .description("simulate a chain of batches from genesis: prove, verify, chain each new_state_root")
    .option("-n, --num-events <n>", "total events", parseCount(1_000_000), 16)
    .option("-b, --batch-size <n>", "events per batch (1..1024)", parseCount(1024), 8)
    .addOption(limitOption())
    .addOption(policyOption())
    .addOption(currencyOption())
    .option("--include-violations", "make every 5th event exceed the limit", false)
    .option("-o, --output-dir <dir>", "write batch_NNNN.json per batch and final_state.json")
    .addOption(presetOption())
    .action(
      (o: {
        numEvents: number;
        batchSize: number;
        limit: bigint;
        policy: string;
        currency: string;
        includeViolations: boolean;
        outputDir?: string;
        preset: PresetName;
      }) => {
        sequencer({ ...o, policy: policyOf(o.policy, o.limit) });
      },
    );

  program
    .command("chain-verify")
    .description("verify a directory of batch proofs end to end (proofs, stream, sequences, state-root links)")
    .argument("<dir>", "directory with batch_NNNN.json files (and optionally final_state.json)")
    .addOption(limitOption())
    .addOption(policyOption())
    .action((dir: string, o: { limit: bigint; policy: string }) => {
      if (!chainVerify(dir, policyOf(o.policy, o.limit))) setFailed();
    });
}
