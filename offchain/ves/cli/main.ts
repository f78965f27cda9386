/**
 * Entry point of the `ves` bin (bin/ves loads this file through ts-node): runs the CLI on the process arguments and
 * sets the exit code.
 */
import { runCli } from "./program";

void runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`ves: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
