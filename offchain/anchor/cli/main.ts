/**
 * `set-anchor`: runs the anchor service. Flags override `ANCHOR__*` environment variables, which override the
 * defaults; the signer's key and the sequencer's API key come only from the environment or `_FILE` variables. Logs
 * are JSON lines on stdout; SIGINT or SIGTERM stops it after the current cycle. Exit codes: 1 a failed preflight
 * (wrong chain, signer not authorized or unfunded, API key refused), 2 a bad configuration, 3 an unreachable L2 or
 * sequencer.
 */
import { Command, Option } from "commander";

import { describeOptions, flagName, isAppError } from "../../common";
import { ANCHOR_OPTIONS, resolveAnchorConfig } from "../config";

// The service (ethers, prom-client, better-sqlite3) loads when the service is started, not for `--help` or a usage
// error (issue 17).
const loadService = () => import("../service");

/** Where the CLI writes and what it reads (tests pass their own). */
export interface AnchorCliIo {
  readonly stderr: (text: string) => void;
  /** Where `--help` goes (default: process.stdout). */
  readonly stdout?: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process should stop (default: SIGINT or SIGTERM). */
  readonly stopSignal?: Promise<unknown>;
}

/** Runs the CLI; resolves with the exit code. */
export async function runAnchorCli(argv: readonly string[], io: AnchorCliIo): Promise<number> {
  const program = new Command("set-anchor")
    .description("Anchors the sequencer's commitments (and their batch proofs) in the SetRegistry on the L2")
    .exitOverride()
    .configureOutput({
      writeErr: (t) => io.stderr(t),
      writeOut: (t) => (io.stdout ?? ((text: string) => process.stdout.write(text)))(t),
    })
    .addHelpText(
      "after",
      `\nEvery option (flags override ANCHOR__* environment variables; secrets only from the environment):\n\n${describeOptions(
        "anchor",
        ANCHOR_OPTIONS,
      )}\n`,
    );
  for (const [name, opt] of Object.entries(ANCHOR_OPTIONS)) {
    if ("secret" in opt && opt.secret) continue;
    program.addOption(new Option(`${flagName(name)} <value>`, opt.description));
  }
  try {
    program.parse(["node", "set-anchor", ...argv]);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = program.opts<Record<string, string>>();
  const flags: Record<string, unknown> = {};
  for (const name of Object.keys(ANCHOR_OPTIONS)) if (opts[name] !== undefined) flags[name] = opts[name];
  try {
    const config = resolveAnchorConfig(flags, io.env);
    const { createAnchor } = await loadService();
    const service = createAnchor(config);
    await service.start();
    await (io.stopSignal ??
      new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      }));
    await service.stop();
    return 0;
  } catch (e) {
    const code = isAppError(e) ? e.code : "ANCHOR_INTERNAL";
    io.stderr(`error [${code}]: ${(e as Error).message}\n`);
    return isAppError(e) ? e.exitCode : 1;
  }
}

if (require.main === module || process.env.VES_CLI_ENTRY === "set-anchor") {
  // Loaded by bin/set-anchor: run and exit with the code.
  void runAnchorCli(process.argv.slice(2), { stderr: (t) => void process.stderr.write(t), env: process.env }).then(
    (code) => process.exit(code),
  );
}
