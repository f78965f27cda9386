/**
 * `npx hardhat sequencer:start`: runs the VES sequencer in the Hardhat process (the same service as the
 * `stateset-sequencer` bin; configuration from these flags and `SEQUENCER__*` variables). Ctrl-C stops it.
 */
import { task, types } from "hardhat/config";

import { cleanAction } from "./lib/action";

interface SequencerStartArgs {
  port?: number;
  dataDir?: string;
  databaseUrl?: string;
  noCommitWorker: boolean;
}

task("sequencer:start", "Runs the VES sequencer (SQLite in .ves/ by default, or SEQUENCER__DATABASE_URL)")
  .addOptionalParam("port", "HTTP port", undefined, types.int)
  .addOptionalParam("dataDir", "Data directory for SQLite and generated keys", undefined, types.string)
  .addOptionalParam("databaseUrl", "postgres://… or sqlite:PATH", undefined, types.string)
  .addFlag("noCommitWorker", "Do not commit pending events automatically")
  .setAction(
    cleanAction(async (args: SequencerStartArgs) => {
      const { createSequencer, resolveSequencerConfig } = await import("../offchain/sequencer");
      const flags: Record<string, unknown> = {};
      if (args.port !== undefined) flags.port = args.port;
      if (args.dataDir !== undefined) flags.dataDir = args.dataDir;
      if (args.databaseUrl !== undefined) flags.databaseUrl = args.databaseUrl;
      if (args.noCommitWorker) flags.commitWorker = false;
      const sequencer = await createSequencer(resolveSequencerConfig(flags));
      const url = await sequencer.start();
      console.error(`sequencer: listening on ${url}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await sequencer.stop();
    }),
  );
