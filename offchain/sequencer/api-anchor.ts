/**
 * The anchor lease routes (bootstrap admin): one anchor process per sequencer works at a time. `POST
 * /v1/anchor/lease {holderId, leaseMs}` takes it (200 `{holderId, expiresAt}`, or 409 with the current holder's),
 * `POST /v1/anchor/lease/renew` extends the caller's (or re-takes a lapsed one), `POST /v1/anchor/lease/release
 * {holderId}` gives it up. The lease lives in the database, so it holds across sequencer processes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import type { SequencerApp } from "./api-admin";

import type { Principal, SequencerService } from "./service";

/** What the lease routes borrow from the main API module. */
export interface AnchorRouteContext {
  readonly service: SequencerService;
  readonly auth: (req: FastifyRequest) => Promise<Principal>;
  readonly sendJson: (reply: FastifyReply, value: unknown, status?: number) => FastifyReply;
  readonly security: { [label: string]: string[] }[];
}

const HOLDER = { type: "string", minLength: 1, maxLength: 128 } as const;
const LEASE_MS = { type: "integer", minimum: 1000, maximum: 3_600_000 } as const;

/** Registers the anchor lease routes. */
export function registerAnchorRoutes(app: SequencerApp, ctx: AnchorRouteContext): void {
  const { service, auth, sendJson, security } = ctx;
  const leases = service.store.anchorLease;
  const leaseJson = (l: { holderId: string; expiresAtMs: number }) => ({
    holderId: l.holderId,
    expiresAt: new Date(l.expiresAtMs).toISOString(),
  });
  const take = async (req: FastifyRequest, reply: FastifyReply) => {
    service.requireBootstrap(await auth(req));
    const b = req.body as { holderId: string; leaseMs: number };
    const r = await leases.acquireAnchorLease(b.holderId, b.leaseMs, Date.now());
    return sendJson(reply, leaseJson(r.lease), r.kind === "held" ? 200 : 409);
  };
  const body = {
    type: "object",
    required: ["holderId", "leaseMs"],
    additionalProperties: false,
    properties: { holderId: HOLDER, leaseMs: LEASE_MS },
  } as const;
  app.post(
    "/v1/anchor/lease",
    { schema: { summary: "Take the anchor lease (one anchor process per sequencer)", security, body } },
    take,
  );
  app.post(
    "/v1/anchor/lease/renew",
    { schema: { summary: "Renew the caller's anchor lease (or re-take a lapsed one)", security, body } },
    take,
  );
  app.post(
    "/v1/anchor/lease/release",
    {
      schema: {
        summary: "Give the anchor lease up",
        security,
        body: { type: "object", required: ["holderId"], additionalProperties: false, properties: { holderId: HOLDER } },
      },
    },
    async (req, reply) => {
      service.requireBootstrap(await auth(req));
      const r = await leases.releaseAnchorLease((req.body as { holderId: string }).holderId);
      if (r.kind === "busy") return sendJson(reply, leaseJson(r.lease), 409);
      return sendJson(reply, { released: r.kind === "released" });
    },
  );
}
