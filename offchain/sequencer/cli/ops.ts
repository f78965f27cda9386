/**
 * Operations subcommands of `stateset-sequencer`: receipt-key rotation (`admin receipt-key …`), and the stream
 * export, import and backup commands.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";

import type { Command } from "commander";

import { AppError, ExitCode } from "../../common";
import { bytesToHex, ed25519Node } from "../../ves";
import type { OperatorContext } from "./context";
import { intArg, uuidArg } from "./main";
import type { CliIo } from "./main";

/** The stream transfer code (and the server modules it uses), loaded by the commands that run it. */
const loadTransfer = () => import("../events/transfer");
const loadImport = () => import("../events/import");

/** What the operations commands borrow from the main program. */
export interface OpsContext {
  readonly io: CliIo;
  readonly run: <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => void;
  readonly print: (value: unknown) => void;
  readonly withOperator: (cmd: Command, fn: (ctx: OperatorContext) => Promise<unknown>) => Promise<void>;
  /** Opens an operator context without printing (the caller closes it). */
  readonly open: (cmd: Command) => Promise<OperatorContext>;
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

/** `admin receipt-key list|rotate`. */
function registerReceiptKeyCommands(admin: Command, ctx: OpsContext): void {
  const { run, withOperator } = ctx;

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

/** `export`, `backup` and `import` of streams and databases. */
function registerTransferCommands(program: Command, ctx: OpsContext): void {
  const { run, withOperator } = ctx;
  const ctxOpen = ctx.open;
  program
    .command("export")
    .description("write a stream (events, receipts, commitments, the keys to verify them) as JSON lines")
    .requiredOption("--tenant <uuid>", "tenant id")
    .requiredOption("--store <uuid>", "store id")
    .option("--from <n>", "first sequence number", "1")
    .option("--out <file>", "write here (default: stdout, with no summary)")
    .action(
      run(async (o: { tenant: string; store: string; from: string; out?: string }, cmd: Command) => {
        const stream = { tenantId: uuidArg(o.tenant, "--tenant"), storeId: uuidArg(o.store, "--store") };
        const from = BigInt(intArg(o.from, "--from"));
        if (o.out === undefined) {
          const { exportStream } = await loadTransfer();
          const c = await ctxOpen(cmd);
          try {
            await exportStream(c.service, c.principal, stream, from, ctx.io.stdout);
          } finally {
            await c.close();
          }
          return;
        }
        const out = o.out;
        await withOperator(cmd, async (c) => {
          const { exportStream } = await loadTransfer();
          const fd = openSync(out, "wx", 0o600);
          try {
            const summary = await exportStream(c.service, c.principal, stream, from, (t) => void writeSync(fd, t));
            return {
              file: out,
              tenant_id: summary.tenantId,
              store_id: summary.storeId,
              from: summary.from,
              events: summary.events,
              commitments: summary.commitments,
              head_sequence: summary.headSequence,
            };
          } finally {
            closeSync(fd);
          }
        });
      }),
    );

  program
    .command("backup")
    .description("write a consistent online copy of the SQLite database (PostgreSQL: use pg_dump, see the README)")
    .argument("<path>", "the new backup file (must not exist)")
    .action(
      run(async (file: string, _o: unknown, cmd: Command) =>
        withOperator(cmd, async (c) => {
          const r = await c.store.backup(file);
          await c.service.audit(c.principal, "database.backup", null, file, { bytes: r.bytes });
          return { file, bytes: r.bytes, database: c.store.kind };
        }),
      ),
    );

  program
    .command("import")
    .description(
      "verify an export completely (signatures, hashes, receipts, commitments) and append it to this database",
    )
    .argument("<file>", "an export written by `stateset-sequencer export` (- for stdin)")
    .action(
      run(async (file: string, _o: unknown, cmd: Command) =>
        withOperator(cmd, async (c) => {
          const text = readFileSync(file === "-" ? 0 : file, "utf8");
          const { importStream } = await loadImport();
          const s = await importStream(c.service, c.principal, text);
          return {
            tenant_id: s.tenantId,
            store_id: s.storeId,
            from: s.from,
            events: s.events,
            commitments: s.commitments,
            anchored: s.anchored,
            head_sequence: s.headSequence,
          };
        }),
      ),
    );
}

/** Adds the operations commands to `program` (and its `admin` command). */
export function registerOpsCommands(program: Command, admin: Command, ctx: OpsContext): void {
  registerReceiptKeyCommands(admin, ctx);
  registerTransferCommands(program, ctx);
}
