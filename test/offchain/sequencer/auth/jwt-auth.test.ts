/**
 * JWT credentials over HTTP, on both backends (ves-protocol.md §10): `Authorization: Bearer <JWT>` signed HS256 with
 * `SEQUENCER__JWT_SECRET`. Every refused token answers 401 with `invalid_jwt` or `token_expired`; a valid token gets
 * the permission and store-scope rules of an API key (key-scope rule included) and its own rate-limit bucket per
 * `sub` + `agent`. Without a configured secret every bearer token is refused.
 */
import { createHmac, randomUUID } from "node:crypto";

import { expect } from "chai";

import { signJwt, type JwtClaims, type Sequencer } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  cli,
  client,
  newAgent,
  sequencerEnv,
  startSequencer,
  type Agent,
  type BackendSetup,
} from "../../../support/sequencer";
import { startOfWindow } from "../../../support/time";

const SECRET_TEXT = "jwt-test-secret-0123456789-abcdefghijkl";
const SECRET = new TextEncoder().encode(SECRET_TEXT);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const nowS = () => Math.floor(Date.now() / 1000);

/** Claims of a token for `agent`'s tenant; `over` replaces or (with undefined) removes claims. */
function claimsFor(agent: Agent, over: Record<string, unknown> = {}): JwtClaims {
  return {
    iss: "stateset-sequencer",
    aud: "stateset-api",
    sub: agent.tenantId,
    agent: agent.agentId,
    perms: "read,write",
    iat: nowS(),
    exp: nowS() + 300,
    jti: randomUUID(),
    ...over,
  };
}

/** Sends a request with `Authorization: Bearer <token>`. */
async function bearer(base: string, token: string, method: string, url: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: { [k: string]: unknown; error?: { code?: string; message?: string } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // not JSON: the assertion on status shows the text
  }
  return { status: res.status, json, text, headers: res.headers };
}

const streamQuery = (a: Agent, storeId = a.storeId) => `tenant_id=${a.tenantId}&store_id=${storeId}`;

for (const backend of BACKENDS) {
  describe(`JWT authentication (${backend.name})`, function () {
    this.timeout(60_000);
    let setup: BackendSetup;
    let seq: Sequencer;
    let url: string;
    let agent: Agent;

    before(async function () {
      setup = await backend.setup();
      ({ seq, url } = await startSequencer(setup, { rateLimitPerKey: 10 }, { SEQUENCER__JWT_SECRET: SECRET_TEXT }));
      agent = await newAgent(client(url, ADMIN_KEY));
    });
    after(async function () {
      await seq?.stop();
      await setup?.cleanup();
    });

    it("accepts a valid token: the agent ingests and reads its stream", async function () {
      const token = signJwt(claimsFor(agent), SECRET);
      const events = [await agent.event()];
      const r = await bearer(url, token, "POST", "/api/v1/ves/events/ingest", { agentId: agent.agentId, events });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.eventsAccepted).to.equal(1);
      const read = await bearer(
        url,
        signJwt(claimsFor(agent), SECRET),
        "GET",
        `/api/v1/ves/events?${streamQuery(agent)}`,
      );
      expect(read.status, read.text).to.equal(200);
      expect((read.json.events as unknown[]).length).to.equal(1);
    });

    const refusals: [string, (a: Agent) => string, string][] = [
      ["expired", (a) => signJwt(claimsFor(a, { exp: nowS() - 120, iat: nowS() - 600 }), SECRET), "token_expired"],
      ["not yet valid", (a) => signJwt(claimsFor(a, { nbf: nowS() + 300 }), SECRET), "invalid_jwt"],
      ["from another issuer", (a) => signJwt(claimsFor(a, { iss: "someone-else" }), SECRET), "invalid_jwt"],
      ["for another audience", (a) => signJwt(claimsFor(a, { aud: "another-api" }), SECRET), "invalid_jwt"],
      ["with alg none", (a) => `${b64({ alg: "none", typ: "JWT" })}.${b64(claimsFor(a))}.`, "invalid_jwt"],
      [
        "with another algorithm",
        (a) => {
          const input = `${b64({ alg: "HS512", typ: "JWT" })}.${b64(claimsFor(a))}`;
          return `${input}.${createHmac("sha512", SECRET).update(input).digest("base64url")}`;
        },
        "invalid_jwt",
      ],
      [
        "with a bad signature",
        (a) => signJwt(claimsFor(a), new TextEncoder().encode("not-the-secret-but-long-enough-0123456")),
        "invalid_jwt",
      ],
      ["malformed", () => "not.a.jwt", "invalid_jwt"],
      ["that is an API key", () => ADMIN_KEY, "invalid_jwt"],
    ];
    for (const [what, make, code] of refusals) {
      it(`answers 401 ${code} for a token ${what}`, async function () {
        const r = await bearer(url, make(agent), "GET", `/api/v1/ves/events?${streamQuery(agent)}`);
        expect(r.status, r.text).to.equal(401);
        expect(r.json.error?.code).to.equal(code);
      });
    }

    it("answers 403 for a token outside its scope: another store, another tenant, read-only writing, another agent", async function () {
      const storeA = signJwt(claimsFor(agent, { stores: agent.storeId }), SECRET);
      const other = await bearer(url, storeA, "GET", `/api/v1/ves/events?${streamQuery(agent, randomUUID())}`);
      expect(other.status, other.text).to.equal(403);
      const otherTenant = signJwt(claimsFor(agent, { sub: randomUUID() }), SECRET);
      const t = await bearer(url, otherTenant, "GET", `/api/v1/ves/events?${streamQuery(agent)}`);
      expect(t.status, t.text).to.equal(403);
      const readOnly = signJwt(claimsFor(agent, { perms: "read" }), SECRET);
      const body = { agentId: agent.agentId, events: [await agent.event()] };
      const w = await bearer(url, readOnly, "POST", "/api/v1/ves/events/ingest", body);
      expect(w.status, w.text).to.equal(403);
      const otherAgent = signJwt(claimsFor(agent, { agent: randomUUID() }), SECRET);
      const m = await bearer(url, otherAgent, "POST", "/api/v1/ves/events/ingest", body);
      expect(m.status, m.text).to.equal(403);
    });

    it("applies the key-scope rule: a store-scoped admin token mints only narrower keys and sees no tenant-wide resources", async function () {
      const scoped = signJwt(claimsFor(agent, { stores: agent.storeId, perms: "admin", agent: undefined }), SECRET);
      const wide = await bearer(url, scoped, "POST", "/api/v1/admin/api-keys", {
        tenant_id: agent.tenantId,
        permissions: "read",
      });
      expect(wide.status, wide.text).to.equal(403);
      const narrow = await bearer(url, scoped, "POST", "/api/v1/admin/api-keys", {
        tenant_id: agent.tenantId,
        store_ids: [agent.storeId],
        permissions: "read",
      });
      expect(narrow.status, narrow.text).to.equal(201);
      const audit = await bearer(url, scoped, "GET", `/api/v1/admin/audit?tenant_id=${agent.tenantId}`);
      expect(audit.status, audit.text).to.equal(403);
      const prover = await bearer(url, scoped, "POST", "/api/v1/admin/prover-keys", {});
      expect(prover.status, prover.text).to.equal(403);
    });

    it("counts requests per sub + agent: tokens of one agent share a bucket, another agent has its own", async function () {
      const a = await newAgent(client(url, ADMIN_KEY), agent.tenantId, agent.storeId);
      const b = await newAgent(client(url, ADMIN_KEY), agent.tenantId, agent.storeId);
      const path = `/api/v1/ves/head?${streamQuery(a)}`;
      // The eleven requests must fall into one 60 s window.
      if (Date.now() % 60_000 > 55_000) await startOfWindow(60_000);
      for (let i = 0; i < 10; i++) {
        const r = await bearer(url, signJwt(claimsFor(a), SECRET), "GET", path);
        expect(r.status, r.text).to.equal(200);
      }
      const over = await bearer(url, signJwt(claimsFor(a), SECRET), "GET", path);
      expect(over.status, over.text).to.equal(429);
      expect(over.json.error?.code).to.equal("rate_limited");
      expect(Number(over.headers.get("retry-after"))).to.be.greaterThan(0);
      const own = await bearer(url, signJwt(claimsFor(b), SECRET), "GET", path);
      expect(own.status, own.text).to.equal(200);
    });
  });
}

describe("JWT authentication when no secret is configured", function () {
  this.timeout(60_000);
  let setup: BackendSetup;
  let seq: Sequencer;
  let url: string;

  before(async function () {
    setup = await BACKENDS[0]!.setup();
    ({ seq, url } = await startSequencer(setup));
  });
  after(async function () {
    await seq?.stop();
    await setup?.cleanup();
  });

  it("refuses every bearer token with 401 invalid_jwt", async function () {
    const agent = await newAgent(client(url, ADMIN_KEY));
    const r = await bearer(url, signJwt(claimsFor(agent), SECRET), "GET", `/api/v1/ves/events?${streamQuery(agent)}`);
    expect(r.status, r.text).to.equal(401);
    expect(r.json.error?.code).to.equal("invalid_jwt");
    expect(r.json.error?.message).to.match(/not enabled|not configured/i);
  });
});

describe("stateset-sequencer admin jwt issue", function () {
  this.timeout(60_000);
  let setup: BackendSetup;

  before(async function () {
    setup = await BACKENDS[0]!.setup();
  });
  after(async function () {
    await setup?.cleanup();
  });

  it("mints a token the server accepts for exactly its scope, and audits its id", async function () {
    const env = sequencerEnv(setup, { SEQUENCER__JWT_SECRET: SECRET_TEXT });
    const tenant = randomUUID();
    const store = randomUUID();
    const r = await cli(["admin", "jwt", "issue", "--tenant", tenant, "--stores", store, "--permissions", "read"], env);
    expect(r.code, r.stderr).to.equal(0);
    const token = r.json.token as unknown as string;
    const { seq, url } = await startSequencer(setup, {}, { SEQUENCER__JWT_SECRET: SECRET_TEXT });
    try {
      const ok = await bearer(url, token, "GET", `/api/v1/ves/head?tenant_id=${tenant}&store_id=${store}`);
      expect(ok.status, ok.text).to.equal(200);
      const other = await bearer(url, token, "GET", `/api/v1/ves/head?tenant_id=${tenant}&store_id=${randomUUID()}`);
      expect(other.status, other.text).to.equal(403);
    } finally {
      await seq.stop();
    }
    const audit = await cli(["admin", "audit", "--tenant", tenant], env);
    const entries = audit.json.entries as unknown as { action: string; target: string }[];
    expect(entries.map((e) => [e.action, e.target])).to.deep.include(["jwt.issued", r.json.jti]);
    expect(audit.stdout).not.to.include(token);
  });

  it("refuses to issue without a configured secret, with a usage exit code", async function () {
    const r = await cli(["admin", "jwt", "issue", "--tenant", randomUUID()], sequencerEnv(setup));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/SEQUENCER__JWT_SECRET/);
  });
});
