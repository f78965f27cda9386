/**
 * `stateset-sequencer`: runs the sequencer. Flags override `SEQUENCER__*` environment variables, which override the
 * defaults; secrets come only from the environment or `_FILE` variables. Logs are JSON lines on stdout; SIGINT or
 * SIGTERM stops it gracefully.
 */
import { Command, Option } from "commander";

import { describeOptions, flagName, isAppError } from "../../common";
import { SEQUENCER_OPTIONS, createSequencer, resolveSequencerConfig } from "..";

/** Parses argv, starts the sequencer and waits for a signal. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command("stateset-sequencer")
    .description("VES v1 sequencer: signed ingest, gap-free ordering, commitments, inclusion proofs")
    .addHelpText(
      "after",
      `\nEvery option (flags override SEQUENCER__* environment variables; secrets only from the environment):\n\n${describeOptions(
        "sequencer",
        SEQUENCER_OPTIONS,
      )}\n`,
    )
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
  try {
    program.parse(argv as string[], { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode ?? 2;
    process.exit(code === 0 ? 0 : 2);
  }
  const flags = Object.fromEntries(Object.entries(program.opts()).map(([k, v]) => [k, v === true ? "true" : v]));
  try {
    const config = resolveSequencerConfig(flags);
    const sequencer = await createSequencer(config);
    await sequencer.start();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await sequencer.stop();
  } catch (e) {
    if (isAppError(e)) {
      process.stderr.write(`stateset-sequencer: ${e.message}\n`);
      process.exit(e.exitCode);
    }
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "ECONNREFUSED" || code === "ENOTFOUND") {
      process.stderr.write(`stateset-sequencer: ${(e as Error).message}\n`);
      process.exit(3);
    }
    throw e;
  }
}

if (require.main === module || process.env.VES_CLI_ENTRY === "stateset-sequencer") {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`stateset-sequencer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
