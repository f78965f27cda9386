/**
 * The `ves-stark` command line (commander): gen-inputs, prove, verify, inspect, benchmark. Failures print one line
 * to stderr and exit 1 (invalid input or proof) or 2 (usage); `verify` prints INVALID: reason on stdout and exits 1.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";

import { AppError, ExitCode, isAppError } from "../../common";
import { POLICY_IDS } from "../policy";
import { PRESET_NAMES, type PresetName } from "../security";
import { PROVER_VERSION } from "../bundle";
import { amountFromFile, benchmark, cliPolicy, genInputs, inspect, parseAmount, prove, verify } from "./commands";
import { addBatchCommands } from "./batch";
import { err } from "./io";

const U64_MAX = (1n << 64n) - 1n;

function parseU64(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) > U64_MAX) {
    throw new InvalidArgumentError(`expected an integer in 0..2^64-1, got "${value}"`);
  }
  return BigInt(value);
}

function parseCount(value: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value)) throw new InvalidArgumentError(`expected a count in 1..999999, got "${value}"`);
  return Number(value);
}

function parseHex64(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new InvalidArgumentError("expected 64 lowercase hex characters");
  return value;
}

function usage(message: string): AppError {
  return new AppError("STARK_CLI_USAGE", message, { exitCode: ExitCode.USAGE });
}

/**
 * The amount of `prove`, from --amount-file (the documented way) or -a/--amount (kept for compatibility, with a
 * warning). No message ever contains the amount or the text it was read from.
 */
function proveAmount(o: { amount?: string; amountFile?: string; inputs?: string }): bigint {
  if (o.amount !== undefined && o.amountFile !== undefined) throw usage("give either --amount-file or -a/--amount");
  if (o.amountFile !== undefined) {
    if (o.amountFile === "-" && o.inputs === "-") throw usage("--amount-file and --inputs cannot both read stdin");
    return amountFromFile(o.amountFile);
  }
  if (o.amount === undefined) throw usage("the amount is required: --amount-file PATH (or - for stdin)");
  err(
    "ves-stark: warning: -a/--amount puts the amount in the process arguments, visible to other local users " +
      "(ps, /proc) and kept in shell history; use --amount-file PATH or --amount-file - (stdin)\n",
  );
  const amount = parseAmount(o.amount);
  if (amount === undefined) throw usage("-a/--amount must be a decimal integer in 0..2^64-1");
  return amount;
}

const policyOption = (): Option =>
  new Option("-p, --policy <id>", "policy id").choices([...POLICY_IDS]).default("aml.threshold");
const presetOption = (): Option =>
  new Option(
    "--preset <name>",
    "proof options: production (102 bits conjectured), high-security, or high-provable (≥ 100 bits provable; slower, bigger)",
  )
    .choices([...PRESET_NAMES])
    .default("production");
const limitOption = (): Option =>
  new Option("-l, --limit <n>", "policy limit: the aml threshold (amount < n) or the cap (amount ≤ n)")
    .argParser(parseU64)
    .makeOptionMandatory();

function buildProgram(setFailed: () => void): Command {
  const program = new Command("ves-stark")
    .description("Prove and verify per-event compliance (amount vs policy limit) with a zero-knowledge STARK")
    .version(PROVER_VERSION, "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true);

  program
    .command("gen-inputs")
    .description("print random CompliancePublicInputs for a policy (random UUIDs, zero payload hashes)")
    .addOption(limitOption())
    .addOption(policyOption())
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action((o: { limit: bigint; policy: string; output?: string }) => {
      genInputs(cliPolicy(o.policy, o.limit), o.output);
    });

  program
    .command("prove")
    .description("prove that an amount satisfies the policy; prints the proof as base64, or the bundle with --json")
    .option("--amount-file <path>", "file holding the private amount (a decimal u64), or - for stdin")
    .option("-a, --amount <n>", "the private amount on the command line (visible to other users: prefer --amount-file)")
    .addOption(limitOption())
    .addOption(policyOption())
    .option("-i, --inputs <file>", "public inputs JSON (default: random inputs for the policy)")
    .option("-o, --output <file>", "write the proof or bundle to a file")
    .option("--json", "print a ComplianceProofBundle instead of base64")
    .option("--opening <file>", "write the commitment opening (amount and blinding; mode 0600) to this file")
    .addOption(presetOption())
    .action(
      (o: {
        amount?: string;
        amountFile?: string;
        limit: bigint;
        policy: string;
        inputs?: string;
        output?: string;
        json?: boolean;
        opening?: string;
        preset: PresetName;
      }) => {
        const { amount: _text, amountFile: _file, ...rest } = o;
        prove({ ...rest, amount: proveAmount(o), policy: cliPolicy(o.policy, o.limit) });
      },
    );

  program
    .command("verify")
    .description("verify a proof bundle or a base64 proof; prints VALID or INVALID: reason")
    .requiredOption("-f, --proof <file>", "bundle JSON or base64 proof file, or - for stdin")
    .addOption(limitOption())
    .addOption(policyOption())
    .option("-i, --inputs <file>", "public inputs JSON (required for a base64 proof)")
    .option("--witness-commitment-hex <hex>", "the witness commitment (else the inputs' witnessCommitment)", parseHex64)
    .option("--opening <file>", "also check that this opening artifact opens the commitment")
    .action(
      (o: {
        proof: string;
        limit: bigint;
        policy: string;
        inputs?: string;
        witnessCommitmentHex?: string;
        opening?: string;
      }) => {
        if (!verify({ ...o, policy: cliPolicy(o.policy, o.limit) })) setFailed();
      },
    );

  program
    .command("inspect")
    .description("print sizes, hashes, options and the conjectured and provable security bits of a proof or bundle")
    .requiredOption("-f, --proof <file>", "bundle JSON or base64 proof file, or - for stdin")
    .action((o: { proof: string }) => {
      inspect(o.proof);
    });

  program
    .command("benchmark")
    .description("prove and verify random compliant amounts; prints average, min and max times and sizes")
    .option("-n, --count <n>", "number of proofs", parseCount, 10)
    .addOption(new Option("-m, --max-amount <n>", "largest random amount").argParser(parseU64).default(10000n, "10000"))
    .addOption(new Option("-l, --limit <n>", "policy limit").argParser(parseU64).default(10000n, "10000"))
    .addOption(policyOption())
    .addOption(presetOption())
    .action((o: { count: number; maxAmount: bigint; limit: bigint; policy: string; preset: PresetName }) => {
      benchmark({ count: o.count, maxAmount: o.maxAmount, policy: cliPolicy(o.policy, o.limit), preset: o.preset });
    });

  addBatchCommands(program, setFailed);
  return program;
}

/** Runs the CLI on arguments (without `node` and the script) and returns the exit code. */
export function runCli(args: readonly string[]): number {
  let invalid = false;
  const program = buildProgram(() => {
    invalid = true;
  });
  try {
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.USAGE;
    }
    program.parse([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help"
        ? 0
        : ExitCode.USAGE;
    }
    const failure = isAppError(e) ? e : new AppError("STARK_INTERNAL", e instanceof Error ? e.message : String(e));
    process.stderr.write(`ves-stark: ${failure.message}\n`);
    return failure.exitCode;
  }
  return invalid ? ExitCode.INVALID : 0;
}
