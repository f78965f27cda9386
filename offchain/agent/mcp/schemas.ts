/**
 * The MCP tools' input and output schemas (zod 3, turned into JSON Schema by the SDK). Inputs are strict (an unknown
 * argument is an error, so a misspelt `commandID` is not silently dropped) and wrapped so that bad arguments reach
 * the tool as a marker: the tool answers them with a structured INVALID_INPUT error like every other failure.
 * u64 values (sequence numbers, versions) are accepted as integers or decimal strings and returned as decimal strings.
 */
import { z } from "zod";

/** Where a wrapped input schema puts the description of bad arguments. */
export const BAD_ARGUMENTS: unique symbol = Symbol("badArguments");

/**
 * A strict object schema that never fails to parse: bad arguments become `{[BAD_ARGUMENTS]: description}`. Its
 * `shape` stays visible, so the SDK lists the full JSON Schema of the strict object.
 */
export function toolInput<S extends z.ZodRawShape>(shape: S) {
  const exact = z.object(shape).strict();
  type Out = z.infer<typeof exact>;
  const lenient = exact.catch(
    (ctx) =>
      ({
        [BAD_ARGUMENTS]: ctx.error.issues
          .slice(0, 10)
          .map((i) => `${i.path.length === 0 ? "(arguments)" : i.path.join(".")}: ${i.message}`)
          .join("; "),
      }) as unknown as Out,
  );
  Object.defineProperty(lenient, "shape", { value: exact.shape, enumerable: false });
  return lenient;
}

/** The description of bad arguments, if the arguments were bad. */
export function badArguments(args: unknown): string | undefined {
  if (typeof args !== "object" || args === null) return undefined;
  const v = (args as { [BAD_ARGUMENTS]?: unknown })[BAD_ARGUMENTS];
  return typeof v === "string" ? v : undefined;
}

const U64_TEXT = /^(0|[1-9][0-9]{0,19})$/;

/** A u64 input: a safe integer or a decimal string. */
export const u64In = (description: string) =>
  z
    .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(U64_TEXT, "a decimal integer")])
    .describe(description);

/** A u64 output (decimal string). */
export const u64Out = z.string().regex(/^[0-9]+$/);

export const uuid = (description: string) => z.string().uuid().describe(description);
export const commandId = uuid(
  "a UUID naming this action: the event id derives from (agent, commandId), so a retried call with the same " +
    "commandId returns the same event instead of creating a second one; use a new one for each new action",
);
export const baseVersionIn = u64In(
  "the entity's version this action expects (its currentVersion from stateset_get_entity_history; 0: the entity must be new)",
);
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "an ISO-4217 code such as USD")
  .describe("ISO-4217 currency code");
export const minorUnits = (description: string) =>
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe(`${description}, integer minor units (1999 = 19.99)`);

/** A structured error (also the shape of `error` in an `isError` result's text). */
export const errorShape = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  hint: z.string().optional(),
});

export const notice = z
  .object({ code: z.string(), message: z.string(), hint: z.string().optional() })
  .nullable()
  .describe("APPLY_REQUIRED in preview mode; PUSH_DEFERRED when the event is kept in the outbox for a later push");

/** What every write tool returns. */
export const writeOutput = z.object({
  ok: z.literal(true),
  preview: z.boolean().describe("true: nothing was written (the server runs without --apply)"),
  applied: z.boolean().describe("true: the event is signed and stored in the outbox (and pushed when possible)"),
  duplicate: z.boolean().describe("the commandId was already recorded: this is the same event, nothing new"),
  status: z
    .enum(["preview", "pending", "sending", "acknowledged", "rejected"])
    .describe("preview, or the outbox state of the event"),
  sequenceNumber: u64Out.nullable(),
  event: z.object({
    eventId: z.string(),
    commandId: z.string(),
    tenantId: z.string(),
    storeId: z.string(),
    sourceAgentId: z.string(),
    agentKeyId: z.number().int().nullable(),
    entityType: z.string(),
    entityId: z.string(),
    eventType: z.string(),
    baseVersion: u64Out.nullable(),
    payload: z.record(z.unknown()),
  }),
  amountCommitment: z.string().nullable(),
  notice,
});

const outboxEntry = z.object({
  localSeq: z.number().int(),
  eventId: z.string(),
  commandId: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  eventType: z.string(),
  payloadKind: z.number().int(),
  agentKeyId: z.number().int(),
  status: z.enum(["pending", "sending", "acknowledged", "rejected"]),
  sequenceNumber: u64Out.nullable(),
  rejection: z.object({ reason: z.string(), message: z.string() }).nullable(),
  retryCount: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  settledAt: z.string().nullable(),
});

const counts = z.object({
  pending: z.number().int(),
  sending: z.number().int(),
  acknowledged: z.number().int(),
  rejected: z.number().int(),
});

export const outboxOutput = z.object({ counts, events: z.array(outboxEntry) });

export const headOutput = z.object({
  headSequence: u64Out,
  latestCommitment: z
    .object({ batchId: z.string(), sequenceEnd: u64Out, newStateRoot: z.string() })
    .nullable()
    .describe("the latest commitment of the stream (events up to sequenceEnd have inclusion proofs)"),
});

export const historyOutput = z.object({
  entityType: z.string(),
  entityId: z.string(),
  events: z.array(
    z.object({
      sequenceNumber: u64Out.nullable(),
      eventId: z.string().nullable(),
      eventType: z.string().nullable(),
      sourceAgentId: z.string().nullable(),
      createdAt: z.string().nullable(),
      payloadKind: z.number().int().nullable(),
      payload: z.unknown().describe("the plaintext (or decrypted) payload; null when encrypted for others"),
      verified: z.boolean().describe("hashes, agent signature and sequencer receipt checked"),
      problem: z.string().nullable(),
    }),
  ),
  count: z.number().int(),
  total: u64Out.nullable(),
  currentVersion: u64Out.nullable().describe("pass it as baseVersion to change this entity"),
  hasMore: z.boolean(),
});

export const proofOutput = z.object({
  sequenceNumber: u64Out,
  batchId: z.string(),
  merkleRoot: z.string(),
  leafHash: z.string(),
  leafIndex: z.number().int(),
  leafCount: z.number().int(),
  proofPath: z.array(z.string()),
  directions: z.array(z.boolean()),
  pathValid: z
    .boolean()
    .describe("the path leads from leafHash to merkleRoot (sync_verify_inclusion also checks the leaf)"),
  problem: z.string().nullable(),
});

const streamEvent = z.object({
  sequenceNumber: u64Out,
  eventId: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  eventType: z.string(),
  sourceAgentId: z.string(),
  createdAt: z.string(),
  payloadKind: z.number().int(),
  batchId: z.string().nullable(),
});

export const waitOutput = z.object({
  found: z.boolean().describe("false: nothing matched before the timeout (not an error)"),
  event: streamEvent.nullable(),
  nextSequence: u64Out.describe("pass it as `from` to wait for a later event"),
  headSequence: u64Out,
});

export const statusOutput = z.object({
  agentId: z.string(),
  tenantId: z.string(),
  storeId: z.string(),
  sequencerUrl: z.string(),
  connected: z.boolean(),
  connectionError: z.string().nullable(),
  outbox: counts,
  lastPushedSequence: u64Out.nullable(),
  lastPulledSequence: u64Out.nullable(),
  pulledEvents: z.number().int(),
  quarantinedEvents: z.number().int(),
  streamHead: u64Out.nullable(),
  latestCommitment: z
    .object({
      batchId: z.string(),
      sequenceEnd: u64Out,
      newStateRoot: z.string(),
      anchored: z.boolean().nullable(),
      chainTxHash: z.string().nullable(),
    })
    .nullable(),
  currentKeyId: z.number().int().nullable(),
  notes: z.array(z.string()),
  mcp: z.object({
    mode: z.enum(["preview", "apply"]),
    allowedEventTypes: z.array(z.string()),
    requireBaseVersion: z.boolean(),
    maxWriteValue: z.number().int().nullable(),
    maxDailyValue: z.number().int().nullable(),
    maxDailyWrites: z.number().int().nullable(),
    maxInventoryAdjustment: z.number().int().nullable(),
    today: z.object({ day: z.string(), writes: z.number().int(), value: u64Out }),
  }),
});

export const pushOutput = z.object({
  preview: z.boolean(),
  requests: z.number().int(),
  acknowledged: z.number().int(),
  replayed: z.number().int(),
  rejected: z.array(z.object({ eventId: z.string(), reason: z.string(), message: z.string() })),
  pending: z.number().int().describe("events still waiting (in preview: the events a push would send)"),
  problems: z.array(z.string()),
  notes: z.array(z.string()),
});

export const pullOutput = z.object({
  preview: z.boolean(),
  from: u64Out,
  pulled: z.number().int(),
  stored: z.number().int(),
  quarantined: z.array(
    z.object({ sequenceNumber: u64Out, eventId: z.string().nullable(), reason: z.string(), message: z.string() }),
  ),
  decrypted: z.number().int(),
  notRecipient: z.number().int(),
  nextCursor: u64Out,
  headSequence: u64Out,
});

export const decryptOutput = z.object({
  eventId: z.string(),
  source: z.enum(["outbox", "pulled", "sequencer"]),
  payloadKind: z.number().int(),
  payload: z.unknown(),
});

export const verifyOutput = z.object({
  eventId: z.string(),
  verified: z.boolean(),
  sequenceNumber: u64Out.nullable(),
  batchId: z.string().nullable(),
  anchored: z.boolean().nullable(),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), detail: z.string() })),
});
