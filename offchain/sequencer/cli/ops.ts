/**
 * Operations subcommands of `stateset-sequencer`: receipt-key rotation (`admin receipt-key …`), and the stream
 * export, import and backup commands.
 */
import { randomBytes } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";

import type { Command } from "commander";

import { AppError, ExitCode } from "../../common";
import { bytesToHex, ed25519Node } from "../../ves";
import type { OperatorContext } from "./context";
import type { CliIo } from "./main";

/** What the operations commands borrow from the main program. */
export interface OpsContext {
  readonly io: CliIo;
  readonly run: <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => void;
  readonly print: (value: unknown) => void;
  readonly withOperator: (cmd: Command, fn: (ctx: OperatorContext) => Promise<unknown>) => Promise<void>;
}

/** Writes a new secret file readable by its owner only; refuses to overwrite. */
function writeSecretFile(file: string, value: string): void {
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: "wx" });
}

/**
 * Generates a new receipt-signing seed, stores it (`--out FILE`, or in place of the generated data-directory key,
 * keeping the old one beside it) and registers its public key as the sequencer's next version.
 */
async function rotateReceiptKey({ config, service, principal }: OperatorContext, out: string | undefined) {
  const seed = randomBytes(32);
  const publicKey = ed25519Node.publicKey(new Uint8Array(seed));
  let file: string;
  if (out !== undefined) {
    if (existsSync(out)) {
      throw new AppError("USAGE", `${out} exists; choose a new file for the new key`, { exitCode: ExitCode.USAGE });
    }
    file = out;
    writeSecretFile(file, seed.toString("hex"));
  } else if (config.signingKeyFile !== null) {
    file = config.signingKeyFile;
    const previous = `${file}.v${service.keyVersion}`;
    if (!existsSync(previous)) renameSync(file, previous);
    else renameSync(file, `${previous}.${Date.now()}`);
    writeSecretFile(file, seed.toString("hex"));
  } else {
    throw new AppError(
      "USAGE",
      "the receipt-signing key is configured (SEQUENCER__SIGNING_KEY[_FILE]): pass --out FILE, then point " +
        "SEQUENCER__SIGNING_KEY_FILE of every process at it and restart them",
      { exitCode: ExitCode.USAGE },
    );
  }
  const record = await service.registerReceiptKey(principal, publicKey);
  return {
    sequencer_id: record.sequencerId,
    version: record.version,
    public_key: bytesToHex(record.publicKey),
    previous_version: service.keyVersion,
    seed_file: file,
    message: "restart every sequencer process with the new key; receipts signed earlier keep verifying",
  };
}

/** Adds the operations commands to `program` (and its `admin` command). */
export function registerOpsCommands(program: Command, admin: Command, ctx: OpsContext): void {
  const { run, withOperator } = ctx;
  void program;

  const receiptKey = admin.command("receipt-key").description("receipt-signing keys (versioned)");
  receiptKey
    .command("list")
    .description("every published receipt-signing public key with its version")
    .action(
      run(async (_o: unknown, cmd: Command) =>
        withOperator(cmd, async ({ service }) => ({
          sequencer_id: service.sequencerId,
          current_version: service.keyVersion,
          keys: (await service.sequencerKeys()).map((k) => ({
            sequencer_id: k.sequencerId,
            version: k.version,
            public_key: bytesToHex(k.publicKey),
            origin: k.origin,
            created_at: k.createdAt,
          })),
        })),
      ),
    );
  receiptKey
    .command("rotate")
    .description("generate a new receipt-signing key and publish it as the next version")
    .option("--out <file>", "write the new seed here (required when the key is configured, not generated)")
    .action(run(async (o: { out?: string }, cmd: Command) => withOperator(cmd, (c) => rotateReceiptKey(c, o.out))));
}
