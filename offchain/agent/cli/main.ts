/**
 * Entry point of the `stateset-sync` bin (bin/stateset-sync loads this file through sucrase): runs the CLI on the
 * process arguments and sets the exit code.
 */
import { runCli } from "./program";

void runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`stateset-sync: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
