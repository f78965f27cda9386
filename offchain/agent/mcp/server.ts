/**
 * `stateset-sync mcp`: the agent library served as MCP tools over stdio with `@modelcontextprotocol/sdk` (McpServer +
 * StdioServerTransport; the SDK writes every byte of the protocol, and stdout carries nothing else: logs go to
 * stderr).
 *
 * - The reference agent server's five tools, same names and inputs: `stateset_get_head`,
 *   `stateset_get_entity_history`, `stateset_record_action`, `stateset_get_inclusion_proof`, `stateset_wait_for_event`.
 * - `sync_status`, `sync_push`, `sync_pull`, `sync_outbox`, `sync_decrypt_event`, `sync_verify_receipt`,
 *   `sync_verify_inclusion`, and one typed tool per agent kind: `create_order`, `adjust_inventory`, `record_payment`,
 *   `request_return`.
 *
 * Writes are previews unless the server was started with `--apply`: a write tool then returns the event it would
 * sign and writes nothing. Writes pass the guardrails of the configuration (mcp/settings.ts) first, and are
 * idempotent on their commandId (the event id derives from (agent, commandId)). Every failure is a tool result with
 * `isError` whose text is `{"ok":false,"error":{code,message,retryable,hint}}`; the server never crashes on a call.
 */
import type { Readable, Writable } from "node:stream";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

import { isUuid, normalizeUuid, type ExactJsonValue } from "../../ves";
import { Agent, deriveEventId, type AgentOptions, type AppendResult } from "../agent";
import { AgentError, isAgentError } from "../errors";
import type { OutboxRow, OutboxStatus } from "../outbox";
import { entityTypeOf, validatePayload } from "../payloads";
import { eventIdOf, inclusionProof, streamHead, waitForEvent } from "../reads";
import { GuardrailError, checkDaily, checkWrite } from "./guardrails";
import { WriteLedger, utcDay } from "./ledger";
import * as s from "./schemas";

/** Options of `runMcpServer`. */
export interface McpServerOptions extends AgentOptions {
  /** Sign, store and push writes; without it every write tool is a preview. */
  readonly apply?: boolean;
  /** The protocol streams (default: the process's stdin and stdout). */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Where log lines go (default: stderr). Never stdout. */
  readonly log?: (line: string) => void;
}

/** A structured tool error. */
export type ToolError = z.infer<typeof s.errorShape>;

const SERVER_NAME = "stateset-sync";
const SERVER_VERSION = "0.1.0";

const INSTRUCTIONS =
  "VES agent tools: read the stream (stateset_get_head, stateset_get_entity_history, stateset_wait_for_event, " +
  "stateset_get_inclusion_proof), verify (sync_verify_receipt, sync_verify_inclusion) and record signed commerce " +
  "events (stateset_record_action and the typed create_order, adjust_inventory, record_payment, request_return). " +
  "Every write needs a fresh UUID commandId; retrying a call with the same commandId is safe and returns the same " +
  "event. Changing an existing entity needs its currentVersion as baseVersion. Unless the server runs with --apply, " +
  "write tools only preview the event they would sign. Errors carry {code, message, retryable, hint}.";

const U64_LIMIT = 1n << 64n;

function u64(value: number | string, name: string): bigint {
  const v = BigInt(value);
  if (v >= U64_LIMIT) throw new AgentError("INVALID_INPUT", `${name} must be below 2^64, got ${value}`);
  return v;
}

const u64s = (v: bigint | null): string | null => (v === null ? null : v.toString());

/** Exact JSON for a client: bigint as a number when safe, else a decimal string. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** A payload from a client (JSON numbers): refuses integers a double cannot hold exactly. */
function payloadIn(v: unknown, where = "payload"): ExactJsonValue {
  if (typeof v === "number") {
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
      throw new AgentError("INVALID_INPUT", `${where} holds ${v}, beyond 2^53: it cannot be sent exactly as JSON`);
    }
    return v;
  }
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map((x, i) => payloadIn(x, `${where}[${i}]`));
  if (typeof v === "object") {
    const out: { [k: string]: ExactJsonValue } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = payloadIn(x, `${where}.${k}`);
    return out;
  }
  throw new AgentError("INVALID_INPUT", `${where} is not JSON`);
}

/** The structured form of any failure. */
export function toolError(e: unknown): ToolError {
  if (isAgentError(e)) return e.toJSON();
  if (e instanceof GuardrailError) return { code: e.code, message: e.message, retryable: false, hint: e.hint };
  return {
    code: "INTERNAL_ERROR",
    message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
    retryable: false,
    hint: "the server logged the details on its stderr",
  };
}

function errorResult(error: ToolError): CallToolResult {
  return { isError: true, content: [{ type: "text", text: JSON.stringify({ ok: false, error }) }] };
}

/** The state a server's tools share. */
interface Context {
  readonly agent: Agent;
  readonly ledger: WriteLedger;
  readonly apply: boolean;
  readonly log: (line: string) => void;
  /** Runs outbox-changing work one at a time (appends, pushes, pulls). */
  readonly serial: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** A write as the tools describe it. */
interface WriteRequest {
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly payload: ExactJsonValue;
  readonly commandId: string;
  readonly baseVersion?: bigint;
}

type WriteOutput = z.infer<typeof s.writeOutput>;

function rejectionHint(reason: string | null): string {
  if (reason !== null && reason.startsWith("version_conflict")) {
    return "the entity changed: read its currentVersion (stateset_get_entity_history) and retry with a NEW commandId and that baseVersion";
  }
  return "a rejected event is final: fix the input and retry with a NEW commandId";
}

/** Checks, previews or records one write (see the file comment). */
async function write(ctx: Context, req: WriteRequest): Promise<WriteOutput> {
  const { agent, ledger } = ctx;
  const guardrails = agent.config.mcp;
  if (!isUuid(req.commandId)) throw new AgentError("INVALID_INPUT", "commandId must be a UUID");
  const commandId = normalizeUuid(req.commandId);
  const typed = entityTypeOf(req.eventType);
  if (typed !== undefined && typed !== req.entityType) {
    throw new AgentError(
      "INVALID_INPUT",
      `${req.eventType} belongs to entity type "${typed}", not "${req.entityType}"`,
    );
  }
  const value = checkWrite(guardrails, req, agent.config.amountFields);
  validatePayload(req.eventType, req.payload);
  const eventId = deriveEventId(agent.config.agentId, commandId);
  const event = (row?: OutboxRow): WriteOutput["event"] => ({
    eventId,
    commandId,
    tenantId: agent.config.tenantId,
    storeId: agent.config.storeId,
    sourceAgentId: agent.config.agentId,
    agentKeyId: row?.agentKeyId ?? agent.keys.currentSigning()?.keyId ?? null,
    entityType: req.entityType,
    entityId: req.entityId,
    eventType: req.eventType,
    baseVersion: u64s(req.baseVersion ?? null),
    payload: plain(row?.payload ?? req.payload) as Record<string, unknown>,
  });
  if (!ctx.apply) {
    const existing = agent.outbox.byCommandId(commandId);
    if (existing === undefined) checkDaily(guardrails, ledger.totals(utcDay()), value);
    return {
      ok: true,
      preview: true,
      applied: false,
      duplicate: existing !== undefined,
      status: existing?.status ?? "preview",
      sequenceNumber: u64s(existing?.sequenceNumber ?? null),
      event: event(existing),
      amountCommitment: null,
      notice: {
        code: "APPLY_REQUIRED",
        message: "preview only: nothing was signed or stored (the server runs without --apply)",
        hint: "an operator starts `stateset-sync mcp --apply` to let write tools record events",
      },
    };
  }
  return ctx.serial(async () => {
    const recorded = ledger.record({ commandId, eventId, eventType: req.eventType, value }, utcDay(), (t) =>
      checkDaily(guardrails, t, value),
    );
    let appended: AppendResult;
    try {
      appended = await agent.append({
        entityType: req.entityType,
        entityId: req.entityId,
        eventType: req.eventType,
        payload: req.payload,
        commandId,
        ...(req.baseVersion === undefined ? {} : { baseVersion: req.baseVersion }),
      });
    } catch (e) {
      if (recorded) ledger.forget(commandId);
      throw e;
    }
    let notice: WriteOutput["notice"] = null;
    if (appended.status === "pending" || appended.status === "sending") {
      try {
        await agent.push();
      } catch (e) {
        const kept = `event ${eventId} is kept in the outbox; retrying this call with the same commandId is safe`;
        if (isAgentError(e) && e.retryable) {
          notice = {
            code: "PUSH_DEFERRED",
            message: `not sent yet: ${e.message}`,
            hint: `${kept}; sync_push sends it`,
          };
        } else if (isAgentError(e)) {
          throw new AgentError(e.code, e.message, { hint: `${e.hint === undefined ? "" : `${e.hint}; `}${kept}` });
        } else throw e;
      }
    }
    const row = agent.outbox.byEventId(eventId);
    if (row === undefined) throw new AgentError("OUTBOX_ERROR", `event ${eventId} is missing from the outbox`);
    if (row.status === "rejected") {
      ledger.release(commandId);
      throw new AgentError(
        "REJECTED",
        `the sequencer rejected event ${eventId}: ${row.rejectionReason}: ${row.rejectionMessage ?? ""}`,
        { hint: rejectionHint(row.rejectionReason) },
      );
    }
    return {
      ok: true as const,
      preview: false,
      applied: true,
      duplicate: appended.duplicate,
      status: row.status,
      sequenceNumber: u64s(row.sequenceNumber),
      event: event(row),
      amountCommitment: appended.amountCommitment,
      notice,
    };
  });
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
const LOCAL_READ = { ...READ, openWorldHint: false } as const;
/** Write tools append signed events (never overwrite or delete), and a retried call is the same event. */
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

function outboxStatusOf(v: string | undefined): OutboxStatus | undefined {
  return v === "pending" || v === "sending" || v === "acknowledged" || v === "rejected" ? v : undefined;
}

/**
 * The one `registerTool` signature this server uses. The SDK's own overloads infer each handler's argument type from
 * the zod schemas through both zod 3 and zod 4 compatibility types, which costs the type checker minutes and GiBs for
 * sixteen tools; the handlers here type their arguments themselves (`z.infer` of the schema they pass), so nothing is
 * lost by registering through this narrower view of the same method.
 */
interface ToolRegistrar {
  registerTool(
    name: string,
    config: {
      title: string;
      description: string;
      inputSchema: unknown;
      outputSchema: unknown;
      annotations: Readonly<Record<string, boolean>>;
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler declares its own argument type
    cb: (args: any, extra: { signal: AbortSignal }) => Promise<CallToolResult>,
  ): unknown;
}

/** Registers every tool of the server on `mcp`. */
function registerTools(mcp: McpServer, ctx: Context): void {
  const { agent } = ctx;
  const server = mcp as unknown as ToolRegistrar;

  /** Wraps a tool body: bad arguments and thrown errors become structured `isError` results. */
  const tool = <A>(name: string, fn: (args: A, signal: AbortSignal) => Promise<Record<string, unknown>>) => {
    return async (args: A, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
      const bad = s.badArguments(args);
      if (bad !== undefined) {
        ctx.log(`${name}: invalid arguments`);
        return errorResult({
          code: "INVALID_INPUT",
          message: `invalid arguments for ${name}: ${bad}`,
          retryable: false,
          hint: "see the tool's inputSchema",
        });
      }
      try {
        const result = plain(await fn(args, extra.signal)) as Record<string, unknown>;
        return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
      } catch (e) {
        const error = toolError(e);
        ctx.log(`${name}: ${error.code}${error.code === "INTERNAL_ERROR" ? ` ${(e as Error).stack ?? ""}` : ""}`);
        return errorResult(error);
      }
    };
  };

  // The reference agent server's five ----------------------------------------------------------------------------------
  server.registerTool(
    "stateset_get_head",
    {
      title: "Stream head",
      description: "The head sequence number of this agent's stream and its latest commitment.",
      inputSchema: s.toolInput({}),
      outputSchema: s.headOutput,
      annotations: READ,
    },
    tool("stateset_get_head", async () => {
      const h = await streamHead(agent);
      return {
        headSequence: h.headSequence.toString(),
        latestCommitment:
          h.latestCommitment === null
            ? null
            : { ...h.latestCommitment, sequenceEnd: h.latestCommitment.sequenceEnd.toString() },
      };
    }),
  );

  const historyInput = s.toolInput({
    entityType: z.string().min(1).max(64).describe("entity type, e.g. order"),
    entityId: z.string().min(1).max(256).describe("entity id"),
    from: s.u64In("offset into the entity's events (default 0)").optional(),
    limit: z.number().int().min(1).max(100).optional().describe("at most this many events (default 100)"),
  });
  server.registerTool(
    "stateset_get_entity_history",
    {
      title: "Entity history",
      description:
        "An entity's events from the sequencer, each verified (hashes, agent signature, receipt) and decrypted when " +
        "this agent is a recipient, with the entity's currentVersion (the baseVersion for a change).",
      inputSchema: historyInput,
      outputSchema: s.historyOutput,
      annotations: READ,
    },
    tool("stateset_get_entity_history", async (a: z.infer<typeof historyInput>) => {
      const r = await agent.history(a.entityType, a.entityId, {
        ...(a.from === undefined ? {} : { from: u64(a.from, "from") }),
        limit: a.limit ?? 100,
      });
      return {
        ...r,
        events: r.events.map((e) => ({ ...e, sequenceNumber: u64s(e.sequenceNumber) })),
        total: u64s(r.total),
        currentVersion: u64s(r.currentVersion),
      };
    }),
  );

  const recordInput = s.toolInput({
    entityType: z.string().min(1).max(64).describe("entity type, e.g. order"),
    entityId: z.string().min(1).max(256).describe("entity id"),
    eventType: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
      .describe("event type, e.g. order.updated (it must be allowed by the server's configuration)"),
    payload: z.record(z.unknown()).describe("the event's JSON payload (typed event types are schema-checked)"),
    commandId: s.commandId,
    baseVersion: s.baseVersionIn.optional(),
  });
  server.registerTool(
    "stateset_record_action",
    {
      title: "Record an action",
      description:
        "Sign one event, store it in the outbox and push it (with --apply; otherwise a preview of the event). " +
        "Idempotent on commandId. Events other than *.created need baseVersion.",
      inputSchema: recordInput,
      outputSchema: s.writeOutput,
      annotations: WRITE,
    },
    tool("stateset_record_action", async (a: z.infer<typeof recordInput>) =>
      write(ctx, {
        entityType: a.entityType,
        entityId: a.entityId,
        eventType: a.eventType,
        payload: payloadIn(a.payload),
        commandId: a.commandId,
        ...(a.baseVersion === undefined ? {} : { baseVersion: u64(a.baseVersion, "baseVersion") }),
      }),
    ),
  );

  const proofInput = s.toolInput({
    sequenceNumber: s
      .u64In("the event's sequence number")
      .refine((v) => BigInt(v) >= 1n, "the first sequence number is 1"),
  });
  server.registerTool(
    "stateset_get_inclusion_proof",
    {
      title: "Inclusion proof",
      description:
        "The Merkle inclusion proof of the event at a sequence number in its commitment (once committed), with " +
        "its path checked against the root.",
      inputSchema: proofInput,
      outputSchema: s.proofOutput,
      annotations: READ,
    },
    tool("stateset_get_inclusion_proof", async (a: z.infer<typeof proofInput>) => {
      const p = await inclusionProof(agent, u64(a.sequenceNumber, "sequenceNumber"));
      return {
        sequenceNumber: p.sequence_number.toString(),
        batchId: p.batch_id,
        merkleRoot: p.merkle_root,
        leafHash: p.leaf_hash,
        leafIndex: p.leaf_index,
        leafCount: p.leafCount,
        proofPath: p.proof_path,
        directions: p.directions,
        pathValid: p.pathValid,
        problem: p.problem,
      };
    }),
  );

  const waitInput = s.toolInput({
    from: s.u64In("the first sequence number to look at").refine((v) => BigInt(v) >= 1n, "from starts at 1"),
    entityType: z.string().min(1).max(64).optional(),
    entityId: z.string().min(1).max(256).optional(),
    eventType: z.string().min(1).max(128).optional(),
    timeoutMs: z.number().int().min(0).max(30_000).optional().describe("how long to wait (default 10000, ≤ 30000)"),
  });
  server.registerTool(
    "stateset_wait_for_event",
    {
      title: "Wait for an event",
      description:
        "Wait until the stream holds an event at or after `from` matching the filters; found:false at the timeout.",
      inputSchema: waitInput,
      outputSchema: s.waitOutput,
      annotations: READ,
    },
    tool("stateset_wait_for_event", async (a: z.infer<typeof waitInput>, signal) => {
      const r = await waitForEvent(agent, {
        from: u64(a.from, "from"),
        timeoutMs: a.timeoutMs ?? 10_000,
        signal,
        ...(a.entityType === undefined ? {} : { entityType: a.entityType }),
        ...(a.entityId === undefined ? {} : { entityId: a.entityId }),
        ...(a.eventType === undefined ? {} : { eventType: a.eventType }),
      });
      return {
        found: r.found,
        event: r.event === null ? null : { ...r.event, sequenceNumber: r.event.sequenceNumber.toString() },
        nextSequence: r.nextSequence.toString(),
        headSequence: r.headSequence.toString(),
      };
    }),
  );

  // sync_* ---------------------------------------------------------------------------------------------------------
  server.registerTool(
    "sync_status",
    {
      title: "Sync status",
      description:
        "Outbox counts, cursors, stream head and latest commitment, plus this server's mode, guardrails and " +
        "today's applied writes.",
      inputSchema: s.toolInput({}),
      outputSchema: s.statusOutput,
      annotations: READ,
    },
    tool("sync_status", async () => {
      const r = await agent.status();
      const g = agent.config.mcp;
      const today = ctx.ledger.totals(utcDay());
      const c = r.latestCommitment;
      return {
        agentId: r.agentId,
        tenantId: r.tenantId,
        storeId: r.storeId,
        sequencerUrl: r.sequencerUrl,
        connected: r.connected,
        connectionError: r.connectionError,
        outbox: { ...r.outbox },
        lastPushedSequence: u64s(r.lastPushedSequence),
        lastPulledSequence: u64s(r.lastPulledSequence),
        pulledEvents: r.pulledEvents,
        quarantinedEvents: r.quarantinedEvents,
        streamHead: u64s(r.streamHead),
        latestCommitment:
          c === null
            ? null
            : {
                batchId: c.batchId,
                sequenceEnd: c.sequenceEnd.toString(),
                newStateRoot: c.newStateRoot,
                anchored: c.anchored,
                chainTxHash: c.chainTxHash,
              },
        currentKeyId: r.currentKeyId,
        notes: [...r.notes],
        mcp: {
          mode: ctx.apply ? "apply" : "preview",
          allowedEventTypes: [...g.allowedEventTypes],
          requireBaseVersion: g.requireBaseVersion,
          maxWriteValue: g.maxWriteValue,
          maxDailyValue: g.maxDailyValue,
          maxDailyWrites: g.maxDailyWrites,
          maxInventoryAdjustment: g.maxInventoryAdjustment,
          today: { day: today.day, writes: today.writes, value: today.value.toString() },
        },
      };
    }),
  );

  server.registerTool(
    "sync_push",
    {
      title: "Push the outbox",
      description:
        "Send every pending outbox event to the sequencer and settle each from its own result (with --apply; " +
        "otherwise reports what would be sent). Pushing again never duplicates an event.",
      inputSchema: s.toolInput({}),
      outputSchema: s.pushOutput,
      annotations: WRITE,
    },
    tool("sync_push", async () => {
      if (!ctx.apply) {
        const n = agent.outboxCounts();
        return {
          preview: true,
          requests: 0,
          acknowledged: 0,
          replayed: 0,
          rejected: [],
          pending: n.pending + n.sending,
          problems: [],
          notes: ["preview only: nothing was sent (the server runs without --apply)"],
        };
      }
      const r = await ctx.serial(() => agent.push());
      return {
        preview: false,
        requests: r.requests,
        acknowledged: r.acknowledged,
        replayed: r.replayed,
        rejected: [...r.rejected],
        pending: r.pending,
        problems: [...r.problems],
        notes: [...r.notes],
      };
    }),
  );

  const pullInput = s.toolInput({
    fromSequence: s.u64In("start here instead of the stored cursor (inclusive)").optional(),
    limit: z.number().int().min(1).max(1000).optional().describe("page size (default 1000)"),
  });
  server.registerTool(
    "sync_pull",
    {
      title: "Pull the stream",
      description:
        "Pull the stream from the cursor, verify every event and store it (or quarantine it with a reason) locally " +
        "(with --apply; otherwise reports how many events are waiting).",
      inputSchema: pullInput,
      outputSchema: s.pullOutput,
      annotations: { ...WRITE, openWorldHint: true },
    },
    tool("sync_pull", async (a: z.infer<typeof pullInput>) => {
      const from = a.fromSequence === undefined ? undefined : u64(a.fromSequence, "fromSequence");
      if (!ctx.apply) {
        const stored = agent.outbox.getState("pull_cursor");
        const cursor = from ?? (stored === undefined ? 1n : BigInt(stored));
        const h = await streamHead(agent);
        return {
          preview: true,
          from: cursor.toString(),
          pulled: 0,
          stored: 0,
          quarantined: [],
          decrypted: 0,
          notRecipient: 0,
          nextCursor: cursor.toString(),
          headSequence: h.headSequence.toString(),
        };
      }
      const r = await ctx.serial(() =>
        agent.pull({ ...(from === undefined ? {} : { from }), ...(a.limit === undefined ? {} : { limit: a.limit }) }),
      );
      return {
        preview: false,
        from: r.from.toString(),
        pulled: r.pulled,
        stored: r.stored,
        quarantined: r.quarantined.map((q) => ({ ...q, sequenceNumber: q.sequenceNumber.toString() })),
        decrypted: r.decrypted,
        notRecipient: r.notRecipient,
        nextCursor: r.nextCursor.toString(),
        headSequence: r.headSequence.toString(),
      };
    }),
  );

  const outboxInput = s.toolInput({
    status: z.enum(["pending", "sending", "acknowledged", "rejected", "all"]).optional().describe("default all"),
    limit: z.number().int().min(1).max(500).optional().describe("at most this many (default 20)"),
  });
  server.registerTool(
    "sync_outbox",
    {
      title: "Outbox",
      description: "This agent's outgoing events with their states (pending, sending, acknowledged, rejected).",
      inputSchema: outboxInput,
      outputSchema: s.outboxOutput,
      annotations: LOCAL_READ,
    },
    tool("sync_outbox", async (a: z.infer<typeof outboxInput>) => {
      const status = outboxStatusOf(a.status);
      return {
        counts: { ...agent.outboxCounts() },
        events: agent
          .outboxEntries({ ...(status === undefined ? {} : { status }), limit: a.limit ?? 20 })
          .map((e) => ({ ...e, sequenceNumber: u64s(e.sequenceNumber) })),
      };
    }),
  );

  const eventInput = s.toolInput({ eventId: s.uuid("the event id") });
  server.registerTool(
    "sync_decrypt_event",
    {
      title: "Decrypt an event",
      description:
        "The plaintext payload of an event: this agent's own, a pulled one, or one fetched from the sequencer and " +
        "decrypted (when this agent is a recipient).",
      inputSchema: eventInput,
      outputSchema: s.decryptOutput,
      annotations: READ,
    },
    tool("sync_decrypt_event", async (a: z.infer<typeof eventInput>) => ({
      ...(await agent.decrypt(eventIdOf(a.eventId))),
    })),
  );

  const RECEIPT_STEPS = new Set(["event", "agent key", "payload hash and signature", "receipt"]);
  server.registerTool(
    "sync_verify_receipt",
    {
      title: "Verify an event and its receipt",
      description:
        "Fetch an event and check it off-chain: the payload (or cipher) hash recomputed, the agent's Ed25519 " +
        "signature under its published key, and the sequencer's receipt under the sequencer's published key.",
      inputSchema: eventInput,
      outputSchema: s.verifyOutput,
      annotations: READ,
    },
    tool("sync_verify_receipt", async (a: z.infer<typeof eventInput>) => {
      const r = await agent.verify(eventIdOf(a.eventId));
      const steps = r.steps.filter((x) => RECEIPT_STEPS.has(x.step));
      return {
        eventId: r.eventId,
        verified: steps.some((x) => x.step === "receipt") && steps.every((x) => x.ok),
        sequenceNumber: u64s(r.sequenceNumber),
        batchId: r.batchId,
        anchored: r.anchored,
        steps: steps.map((x) => ({ ...x })),
      };
    }),
  );

  server.registerTool(
    "sync_verify_inclusion",
    {
      title: "Verify an event's inclusion",
      description:
        "Everything sync_verify_receipt checks, plus the commitment's state root and the inclusion proof from the " +
        "event's recomputed VES leaf to the commitment's Merkle root.",
      inputSchema: eventInput,
      outputSchema: s.verifyOutput,
      annotations: READ,
    },
    tool("sync_verify_inclusion", async (a: z.infer<typeof eventInput>) => {
      const r = await agent.verify(eventIdOf(a.eventId));
      return {
        eventId: r.eventId,
        verified: r.ok && r.steps.some((x) => x.step === "inclusion proof"),
        sequenceNumber: u64s(r.sequenceNumber),
        batchId: r.batchId,
        anchored: r.anchored,
        steps: r.steps.map((x) => ({ ...x })),
      };
    }),
  );

  // Typed tools, one per agent kind --------------------------------------------------------------------------------
  const typedDescription = (what: string, event: string, entity: string) =>
    `${what} as a signed ${event} event (with --apply; otherwise a preview). Idempotent on commandId. ${entity}`;

  const orderInput = s.toolInput({
    commandId: s.commandId,
    orderId: z.string().min(1).max(256).optional().describe("the order id (default: order-<commandId>)"),
    customerId: z.string().min(1).max(256).optional(),
    items: z
      .array(
        z
          .object({
            sku: z.string().min(1).max(128),
            name: z.string().min(1).max(256).optional(),
            quantity: z.number().int().min(1).max(1_000_000_000),
            unitPrice: s.minorUnits("unit price"),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
    currency: s.currency,
    total: s.minorUnits("order total (default: the sum of the lines; must equal it when given)").optional(),
    notes: z.string().max(4096).optional(),
    baseVersion: s.baseVersionIn.optional().describe("default 0: the order must be new"),
  });
  server.registerTool(
    "create_order",
    {
      title: "Create an order",
      description: typedDescription("Record a new order", "order.created", "Amounts are integer minor units."),
      inputSchema: orderInput,
      outputSchema: s.writeOutput,
      annotations: WRITE,
    },
    tool("create_order", async (a: z.infer<typeof orderInput>) => {
      const sum = a.items.reduce((t, i) => t + BigInt(i.quantity) * BigInt(i.unitPrice), 0n);
      if (a.total !== undefined && BigInt(a.total) !== sum) {
        throw new AgentError("INVALID_INPUT", `total ${a.total} differs from the sum of the lines, ${sum}`);
      }
      if (sum > BigInt(Number.MAX_SAFE_INTEGER))
        throw new AgentError("INVALID_INPUT", `the order total ${sum} is too large`);
      return write(ctx, {
        entityType: "order",
        entityId: a.orderId ?? `order-${normalizeUuid(a.commandId)}`,
        eventType: "order.created",
        payload: payloadIn({
          ...(a.customerId === undefined ? {} : { customerId: a.customerId }),
          items: a.items,
          total: Number(sum),
          currency: a.currency,
          ...(a.notes === undefined ? {} : { notes: a.notes }),
        }),
        commandId: a.commandId,
        baseVersion: a.baseVersion === undefined ? 0n : u64(a.baseVersion, "baseVersion"),
      });
    }),
  );

  const inventoryInput = s.toolInput({
    commandId: s.commandId,
    sku: z.string().min(1).max(128).describe("the SKU (the inventory entity id)"),
    delta: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
      .refine((d) => d !== 0, "delta must not be 0")
      .describe("units added (negative: removed)"),
    location: z.string().min(1).max(128).optional(),
    reason: z.string().min(1).max(1024).optional(),
    baseVersion: s.baseVersionIn.optional().describe("the inventory entity's current version (required by default)"),
  });
  server.registerTool(
    "adjust_inventory",
    {
      title: "Adjust inventory",
      description: typedDescription(
        "Record a stock change",
        "inventory.adjusted",
        "Needs the SKU's currentVersion as baseVersion.",
      ),
      inputSchema: inventoryInput,
      outputSchema: s.writeOutput,
      annotations: WRITE,
    },
    tool("adjust_inventory", async (a: z.infer<typeof inventoryInput>) =>
      write(ctx, {
        entityType: "inventory",
        entityId: a.sku,
        eventType: "inventory.adjusted",
        payload: payloadIn({
          sku: a.sku,
          delta: a.delta,
          ...(a.location === undefined ? {} : { location: a.location }),
          ...(a.reason === undefined ? {} : { reason: a.reason }),
        }),
        commandId: a.commandId,
        ...(a.baseVersion === undefined ? {} : { baseVersion: u64(a.baseVersion, "baseVersion") }),
      }),
    ),
  );

  const paymentInput = s.toolInput({
    commandId: s.commandId,
    orderId: z.string().min(1).max(256).describe("the order paid for"),
    amount: s.minorUnits("captured amount"),
    currency: s.currency,
    method: z.string().min(1).max(64).optional(),
    reference: z.string().min(1).max(256).optional().describe("the payment provider's reference"),
    paymentId: z.string().min(1).max(256).optional().describe("the payment id (default: payment-<commandId>)"),
    baseVersion: s.baseVersionIn.optional().describe("default 0: the payment must be new"),
  });
  server.registerTool(
    "record_payment",
    {
      title: "Record a payment",
      description: typedDescription(
        "Record a captured payment",
        "payment.completed",
        "Amounts are integer minor units.",
      ),
      inputSchema: paymentInput,
      outputSchema: s.writeOutput,
      annotations: WRITE,
    },
    tool("record_payment", async (a: z.infer<typeof paymentInput>) =>
      write(ctx, {
        entityType: "payment",
        entityId: a.paymentId ?? `payment-${normalizeUuid(a.commandId)}`,
        eventType: "payment.completed",
        payload: payloadIn({
          orderId: a.orderId,
          amount: a.amount,
          currency: a.currency,
          ...(a.method === undefined ? {} : { method: a.method }),
          ...(a.reference === undefined ? {} : { reference: a.reference }),
        }),
        commandId: a.commandId,
        baseVersion: a.baseVersion === undefined ? 0n : u64(a.baseVersion, "baseVersion"),
      }),
    ),
  );

  const returnInput = s.toolInput({
    commandId: s.commandId,
    orderId: z.string().min(1).max(256).describe("the order the items come from"),
    items: z
      .array(
        z.object({ sku: z.string().min(1).max(128), quantity: z.number().int().min(1).max(1_000_000_000) }).strict(),
      )
      .min(1)
      .max(1000),
    reason: z.string().min(1).max(1024),
    refundAmount: s.minorUnits("requested refund").optional(),
    currency: s.currency.optional().describe("required with refundAmount"),
    returnId: z.string().min(1).max(256).optional().describe("the return id (default: return-<commandId>)"),
    baseVersion: s.baseVersionIn.optional().describe("default 0: the return must be new"),
  });
  server.registerTool(
    "request_return",
    {
      title: "Request a return",
      description: typedDescription(
        "Record a customer's return request",
        "return.requested",
        "Amounts are integer minor units.",
      ),
      inputSchema: returnInput,
      outputSchema: s.writeOutput,
      annotations: WRITE,
    },
    tool("request_return", async (a: z.infer<typeof returnInput>) => {
      if (a.refundAmount !== undefined && a.currency === undefined) {
        throw new AgentError("INVALID_INPUT", "currency is required with refundAmount");
      }
      return write(ctx, {
        entityType: "return",
        entityId: a.returnId ?? `return-${normalizeUuid(a.commandId)}`,
        eventType: "return.requested",
        payload: payloadIn({
          orderId: a.orderId,
          items: a.items,
          reason: a.reason,
          ...(a.refundAmount === undefined ? {} : { refundAmount: a.refundAmount }),
          ...(a.currency === undefined ? {} : { currency: a.currency }),
        }),
        commandId: a.commandId,
        baseVersion: a.baseVersion === undefined ? 0n : u64(a.baseVersion, "baseVersion"),
      });
    }),
  );
}

/** An MCP server over an opened agent (not connected to a transport). `close` closes the server and its ledger. */
export function createMcpServer(
  agent: Agent,
  options: { readonly apply?: boolean; readonly log?: (line: string) => void } = {},
): { readonly server: McpServer; close(): Promise<void> } {
  const log = options.log ?? ((line: string) => void process.stderr.write(`stateset-sync mcp: ${line}\n`));
  const ledger = new WriteLedger(agent.paths.outbox);
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: INSTRUCTIONS });
  registerTools(server, { agent, ledger, apply: options.apply === true, log, serial });
  return {
    server,
    async close() {
      await server.close();
      ledger.close();
    },
  };
}

/**
 * Opens the agent's home and serves MCP on stdio until the client closes stdin.
 * @throws AgentError when the home is not configured or cannot be opened (before anything is served).
 */
export async function runMcpServer(options: McpServerOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`stateset-sync mcp: ${line}\n`));
  const agent = Agent.open({ ...options, onProgress: (m) => log(m) });
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  let mcp: ReturnType<typeof createMcpServer>;
  try {
    mcp = createMcpServer(agent, { apply: options.apply === true, log });
  } catch (e) {
    agent.close();
    throw e;
  }
  const g = agent.config.mcp;
  log(
    `serving agent ${agent.config.agentId} (${options.apply === true ? "apply" : "preview"} mode; ` +
      `allowed event types: ${g.allowedEventTypes.length === 0 ? "none, read-only" : g.allowedEventTypes.join(", ")})`,
  );
  const transport = new StdioServerTransport(stdin, stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  const end = () => void transport.close();
  stdin.once("end", end);
  stdin.once("close", end);
  try {
    await mcp.server.connect(transport);
    await closed;
  } finally {
    stdin.off("end", end);
    stdin.off("close", end);
    await mcp.close().catch(() => undefined);
    agent.close();
    log("stopped");
  }
}
