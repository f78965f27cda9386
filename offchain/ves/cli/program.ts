/**
 * The `ves` command line (commander): argument parsing, help, and the mapping of failures to one stderr line and an
 * exit code (0 ok, 1 invalid input or proof, 2 usage). JSON results go to stdout.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";

import { AppError, ExitCode, isAppError } from "../../common";
import { hexToBytes, stringifyJsonExact } from "../index";
import { commitCommand, decryptCommand, inspectCommand, keygenCommand, type CommandResult } from "./commands";
import { processIo, type CliIo } from "./io";

const U64_MAX = (1n << 64n) - 1n;

function parseU64(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) > U64_MAX) {
    throw new InvalidArgumentError(`expected an integer in 0..2^64-1, got "${value}"`);
  }
  return BigInt(value);
}

function parseU32(value: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) > 0xffff_ffff) {
    throw new InvalidArgumentError(`expected an integer in 0..4294967295, got "${value}"`);
  }
  return Number(value);
}

function parseHex32(value: string): Uint8Array {
  try {
    return hexToBytes(value, { length: 32 });
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function buildProgram(io: CliIo, emit: (result: CommandResult) => void): Command {
  const program = new Command("ves")
    .description("Debug the VES v1 protocol: derived hashes, commitments, decryption, keys. JSON on stdout.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);

  program
    .command("inspect")
    .description("print every derived value of one envelope (hashes, signature check, stream id, leaf, receipt)")
    .argument("<event>", "envelope JSON file, or - for stdin")
    .option("--sequence <n>", "sequence number, to also print the leaf and receipt hashes", parseU64)
    .option("--public-key <hex>", "agent Ed25519 public key, to check the signature", parseHex32)
    .option("--strict", "apply VES_STRICT_FORMAT_VALIDATION (0x lowercase hex, unpadded base64url)")
    .action((file: string, opts: { sequence?: bigint; publicKey?: Uint8Array; strict?: boolean }) => {
      emit(inspectCommand(io, file, opts));
    });

  program
    .command("commit")
    .description("commit an array of envelopes as sequences N, N+1, ...: leaves, root, proofs and new state root")
    .argument("<events>", "JSON file holding an array of envelopes, or - for stdin")
    .requiredOption("--start <n>", "sequence number of the first envelope", parseU64)
    .option("--prev-state-root <hex>", "previous commitment's new_state_root (default: 32 zero bytes)", parseHex32)
    .option("--strict", "apply VES_STRICT_FORMAT_VALIDATION")
    .action((file: string, opts: { start: bigint; prevStateRoot?: Uint8Array; strict?: boolean }) => {
      emit(commitCommand(io, file, opts));
    });

  program
    .command("decrypt")
    .description("decrypt an encrypted envelope as one recipient and print its payload after all checks")
    .argument("<event>", "envelope JSON file, or - for stdin")
    .requiredOption("--recipient-kid <k>", "recipient key id in payload_encrypted.recipients", parseU32)
    .option("--secret-key-file <path>", "file with the X25519 secret key (hex or `ves keygen --x25519` JSON)")
    .option("--strict", "apply VES_STRICT_FORMAT_VALIDATION")
    .addHelpText("after", "\nWithout --secret-key-file the secret key is read from VES_SECRET_KEY (hex).")
    .action(async (file: string, opts: { recipientKid: number; secretKeyFile?: string; strict?: boolean }) => {
      emit(await decryptCommand(io, file, opts));
    });

  program
    .command("keygen")
    .description("generate a key pair as JSON: Ed25519 for signing, or X25519 with --x25519 for encryption")
    .option("--x25519", "generate an X25519 encryption key pair")
    .action((opts: { x25519?: boolean }) => {
      emit(keygenCommand(opts));
    });

  return program;
}

/** Runs the CLI on arguments (without `node` and the script) and returns the process exit code. */
export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  let failure: AppError | undefined;
  const program = buildProgram(io, (result) => {
    if (result.output !== undefined) io.out(`${stringifyJsonExact(result.output, 2)}\n`);
    failure = result.failure;
  });
  try {
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.USAGE;
    }
    await program.parseAsync([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help text).
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : ExitCode.USAGE;
    }
    failure = isAppError(e) ? e : new AppError("VES_INTERNAL", (e as Error).message ?? String(e));
  }
  if (failure === undefined) return 0;
  io.err(`ves: ${failure.message}\n`);
  return failure.exitCode;
}
