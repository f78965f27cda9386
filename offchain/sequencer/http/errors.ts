/**
 * Error mapping: every failure answers one JSON shape `{ error: { code, message } }` with the right status and an
 * `x-error-code` header, never a stack trace — sequencer errors with their own status, an unavailable database 503,
 * schema validation 400 (422 on ingest), body limits and media types, and the router's own errors.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import { SequencerError } from "../errors";
import { unavailable } from "../store";
import { sendJson } from "./json";

/** An error as fastify hands it to the error handler. */
type FastifyFailure = Error & { statusCode?: number; code?: string; validation?: unknown };

/** The status, code and message of an error (headers of a sequencer error set on `reply`). */
function describe(error: FastifyFailure, req: FastifyRequest, reply: FastifyReply) {
  const down = unavailable(error);
  if (error instanceof SequencerError) {
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    return { status: error.status, code: error.code, message: error.message };
  }
  if (down !== undefined) {
    void reply.header("retry-after", "1");
    req.log.warn({ code: down.code, route: req.routeOptions.url }, "database unavailable: answered 503");
    return { status: 503, code: down.code, message: down.message };
  }
  if (error.validation !== undefined) {
    const status = req.routeOptions.url === "/api/v1/ves/events/ingest" ? 422 : 400;
    return { status, code: "INVALID_REQUEST", message: error.message };
  }
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "PAYLOAD_TOO_LARGE", message: "the request body is over 10 MiB" };
  }
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "send the body as application/json" };
  }
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: error.code ?? "BAD_REQUEST", message: error.message };
  }
  req.log.error({ err: error }, "request failed");
  return { status: 500, code: "INTERNAL_ERROR", message: "internal error" };
}

/** The app's error handler: one JSON shape, the right status, never a stack trace. */
export function errorHandler(error: FastifyFailure, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, code, message } = describe(error, req, reply);
  void reply.header("x-error-code", code);
  return sendJson(reply, { error: { code, message } }, status);
}

/** Errors the router raises before any route (a malformed URL, an over-long path parameter): the same JSON shape. */
export function frameworkErrors(error: Error, _req: unknown, reply: FastifyReply): void {
  const e = error as Error & { statusCode?: number; code?: string };
  const status = typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 400;
  const code = e.code === "FST_ERR_MAX_PARAM_LENGTH" ? "PATH_PARAMETER_TOO_LONG" : "BAD_URL";
  void reply.header("x-error-code", code);
  void sendJson(reply, { error: { code, message: e.message } }, status);
}
