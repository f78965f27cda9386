/**
 * The anchor service's configuration: every option with its default and `ANCHOR__*` environment name, validated at
 * start-up with every bad key reported at once. The signer's private key and the sequencer's API key are secrets:
 * from the environment or a `_FILE` only, never from a flag.
 */
import os from "node:os";
import { randomBytes } from "node:crypto";

import { AppError, ExitCode, envName, isAppError, loadConfig, type ConfigOf, type OptionsSpec } from "../common";

const positive = (what: string) => (v: number) => (v > 0 ? undefined : `${what} must be positive`);
const nonNegative = (what: string) => (v: number) => (v >= 0 ? undefined : `${what} must be 0 or more`);
const httpUrl = (v: string) => (/^https?:\/\/[^\s]+$/.test(v) ? undefined : "must be an http:// or https:// URL");
const wei = (v: string) => (/^[0-9]{1,40}$/.test(v) ? undefined : "must be a whole number of wei");

/** Every option of the anchor service. */
export const ANCHOR_OPTIONS = {
  rpcUrl: { type: "string", default: "http://127.0.0.1:8545", description: "JSON-RPC URL of the L2", check: httpUrl },
  chainId: {
    type: "int",
    default: 84532001,
    description: "expected chain id of the L2 (checked at start-up)",
    check: positive("chainId"),
  },
  registryAddress: {
    type: "string",
    description: "SetRegistry address; default: the devnet's Ignition record for the chain id",
    check: (v: string) => (/^0x[0-9a-fA-F]{40}$/.test(v) ? undefined : "must be a 0x-prefixed 20-byte address"),
  },
  signerKey: {
    type: "string",
    secret: true,
    description: "private key (32 bytes of hex) of an authorized sequencer account that signs the transactions",
    check: (v: string) => (/^(0x)?[0-9a-fA-F]{64}$/.test(v) ? undefined : "must be 32 bytes of hex"),
  },
  sequencerUrl: {
    type: "string",
    default: "http://127.0.0.1:8080",
    description: "base URL of the sequencer",
    check: httpUrl,
  },
  sequencerApiKey: {
    type: "string",
    secret: true,
    description: "the sequencer's bootstrap admin API key (its anchoring routes require it)",
    check: (v: string) => (v.length >= 16 ? undefined : "must be at least 16 characters"),
  },
  proofs: {
    type: "bool",
    default: true,
    description: "anchor batch proofs (commitBatchWithStarkProof, or commitStarkProof when a proof comes late)",
  },
  proofApiUrl: {
    type: "string",
    description: "base URL serving the proof routes; default: the sequencer URL",
    check: httpUrl,
  },
  proofWaitMs: {
    type: "int",
    default: 60_000,
    description: "how long after a commitment was made to wait for its batch proof before anchoring it without one",
    check: nonNegative("proofWaitMs"),
  },
  stateFile: {
    type: "string",
    default: ".ves/anchor.db",
    description: "SQLite file of the service's progress",
    check: (v: string) => (v.length > 0 ? undefined : "must not be empty"),
  },
  host: {
    type: "string",
    default: "127.0.0.1",
    description: "address of the health/metrics listener",
    check: (v: string) => (v.length > 0 ? undefined : "must not be empty"),
  },
  port: {
    type: "int",
    default: 9090,
    description: "port of the health/metrics listener (`/health`, `/ready`, `/metrics`, `/stats`; 0 picks one)",
    check: (v: number) => (v >= 0 && v <= 65535 ? undefined : "port must be 0..65535"),
  },
  intervalMs: { type: "int", default: 5000, description: "pause between cycles", check: positive("intervalMs") },
  confirmations: {
    type: "int",
    default: 2,
    description: "blocks (including the transaction's own) before a transaction is reported to the sequencer",
    check: positive("confirmations"),
  },
  reorgWindowBlocks: {
    type: "int",
    default: 64,
    description: "how deep a reported anchor is still watched for a reorganisation",
    check: nonNegative("reorgWindowBlocks"),
  },
  maxFeePerGasWei: {
    type: "string",
    default: "0",
    description: "gas-price ceiling: no transaction is sent (or bumped) above this maxFeePerGas; 0 turns it off",
    check: wei,
  },
  minBalanceWei: {
    type: "string",
    default: "1000000000000000",
    description: "the signer must hold at least this much at start-up",
    check: wei,
  },
  stuckAfterMs: {
    type: "int",
    default: 60_000,
    description: "a transaction still unmined after this long is replaced with higher fees",
    check: positive("stuckAfterMs"),
  },
  feeBumpPercent: {
    type: "int",
    default: 25,
    description: "fee increase of a replacement transaction (at least 10, the nodes' minimum)",
    check: (v: number) => (v >= 10 && v <= 1000 ? undefined : "must be 10..1000"),
  },
  rpcTimeoutMs: { type: "int", default: 10_000, description: "timeout of one RPC request", check: positive("rpc") },
  httpTimeoutMs: {
    type: "int",
    default: 10_000,
    description: "timeout of one sequencer request",
    check: positive("httpTimeoutMs"),
  },
  breakerThreshold: {
    type: "int",
    default: 5,
    description: "consecutive RPC failures that open the circuit breaker",
    check: positive("breakerThreshold"),
  },
  breakerResetMs: {
    type: "int",
    default: 30_000,
    description: "how long an open breaker waits before letting a probe through",
    check: positive("breakerResetMs"),
  },
  backoffBaseMs: {
    type: "int",
    default: 1000,
    description: "first retry delay of a failing stream (doubling, with jitter)",
    check: positive("backoffBaseMs"),
  },
  backoffMaxMs: {
    type: "int",
    default: 300_000,
    description: "longest retry delay of a failing stream",
    check: positive("backoffMaxMs"),
  },
  maxSendsPerCycle: {
    type: "int",
    default: 64,
    description: "at most this many transactions are sent per cycle (one per stream)",
    check: positive("maxSendsPerCycle"),
  },
  pendingLimit: {
    type: "int",
    default: 1000,
    description: "commitments fetched per cycle",
    check: (v: number) => (v >= 1 && v <= 5000 ? undefined : "must be 1..5000"),
  },
  logLookbackBlocks: {
    type: "int",
    default: 100_000,
    description: "on a fresh state file, the log scan starts this many blocks below the head",
    check: nonNegative("logLookbackBlocks"),
  },
  logChunkBlocks: {
    type: "int",
    default: 2000,
    description: "blocks per eth_getLogs request",
    check: positive("logChunkBlocks"),
  },
  leaseMs: {
    type: "int",
    default: 30_000,
    description: "length of the anchor lease held through the sequencer (one anchor per sequencer)",
    check: (v: number) => (v >= 1000 ? undefined : "must be at least 1000"),
  },
  holderId: {
    type: "string",
    description: "this process's lease holder id; default: host-pid-random",
    check: (v: string) => (v.length > 0 && v.length <= 128 ? undefined : "must be 1..128 characters"),
  },
  logLevel: {
    type: "string",
    default: "info",
    description: "pino log level",
    check: (v: string) =>
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(v) ? undefined : "not a pino level",
  },
} satisfies OptionsSpec;

/** The options spec's type. */
export type AnchorOptions = typeof ANCHOR_OPTIONS;

/** The resolved configuration (derived values filled in). */
export type AnchorConfig = Omit<
  ConfigOf<AnchorOptions>,
  "holderId" | "proofApiUrl" | "signerKey" | "sequencerApiKey"
> & {
  holderId: string;
  proofApiUrl: string;
  signerKey: string;
  sequencerApiKey: string;
};

/**
 * Loads the configuration from flags (keyed by option name), `ANCHOR__*` variables and defaults.
 * @throws AppError `CONFIG_INVALID` (exit code 2) listing every bad option, including missing secrets.
 */
export function resolveAnchorConfig(
  flags: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): AnchorConfig {
  // 1. Required secrets, reported together with every other bad key.
  const errors: string[] = [];
  for (const name of ["signerKey", "sequencerApiKey"] as const) {
    const key = envName("anchor", name);
    if (flags[name] === undefined && !env[key] && !env[`${key}_FILE`])
      errors.push(`${key} (or ${key}_FILE) is required`);
  }
  // 2. Everything else.
  let raw: ConfigOf<AnchorOptions> | undefined;
  try {
    raw = loadConfig("anchor", ANCHOR_OPTIONS, flags, env);
  } catch (e) {
    if (!isAppError(e, "CONFIG_INVALID")) throw e;
    errors.unshift(...e.message.split("\n  - ").slice(1));
  }
  if (raw === undefined || errors.length > 0) {
    throw new AppError("CONFIG_INVALID", `invalid anchor configuration:\n  - ${errors.join("\n  - ")}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  return {
    ...raw,
    signerKey: raw.signerKey as string,
    sequencerApiKey: raw.sequencerApiKey as string,
    holderId:
      (raw.holderId as string | undefined) ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    proofApiUrl: (raw.proofApiUrl ?? raw.sequencerUrl).replace(/\/+$/, ""),
    sequencerUrl: raw.sequencerUrl.replace(/\/+$/, ""),
  };
}
