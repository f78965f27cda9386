/**
 * The `ves-prover` command: runs the prover service until SIGINT/SIGTERM. Options are flags or `PROVER__*` variables
 * (secrets from the environment or `*_FILE` only). Exit codes: 0 stopped, 1 runtime failure, 2 bad configuration.
 */
import { Command, CommanderError, Option } from "commander";

import { describeOptions, flagName, isAppError } from "../../common";
import { PROVER_OPTIONS, resolveProverConfig } from "../config";
import type { ProverService } from "../service";

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runProverCli(
  argv: readonly string[],
  io: { stderr: (t: string) => void; env: NodeJS.ProcessEnv } = {
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  },
): Promise<number> {
  const program = new Command("ves-prover")
    .description(`the VES prover service\n\n${describeOptions("prover", PROVER_OPTIONS)}`)
    .exitOverride();
  for (const [name, spec] of Object.entries(PROVER_OPTIONS)) {
    if ("secret" in spec && spec.secret) continue;
    program.addOption(new Option(`${flagName(name)} <value>`, spec.description));
  }
  try {
    program.parse([...argv], { from: "user" });
  } catch (e) {
    // --help and --version end here with exit code 0; usage errors with commander's code (1), reported as 2
    return e instanceof CommanderError && e.exitCode === 0 ? 0 : 2;
  }
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(program.opts())) {
    const spec = PROVER_OPTIONS[k as keyof typeof PROVER_OPTIONS];
    flags[k] = spec?.type === "int" && typeof v === "string" && /^-?[0-9]+$/.test(v) ? Number(v) : v;
  }
  let prover: ProverService;
  try {
    const config = resolveProverConfig(flags, io.env);
    // The service (prom-client, the STARK prover) loads only when it runs: --help and usage errors stay light.
    const { ProverService: Service } = await import("../service");
    prover = new Service(config);
  } catch (e) {
    io.stderr(`ves-prover: ${(e as Error).message}\n`);
    return isAppError(e) ? 2 : 1;
  }
  try {
    await prover.start();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await prover.stop();
    return 0;
  } catch (e) {
    io.stderr(`ves-prover: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module || process.env.VES_CLI_ENTRY === "ves-prover") {
  runProverCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((e: unknown) => {
      process.stderr.write(`ves-prover: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}
