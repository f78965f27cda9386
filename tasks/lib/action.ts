/**
 * Task actions print one clear line on failure instead of a stack trace: `error [CODE]: message` on stderr, and the
 * architecture's exit code (1 invalid input, 2 usage, 3 unreachable dependency). Hardhat's own errors keep Hardhat's
 * reporting.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** A usage error in a task's arguments (exit code 2). */
export class TaskUsageError extends Error {
  readonly code = "USAGE";
  readonly exitCode = 2;
}

/** Wraps a task action so expected failures end the process with a message and an exit code. */
export function cleanAction<A>(
  action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<void>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<void> {
  return async (args, hre) => {
    try {
      await action(args, hre);
    } catch (e) {
      if (process.env.VES_DEBUG === "1" || (e as { _isHardhatError?: boolean })._isHardhatError === true) throw e;
      const err = e as { code?: unknown; exitCode?: unknown; message?: unknown; shortMessage?: unknown };
      const code = typeof err.code === "string" ? ` [${err.code}]` : "";
      const message = typeof err.shortMessage === "string" ? err.shortMessage : String(err.message ?? e);
      process.stderr.write(`error${code}: ${message}\n`);
      process.exit(typeof err.exitCode === "number" ? err.exitCode : 1);
    }
  };
}
