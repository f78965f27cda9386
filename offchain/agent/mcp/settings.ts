/**
 * The MCP server's guardrails as they live in `sync.json` (the `mcp` section): which event types a model may write
 * (none by default: the server is read-only), whether non-create events need a `baseVersion`, and limits on the
 * value of one write, on the value and number of writes per UTC day, and on one inventory adjustment. Amounts are
 * integers in minor units, as in the payloads; a limit of `null` means no limit.
 */
import { AgentError } from "../errors";

/** The `mcp` section of `sync.json`. */
export interface McpGuardrails {
  /** Event types the write tools may sign: exact names or `<prefix>.*`; empty means read-only. */
  readonly allowedEventTypes: readonly string[];
  /** Refuse an event whose type does not end in `.created` when it has no `baseVersion`. */
  readonly requireBaseVersion: boolean;
  /** Largest amount of one write (an order's total, a payment's amount, a return's refund), minor units. */
  readonly maxWriteValue: number | null;
  /** Largest sum of the amounts of the writes applied in one UTC day, minor units. */
  readonly maxDailyValue: number | null;
  /** Most writes applied in one UTC day. */
  readonly maxDailyWrites: number | null;
  /** Largest |delta| of one `inventory.adjusted`. */
  readonly maxInventoryAdjustment: number | null;
}

/** The defaults: read-only, base versions required, the reference's limits (10 000.00 per write, …). */
export const DEFAULT_GUARDRAILS: McpGuardrails = {
  allowedEventTypes: [],
  requireBaseVersion: true,
  maxWriteValue: 1_000_000,
  maxDailyValue: 10_000_000,
  maxDailyWrites: 500,
  maxInventoryAdjustment: 1000,
};

const LIMIT_KEYS = ["maxWriteValue", "maxDailyValue", "maxDailyWrites", "maxInventoryAdjustment"] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

const EVENT_TYPE_PATTERN = /^([A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*(\.\*)?|\*)$/;

const bad = (message: string) => new AgentError("INVALID_CONFIG", message, { hint: "see the `mcp` section in README" });

function limitOf(value: unknown, name: string): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw bad(`mcp.${name} must be a non-negative integer or null, got ${JSON.stringify(value)}`);
  }
  return value;
}

function eventTypesOf(value: unknown): string[] {
  if (!Array.isArray(value)) throw bad("mcp.allowedEventTypes must be an array of event types");
  return value.map((t: unknown) => {
    if (typeof t !== "string" || t.length > 128 || !EVENT_TYPE_PATTERN.test(t)) {
      throw bad(`mcp.allowedEventTypes has a bad entry ${JSON.stringify(t)} (an event type, "<prefix>.*" or "*")`);
    }
    return t;
  });
}

/**
 * Validates the `mcp` section (undefined → the defaults; missing keys take their default).
 * @throws AgentError INVALID_CONFIG naming the first problem (unknown keys included).
 */
export function checkGuardrails(input: unknown): McpGuardrails {
  if (input === undefined) return DEFAULT_GUARDRAILS;
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw bad("mcp must be an object");
  const raw = input as Record<string, unknown>;
  const known = new Set<string>(["allowedEventTypes", "requireBaseVersion", ...LIMIT_KEYS]);
  for (const k of Object.keys(raw)) {
    if (!known.has(k)) throw bad(`mcp has an unknown key "${k}" (known: ${[...known].join(", ")})`);
  }
  if (raw.requireBaseVersion !== undefined && typeof raw.requireBaseVersion !== "boolean") {
    throw bad("mcp.requireBaseVersion must be true or false");
  }
  const limits = {} as Record<LimitKey, number | null>;
  for (const k of LIMIT_KEYS) limits[k] = raw[k] === undefined ? DEFAULT_GUARDRAILS[k] : limitOf(raw[k], k);
  return {
    allowedEventTypes:
      raw.allowedEventTypes === undefined ? DEFAULT_GUARDRAILS.allowedEventTypes : eventTypesOf(raw.allowedEventTypes),
    requireBaseVersion: (raw.requireBaseVersion as boolean | undefined) ?? DEFAULT_GUARDRAILS.requireBaseVersion,
    ...limits,
  };
}

/** The `config set` keys of the guardrails, with what each one sets. */
export const GUARDRAIL_SETTABLE_KEYS: Readonly<Record<string, string>> = {
  "mcp.allowed-event-types": "event types the MCP write tools may sign, comma-separated ('none': read-only)",
  "mcp.require-base-version": "true or false: non-create events need a baseVersion",
  "mcp.max-write-value": "largest amount of one MCP write, minor units ('none': no limit)",
  "mcp.max-daily-value": "largest sum of MCP writes' amounts per UTC day ('none': no limit)",
  "mcp.max-daily-writes": "most MCP writes per UTC day ('none': no limit)",
  "mcp.max-inventory-adjustment": "largest |delta| of one inventory.adjusted ('none': no limit)",
};

const SET_LIMIT: Record<string, LimitKey> = {
  "mcp.max-write-value": "maxWriteValue",
  "mcp.max-daily-value": "maxDailyValue",
  "mcp.max-daily-writes": "maxDailyWrites",
  "mcp.max-inventory-adjustment": "maxInventoryAdjustment",
};

/**
 * Returns the guardrails with one `config set mcp.*` key changed, or undefined when `key` is not one of them.
 * @throws AgentError INVALID_INPUT for a bad value.
 */
export function setGuardrailValue(current: McpGuardrails, key: string, value: string): McpGuardrails | undefined {
  const none = value === "none" || value === "";
  if (key === "mcp.allowed-event-types") {
    const list = none ? [] : value.split(",").map((s) => s.trim());
    try {
      return { ...current, allowedEventTypes: eventTypesOf(list) };
    } catch (e) {
      throw new AgentError("INVALID_INPUT", (e as Error).message);
    }
  }
  if (key === "mcp.require-base-version") {
    if (value !== "true" && value !== "false") throw new AgentError("INVALID_INPUT", `${key} must be true or false`);
    return { ...current, requireBaseVersion: value === "true" };
  }
  const limit = SET_LIMIT[key];
  if (limit === undefined) return undefined;
  if (none) return { ...current, [limit]: null };
  if (!/^(0|[1-9][0-9]{0,14})$/.test(value)) {
    throw new AgentError("INVALID_INPUT", `${key} must be a non-negative integer or 'none'`);
  }
  return { ...current, [limit]: Number(value) };
}
