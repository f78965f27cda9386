/**
 * The agent's home (`.stateset/` of the working directory, `--home DIR` or `STATESET_HOME`) and its configuration
 * file `sync.json`: loaded with every key checked (an unknown key is an error, not silently ignored), saved with mode
 * 0600, edited through a fixed set of `config set` keys. Secrets never live in it: API keys come from the
 * environment or from files it names.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

import { isUuid, normalizeUuid, validateAmountFields } from "../ves";
import { AgentError, NOT_CONFIGURED_MESSAGE } from "./errors";
import { GUARDRAIL_SETTABLE_KEYS, checkGuardrails, setGuardrailValue, type McpGuardrails } from "./mcp/settings";

/** A named recipient of encrypted payloads: its key id in `payload_encrypted.recipients` and X25519 public key. */
export interface RecipientConfig {
  readonly name: string;
  readonly kid: number;
  /** 64 lowercase hex characters. */
  readonly x25519: string;
}

/** Push tuning. */
export interface SyncSettings {
  /** Events per ingest request (1..1000). */
  readonly batchSize: number;
  /** Attempts after the first one for a request that fails with a transport error, a 5xx or a 429. */
  readonly maxRetries: number;
  /** First backoff delay; doubled per attempt up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Per-request timeout. */
  readonly requestTimeoutMs: number;
}

/** Key settings. */
export interface KeySettings {
  /** After `keys:rotate`, how long the old signing key stays valid before it is revoked on the sequencer. */
  readonly rotationGraceSeconds: number;
}

/** The content of `sync.json`. */
export interface SyncConfig {
  readonly version: 1;
  readonly sequencerUrl: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly agentId: string;
  /** A file holding the agent's API key (read and write on its stream); `STATESET_API_KEY` wins. */
  readonly apiKeyFile: string | null;
  /** A file holding a tenant-admin API key for key registration, revocation and schema publishing. */
  readonly adminApiKeyFile: string | null;
  readonly recipients: readonly RecipientConfig[];
  /** Extensions of the amount-field table (`offchain/ves` AMOUNT_FIELDS): event type or `<prefix>.*` → field. */
  readonly amountFields: Readonly<Record<string, string>>;
  readonly sync: SyncSettings;
  readonly keys: KeySettings;
  /** The MCP server's guardrails (`stateset-sync mcp`; see mcp/settings.ts). */
  readonly mcp: McpGuardrails;
}

/** Defaults of the tunable settings. */
export const DEFAULT_SYNC: SyncSettings = {
  batchSize: 1000,
  maxRetries: 3,
  retryBaseMs: 250,
  retryMaxMs: 10_000,
  requestTimeoutMs: 30_000,
};
export const DEFAULT_KEYS: KeySettings = { rotationGraceSeconds: 3600 };

/** The paths of an agent home. */
export interface HomePaths {
  readonly home: string;
  readonly config: string;
  readonly outbox: string;
  readonly keysDir: string;
}

/**
 * Resolves the home directory: an explicit `home`, else `STATESET_HOME`, else `<cwd>/.stateset`.
 */
export function resolveHome(
  options: { readonly home?: string; readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): HomePaths {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = env.STATESET_HOME !== undefined && env.STATESET_HOME !== "" ? env.STATESET_HOME : undefined;
  const home = path.resolve(cwd, options.home ?? fromEnv ?? ".stateset");
  return {
    home,
    config: path.join(home, "sync.json"),
    outbox: path.join(home, "outbox.db"),
    keysDir: path.join(home, "keys"),
  };
}

const TOP_KEYS = new Set([
  "version",
  "sequencerUrl",
  "tenantId",
  "storeId",
  "agentId",
  "apiKeyFile",
  "adminApiKeyFile",
  "recipients",
  "amountFields",
  "sync",
  "keys",
  "mcp",
]);
const SYNC_BOUNDS: Record<keyof SyncSettings, [number, number]> = {
  batchSize: [1, 1000],
  maxRetries: [0, 100],
  retryBaseMs: [0, 600_000],
  retryMaxMs: [0, 3_600_000],
  requestTimeoutMs: [100, 3_600_000],
};

const bad = (message: string, hint?: string) =>
  new AgentError("INVALID_CONFIG", message, hint === undefined ? {} : { hint });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a sequencer URL: http or https, no credentials, no query. @throws AgentError INVALID_CONFIG. */
export function checkSequencerUrl(value: unknown): string {
  if (typeof value !== "string") throw bad("sequencerUrl must be a string");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(`sequencerUrl "${value}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw bad(`sequencerUrl must use http or https, got ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") throw bad("sequencerUrl must not carry credentials");
  if (url.search !== "" || url.hash !== "") throw bad("sequencerUrl must not have a query or fragment");
  return value.replace(/\/+$/, "");
}

function uuidOf(value: unknown, name: string): string {
  if (!isUuid(value)) throw bad(`${name} must be a UUID, got ${JSON.stringify(value)}`);
  return normalizeUuid(value);
}

function fileOf(value: unknown, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string" || value === "") throw bad(`${name} must be a file path or null`);
  return value;
}

/** Checks one recipient entry. @throws AgentError INVALID_CONFIG. */
export function checkRecipient(value: unknown, where = "recipient"): RecipientConfig {
  if (!isRecord(value)) throw bad(`${where} must be an object {name, kid, x25519}`);
  for (const k of Object.keys(value)) {
    if (k !== "name" && k !== "kid" && k !== "x25519") throw bad(`${where} has an unknown key "${k}"`);
  }
  const { name, kid, x25519 } = value;
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw bad(`${where}.name must be 1-64 characters of letters, digits, "_", "." or "-"`);
  }
  if (typeof kid !== "number" || !Number.isInteger(kid) || kid < 0 || kid > 0xffff_ffff) {
    throw bad(`${where}.kid must be an integer in 0..4294967295`);
  }
  if (typeof x25519 !== "string" || !/^[0-9a-fA-F]{64}$/.test(x25519)) {
    throw bad(`${where}.x25519 must be 64 hex characters (an X25519 public key)`);
  }
  return { name, kid, x25519: x25519.toLowerCase() };
}

/** Refuses a duplicate kid or name among recipients. @throws AgentError INVALID_CONFIG. */
export function checkRecipients(list: readonly RecipientConfig[]): void {
  const names = new Set<string>();
  const kids = new Set<number>();
  for (const r of list) {
    if (names.has(r.name)) throw bad(`recipient name "${r.name}" is used twice`);
    if (kids.has(r.kid)) throw bad(`recipient kid ${r.kid} is used twice`);
    names.add(r.name);
    kids.add(r.kid);
  }
}

/**
 * Validates a parsed `sync.json`, filling defaults for the tunable sections.
 * @throws AgentError INVALID_CONFIG naming the first problem (unknown keys included).
 */
export function validateConfig(input: unknown): SyncConfig {
  if (!isRecord(input)) throw bad("sync.json must hold a JSON object");
  for (const k of Object.keys(input)) {
    if (!TOP_KEYS.has(k)) throw bad(`sync.json has an unknown key "${k}"`, `known keys: ${[...TOP_KEYS].join(", ")}`);
  }
  if (input.version !== 1) throw bad(`sync.json version must be 1, got ${JSON.stringify(input.version)}`);
  const recipients = input.recipients ?? [];
  if (!Array.isArray(recipients)) throw bad("recipients must be an array");
  const checked = recipients.map((r, i) => checkRecipient(r, `recipients[${i}]`));
  checkRecipients(checked);
  for (const r of checked) {
    if (r.x25519 === "0".repeat(64)) throw bad(`recipient "${r.name}" has an all-zero X25519 key`);
  }
  const amountFieldsRaw = input.amountFields ?? {};
  if (!isRecord(amountFieldsRaw)) throw bad("amountFields must be an object");
  let amountFields: Record<string, string>;
  try {
    amountFields = validateAmountFields(amountFieldsRaw);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const syncRaw = input.sync ?? {};
  if (!isRecord(syncRaw)) throw bad("sync must be an object");
  const sync: Record<string, number> = { ...DEFAULT_SYNC };
  for (const [k, v] of Object.entries(syncRaw)) {
    const bounds = SYNC_BOUNDS[k as keyof SyncSettings] as [number, number] | undefined;
    if (bounds === undefined) throw bad(`sync has an unknown key "${k}"`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < bounds[0] || v > bounds[1]) {
      throw bad(`sync.${k} must be an integer from ${bounds[0]} to ${bounds[1]}`);
    }
    sync[k] = v;
  }
  const keysRaw = input.keys ?? {};
  if (!isRecord(keysRaw)) throw bad("keys must be an object");
  let rotationGraceSeconds = DEFAULT_KEYS.rotationGraceSeconds;
  for (const [k, v] of Object.entries(keysRaw)) {
    if (k !== "rotationGraceSeconds") throw bad(`keys has an unknown key "${k}"`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 365 * 86400) {
      throw bad("keys.rotationGraceSeconds must be an integer from 0 to 31536000");
    }
    rotationGraceSeconds = v;
  }
  return {
    version: 1,
    sequencerUrl: checkSequencerUrl(input.sequencerUrl),
    tenantId: uuidOf(input.tenantId, "tenantId"),
    storeId: uuidOf(input.storeId, "storeId"),
    agentId: uuidOf(input.agentId, "agentId"),
    apiKeyFile: fileOf(input.apiKeyFile, "apiKeyFile"),
    adminApiKeyFile: fileOf(input.adminApiKeyFile, "adminApiKeyFile"),
    recipients: checked,
    amountFields,
    sync: sync as unknown as SyncSettings,
    keys: { rotationGraceSeconds },
    mcp: checkGuardrails(input.mcp),
  };
}

/** Whether a home holds a configuration. */
export function isConfigured(paths: HomePaths): boolean {
  return existsSync(paths.config);
}

/** Loads and validates `sync.json`. @throws AgentError NOT_CONFIGURED or INVALID_CONFIG. */
export function loadConfig(paths: HomePaths): SyncConfig {
  if (!existsSync(paths.config)) {
    throw new AgentError("NOT_CONFIGURED", NOT_CONFIGURED_MESSAGE, {
      hint: `no configuration at ${paths.config}`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(paths.config, "utf8"));
  } catch (e) {
    throw bad(`${paths.config} is not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(parsed);
}

/** Writes `sync.json` atomically with mode 0600 (the home directory is created 0700). */
export function saveConfig(paths: HomePaths, config: SyncConfig): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const tmp = `${paths.config}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.config);
}

/** The keys `config set` accepts, with what each one sets. */
export const SETTABLE_KEYS: Readonly<Record<string, string>> = {
  "sequencer-url": "the sequencer's base URL (http or https)",
  "api-key-file": "file holding the agent's API key (or 'none')",
  "admin-api-key-file": "file holding a tenant-admin API key (or 'none')",
  "batch-size": "events per ingest request, 1..1000",
  "max-retries": "retries of a request after a transport error, 5xx or 429",
  "retry-base-ms": "first backoff delay in ms",
  "retry-max-ms": "largest backoff delay in ms",
  "request-timeout-ms": "per-request timeout in ms",
  "rotation-grace-seconds": "how long a rotated signing key stays valid before it is revoked",
  "recipient.<name>": "add a recipient: KID:X25519HEX (a duplicate name or kid is refused); 'none' removes it",
  "amount-field.<eventType|prefix.*>": "the payload field holding the amount; 'none' removes the entry",
  ...GUARDRAIL_SETTABLE_KEYS,
};

const NUMERIC: Record<string, keyof SyncSettings> = {
  "batch-size": "batchSize",
  "max-retries": "maxRetries",
  "retry-base-ms": "retryBaseMs",
  "retry-max-ms": "retryMaxMs",
  "request-timeout-ms": "requestTimeoutMs",
};

function intValue(key: string, value: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value)) throw new AgentError("INVALID_INPUT", `${key} must be an integer`);
  return Number(value);
}

/**
 * Returns the configuration with one `config set` key changed (validated as a whole).
 * @throws AgentError INVALID_INPUT for an unknown key, INVALID_CONFIG for a bad value.
 */
export function setConfigValue(config: SyncConfig, key: string, value: string): SyncConfig {
  const raw = JSON.parse(JSON.stringify(config)) as Record<string, unknown> & {
    sync: Record<string, number>;
    keys: Record<string, number>;
    recipients: RecipientConfig[];
    amountFields: Record<string, string>;
  };
  const none = value === "none" || value === "";
  if (key === "sequencer-url") raw.sequencerUrl = value;
  else if (key === "api-key-file") raw.apiKeyFile = none ? null : path.resolve(value);
  else if (key === "admin-api-key-file") raw.adminApiKeyFile = none ? null : path.resolve(value);
  else if (key === "rotation-grace-seconds") raw.keys.rotationGraceSeconds = intValue(key, value);
  else if (NUMERIC[key] !== undefined) raw.sync[NUMERIC[key]] = intValue(key, value);
  else if (key.startsWith("recipient.")) {
    const name = key.slice("recipient.".length);
    if (none) raw.recipients = raw.recipients.filter((r) => r.name !== name);
    else {
      const m = /^([0-9]{1,10}):([0-9a-fA-F]{64})$/.exec(value);
      if (m === null) throw new AgentError("INVALID_INPUT", `${key} must be KID:X25519HEX (64 hex characters)`);
      raw.recipients = [...raw.recipients, { name, kid: Number(m[1]), x25519: m[2]!.toLowerCase() }];
    }
  } else if (key.startsWith("amount-field.")) {
    const type = key.slice("amount-field.".length);
    if (none) delete raw.amountFields[type];
    else raw.amountFields[type] = value;
  } else if (key.startsWith("mcp.") && setGuardrailValue(config.mcp, key, value) !== undefined) {
    raw.mcp = setGuardrailValue(config.mcp, key, value);
  } else {
    throw new AgentError("INVALID_INPUT", `unknown configuration key "${key}"`, {
      hint: `settable keys: ${Object.keys(SETTABLE_KEYS).join(", ")}`,
    });
  }
  return validateConfig(raw);
}
