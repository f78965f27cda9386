/**
 * The sequencer's configuration: every option with its default and `SEQUENCER__*` environment name, validated at
 * start-up. Secrets (the bootstrap admin API key, the receipt-signing key) come from the environment or files only.
 */
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

import { AppError, ExitCode, loadConfig, type ConfigOf, type OptionsSpec } from "../common";

/** Shortest accepted JWT secret, characters (ves-protocol.md §10). */
export const MIN_JWT_SECRET_LENGTH = 32;

const positive = (what: string) => (v: number) => (v > 0 ? undefined : `${what} must be positive`);

/** Every option of the sequencer. */
export const SEQUENCER_OPTIONS = {
  host: { type: "string", default: "127.0.0.1", description: "address to listen on" },
  port: {
    type: "int",
    default: 8080,
    description: "HTTP port (0 picks a free one)",
    check: (v: number) => (v >= 0 && v <= 65535 ? undefined : "port must be 0..65535"),
  },
  metricsHost: {
    type: "string",
    default: "127.0.0.1",
    description: "address of the Prometheus metrics listener (`GET /metrics`; the API port does not serve metrics)",
  },
  metricsPort: {
    type: "int",
    default: 9464,
    description: "port of the metrics listener (0 turns it off)",
    check: (v: number) => (v >= 0 && v <= 65535 ? undefined : "metricsPort must be 0..65535"),
  },
  shutdownTimeoutMs: {
    type: "int",
    default: 10_000,
    description:
      "on SIGTERM/SIGINT: in-flight requests get this long to finish (answered with `Connection: close`), then the " +
      "remaining connections are closed and the process exits",
    check: positive("shutdownTimeoutMs"),
  },
  dataDir: { type: "string", default: ".ves", description: "directory for the SQLite file and generated keys" },
  databaseUrl: {
    type: "string",
    description: "`postgres://…` for PostgreSQL, or `sqlite:PATH` / a file path; default: SQLite in the data dir",
    check: (v: string) =>
      /^postgres(ql)?:\/\//.test(v) || v.startsWith("sqlite:") || !v.includes("://")
        ? undefined
        : "must be postgres://…, sqlite:PATH or a file path",
  },
  adminApiKey: {
    type: "string",
    secret: true,
    description: "bootstrap admin API key; default: generated once into <dataDir>/admin-api-key (0600)",
    check: (v: string) => (v.length >= 16 ? undefined : "must be at least 16 characters"),
  },
  signingKey: {
    type: "string",
    secret: true,
    description: "receipt-signing Ed25519 seed (64 hex); default: generated once into <dataDir>/sequencer-signing-key",
    check: (v: string) => (/^(0x)?[0-9a-fA-F]{64}$/.test(v) ? undefined : "must be 32 bytes of hex"),
  },
  sequencerId: {
    type: "string",
    description:
      "stable sequencer id (UUID) in receipts; default: the id of this database's receipt keys (stable across key " +
      "rotations), else derived from the signing key",
    check: (v: string) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? undefined : "must be a UUID",
  },
  commitWorker: { type: "bool", default: true, description: "run the automatic commit worker" },
  commitMaxEvents: {
    type: "int",
    default: 128,
    description: "commit a stream when this many events are pending (also the largest commitment)",
    check: (v: number) => (v >= 1 && v <= 4096 ? undefined : "must be 1..4096"),
  },
  commitMaxWaitMs: {
    type: "int",
    default: 5000,
    description: "commit a stream when its oldest pending event has waited this long",
    check: positive("commitMaxWaitMs"),
  },
  commitIntervalMs: {
    type: "int",
    default: 500,
    description: "how often the worker looks",
    check: positive("interval"),
  },
  keyCacheMs: {
    type: "int",
    default: 2000,
    description: "agent-key cache lifetime; a revocation reaches every process within this time",
    check: (v: number) => (v >= 0 && v <= 5000 ? undefined : "must be 0..5000 ms"),
  },
  strictFormat: { type: "bool", default: false, description: "require 0x + lowercase hex and unpadded base64url" },
  verifyThreads: {
    type: "int",
    default: 0,
    description: "worker threads for signature checks of large requests (0: one per core)",
    check: (v: number) => (v >= 0 && v <= 64 ? undefined : "must be 0..64"),
  },
  logLevel: { type: "string", default: "info", description: "pino log level" },
  requestTimeoutMs: {
    type: "int",
    default: 30_000,
    description: "a request not answered within this time gets 504 (its work may still complete: retry as a replay)",
    check: positive("requestTimeoutMs"),
  },
  databasePoolSize: {
    type: "int",
    default: 10,
    description: "PostgreSQL connections per process",
    check: (v: number) => (v >= 1 && v <= 1000 ? undefined : "must be 1..1000"),
  },
  databaseTimeoutMs: {
    type: "int",
    default: 5000,
    description: "how long a request waits for a database connection (PostgreSQL) or lock (SQLite) before 503",
    check: positive("databaseTimeoutMs"),
  },
  sqliteSynchronous: {
    type: "string",
    default: "full",
    description:
      "SQLite durability: `full` fsyncs the WAL at every commit, so a receipt survives an OS crash or power loss as " +
      "it does on PostgreSQL; `normal` skips that fsync (receipts still survive the process being killed, but the " +
      "commits since the last checkpoint can roll back on power loss, and the sequence numbers of receipts already " +
      "issued could then be given to other events)",
    check: (v: string) => (v === "full" || v === "normal" ? undefined : "must be full or normal"),
  },
  rateLimitPerKey: {
    type: "int",
    default: 0,
    description: "requests per window for each API key without its own limit (0: unlimited)",
    check: (v: number) => (v >= 0 ? undefined : "must be 0 or more"),
  },
  rateLimitPerTenant: {
    type: "int",
    default: 0,
    description: "requests per window for all keys of a tenant together (0: unlimited)",
    check: (v: number) => (v >= 0 ? undefined : "must be 0 or more"),
  },
  rateLimitWindowSeconds: {
    type: "int",
    default: 60,
    description: "rate-limit window length",
    check: (v: number) => (v >= 1 && v <= 86_400 ? undefined : "must be 1..86400"),
  },
  rateLimitMode: {
    type: "string",
    default: "fixed",
    description:
      "`fixed` windows, or `sliding` (the previous window's count weighted by its remaining overlap); counters are " +
      "kept in the database, shared by every process on PostgreSQL",
    check: (v: string) => (v === "fixed" || v === "sliding" ? undefined : "must be fixed or sliding"),
  },
  schemaValidation: {
    type: "string",
    default: "enforce",
    description:
      "payload schemas: `enforce` rejects a plaintext event whose payload fails its event type's active schema " +
      "(`schema_validation`), `required` does the same and also rejects plaintext events whose type has no active " +
      "schema, `warn` only logs failures, `disabled` skips validation; encrypted payloads cannot be validated and " +
      "pass in every mode",
    check: (v: string) =>
      ["enforce", "required", "warn", "disabled"].includes(v)
        ? undefined
        : "must be enforce, required, warn or disabled",
  },
  jwtSecret: {
    type: "string",
    secret: true,
    description:
      "HS256 secret for `Authorization: Bearer <JWT>` credentials (at least 32 characters); unset: JWTs are refused",
    check: (v: string) =>
      v.length >= MIN_JWT_SECRET_LENGTH ? undefined : `must be at least ${MIN_JWT_SECRET_LENGTH} characters`,
  },
  jwtIssuer: { type: "string", default: "stateset-sequencer", description: "the `iss` every JWT must carry" },
  jwtAudience: { type: "string", default: "stateset-api", description: "the `aud` every JWT must name" },
  explorerChainRpcUrl: {
    type: "string",
    description:
      "a chain JSON-RPC URL the explorer page (`/explorer`) may call from the browser to check anchored roots on " +
      "SetRegistry (needs `explorerRegistryAddress`; the node must allow the page's origin, CORS)",
    check: (v: string) => (/^https?:\/\/[^\s]+$/.test(v) ? undefined : "must be an http(s) URL"),
  },
  explorerRegistryAddress: {
    type: "string",
    description: "the SetRegistry (proxy) address the explorer page reads anchored roots from",
    check: (v: string) => (/^0x[0-9a-fA-F]{40}$/.test(v) ? undefined : "must be 0x + 40 hex"),
  },
} satisfies OptionsSpec;

/** The loaded options. */
export type SequencerOptions = ConfigOf<typeof SEQUENCER_OPTIONS>;

/** The resolved configuration: options plus the secrets and derived values the service needs. */
export interface SequencerConfig extends SequencerOptions {
  /** `sqlite` file path or PostgreSQL URL. */
  readonly database:
    { readonly kind: "sqlite"; readonly file: string } | { readonly kind: "postgres"; readonly url: string };
  readonly adminApiKey: string;
  readonly signingSeed: Uint8Array;
  /**
   * The data-directory file the signing seed was generated into, or null when the seed is configured
   * (`SEQUENCER__SIGNING_KEY[_FILE]`); `admin receipt-key rotate` replaces that file.
   */
  readonly signingKeyFile: string | null;
}

/** The name of the generated receipt-signing seed in the data directory. */
export const SIGNING_KEY_FILE = "sequencer-signing-key";

/** Reads a secret from `file`, or creates it with `make()` and mode 0600. */
function persistedSecret(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const value = make();
  // Created exclusively at mode 0600 and never through a symlink: a link planted at the path (even a dangling one)
  // must not redirect the secret to a file of the planter's choosing, and no moment exists with wider permissions.
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    if (lstatSync(file).isSymbolicLink()) {
      throw new AppError("CONFIG_INVALID", `${file}: refusing to create a secret through a symbolic link`, {
        exitCode: ExitCode.USAGE,
      });
    }
    return readFileSync(file, "utf8").trim(); // another process created it first
  }
  try {
    writeSync(fd, `${value}\n`);
  } finally {
    closeSync(fd);
  }
  return value;
}

/**
 * Loads and resolves the configuration from flags, `SEQUENCER__*` environment variables and defaults.
 * @throws AppError `CONFIG_INVALID` listing every bad option.
 */
export function resolveSequencerConfig(
  flags: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): SequencerConfig {
  const o = loadConfig("sequencer", SEQUENCER_OPTIONS, flags, env);
  const dataDir = path.resolve(o.dataDir);
  const url = o.databaseUrl ?? `sqlite:${path.join(dataDir, "sequencer.db")}`;
  const database = /^postgres(ql)?:\/\//.test(url)
    ? ({ kind: "postgres", url } as const)
    : ({ kind: "sqlite", file: url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url } as const);
  if (database.kind === "postgres" && (o.adminApiKey === undefined || o.signingKey === undefined)) {
    // Several processes must share the same secrets: generated files would differ per machine.
    throw new AppError(
      "CONFIG_INVALID",
      "with PostgreSQL, set SEQUENCER__ADMIN_API_KEY and SEQUENCER__SIGNING_KEY (or their _FILE forms) explicitly",
      { exitCode: ExitCode.USAGE },
    );
  }
  const adminApiKey =
    o.adminApiKey ??
    persistedSecret(path.join(dataDir, "admin-api-key"), () => `ss_admin_${randomBytes(24).toString("base64url")}`);
  const signingKeyFile = o.signingKey === undefined ? path.join(dataDir, SIGNING_KEY_FILE) : null;
  const seedHex = o.signingKey ?? persistedSecret(signingKeyFile!, () => randomBytes(32).toString("hex"));
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(seedHex)) {
    throw new AppError("CONFIG_INVALID", `${signingKeyFile}: the receipt-signing key must be 32 bytes of hex`, {
      exitCode: ExitCode.USAGE,
    });
  }
  return {
    ...o,
    dataDir,
    database,
    adminApiKey,
    signingSeed: new Uint8Array(Buffer.from(seedHex.replace(/^0x/, ""), "hex")),
    signingKeyFile,
  };
}
