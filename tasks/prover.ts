/**
 * `npx hardhat prover:start`: runs the VES prover service in the Hardhat process (the same service as the `ves-prover`
 * bin; options from these flags and `PROVER__*` variables, secrets from the environment only). Ctrl-C stops it.
 */
import { task, types } from "hardhat/config";

import { cleanAction } from "./lib/action";

interface ProverStartArgs {
  sequencerUrl?: string;
  policyLimit?: string;
  port?: number;
}

task("prover:start", "Runs the VES prover service (PROVER__API_KEY: a key with the prover permission)")
  .addOptionalParam("sequencerUrl", "The sequencer's base URL", undefined, types.string)
  .addOptionalParam("policyLimit", "The policy's raw limit in minor units", undefined, types.string)
  .addOptionalParam("port", "Port of /health, /ready and /metrics", undefined, types.int)
  .setAction(
    cleanAction(async (args: ProverStartArgs) => {
      const { ProverService, resolveProverConfig } = await import("../offchain/prover");
      const flags: Record<string, unknown> = {};
      if (args.sequencerUrl !== undefined) flags.sequencerUrl = args.sequencerUrl;
      if (args.policyLimit !== undefined) flags.policyLimit = args.policyLimit;
      if (args.port !== undefined) flags.port = args.port;
      const prover = new ProverService(resolveProverConfig(flags));
      const url = await prover.start();
      console.error(`prover: metrics on ${url}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await prover.stop();
    }),
  );
