/**
 * The anchor lease routes (bootstrap admin): one anchor process per sequencer works at a time. `POST
 * /v1/anchor/lease {holderId, leaseMs}` takes it (200 `{holderId, expiresAt}`, or 409 with the current holder's),
 * `POST /v1/anchor/lease/renew` extends the caller's (or re-takes a lapsed one), `POST /v1/anchor/lease/release
 * {holderId}` gives it up. The lease lives in the database, so it holds across sequencer processes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import type { RoutePlugin } from "../http";
import { releaseLeaseSchema, renewLeaseSchema, takeLeaseSchema } from "./route-schemas";

const leaseJson = (l: { holderId: string; expiresAtMs: number }) => ({
  holderId: l.holderId,
  expiresAt: new Date(l.expiresAtMs).toISOString(),
});

/** Registers the anchor lease routes. */
export const leaseRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  const leases = service.store.anchorLease;
  const take = async (req: FastifyRequest, reply: FastifyReply) => {
    service.requireBootstrap(await auth(req));
    const b = req.body as { holderId: string; leaseMs: number };
    const r = await leases.acquireAnchorLease(b.holderId, b.leaseMs, Date.now());
    return sendJson(reply, leaseJson(r.lease), r.kind === "held" ? 200 : 409);
  };
  app.post("/v1/anchor/lease", { schema: takeLeaseSchema }, take);
  app.post("/v1/anchor/lease/renew", { schema: renewLeaseSchema }, take);
  app.post("/v1/anchor/lease/release", { schema: releaseLeaseSchema }, async (req, reply) => {
    service.requireBootstrap(await auth(req));
    const r = await leases.releaseAnchorLease((req.body as { holderId: string }).holderId);
    if (r.kind === "busy") return sendJson(reply, leaseJson(r.lease), 409);
    return sendJson(reply, { released: r.kind === "released" });
  });
};
