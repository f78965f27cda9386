/**
 * Entry point of the `ves-stark` bin (bin/ves-stark loads this file through ts-node): runs the CLI on the process
 * arguments and sets the exit code.
 */
import { runCli } from "./program";

process.exitCode = runCli(process.argv.slice(2));
