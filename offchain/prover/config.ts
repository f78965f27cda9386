/**
 * The prover service's configuration: every option with its default and `PROVER__*` environment name, validated at
 * start with every bad key reported at once (offchain/common `loadConfig`). Secrets — the sequencer API key (a key
 * with the `prover` permission) and the X25519 decryption key — come from the environment or `*_FILE` only, never
 * from a flag.
 */
import { AppError, ExitCode, loadConfig, type ConfigOf, type OptionsSpec } from "../common";
import type { Policy } from "../stark";

const positive = (what: string) => (v: number) => (v > 0 ? undefined : `${what} must be positive`);

/** Every option of the prover service. */
export const PROVER_OPTIONS = {
  sequencerUrl: {
    type: "string",
    default: "http://127.0.0.1:8080",
    description: "the sequencer's base URL",
    check: (v: string) => (/^https?:\/\/[^\s]+$/.test(v) ? undefined : "must be an http(s) URL"),
  },
  apiKey: {
    type: "string",
    secret: true,
    description: "an API key with the `prover` permission (created by the sequencer's bootstrap admin)",
    check: (v: string) => (v.length >= 16 ? undefined : "must be at least 16 characters"),
  },
  proverId: {
    type: "string",
    default: "ves-prover",
    description: "this prover's id in leases (letters, digits, . _ : -)",
    check: (v: string) => (/^[A-Za-z0-9._:-]{1,128}$/.test(v) ? undefined : "must be 1-128 of A-Z a-z 0-9 . _ : -"),
  },
  policyId: {
    type: "string",
    default: "aml.threshold",
    description: "the policy proven (aml.threshold or order_total.cap)",
    check: (v: string) =>
      v === "aml.threshold" || v === "order_total.cap" ? undefined : "must be aml.threshold or order_total.cap",
  },
  policyLimit: {
    type: "string",
    description: "the policy's raw limit in minor units (required)",
    check: (v: string) => (/^[0-9]{1,20}$/.test(v) && BigInt(v) < 1n << 64n ? undefined : "must be a u64"),
  },
  currency: {
    type: "string",
    default: "USD",
    description: "ISO 4217 currency of the policy's limit (amounts in another currency are out of scope)",
    check: (v: string) => (/^[A-Z]{3}$/.test(v) ? undefined : "must be an ISO 4217 code such as EUR"),
  },
  perEvent: {
    type: "bool",
    default: false,
    description: "also prove each compliant in-scope event on its own (compliance proofs) besides the batch proof",
  },
  x25519SecretKey: {
    type: "string",
    secret: true,
    description: "the X25519 secret key (64 hex) this prover decrypts VES-ENC-1 payloads with",
    check: (v: string) => (/^[0-9a-fA-F]{64}$/.test(v) ? undefined : "must be 32 bytes of hex"),
  },
  kid: { type: "int", default: 1, description: "the recipient key id of that key", check: positive("kid") },
  jobs: { type: "int", default: 2, description: "commitments proven at once", check: positive("jobs") },
  threads: {
    type: "int",
    default: -1,
    description:
      "worker threads proofs run on (-1: one per job up to the cores; 0: the main thread, which then stalls lease " +
      "renewals and /health while it proves)",
    check: (v: number) => (v >= -1 && v <= 64 ? undefined : "must be -1..64"),
  },
  leaseMs: {
    type: "int",
    default: 60_000,
    description: "lease length on a commitment (ms)",
    check: positive("leaseMs"),
  },
  pollMs: { type: "int", default: 2_000, description: "pause between polls when idle (ms)", check: positive("pollMs") },
  host: { type: "string", default: "127.0.0.1", description: "address of /health, /ready and /metrics" },
  port: {
    type: "int",
    default: 9091,
    description: "port of /health, /ready and /metrics (0 picks a free one)",
    check: (v: number) => (v >= 0 && v <= 65535 ? undefined : "port must be 0..65535"),
  },
  logLevel: { type: "string", default: "info", description: "pino log level" },
} as const satisfies OptionsSpec;

/** The loaded options. */
export type ProverOptions = ConfigOf<typeof PROVER_OPTIONS>;

/** The resolved configuration. */
export interface ProverConfig extends Omit<ProverOptions, "apiKey" | "x25519SecretKey" | "policyLimit"> {
  readonly apiKey: string;
  readonly policy: Policy;
  /** Null: this prover reads plaintext payloads only. */
  readonly x25519SecretKey: Uint8Array | null;
}

/**
 * Resolves the configuration from flags and the environment.
 * @throws AppError CONFIG_INVALID (exit code 2) naming every bad or missing option.
 */
export function resolveProverConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): ProverConfig {
  const o = loadConfig("prover", PROVER_OPTIONS, flags, env);
  const missing: string[] = [];
  if (o.apiKey === undefined) missing.push("PROVER__API_KEY (or PROVER__API_KEY_FILE) is required");
  if (o.policyLimit === undefined) missing.push("PROVER__POLICY_LIMIT (or --policy-limit) is required");
  if (missing.length > 0) {
    throw new AppError("CONFIG_INVALID", `invalid configuration:\n  ${missing.join("\n  ")}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  const { apiKey, x25519SecretKey, policyLimit, ...rest } = o;
  return {
    ...rest,
    apiKey: apiKey as string,
    policy:
      o.policyId === "aml.threshold"
        ? { id: "aml.threshold", threshold: BigInt(policyLimit as string) }
        : { id: "order_total.cap", cap: BigInt(policyLimit as string) },
    x25519SecretKey: x25519SecretKey === undefined ? null : new Uint8Array(Buffer.from(x25519SecretKey, "hex")),
  };
}
