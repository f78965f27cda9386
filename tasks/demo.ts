/**
 * `npx hardhat demo` (also `ves:demo`, `npm run demo`, `./run-ves-demo.sh`): the whole VES system as a user deploys
 * it, every part a separate process through its real entry point — devnet, sequencer, prover (when present), anchor
 * service, four agents and an auditor through `stateset-sync` — ending with the auditor's on-chain verification and
 * a summary table. The orchestration lives in tasks/lib/demo/. Exit code 0 when every check passed, 1 otherwise.
 */
import { task, types } from "hardhat/config";

import { TaskUsageError, cleanAction } from "./lib/action";

interface DemoArgs {
  events: number;
  keepRunning: boolean;
  keep: boolean;
  postgres?: string;
  port: number;
}

async function demoAction(args: DemoArgs): Promise<void> {
  if (!Number.isInteger(args.events) || args.events < 4 || args.events > 10_000) {
    throw new TaskUsageError("--events must be an integer from 4 to 10000");
  }
  if (args.postgres !== undefined && !/^postgres(ql)?:\/\//.test(args.postgres)) {
    throw new TaskUsageError("--postgres must be a postgres:// URL");
  }
  const { runDemo } = await import("./lib/demo/run");
  process.exitCode = await runDemo({
    events: args.events,
    keepRunning: args.keepRunning || args.keep,
    port: args.port,
    ...(args.postgres === undefined ? {} : { postgres: args.postgres }),
  });
}

for (const name of ["demo", "ves:demo"]) {
  task(name, "Runs the whole VES flow as separate processes: devnet, sequencer, prover, anchor, agents, auditor")
    .addOptionalParam("events", "number of events the agents append (4..10000)", 24, types.int)
    .addFlag("keepRunning", "leave the services up after the demo and print how to reach each (Ctrl-C stops)")
    .addFlag("keep", "alias of --keep-running")
    .addOptionalParam(
      "postgres",
      "run the sequencer on this PostgreSQL database URL instead of SQLite",
      undefined,
      types.string,
    )
    .addOptionalParam("port", "devnet port (0 picks a free one)", 0, types.int)
    .setAction(cleanAction((args: DemoArgs) => demoAction(args)));
}
