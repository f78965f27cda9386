/**
 * Where the SetRegistry lives: Ignition writes `deploy/deployments/chain-<id>/deployed_addresses.json`; every consumer
 * reads the address from there (or takes an explicit one) and checks that contract code exists at it before use.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { AppError, ExitCode } from "./errors";

/** Ignition future id of the registry (the ABI bound to the proxy) in `deploy/modules/SetRegistry.ts`. */
export const REGISTRY_FUTURE_ID = "SetRegistryModule#SetRegistry";

/** Chain id of the local L2 devnet (the reference's Set L2 id). */
export const DEVNET_CHAIN_ID = 84532001n;

/**
 * Folder of Ignition's deployment for a chain: `deploy/deployments/chain-<id>` under the project, or under
 * `VES__DEPLOYMENTS_DIR` when that is set (tests use it to keep away from a developer's running devnet).
 */
export function deploymentDir(projectRoot: string, chainId: bigint): string {
  const root = process.env.VES__DEPLOYMENTS_DIR ?? path.join(projectRoot, "deploy", "deployments");
  return path.join(root, `chain-${chainId}`);
}

/**
 * Reads the registry address recorded by Ignition for `chainId`.
 * @throws AppError `REGISTRY_NOT_DEPLOYED` when no deployment is recorded, `REGISTRY_BAD_DEPLOYMENT` when the file is
 * unreadable or lacks the registry.
 */
export function readRegistryAddress(projectRoot: string, chainId: bigint): string {
  const file = path.join(deploymentDir(projectRoot, chainId), "deployed_addresses.json");
  if (!existsSync(file)) {
    throw new AppError(
      "REGISTRY_NOT_DEPLOYED",
      `no SetRegistry deployment recorded for chain ${chainId} (${file} is missing); start the devnet with ` +
        "`npx hardhat devnet` or pass the registry address explicitly",
      { exitCode: ExitCode.UNREACHABLE },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new AppError("REGISTRY_BAD_DEPLOYMENT", `${file} is not valid JSON`, { cause });
  }
  const address = (parsed as Record<string, unknown> | null)?.[REGISTRY_FUTURE_ID];
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new AppError("REGISTRY_BAD_DEPLOYMENT", `${file} has no address for ${REGISTRY_FUTURE_ID}`);
  }
  return address;
}
