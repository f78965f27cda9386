/**
 * The sequencer's HTTP API on fastify: the reference's VES routes (ves-protocol.md §9.1) with its paths, field names
 * and status codes, the anchor-service compatibility routes (§8.4), the routes the reference lacks (pull a stream,
 * one event, head, sequencer key, agent-key list and revoke, paged commitments), health, readiness and the OpenAPI
 * document at `/docs/json`. Prometheus metrics are served on their own listener (see `server.ts`), not here. Every client error is a JSON `{ error: { code, message } }`.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import {
  bytesTo0xHex,
  bytesToHex,
  hexToBytes,
  normalizeUuid,
  parseJsonExact,
  stringifyJsonExact,
  verifyInclusionProof,
  type ExactJsonValue,
} from "../ves";
import type { Logger } from "../common";
import { SequencerError, agentKeyJson, receiptJson, type Principal, type SequencerService } from "./service";
import type { StoredCommitment, StoredEvent, StreamRef } from "./store/types";
import { registerAnchorRoutes } from "./api-anchor";
import { registerAdminRoutes } from "./api-admin";
import { unavailable } from "./store/errors";
import { registerSchemaRoutes } from "./api-schemas";
import { registerProofRoutes } from "./api-proofs";
import { registerStreamRoutes } from "./api-streams";
import { registerExplorer, type ExplorerOptions } from "./explorer";

/** What the HTTP layer needs. */
export interface ApiOptions {
  readonly service: SequencerService;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly metrics: Registry;
  /** False while starting or stopping: `/ready` answers 503. */
  readonly ready: () => boolean;
  /** True once a graceful stop began: every answer says `Connection: close`, so keep-alive clients let go. */
  readonly stopping?: () => boolean;
  /** The explorer page's chain settings (`/explorer`); without them the page skips its on-chain root check. */
  readonly explorer?: ExplorerOptions;
}

const UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$";
const uuidSchema = { type: "string", pattern: UUID } as const;
const streamQuery = {
  type: "object",
  required: ["tenant_id", "store_id"],
  properties: { tenant_id: uuidSchema, store_id: uuidSchema },
} as const;
const errorSchema = {
  type: "object",
  properties: { error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } },
} as const;
const u64String = { type: "string", pattern: "^[0-9]{1,20}$" } as const;

/** Sends a value as exact JSON (bigints printed as integers); a no-op once the request was answered (timeout). */
function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  if (reply.sent) return reply;
  return reply.code(status).type("application/json; charset=utf-8").send(stringifyJsonExact(value));
}

const fail = (status: number, code: string, message: string) => new SequencerError(status, code, message);

/** The largest sequence number (i64::MAX, §7.3), also the largest integer either database column holds. */
const MAX_SEQUENCE = 2n ** 63n - 1n;

/** Parses a decimal sequence-number query/body value, 0..i64::MAX (a larger one would fail in the database: 500). */
function u64(value: unknown, name: string): bigint {
  if (typeof value === "bigint" && value >= 0n && value <= MAX_SEQUENCE) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^[0-9]{1,20}$/.test(value) && BigInt(value) <= MAX_SEQUENCE) return BigInt(value);
  throw fail(400, "INVALID_FIELD_VALUE", `${name} must be an integer from 0 to ${MAX_SEQUENCE}`);
}

function streamOf(q: { tenant_id: string; store_id: string }): StreamRef {
  return { tenantId: normalizeUuid(q.tenant_id), storeId: normalizeUuid(q.store_id) };
}

/** The REST form of a commitment (§9.1), hashes as hex without `0x`. */
export function commitmentJson(c: StoredCommitment, withChain: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    batch_id: c.batchId,
    tenant_id: c.tenantId,
    store_id: c.storeId,
    ves_version: c.vesVersion,
    tree_depth: c.treeDepth,
    leaf_count: c.leafCount,
    padded_leaf_count: c.paddedLeafCount,
    merkle_root: bytesToHex(c.merkleRoot),
    prev_state_root: bytesToHex(c.prevStateRoot),
    new_state_root: bytesToHex(c.newStateRoot),
    sequence_start: c.sequenceStart,
    sequence_end: c.sequenceEnd,
    committed_at: c.committedAt,
  };
  if (!withChain) return base;
  return {
    ...base,
    chain_id: c.chainId,
    chain_tx_hash: c.chainTxHash === null ? null : bytesToHex(c.chainTxHash),
    chain_block_number: c.chainBlockNumber,
    anchored_at: c.anchoredAt,
    is_anchored: c.chainTxHash !== null,
  };
}

function eventJson(e: StoredEvent): Record<string, unknown> {
  return {
    sequence_number: e.sequenceNumber,
    event_id: e.eventId,
    envelope: parseJsonExact(e.envelopeJson),
    receipt: receiptJson(e.eventId, e.receipt),
    batch_id: e.batchId,
  };
}

/** Builds the fastify app (not listening). */
export async function buildApi(options: ApiOptions) {
  const { service, metrics } = options;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: 10 * 1024 * 1024,
    // Path parameters up to an entity id of 512 bytes, percent-encoded (entity history); longer ones are a 414.
    routerOptions: { maxParamLength: 2048 },
    // Receiving the request itself (slow clients); handler time is bounded by the 504 timer below.
    requestTimeout: options.requestTimeoutMs + 1000,
    ajv: { customOptions: { coerceTypes: "array", removeAdditional: false, allErrors: false } },
    // Errors the router raises before any route (a malformed URL, an over-long path parameter): the same JSON shape.
    frameworkErrors: (error, _req, reply) => {
      const e = error as Error & { statusCode?: number; code?: string };
      const status = typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 400;
      const code = e.code === "FST_ERR_MAX_PARAM_LENGTH" ? "PATH_PARAMETER_TOO_LONG" : "BAD_URL";
      void reply.header("x-error-code", code);
      void sendJson(reply, { error: { code, message: e.message } }, status);
    },
  });

  // Metrics ---------------------------------------------------------------------------------------------------------
  const requests = new Counter({
    name: "sequencer_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "method", "status"],
    registers: [metrics],
  });
  const duration = new Histogram({
    name: "sequencer_http_request_duration_seconds",
    help: "HTTP request duration by route",
    labelNames: ["route", "method"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [metrics],
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    duration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
  });

  // Request timeout: a request not answered in time gets a 504 (its handler may still finish; its reply is dropped).
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  app.addHook("onRequest", async (req, reply) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      req.log.warn({ route: req.routeOptions.url, timeoutMs: options.requestTimeoutMs }, "request timed out");
      void reply.header("x-error-code", "REQUEST_TIMEOUT");
      sendJson(
        reply,
        { error: { code: "REQUEST_TIMEOUT", message: `no answer within ${options.requestTimeoutMs} ms` } },
        504,
      );
    }, options.requestTimeoutMs);
    timer.unref();
    timers.set(req, timer);
  });
  const clearTimer = async (req: FastifyRequest) => {
    clearTimeout(timers.get(req));
    timers.delete(req);
  };
  app.addHook("onResponse", clearTimer);
  app.addHook("onRequestAbort", clearTimer);

  // Graceful stop: a request answered while stopping closes its connection (Node ends the socket after the answer),
  // so a keep-alive client cannot hold the process open until its keep-alive timeout.
  const stopping = options.stopping;
  if (stopping !== undefined) {
    app.addHook("onSend", async (_req, reply, payload) => {
      if (stopping()) void reply.header("connection", "close");
      return payload;
    });
  }

  // Bodies: exact JSON (u64 integers as bigint); malformed JSON is a 400.
  // Only JSON is accepted: any other (or no) content type is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonExact(body as string));
    } catch (e) {
      done(fail(400, "INVALID_JSON", `malformed JSON: ${(e as Error).message}`), undefined);
    }
  });

  // Errors: one JSON shape, the right status, never a stack trace.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    let status = 500;
    let code = "INTERNAL_ERROR";
    let message = "internal error";
    const down = unavailable(error);
    if (error instanceof SequencerError) {
      status = error.status;
      code = error.code;
      message = error.message;
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    } else if (down !== undefined) {
      status = 503;
      code = down.code;
      message = down.message;
      void reply.header("retry-after", "1");
      req.log.warn({ code, route: req.routeOptions.url }, "database unavailable: answered 503");
    } else if (error.validation !== undefined) {
      status = req.routeOptions.url === "/api/v1/ves/events/ingest" ? 422 : 400;
      code = "INVALID_REQUEST";
      message = error.message;
    } else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      status = 413;
      code = "PAYLOAD_TOO_LARGE";
      message = "the request body is over 10 MiB";
    } else if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      status = 415;
      code = "UNSUPPORTED_MEDIA_TYPE";
      message = "send the body as application/json";
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      code = error.code ?? "BAD_REQUEST";
      message = error.message;
    } else {
      req.log.error({ err: error }, "request failed");
    }
    void reply.header("x-error-code", code);
    return sendJson(reply, { error: { code, message } }, status);
  });
  app.setNotFoundHandler((req, reply) =>
    sendJson(reply, { error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` } }, 404),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: "VES sequencer", version: "1.0.0", description: "Verifiable Event Sync v1 sequencer API" },
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
          authorization: { type: "apiKey", in: "header", name: "Authorization" },
        },
      },
    },
  });

  const auth = async (req: FastifyRequest): Promise<Principal> => {
    const p = await service.authenticate(req.headers);
    await service.checkRateLimit(p);
    return p;
  };
  const security: { [label: string]: string[] }[] = [{ apiKey: [] }, { authorization: [] }];

  // Health, readiness, OpenAPI -----------------------------------------------------------------------------
  app.get("/health", { schema: { hide: true } }, async (_req, reply) =>
    sendJson(reply, { status: "ok", service: "stateset-sequencer", version: "1.0.0" }),
  );
  app.get("/ready", { schema: { hide: true } }, async (_req, reply) => {
    if (!options.ready()) return sendJson(reply, { status: "not_ready" }, 503);
    try {
      await service.store.ping();
      return sendJson(reply, { status: "ready", database: service.store.kind });
    } catch {
      return sendJson(reply, { status: "not_ready", database: "unreachable" }, 503);
    }
  });
  app.get("/docs/json", { schema: { hide: true } }, async (_req, reply) => sendJson(reply, app.swagger()));

  // Ingest ----------------------------------------------------------------------------------------------------------
  app.post(
    "/api/v1/ves/events/ingest",
    {
      schema: {
        summary: "Ingest signed VES events (one stream per request)",
        security,
        body: {
          type: "object",
          required: ["agentId", "events"],
          properties: { agentId: uuidSchema, events: { type: "array" } },
        },
        response: { 200: { type: "object" }, "4xx": errorSchema },
      },
    },
    async (req, reply) => sendJson(reply, await service.ingest(await auth(req), req.body)),
  );

  // Events, head, sequencer key (routes the reference lacks) --------------------------------------------------------
  app.get(
    "/api/v1/ves/events",
    {
      schema: {
        summary: "Pull a stream from a sequence number (inclusive)",
        security,
        querystring: {
          ...streamQuery,
          properties: {
            ...streamQuery.properties,
            from: u64String,
            limit: { type: "integer", minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; store_id: string; from?: string; limit?: number };
      const stream = streamOf(q);
      service.require(await auth(req), "read", stream.tenantId, stream.storeId);
      const from = q.from === undefined ? 1n : u64(q.from, "from");
      const limit = q.limit ?? 100;
      const [events, head] = await Promise.all([
        service.store.listEvents(stream, from, limit),
        service.store.headSequence(stream),
      ]);
      const last = events.at(-1)?.sequenceNumber;
      const next = last === undefined ? from : last + 1n;
      return sendJson(reply, { events: events.map(eventJson), next, has_more: next <= head, head_sequence: head });
    },
  );

  app.get(
    "/api/v1/ves/events/:event_id",
    {
      schema: {
        summary: "One event with its receipt and commitment",
        security,
        params: { type: "object", properties: { event_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      const p = await auth(req);
      const id = normalizeUuid((req.params as { event_id: string }).event_id);
      const e = (await service.store.getEventsById([id])).get(id);
      // Another tenant's event is reported as absent, not forbidden, so ids do not leak.
      if (e === undefined || !service.can(p, "read", e.tenantId, e.storeId))
        throw fail(404, "NOT_FOUND", `no event ${id}`);
      return sendJson(reply, eventJson(e));
    },
  );

  app.get(
    "/api/v1/ves/entities/:entity_type/:entity_id",
    {
      schema: {
        summary: "One entity's events in sequence order, paged by offset, with its current (OCC) version",
        security,
        params: {
          type: "object",
          required: ["entity_type", "entity_id"],
          properties: {
            entity_type: { type: "string", minLength: 1, maxLength: 128 },
            entity_id: { type: "string", minLength: 1, maxLength: 512 },
          },
        },
        querystring: {
          ...streamQuery,
          properties: {
            ...streamQuery.properties,
            from: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            limit: { type: "integer", minimum: 1, maximum: 100 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["entity_type", "entity_id", "events", "count", "total", "current_version", "has_more"],
            properties: {
              entity_type: { type: "string" },
              entity_id: { type: "string" },
              events: {
                type: "array",
                description: "the events as `GET /api/v1/ves/events` gives them, in sequence order",
                items: {
                  type: "object",
                  required: ["sequence_number", "event_id", "envelope", "receipt", "batch_id"],
                  properties: {
                    sequence_number: { type: "integer" },
                    event_id: { type: "string" },
                    envelope: { type: "object" },
                    receipt: { type: "object" },
                    batch_id: { type: ["string", "null"] },
                  },
                },
              },
              count: { type: "integer", description: "events in this page" },
              total: { type: "integer", description: "events of the entity" },
              current_version: {
                type: "integer",
                description: "the version `base_version` is checked against (0: no events)",
              },
              has_more: { type: "boolean" },
            },
          },
          "4xx": errorSchema,
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; store_id: string; from?: number; limit?: number };
      const params = req.params as { entity_type: string; entity_id: string };
      const stream = streamOf(q);
      service.require(await auth(req), "read", stream.tenantId, stream.storeId);
      const from = q.from ?? 0;
      const history = await service.store.entityHistory(
        stream,
        { entityType: params.entity_type, entityId: params.entity_id },
        from,
        q.limit ?? 100,
      );
      return sendJson(reply, {
        entity_type: params.entity_type,
        entity_id: params.entity_id,
        events: history.events.map(eventJson),
        count: history.events.length,
        total: history.total,
        current_version: history.version,
        has_more: from + history.events.length < history.total,
      });
    },
  );

  app.get(
    "/api/v1/ves/head",
    { schema: { summary: "Head sequence and latest commitment of a stream", security, querystring: streamQuery } },
    async (req, reply) => {
      const stream = streamOf(req.query as { tenant_id: string; store_id: string });
      service.require(await auth(req), "read", stream.tenantId, stream.storeId);
      const [head, latest] = await Promise.all([
        service.store.headSequence(stream),
        service.store.latestCommitment(stream),
      ]);
      return sendJson(reply, {
        tenant_id: stream.tenantId,
        store_id: stream.storeId,
        head_sequence: head,
        latest_commitment:
          latest === null
            ? null
            : {
                batch_id: latest.batchId,
                sequence_end: latest.sequenceEnd,
                new_state_root: bytesToHex(latest.newStateRoot),
              },
      });
    },
  );

  app.get(
    "/api/v1/ves/sequencer-key",
    {
      schema: {
        summary:
          "Every receipt-signing public key with its version (this sequencer's first, then imported sequencers'); " +
          "a receipt verifies under the key of its sequencerId and sequencerKeyVersion",
      },
    },
    async (_req, reply) => {
      const keys = await service.sequencerKeys();
      return sendJson(reply, {
        sequencer_id: service.sequencerId,
        current_version: service.keyVersion,
        keys: keys.map((k) => ({
          sequencer_id: k.sequencerId,
          version: k.version,
          algorithm: "ed25519",
          public_key: bytesToHex(k.publicKey),
          current: k.sequencerId === service.sequencerId && k.version === service.keyVersion,
          origin: k.origin,
          created_at: k.createdAt,
        })),
      });
    },
  );

  // Commitments -----------------------------------------------------------------------------------------------------
  app.post(
    "/api/v1/ves/commitments",
    {
      schema: {
        summary: "Commit a sequence range of a stream (idempotent for the same range)",
        security,
        body: {
          type: "object",
          required: ["tenant_id", "store_id", "sequence_start", "sequence_end"],
          properties: { tenant_id: uuidSchema, store_id: uuidSchema, sequence_start: {}, sequence_end: {} },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { tenant_id: string; store_id: string; sequence_start: unknown; sequence_end: unknown };
      const stream = streamOf(b);
      service.require(await auth(req), "write", stream.tenantId, stream.storeId);
      const { commitment } = await service.commit(
        stream,
        u64(b.sequence_start, "sequence_start"),
        u64(b.sequence_end, "sequence_end"),
      );
      return sendJson(reply, commitmentJson(commitment, false));
    },
  );

  app.get(
    "/api/v1/ves/commitments",
    {
      schema: {
        summary: "A stream's commitments; without `anchored`, only unanchored ones (as the reference)",
        security,
        querystring: {
          ...streamQuery,
          properties: {
            ...streamQuery.properties,
            anchored: { type: "string", enum: ["true", "false", "all"] },
            after: u64String,
            limit: { type: "integer", minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; store_id: string; anchored?: string; after?: string; limit?: number };
      const stream = streamOf(q);
      service.require(await auth(req), "read", stream.tenantId, stream.storeId);
      const anchored = q.anchored === "all" ? undefined : q.anchored === "true";
      const limit = q.limit ?? 100;
      const list = await service.store.listCommitments(stream, {
        ...(anchored === undefined ? {} : { anchored }),
        afterSequence: q.after === undefined ? 0n : u64(q.after, "after"),
        limit,
      });
      const last = list.at(-1);
      return sendJson(reply, {
        commitments: list.map((c) => commitmentJson(c, true)),
        count: list.length,
        next_after: last === undefined ? null : last.sequenceStart,
        has_more: list.length === limit,
      });
    },
  );

  app.get(
    "/api/v1/ves/commitments/:batch_id",
    {
      schema: {
        summary: "One commitment with its anchoring",
        security,
        params: { type: "object", properties: { batch_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      const p = await auth(req);
      const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
      const c = await service.store.getCommitment(id);
      if (c === null || !service.can(p, "read", c.tenantId, c.storeId))
        throw fail(404, "NOT_FOUND", `no commitment ${id}`);
      return sendJson(reply, commitmentJson(c, true));
    },
  );

  // Inclusion proofs ------------------------------------------------------------------------------------------------
  app.get(
    "/api/v1/ves/proofs/:sequence_number",
    {
      schema: {
        summary: "Inclusion proof of an event in its commitment",
        security,
        params: { type: "object", properties: { sequence_number: u64String } },
        querystring: { ...streamQuery, properties: { ...streamQuery.properties, batch_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; store_id: string; batch_id?: string };
      const stream = streamOf(q);
      service.require(await auth(req), "read", stream.tenantId, stream.storeId);
      const seq = u64((req.params as { sequence_number: string }).sequence_number, "sequence_number");
      let c: StoredCommitment | null;
      if (q.batch_id !== undefined) {
        c = await service.store.getCommitment(normalizeUuid(q.batch_id));
        if (c === null) throw fail(404, "NOT_FOUND", `no commitment ${q.batch_id}`);
        if (c.tenantId !== stream.tenantId || c.storeId !== stream.storeId) {
          throw fail(403, "INSUFFICIENT_PERMISSIONS", "the commitment belongs to another stream");
        }
        if (seq < c.sequenceStart || seq > c.sequenceEnd) {
          throw fail(400, "INVALID_FIELD_VALUE", `sequence ${seq} is outside ${c.sequenceStart}..${c.sequenceEnd}`);
        }
      } else {
        c = await service.store.commitmentForSequence(stream, seq);
        if (c === null) throw fail(404, "NOT_COMMITTED", `sequence ${seq} is not in a commitment yet`);
      }
      const proof = await service.proof(c, seq);
      return sendJson(reply, {
        sequence_number: seq,
        batch_id: c.batchId,
        merkle_root: bytesToHex(c.merkleRoot),
        leaf_hash: bytesToHex(proof.leafHash),
        leaf_index: proof.leafIndex,
        leaf_count: c.leafCount,
        proof_path: proof.proofPath.map(bytesToHex),
        directions: proof.directions,
      });
    },
  );

  app.post(
    "/api/v1/ves/proofs/verify",
    {
      schema: {
        summary: "Verify an inclusion proof (plain hex, no 0x)",
        security,
        body: {
          type: "object",
          required: ["leaf_hash", "merkle_root", "proof_path", "leaf_index"],
          properties: {
            leaf_hash: { type: "string", pattern: "^[0-9a-fA-F]{64}$" },
            merkle_root: { type: "string", pattern: "^[0-9a-fA-F]{64}$" },
            proof_path: { type: "array", maxItems: 64, items: { type: "string", pattern: "^[0-9a-fA-F]{64}$" } },
            leaf_index: { type: "integer", minimum: 0, maximum: 2 ** 53 - 1 },
            leaf_count: { type: "integer", minimum: 1, maximum: 2 ** 31 },
          },
        },
      },
    },
    async (req, reply) => {
      const p = await auth(req);
      if (!p.read && !p.admin) throw fail(403, "INSUFFICIENT_PERMISSIONS", "read permission is required");
      const b = req.body as {
        leaf_hash: string;
        merkle_root: string;
        proof_path: string[];
        leaf_index: number | bigint;
        leaf_count?: number | bigint;
      };
      const check = verifyInclusionProof({
        leafHash: hexToBytes(b.leaf_hash, { prefix: "forbidden", length: 32 }),
        merkleRoot: hexToBytes(b.merkle_root, { prefix: "forbidden", length: 32 }),
        proofPath: b.proof_path.map((h) => hexToBytes(h, { prefix: "forbidden", length: 32 })),
        leafIndex: Number(b.leaf_index),
        ...(b.leaf_count === undefined
          ? { paddedLeafCount: 2 ** b.proof_path.length }
          : { leafCount: Number(b.leaf_count) }),
      });
      return sendJson(reply, {
        valid: check.ok,
        leaf_hash: b.leaf_hash.toLowerCase(),
        merkle_root: b.merkle_root.toLowerCase(),
        ...(check.ok ? {} : { reason: check.reason }),
      });
    },
  );

  // Agent keys and API keys -----------------------------------------------------------------------------------------
  app.post(
    "/api/v1/agents/keys",
    {
      schema: {
        summary: "Register an agent's Ed25519 key (tenant admin)",
        security,
        body: {
          type: "object",
          required: ["tenantId", "agentId", "keyId", "publicKey"],
          properties: {
            tenantId: uuidSchema,
            agentId: uuidSchema,
            keyId: { type: "integer", minimum: 0, maximum: 4294967295 },
            publicKey: { type: "string", pattern: "^(0x)?[0-9a-fA-F]{64}$" },
            validFrom: { type: "string", format: "date-time" },
            validTo: { type: "string", format: "date-time" },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as {
        tenantId: string;
        agentId: string;
        keyId: number | bigint;
        publicKey: string;
        validFrom?: string;
        validTo?: string;
      };
      const key = await service.registerAgentKey(await auth(req), {
        tenantId: normalizeUuid(b.tenantId),
        agentId: normalizeUuid(b.agentId),
        keyId: Number(b.keyId),
        publicKey: hexToBytes(b.publicKey, { length: 32 }),
        validFrom: b.validFrom ?? null,
        validTo: b.validTo ?? null,
      });
      return sendJson(reply, {
        success: true,
        tenantId: key.tenantId,
        agentId: key.agentId,
        keyId: key.keyId,
        keyAlgorithm: 1,
        message: "Agent key registered successfully",
      });
    },
  );

  app.get(
    "/api/v1/agents/keys",
    {
      schema: {
        summary: "List an agent's keys",
        security,
        querystring: {
          type: "object",
          required: ["tenant_id", "agent_id"],
          properties: { tenant_id: uuidSchema, agent_id: uuidSchema },
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { tenant_id: string; agent_id: string };
      const keys = await service.listAgentKeys(await auth(req), normalizeUuid(q.tenant_id), normalizeUuid(q.agent_id));
      return sendJson(reply, { keys: keys.map(agentKeyJson), count: keys.length });
    },
  );

  app.post(
    "/api/v1/agents/keys/revoke",
    {
      schema: {
        summary: "Revoke an agent key (tenant admin); its new events are rejected",
        security,
        body: {
          type: "object",
          required: ["tenantId", "agentId", "keyId"],
          properties: {
            tenantId: uuidSchema,
            agentId: uuidSchema,
            keyId: { type: "integer", minimum: 0, maximum: 4294967295 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { tenantId: string; agentId: string; keyId: number | bigint };
      const key = await service.revokeAgentKey(
        await auth(req),
        normalizeUuid(b.tenantId),
        normalizeUuid(b.agentId),
        Number(b.keyId),
      );
      return sendJson(reply, { success: true, key: agentKeyJson(key) });
    },
  );

  app.post(
    "/api/v1/agents/:agent_id/api-keys",
    {
      schema: {
        summary: "Create an API key for an agent of a tenant (tenant admin); the key is shown once",
        security,
        params: { type: "object", properties: { agent_id: uuidSchema } },
        body: {
          type: "object",
          properties: {
            tenantId: uuidSchema,
            storeIds: { type: "array", maxItems: 50, items: uuidSchema },
            readOnly: { type: "boolean" },
            admin: { type: "boolean" },
            rateLimit: { type: "integer", minimum: 1, maximum: 1_000_000 },
          },
        },
      },
    },
    async (req, reply) => {
      const p = await auth(req);
      const b = (req.body ?? {}) as {
        tenantId?: string;
        storeIds?: string[];
        readOnly?: boolean;
        admin?: boolean;
        rateLimit?: number | bigint;
      };
      const tenantId = b.tenantId !== undefined ? normalizeUuid(b.tenantId) : p.bootstrap ? undefined : p.tenantId;
      if (tenantId === undefined)
        throw fail(400, "INVALID_FIELD_VALUE", "tenantId is required for the bootstrap admin");
      const admin = b.admin === true;
      const readOnly = b.readOnly === true && !admin;
      const created = await service.createApiKey(p, {
        tenantId,
        agentId: normalizeUuid((req.params as { agent_id: string }).agent_id),
        storeIds: (b.storeIds ?? []).map(normalizeUuid),
        read: true,
        write: !readOnly,
        admin,
        rateLimit: b.rateLimit === undefined ? null : Number(b.rateLimit),
      });
      return sendJson(reply, {
        success: true,
        apiKey: created.apiKey,
        keyHashPrefix: created.info.keyHashPrefix,
        permissions: admin ? "admin" : readOnly ? "read" : "read_write",
        message: "Store this key now: it is not shown again",
      });
    },
  );

  registerAdminRoutes(app, { service, auth, sendJson, security, uuidSchema });
  registerAnchorRoutes(app, { service, auth, sendJson, security });
  registerSchemaRoutes(app, { service, auth, sendJson, security, uuidSchema });
  registerProofRoutes(app, { service, auth, sendJson, security, uuidSchema });
  registerStreamRoutes(app, { service, auth, sendJson, security, uuidSchema }, commitmentJson);
  registerExplorer(app, options.explorer);

  // Anchor-service compatibility routes (root level, bootstrap admin, hex with 0x) ----------------------------------
  app.get(
    "/v1/commitments/pending",
    {
      schema: {
        summary: "Unanchored commitments of every stream, oldest first (anchor service)",
        security,
        querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 5000 } } },
      },
    },
    async (req, reply) => {
      service.requireBootstrap(await auth(req));
      const list = await service.store.pendingAnchors((req.query as { limit?: number }).limit ?? 1000);
      return sendJson(reply, {
        commitments: list.map((c) => ({
          batch_id: c.batchId,
          tenant_id: c.tenantId,
          store_id: c.storeId,
          prev_state_root: bytesTo0xHex(c.prevStateRoot),
          new_state_root: bytesTo0xHex(c.newStateRoot),
          events_root: bytesTo0xHex(c.merkleRoot),
          sequence_start: c.sequenceStart,
          sequence_end: c.sequenceEnd,
          event_count: c.leafCount,
          committed_at: c.committedAt,
          chain_tx_hash: null,
        })),
        total: list.length,
      });
    },
  );

  app.post(
    "/v1/commitments/:batch_id/anchored",
    {
      schema: {
        summary: "Record the anchoring transaction of a commitment (anchor service)",
        security,
        params: { type: "object", properties: { batch_id: uuidSchema } },
        body: {
          type: "object",
          required: ["chain_tx_hash", "chain_id"],
          properties: {
            chain_tx_hash: { type: "string", pattern: "^(0x)?[0-9a-fA-F]{64}$" },
            chain_id: { type: "integer", minimum: 1, maximum: 4294967295 },
            block_number: { type: ["integer", "null"], minimum: 0 },
            gas_used: { type: ["integer", "null"], minimum: 0 },
          },
        },
      },
    },
    async (req, reply) => {
      service.requireBootstrap(await auth(req));
      const b = req.body as { chain_tx_hash: string; chain_id: number | bigint; block_number?: number | bigint | null };
      const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
      const result = await service.store.markAnchored(id, {
        chainId: BigInt(b.chain_id),
        txHash: hexToBytes(b.chain_tx_hash, { length: 32 }),
        blockNumber: b.block_number === undefined || b.block_number === null ? null : BigInt(b.block_number),
      });
      if (result.kind === "not_found") throw fail(404, "NOT_FOUND", `no commitment ${id}`);
      if (result.kind === "conflict") {
        throw fail(409, "ALREADY_ANCHORED", `commitment ${id} is anchored by another transaction`);
      }
      return sendJson(reply, {
        batch_id: id,
        status: result.kind,
        chain_tx_hash: bytesTo0xHex(result.commitment.chainTxHash!),
        chain_id: result.commitment.chainId,
      });
    },
  );

  app.delete(
    "/v1/commitments/:batch_id/anchored",
    {
      schema: {
        summary: "Clear the anchoring of a commitment whose block was reorganised away (anchor service)",
        security,
        params: { type: "object", properties: { batch_id: uuidSchema } },
      },
    },
    async (req, reply) => {
      service.requireBootstrap(await auth(req));
      const id = normalizeUuid((req.params as { batch_id: string }).batch_id);
      const result = await service.store.unmarkAnchored(id);
      if (result.kind === "not_found") throw fail(404, "NOT_FOUND", `no commitment ${id}`);
      return sendJson(reply, { status: result.kind, commitment: commitmentJson(result.commitment, true) });
    },
  );

  return app;
}

export type { ExactJsonValue };
export { Registry, collectDefaultMetrics };
