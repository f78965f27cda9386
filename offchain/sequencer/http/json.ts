/**
 * Small helpers of every route: exact-JSON answers (`sendJson`), decimal sequence numbers (`u64`), the stream of a
 * query (`streamOf`) and the error constructor (`fail`).
 */
import type { FastifyReply } from "fastify";

import { normalizeUuid, stringifyJsonExact } from "../../ves";
import { SequencerError } from "../errors";
import type { StreamRef } from "../store";

/** Sends a value as exact JSON (bigints printed as integers); a no-op once the request was answered (timeout). */
export function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  if (reply.sent) return reply;
  return reply.code(status).type("application/json; charset=utf-8").send(stringifyJsonExact(value));
}

/** A sequencer error with its status, code and message. */
export const fail = (status: number, code: string, message: string) => new SequencerError(status, code, message);

/** The largest sequence number (i64::MAX, §7.3), also the largest integer either database column holds. */
export const MAX_SEQUENCE = 2n ** 63n - 1n;

/** Parses a decimal sequence-number query/body value, 0..i64::MAX (a larger one would fail in the database: 500). */
export function u64(value: unknown, name: string): bigint {
  if (typeof value === "bigint" && value >= 0n && value <= MAX_SEQUENCE) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^[0-9]{1,20}$/.test(value) && BigInt(value) <= MAX_SEQUENCE) return BigInt(value);
  throw fail(400, "INVALID_FIELD_VALUE", `${name} must be an integer from 0 to ${MAX_SEQUENCE}`);
}

/** The stream a query or body names. */
export function streamOf(q: { tenant_id: string; store_id: string }): StreamRef {
  return { tenantId: normalizeUuid(q.tenant_id), storeId: normalizeUuid(q.store_id) };
}
