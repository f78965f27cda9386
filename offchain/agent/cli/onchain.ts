/**
 * The `verify --onchain` / `verify --all` branch of the `stateset-sync` CLI (offchain/agent/onchain.ts does the work):
 * the chain settings from the flags, the environment, `<home>/chain.json` or the devnet's defaults; the result as
 * human lines or JSON; exit code 1 on any failed step.
 */
import { ExitCode } from "../../common";
import type { Agent } from "../agent";
import { AgentError } from "../errors";
import {
  OnchainVerifier,
  formatOnchainResult,
  formatStreamResult,
  resolveChainSettings,
  type OnchainStreamResult,
  type OnchainVerifyResult,
} from "../onchain";

/** The options of `verify` that concern the chain. */
export interface OnchainVerifyOptions {
  readonly onchain?: boolean;
  readonly all?: boolean;
  readonly rpcUrl?: string;
  readonly registry?: string;
}

/** Runs an on-chain verification; returns the result, its human lines and the exit code. */
export async function runOnchainVerify(
  agent: Agent,
  eventId: string | undefined,
  opts: OnchainVerifyOptions,
  env: NodeJS.ProcessEnv,
  onProgress: (m: string) => void,
): Promise<{ result: OnchainVerifyResult | OnchainStreamResult; lines: string[]; code: number }> {
  if (opts.all === true && eventId !== undefined) {
    throw new AgentError("USAGE", "give an event id or --all, not both");
  }
  if (opts.all !== true && eventId === undefined) throw new AgentError("USAGE", "verify needs an event id (or --all)");
  const chain = resolveChainSettings(agent.paths, env, {
    ...(opts.rpcUrl === undefined ? {} : { rpcUrl: opts.rpcUrl }),
    ...(opts.registry === undefined ? {} : { registryAddress: opts.registry }),
  });
  const verifier = await OnchainVerifier.open(agent, { chain });
  try {
    if (opts.all === true) {
      const r = await verifier.verifyStream(onProgress);
      return { result: r, lines: formatStreamResult(r), code: r.ok ? 0 : ExitCode.INVALID };
    }
    const r = await verifier.verifyEvent(eventId!);
    return { result: r, lines: formatOnchainResult(r), code: r.ok ? 0 : ExitCode.INVALID };
  } finally {
    verifier.close();
  }
}
