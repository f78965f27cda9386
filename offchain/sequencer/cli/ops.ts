/**
 * Operations subcommands of `stateset-sequencer` beyond `admin`'s registries (filled in by later deliverables).
 */
import type { Command } from "commander";

import type { OperatorContext } from "./context";
import type { CliIo } from "./main";

/** What the operations commands borrow from the main program. */
export interface OpsContext {
  readonly io: CliIo;
  readonly run: <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => void;
  readonly print: (value: unknown) => void;
  readonly withOperator: (cmd: Command, fn: (ctx: OperatorContext) => Promise<unknown>) => Promise<void>;
}

/** Adds the operations commands to `program` (and its `admin` command). */
export function registerOpsCommands(program: Command, admin: Command, ctx: OpsContext): void {
  void program;
  void admin;
  void ctx;
}
