/**
 * What every concern's fastify plugin receives: the sequencer's fastify instance type, the route context (the
 * service, the authentication hook, `sendJson`) and the plugin type. JSON-schema pieces are in `route-schemas.ts`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  FastifyTypeProviderDefault,
  RawServerDefault,
} from "fastify";

import type { Logger } from "../../common";
import type { Principal } from "../auth";
import type { SequencerService } from "../service";

/** The sequencer's fastify instance (pino logger). */
export type SequencerApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;

/** What the routes of every concern borrow from the HTTP layer. */
export interface RouteContext {
  readonly service: SequencerService;
  /** Authenticates a request and counts it against its rate limits. */
  readonly auth: (req: FastifyRequest) => Promise<Principal>;
  readonly sendJson: (reply: FastifyReply, value: unknown, status?: number) => FastifyReply;
}

/** A concern's routes as a fastify plugin. */
export type RoutePlugin = FastifyPluginAsync<RouteContext, RawServerDefault, FastifyTypeProviderDefault, Logger>;

/** The authentication hook of `service`: the principal of a request, counted against its rate limits. */
export function authHook(service: SequencerService): (req: FastifyRequest) => Promise<Principal> {
  return async (req) => {
    const p = await service.authenticate(req.headers);
    await service.checkRateLimit(p);
    return p;
  };
}
