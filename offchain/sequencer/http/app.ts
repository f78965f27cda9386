/**
 * The sequencer's fastify app without its concern routes: body parsing (exact JSON only), request timeouts (504),
 * HTTP metrics, the graceful-stop `Connection: close`, error mapping, the OpenAPI document at `/docs/json` (swagger)
 * and health and readiness. `server.ts` registers each concern's routes plugin on it. Prometheus metrics are served
 * on their own listener (see `server.ts`), not here. Every client error is a JSON `{ error: { code, message } }`.
 */
import Fastify, { type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { Counter, Histogram, type Registry } from "prom-client";

import { parseJsonExact } from "../../ves";
import type { Logger } from "../../common";
import type { SequencerService } from "../service";
import type { SequencerApp } from "./context";
import { errorHandler, frameworkErrors } from "./errors";
import { fail, sendJson } from "./json";

/** What the HTTP app needs. */
export interface AppOptions {
  readonly service: SequencerService;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly metrics: Registry;
  /** False while starting or stopping: `/ready` answers 503. */
  readonly ready: () => boolean;
  /** True once a graceful stop began: every answer says `Connection: close`, so keep-alive clients let go. */
  readonly stopping?: () => boolean;
}

/** Request counts and durations by route. */
function addMetricsHooks(app: SequencerApp, metrics: Registry): void {
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
}

/** Request timeout: a request not answered in time gets a 504 (its handler may still finish; its reply is dropped). */
function addTimeoutHooks(app: SequencerApp, timeoutMs: number): void {
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  app.addHook("onRequest", async (req, reply) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      req.log.warn({ route: req.routeOptions.url, timeoutMs }, "request timed out");
      void reply.header("x-error-code", "REQUEST_TIMEOUT");
      sendJson(reply, { error: { code: "REQUEST_TIMEOUT", message: `no answer within ${timeoutMs} ms` } }, 504);
    }, timeoutMs);
    timer.unref();
    timers.set(req, timer);
  });
  const clearTimer = async (req: FastifyRequest) => {
    clearTimeout(timers.get(req));
    timers.delete(req);
  };
  app.addHook("onResponse", clearTimer);
  app.addHook("onRequestAbort", clearTimer);
}

/** Bodies: exact JSON (u64 integers as bigint); malformed JSON is a 400; any other (or no) content type a 415. */
function addJsonParser(app: SequencerApp): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonExact(body as string));
    } catch (e) {
      done(fail(400, "INVALID_JSON", `malformed JSON: ${(e as Error).message}`), undefined);
    }
  });
}

/** Health, readiness and the OpenAPI document. */
function addHealthRoutes(app: SequencerApp, options: AppOptions): void {
  const { service } = options;
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
}

/** Builds the fastify app with its shared hooks, error mapping, swagger and health routes (not listening). */
export async function createApp(options: AppOptions): Promise<SequencerApp> {
  const app: SequencerApp = Fastify({
    loggerInstance: options.logger,
    bodyLimit: 10 * 1024 * 1024,
    // Path parameters up to an entity id of 512 bytes, percent-encoded (entity history); longer ones are a 414.
    routerOptions: { maxParamLength: 2048 },
    // Receiving the request itself (slow clients); handler time is bounded by the 504 timer.
    requestTimeout: options.requestTimeoutMs + 1000,
    ajv: { customOptions: { coerceTypes: "array", removeAdditional: false, allErrors: false } },
    frameworkErrors,
  });
  addMetricsHooks(app, options.metrics);
  addTimeoutHooks(app, options.requestTimeoutMs);
  // Graceful stop: a request answered while stopping closes its connection (Node ends the socket after the answer),
  // so a keep-alive client cannot hold the process open until its keep-alive timeout.
  const stopping = options.stopping;
  if (stopping !== undefined) {
    app.addHook("onSend", async (_req, reply, payload) => {
      if (stopping()) void reply.header("connection", "close");
      return payload;
    });
  }
  addJsonParser(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendJson(reply, { error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` } }, 404),
  );
  await app.register(swagger, {
    openapi: {
      info: { title: "VES sequencer", version: "1.0.0", description: "Verifiable Event Sync v1 sequencer API" },
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
          authorization: {
            type: "apiKey",
            in: "header",
            name: "Authorization",
            description: "`ApiKey <key>` (or a bare `ss_…` key)",
          },
          bearerJwt: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "HS256, iss/aud checked; claims sub (tenant), stores, agent, perms (SEQUENCER__JWT_SECRET)",
          },
        },
      },
    },
  });
  addHealthRoutes(app, options);
  return app;
}
