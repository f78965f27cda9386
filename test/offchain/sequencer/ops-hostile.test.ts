/**
 * Hostile input for the operations routes, on both backends: about 800 generated requests (seeded PRNG; the seed is
 * logged, set SEQUENCER_HOSTILE_SEED to replay) against the administration (`/api/v1/admin/…`, per-agent API keys)
 * and payload-schema (`/api/v1/schemas…`) routes, each carrying at least one fault — a wrong type, a missing or extra
 * field, an oversized or malformed value, a bad path parameter, broken JSON, or missing, wrong or insufficient
 * credentials. Every one must get a 4xx with a JSON error (never a 2xx or a 5xx); afterwards the server is healthy
 * and the registries are unchanged.
 */
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Sequencer } from "../../../offchain/sequencer";
import { ADMIN_KEY, BACKENDS, client, startSequencer, type BackendSetup, type Client } from "../../support/sequencer";

/** mulberry32. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

type Rng = ReturnType<typeof prng>;

/** Values of the wrong type or shape for any field. */
function junk(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => -1,
    () => 1.5,
    () => 2n ** 70n,
    () => [],
    () => [1, "x", null],
    () => ({}),
    () => ({ nested: { deep: [1] } }),
    () => "",
    () => "not-a-uuid",
    () => "x".repeat(5000),
    () => "\u0000nul",
    () => "💥".repeat(100),
    () => "00000000-0000-0000-0000-00000000000g",
    () => "<script>alert(1)</script>",
    () => "'; DROP TABLE api_keys; --",
  ])();
}

interface Hostile {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
  raw?: string;
  key?: string | null;
  label: string;
}

describe("sequencer operations routes under hostile input", function () {
  this.timeout(120_000);
  const seed = Number(process.env.SEQUENCER_HOSTILE_SEED ?? Date.now() % 2 ** 31);

  before(function () {
    console.log(`      (hostile-input seed ${seed}; replay with SEQUENCER_HOSTILE_SEED=${seed})`);
  });

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      let sequencer: Sequencer;
      let url: string;
      let admin: Client;

      before(async function () {
        setup = await backend.setup();
        ({ seq: sequencer, url } = await startSequencer(setup));
        admin = client(url, ADMIN_KEY);
      });

      after(async function () {
        await sequencer?.stop();
        await setup?.cleanup();
      });

      it("answers ~800 faulty requests with 4xx JSON errors and changes nothing", async function () {
        const rng = prng(seed);
        const tenant = (await admin.post("/api/v1/admin/tenants", { name: "T" })).json.tenant_id as unknown as string;
        const otherTenant = (await admin.post("/api/v1/admin/tenants", { name: "O" })).json
          .tenant_id as unknown as string;
        const tenantAdminKey = (await admin.post("/api/v1/admin/api-keys", { tenant_id: tenant, permissions: "admin" }))
          .json;
        const readKey = (await admin.post("/api/v1/admin/api-keys", { tenant_id: tenant, permissions: "read" })).json
          .api_key as unknown as string;
        const otherAdmin = (
          await admin.post("/api/v1/admin/api-keys", { tenant_id: otherTenant, permissions: "admin" })
        ).json.api_key as unknown as string;
        const schema = (
          await admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: { type: "object" } })
        ).json;
        const prefix = tenantAdminKey.key_hash_prefix as unknown as string;
        const schemaId = schema.id as unknown as string;

        const snapshot = async () =>
          JSON.stringify(
            await Promise.all([
              admin.get("/api/v1/admin/tenants").then((r) => r.json),
              admin.get("/api/v1/admin/api-keys").then((r) => r.json),
              admin.get(`/api/v1/schemas?tenant_id=${tenant}`).then((r) => r.json),
              admin.get(`/api/v1/schemas?tenant_id=${otherTenant}`).then((r) => r.json),
              admin.get(`/api/v1/admin/tenants/${tenant}/stores`).then((r) => r.json),
            ]),
            // A key's last use changes with every authenticated request, refused or not.
            (k, v: unknown) => (k === "last_used_at" ? undefined : typeof v === "bigint" ? v.toString() : v),
          );
        const before = await snapshot();

        // Valid bodies; each request breaks one of them (or its credentials) on purpose.
        const valid: { method: Hostile["method"]; path: string; body?: Record<string, unknown>; owner: string }[] = [
          { method: "POST", path: "/api/v1/admin/tenants", body: { name: "n" }, owner: "bootstrap" },
          { method: "POST", path: `/api/v1/admin/tenants/${tenant}/stores`, body: { name: "n" }, owner: tenant },
          { method: "POST", path: "/api/v1/admin/api-keys", body: { tenant_id: tenant }, owner: tenant },
          { method: "POST", path: `/api/v1/admin/api-keys/${prefix}/rotate`, owner: tenant },
          { method: "POST", path: `/api/v1/admin/api-keys/${prefix}/revoke`, owner: tenant },
          { method: "DELETE", path: `/api/v1/admin/api-keys/${prefix}`, owner: tenant },
          {
            method: "POST",
            path: "/api/v1/schemas",
            body: { tenantId: tenant, eventType: "t", schema: { type: "object" } },
            owner: tenant,
          },
          {
            method: "POST",
            path: "/api/v1/schemas/validate",
            body: { tenantId: tenant, eventType: "t", payload: {} },
            owner: tenant,
          },
          { method: "PUT", path: `/api/v1/schemas/${schemaId}/status`, body: { status: "active" }, owner: tenant },
          { method: "DELETE", path: `/api/v1/schemas/${schemaId}`, owner: tenant },
          { method: "GET", path: `/api/v1/admin/audit?tenant_id=${tenant}`, owner: tenant },
        ];
        const fieldsOf = (b: Record<string, unknown>) => Object.keys(b);

        const requests: Hostile[] = [];
        for (let i = 0; i < 800; i++) {
          const v = rng.pick(valid);
          const fault = rng.int(8);
          const h: Hostile = { method: v.method, path: v.path, key: ADMIN_KEY, label: "" };
          if (v.body !== undefined) h.body = { ...v.body };
          const body = h.body as Record<string, unknown> | undefined;
          if (fault === 0 && body !== undefined) {
            // A value no field accepts (the API coerces scalars to strings, so only shapes and lengths are junk).
            const f = rng.pick(fieldsOf(body));
            body[f] = rng.pick<unknown>([{}, { a: [1] }, [1, "x", null], "x".repeat(5000), null]);
            if (f === "payload") body.tenantId = "not-a-uuid";
            if (f === "schema" && (body[f] === null || typeof body[f] === "object") && !Array.isArray(body[f])) {
              body[f] = { type: "no-such-type" };
            }
            h.label = `${f} = junk`;
          } else if (fault === 1 && body !== undefined) {
            delete body[rng.pick(fieldsOf(body))];
            if (Object.keys(body).length === (v.body ? Object.keys(v.body).length : 0)) body.extra = 1;
            h.label = "missing field";
          } else if (fault === 2 && body !== undefined) {
            body[`extra_${rng.int(100)}`] = junk(rng);
            h.label = "extra field";
          } else if (fault === 3) {
            h.raw = rng.pick(["{", "[1,2", '{"a":}', "nul", '{"name": "x",}', "\u0000", "{".repeat(300)]);
            h.method = v.method === "GET" || v.method === "DELETE" ? "POST" : v.method;
            if (v.method === "GET" || v.method === "DELETE") h.path = "/api/v1/admin/tenants";
            h.label = "broken JSON";
          } else if (fault === 4) {
            h.key = rng.pick([null, "ss_nope", "", "ApiKey", "x".repeat(3000)]);
            h.label = "bad credentials";
          } else if (fault === 5) {
            h.key =
              v.owner === "bootstrap"
                ? readKey
                : v.path.endsWith("/validate")
                  ? otherAdmin
                  : rng.pick([readKey, otherAdmin]);
            h.label = "insufficient credentials";
          } else {
            // Break a path parameter or the query.
            const bad = rng.pick(["zz", "0123456789abcdef0123", "%00", "..%2F..", "x".repeat(300), "12345678-1234"]);
            h.path = v.path
              .replace(prefix, rng.next() < 0.5 ? bad : "abcdef012345")
              .replace(schemaId, rng.next() < 0.5 ? bad : randomUUID())
              .replace(`tenants/${tenant}`, `tenants/${bad}`)
              .replace(`tenant_id=${tenant}`, `tenant_id=${bad}&limit=-1`);
            if (h.path === v.path) h.path = `${v.path}${v.path.includes("?") ? "&" : "?"}limit=0&tenant_id=${bad}`;
            if (h.method === "POST" && v.path === "/api/v1/admin/api-keys") h.path = "/api/v1/admin/api-keys/zz/rotate";
            if (
              v.path === "/api/v1/admin/tenants" ||
              v.path === "/api/v1/schemas" ||
              v.path === "/api/v1/schemas/validate"
            ) {
              h.key = otherAdmin;
              if (v.path === "/api/v1/schemas/validate") h.key = null;
            }
            h.label = `bad path ${bad}`;
          }
          if (h.label === "") {
            h.key = null;
            h.label = "no credentials";
          }
          requests.push(h);
        }

        const failures: string[] = [];
        let n = 0;
        for (const h of requests) {
          const headers: Record<string, string> = {};
          if (h.key !== null && h.key !== undefined) headers.authorization = `ApiKey ${h.key}`;
          let body: string | undefined;
          if (h.raw !== undefined) body = h.raw;
          else if (h.body !== undefined) {
            body = JSON.stringify(h.body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
          }
          if (body !== undefined) headers["content-type"] = "application/json";
          const res = await fetch(url + h.path, { method: h.method, headers, ...(body === undefined ? {} : { body }) });
          const text = await res.text();
          n++;
          let code: unknown;
          try {
            code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
          } catch {
            code = undefined;
          }
          if (res.status < 400 || res.status >= 500 || typeof code !== "string") {
            failures.push(`${h.method} ${h.path} [${h.label}] → ${res.status} ${text.slice(0, 160)}`);
          }
        }
        expect(n).to.be.at.least(800);
        expect(failures, failures.slice(0, 10).join("\n")).to.deep.equal([]);
        expect((await admin.get("/health")).status).to.equal(200);
        expect((await admin.get("/ready")).status).to.equal(200);
        expect(await snapshot()).to.equal(before);
      });
    });
  }
});
