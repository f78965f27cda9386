/**
 * `stateset-sequencer`: with no subcommand it runs the sequencer. Flags override `SEQUENCER__*` environment
 * variables, which override the defaults; secrets come only from the environment or `_FILE` variables. Logs are JSON
 * lines on stdout; SIGINT or SIGTERM stops it gracefully.
 *
 * Operator subcommands work on the database directly, through the store, with the same configuration (so they need
 * no running server): `admin …` (tenants, stores, API keys, receipt keys, audit log), `export`, `import` and
 * `backup`. They print JSON on stdout and are recorded in the audit log as `cli:<user>`.
 */
import os from "node:os";

import { Command, Option } from "commander";

import { AppError, ExitCode, describeOptions, flagName, isAppError } from "../../common";
import { normalizeUuid, stringifyJsonExact, type ExactJsonValue } from "../../ves";
import { SEQUENCER_OPTIONS, resolveSequencerConfig } from "../config";
import type { OperatorContext } from "./context";
import { registerAdminCommands } from "./admin";
import { registerOpsCommands } from "./ops";

// The server, the store drivers (pg, better-sqlite3), fastify, ajv and prom-client load only inside the command that
// needs them: `--help` and usage errors start without them (issue 17).
const loadServer = () => import("../server");
const loadContext = () => import("./context");

/** Where the CLI writes, and the environment it reads (tests pass their own). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
};

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** A UUID argument, normalized. @throws AppError USAGE. */
export function uuidArg(value: string | undefined, what: string): string {
  if (value === undefined || !UUID_RE.test(value)) {
    throw new AppError("USAGE", `${what} must be a UUID, got ${JSON.stringify(value ?? "")}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  return normalizeUuid(value);
}

/** A positive integer argument. @throws AppError USAGE. */
export function intArg(value: string | undefined, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = value === undefined ? NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new AppError("USAGE", `${what} must be an integer from ${min} to ${max}`, { exitCode: ExitCode.USAGE });
  }
  return n;
}

/** The configuration flags given to a (sub)command, keyed by option name. */
export function configFlags(cmd: Command): Record<string, unknown> {
  const all = cmd.optsWithGlobals();
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SEQUENCER_OPTIONS)) {
    const v = all[name] as unknown;
    if (v !== undefined) out[name] = v === true ? "true" : v;
  }
  return out;
}

/** Builds the command tree; `run` collects the action's promise so `runCli` can await it. */
function buildProgram(io: CliIo, actions: Promise<void>[]): Command {
  const program = new Command("stateset-sequencer")
    .description(
      "VES v1 sequencer: signed ingest, gap-free ordering, commitments, inclusion proofs. With no subcommand, " +
        "runs the server.",
    )
    .addHelpText(
      "after",
      `\nEvery option (flags override SEQUENCER__* environment variables; secrets only from the environment):\n\n${describeOptions(
        "sequencer",
        SEQUENCER_OPTIONS,
      )}\n`,
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride();
  for (const [name, spec] of Object.entries(SEQUENCER_OPTIONS)) {
    if ("secret" in spec && spec.secret) continue;
    const flag = flagName(name);
    const opt =
      spec.type === "bool"
        ? new Option(`${flag} [bool]`, spec.description).argParser((v) => v ?? "true")
        : new Option(`${flag} <${spec.type === "int" ? "n" : "value"}>`, spec.description);
    program.addOption(opt);
  }
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    (...args: A) => {
      actions.push(fn(...args));
    };

  program.action(
    run(async () => {
      const config = resolveSequencerConfig(configFlags(program), io.env);
      const { createSequencer } = await loadServer();
      const sequencer = await createSequencer(config);
      await sequencer.start();
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await sequencer.stop();
    }),
  );

  const print = (value: unknown) => io.stdout(`${stringifyJsonExact(value as ExactJsonValue)}\n`);
  const open = async (cmd: Command) => {
    const config = resolveSequencerConfig(configFlags(cmd), io.env);
    const { openSequencerService } = await loadContext();
    return openSequencerService(config, operatorName());
  };
  const withOperator = async (cmd: Command, fn: (ctx: OperatorContext) => Promise<unknown>) => {
    const ctx = await open(cmd);
    try {
      print(await fn(ctx));
    } finally {
      await ctx.close();
    }
  };

  const admin = program.command("admin").description("administer tenants, stores, API keys and receipt keys");
  const ctx = { io, run, print, withOperator, open };
  registerAdminCommands(admin, ctx);
  registerOpsCommands(program, admin, ctx);
  return program;
}

/** The operating-system user, for the audit log. */
function operatorName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}

/**
 * Runs the CLI on `argv` (without the node and script names) and returns the exit code: 0 success, 1 a failure of
 * the action, 2 a usage or configuration error, 3 an unreachable database or busy port.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const actions: Promise<void>[] = [];
  const program = buildProgram(io, actions);
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    await Promise.all(actions);
    return 0;
  } catch (e) {
    const commanderCode = (e as { code?: unknown }).code;
    if (typeof commanderCode === "string" && commanderCode.startsWith("commander.")) {
      const code = (e as { exitCode?: number }).exitCode ?? 2;
      return code === 0 ? 0 : ExitCode.USAGE;
    }
    // A SequencerError comes only from the service, so its module is already loaded when one is thrown.
    const sequencerError =
      isAppError(e) && e.name === "SequencerError" ? (await import("../errors")).SequencerError : null;
    if (sequencerError !== null && e instanceof sequencerError) {
      io.stderr(`stateset-sequencer: ${e.code}: ${e.message}\n`);
      return e.status >= 500 ? ExitCode.INVALID : e.status === 400 ? ExitCode.USAGE : ExitCode.INVALID;
    }
    if (isAppError(e)) {
      io.stderr(`stateset-sequencer: ${e.message}\n`);
      return e.exitCode;
    }
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "ECONNREFUSED" || code === "ENOTFOUND") {
      io.stderr(`stateset-sequencer: ${(e as Error).message}\n`);
      return ExitCode.UNREACHABLE;
    }
    throw e;
  }
}

/** Parses `argv`, runs the command and exits with its code. */
export async function main(argv: readonly string[]): Promise<void> {
  process.exit(await runCli(argv));
}

if (require.main === module || process.env.VES_CLI_ENTRY === "stateset-sequencer") {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`stateset-sequencer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
