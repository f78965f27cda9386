/**
 * Sequencer administration, end to end against both backends: tenants and stores, API keys (created once, listed by
 * hash prefix with scope and last use, revoked, rotated) and the audit log, over HTTP and through the
 * `stateset-sequencer admin …` CLI on the same database.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";

import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  cli,
  client,
  ingest,
  newAgent,
  sequencerEnv,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

describe("sequencer administration", function () {
  this.timeout(60_000);

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

      const newTenant = async (name = "Acme") => {
        const r = await admin.post("/api/v1/admin/tenants", { name });
        expect(r.status, r.text).to.equal(201);
        return r.json.tenant_id as unknown as string;
      };

      describe("tenants and stores", function () {
        it("registers tenants and their stores once, and lists them", async function () {
          const id = randomUUID();
          const created = await admin.post("/api/v1/admin/tenants", { name: "Acme", tenant_id: id });
          expect(created.status, created.text).to.equal(201);
          expect(created.json).to.include({ tenant_id: id, name: "Acme" });
          const dup = await admin.post("/api/v1/admin/tenants", { name: "Again", tenant_id: id.toUpperCase() });
          expect(dup.status).to.equal(409);
          expect((dup.json.error as unknown as { code: string }).code).to.equal("TENANT_EXISTS");
          const list = await admin.get("/api/v1/admin/tenants");
          expect((list.json.tenants as unknown as { tenant_id: string }[]).map((t) => t.tenant_id)).to.include(id);

          const store = await admin.post(`/api/v1/admin/tenants/${id}/stores`, { name: "EU" });
          expect(store.status, store.text).to.equal(201);
          const storeId = store.json.store_id as unknown as string;
          const again = await admin.post(`/api/v1/admin/tenants/${id}/stores`, { name: "EU", store_id: storeId });
          expect(again.status).to.equal(409);
          const unknown = await admin.post(`/api/v1/admin/tenants/${randomUUID()}/stores`, { name: "X" });
          expect(unknown.status).to.equal(404);
          const stores = await admin.get(`/api/v1/admin/tenants/${id}/stores`);
          expect(stores.json.stores).to.deep.equal([
            { tenant_id: id, store_id: storeId, name: "EU", created_at: store.json.created_at },
          ]);
        });

        it("answers bad administration input with specific 4xx JSON errors", async function () {
          const t = await newTenant();
          const cases: [Promise<{ status: number; json: Record<string, unknown> }>, number][] = [
            [admin.post("/api/v1/admin/tenants", {}), 400],
            [admin.post("/api/v1/admin/tenants", { name: "" }), 400],
            [admin.post("/api/v1/admin/tenants", { name: "x".repeat(129) }), 400],
            [admin.post("/api/v1/admin/tenants", { name: "x", tenant_id: "nope" }), 400],
            [admin.post("/api/v1/admin/tenants", { name: "x", extra: 1 }), 400],
            [
              admin.post("/api/v1/admin/tenants", { name: "x", tenant_id: "00000000-0000-0000-0000-000000000000" }),
              400,
            ],
            [admin.post("/api/v1/admin/tenants", "[1,2"), 400],
            [admin.post("/api/v1/admin/tenants/not-a-uuid/stores", { name: "x" }), 400],
            [admin.post("/api/v1/admin/api-keys", { tenant_id: t, permissions: "root" }), 400],
            [admin.post("/api/v1/admin/api-keys", { tenant_id: t, rate_limit: 0 }), 400],
            [admin.post("/api/v1/admin/api-keys", { tenant_id: t, store_ids: ["x"] }), 400],
            [admin.post("/api/v1/admin/api-keys", {}), 400],
            [admin.post("/api/v1/admin/api-keys/zz/revoke"), 400],
            [admin.post("/api/v1/admin/api-keys/0123456789ab/revoke"), 404],
            [admin.post("/api/v1/admin/api-keys/0123456789ab/rotate"), 404],
            [admin.delete("/api/v1/admin/api-keys/xyz"), 400],
            [admin.get("/api/v1/admin/audit?limit=0"), 400],
            [admin.get("/api/v1/admin/audit?before=abc"), 400],
            [client(url).get("/api/v1/admin/tenants"), 401],
            [client(url, "ss_wrong").get("/api/v1/admin/api-keys"), 401],
          ];
          for (const [pending, status] of cases) {
            const r = await pending;
            expect(r.status, JSON.stringify(r.json)).to.equal(status);
            expect(r.json.error, JSON.stringify(r.json)).to.have.property("code");
          }
        });
      });

      describe("API keys", function () {
        it("shows a new key once, lists it by hash prefix with scope and last use, and scopes it", async function () {
          const tenant = await newTenant();
          const store = randomUUID();
          const created = await admin.post("/api/v1/admin/api-keys", {
            tenant_id: tenant,
            store_ids: [store],
            permissions: "read",
            label: "dashboard",
            rate_limit: 100,
          });
          expect(created.status, created.text).to.equal(201);
          const key = created.json.api_key as unknown as string;
          const prefix = created.json.key_hash_prefix as unknown as string;
          expect(key).to.match(/^ss_/);
          expect(prefix).to.match(/^[0-9a-f]{12}$/);

          const list = await admin.get(`/api/v1/admin/api-keys?tenant_id=${tenant}`);
          expect(list.text).not.to.include(key);
          const listed = (list.json.keys as unknown as Record<string, unknown>[])[0]!;
          expect(listed).to.deep.include({
            key_hash_prefix: prefix,
            tenant_id: tenant,
            store_ids: [store],
            permissions: "read",
            label: "dashboard",
            rate_limit: 100,
            active: true,
            last_used_at: null,
            revoked_at: null,
          });

          const user = client(url, key);
          expect((await user.get(`/api/v1/ves/head?tenant_id=${tenant}&store_id=${store}`)).status).to.equal(200);
          expect((await user.get(`/api/v1/ves/head?tenant_id=${tenant}&store_id=${randomUUID()}`)).status).to.equal(
            403,
          );
          const after = await admin.get(`/api/v1/admin/api-keys?tenant_id=${tenant}`);
          const used = (after.json.keys as unknown as { last_used_at: string | null }[])[0]!;
          expect(used.last_used_at).to.be.a("string");
          expect(Date.now() - Date.parse(used.last_used_at!)).to.be.below(60_000);
          // A read-only key administers nothing.
          expect((await user.get(`/api/v1/admin/api-keys?tenant_id=${tenant}`)).status).to.equal(403);
        });

        it("lets a tenant admin manage its own tenant's keys only", async function () {
          const t1 = await newTenant("one");
          const t2 = await newTenant("two");
          const k1 = await admin.post("/api/v1/admin/api-keys", { tenant_id: t1, permissions: "admin" });
          const k2 = await admin.post("/api/v1/admin/api-keys", { tenant_id: t2, permissions: "read_write" });
          const t1Admin = client(url, k1.json.api_key as unknown as string);
          const mine = await t1Admin.post("/api/v1/admin/api-keys", { tenant_id: t1 });
          expect(mine.status, mine.text).to.equal(201);
          expect((await t1Admin.post("/api/v1/admin/api-keys", { tenant_id: t2 })).status).to.equal(403);
          expect((await t1Admin.get(`/api/v1/admin/api-keys?tenant_id=${t2}`)).status).to.equal(403);
          expect((await t1Admin.get("/api/v1/admin/api-keys")).status).to.equal(403);
          expect((await t1Admin.post("/api/v1/admin/tenants", { name: "mine" })).status).to.equal(403);
          // Another tenant's key is invisible to revoke: 404, and it keeps working.
          const other = k2.json.key_hash_prefix as unknown as string;
          expect((await t1Admin.post(`/api/v1/admin/api-keys/${other}/revoke`)).status).to.equal(404);
          const tenants = await t1Admin.get("/api/v1/admin/tenants");
          expect((tenants.json.tenants as unknown as { tenant_id: string }[]).map((t) => t.tenant_id)).to.deep.equal([
            t1,
          ]);
          const audit = await t1Admin.get(`/api/v1/admin/audit?tenant_id=${t1}`);
          expect(audit.status).to.equal(200);
          expect((await t1Admin.get("/api/v1/admin/audit")).status).to.equal(403);
          expect((await t1Admin.get(`/api/v1/admin/audit?tenant_id=${t2}`)).status).to.equal(403);
        });

        it("revokes a key (it stops working at once) and rotates one (same scope, old one revoked)", async function () {
          const tenant = await newTenant();
          const agent = await newAgent(admin, tenant);
          const make = async () =>
            admin.post("/api/v1/admin/api-keys", { tenant_id: tenant, store_ids: [agent.storeId], label: "writer" });
          const a = await make();
          const aKey = a.json.api_key as unknown as string;
          expect((await ingest(client(url, aKey), agent, [await agent.event()])).status).to.equal(200);
          const revoked = await admin.post(`/api/v1/admin/api-keys/${a.json.key_hash_prefix}/revoke`);
          expect(revoked.status, revoked.text).to.equal(200);
          expect((revoked.json.key as unknown as { active: boolean; revoked_at: string | null }).active).to.equal(
            false,
          );
          expect((await ingest(client(url, aKey), agent, [await agent.event()])).status).to.equal(401);
          const twice = await admin.delete(`/api/v1/admin/api-keys/${a.json.key_hash_prefix}`);
          expect(twice.status).to.equal(200);
          expect((twice.json.key as unknown as { revoked_at: string }).revoked_at).to.equal(
            (revoked.json.key as unknown as { revoked_at: string }).revoked_at,
          );
          expect((await admin.post(`/api/v1/admin/api-keys/${a.json.key_hash_prefix}/rotate`)).status).to.equal(409);

          const b = await make();
          const rotated = await admin.post(`/api/v1/admin/api-keys/${b.json.key_hash_prefix}/rotate`);
          expect(rotated.status, rotated.text).to.equal(201);
          expect(rotated.json).to.deep.include({
            replaced: b.json.key_hash_prefix,
            store_ids: [agent.storeId],
            permissions: "read_write",
            label: "writer",
          });
          expect(
            (await ingest(client(url, b.json.api_key as unknown as string), agent, [await agent.event()])).status,
          ).to.equal(401);
          const fresh = client(url, rotated.json.api_key as unknown as string);
          const ok = await ingest(fresh, agent, [await agent.event()]);
          expect(ok.status, ok.text).to.equal(200);
          expect(ok.json.eventsAccepted).to.equal(1n);
        });

        it("serves the reference's per-agent key routes", async function () {
          const tenant = await newTenant();
          const agentId = randomUUID();
          const made = await admin.post(`/api/v1/agents/${agentId}/api-keys`, { tenantId: tenant, readOnly: true });
          expect(made.status, made.text).to.equal(200);
          const list = await admin.get(`/api/v1/agents/${agentId}/api-keys?tenant_id=${tenant}`);
          expect(list.json.count).to.equal(1n);
          expect((list.json.keys as unknown as Record<string, unknown>[])[0]).to.include({
            keyHashPrefix: made.json.keyHashPrefix,
            active: true,
            permissions: "read",
          });
          const del = await admin.delete(`/api/v1/agents/${agentId}/api-keys/${made.json.keyHashPrefix}`);
          expect(del.status, del.text).to.equal(200);
          expect(
            (await admin.delete(`/api/v1/agents/${randomUUID()}/api-keys/${made.json.keyHashPrefix}`)).status,
          ).to.equal(404);
        });
      });

      describe("audit log", function () {
        it("records who did what and when for every administrative action", async function () {
          const tenant = await newTenant("Audited");
          await admin.post(`/api/v1/admin/tenants/${tenant}/stores`, { name: "S" });
          const k = await admin.post("/api/v1/admin/api-keys", { tenant_id: tenant, permissions: "admin" });
          const tenantAdmin = client(url, k.json.api_key as unknown as string);
          const agent = await newAgent(tenantAdmin, tenant);
          await tenantAdmin.post("/api/v1/agents/keys/revoke", { tenantId: tenant, agentId: agent.agentId, keyId: 1 });
          const rotated = await tenantAdmin.post(`/api/v1/admin/api-keys/${k.json.key_hash_prefix}/rotate`);
          const r = await admin.get(`/api/v1/admin/audit?tenant_id=${tenant}`);
          const entries = r.json.entries as unknown as { action: string; actor: string; at: string; target: string }[];
          expect(entries.map((e) => e.action)).to.deep.equal([
            "api_key.rotate",
            "agent_key.revoke",
            "agent_key.register",
            "api_key.create",
            "store.create",
            "tenant.create",
          ]);
          const prefix = k.json.key_hash_prefix as unknown as string;
          expect(entries.map((e) => e.actor)).to.deep.equal([
            `api-key:${prefix}`,
            `api-key:${prefix}`,
            `api-key:${prefix}`,
            "bootstrap-admin",
            "bootstrap-admin",
            "bootstrap-admin",
          ]);
          expect(entries[0]!.target).to.equal(rotated.json.key_hash_prefix);
          for (const e of entries) expect(Date.now() - Date.parse(e.at)).to.be.below(60_000);
          expect(r.text).not.to.include(k.json.api_key as unknown as string);
          expect(r.text).not.to.include(rotated.json.api_key as unknown as string);
          const paged = await admin.get(`/api/v1/admin/audit?tenant_id=${tenant}&limit=2`);
          const next = await admin.get(
            `/api/v1/admin/audit?tenant_id=${tenant}&limit=10&before=${paged.json.next_before}`,
          );
          expect((next.json.entries as unknown as unknown[]).length).to.equal(4);
        });
      });

      describe("CLI", function () {
        it("administers tenants, stores and keys on the same database, audited as the operator", async function () {
          const env = sequencerEnv(setup);
          const t = await cli(["admin", "tenant", "create", "--name", "From CLI"], env);
          expect(t.code, t.stderr).to.equal(0);
          const tenant = t.json.tenant_id as unknown as string;
          const listed = await admin.get("/api/v1/admin/tenants");
          expect((listed.json.tenants as unknown as { tenant_id: string }[]).map((x) => x.tenant_id)).to.include(
            tenant,
          );
          const tl = await cli(["admin", "tenant", "list"], env);
          expect((tl.json.tenants as unknown as { name: string }[]).map((x) => x.name)).to.include("From CLI");

          const s = await cli(["admin", "store", "create", "--tenant", tenant, "--name", "Main"], env);
          expect(s.code, s.stderr).to.equal(0);
          const sl = await cli(["admin", "store", "list", "--tenant", tenant], env);
          expect((sl.json.stores as unknown as { store_id: string }[])[0]!.store_id).to.equal(s.json.store_id);

          const agent = await newAgent(admin, tenant, s.json.store_id as unknown as string);
          const k = await cli(
            ["admin", "key", "create", "--tenant", tenant, "--stores", agent.storeId, "--label", "cli key"],
            env,
          );
          expect(k.code, k.stderr).to.equal(0);
          const key = k.json.api_key as unknown as string;
          const prefix = k.json.key_hash_prefix as unknown as string;
          expect((await ingest(client(url, key), agent, [await agent.event()])).status).to.equal(200);
          const kl = await cli(["admin", "key", "list", "--tenant", tenant], env);
          expect(kl.stdout).not.to.include(key);
          expect((kl.json.keys as unknown as Record<string, unknown>[])[0]).to.include({
            key_hash_prefix: prefix,
            permissions: "read_write",
            label: "cli key",
          });
          expect((kl.json.keys as unknown as { last_used_at: string | null }[])[0]!.last_used_at).to.be.a("string");

          const rot = await cli(["admin", "key", "rotate", prefix.slice(0, 10)], env);
          expect(rot.code, rot.stderr).to.equal(0);
          expect((await ingest(client(url, key), agent, [await agent.event()])).status).to.equal(401);
          const newKey = rot.json.api_key as unknown as string;
          expect((await ingest(client(url, newKey), agent, [await agent.event()])).status).to.equal(200);
          const rev = await cli(["admin", "key", "revoke", rot.json.key_hash_prefix as unknown as string], env);
          expect(rev.code, rev.stderr).to.equal(0);
          expect((await ingest(client(url, newKey), agent, [await agent.event()])).status).to.equal(401);

          const audit = await cli(["admin", "audit", "--tenant", tenant], env);
          const entries = audit.json.entries as unknown as { action: string; actor: string }[];
          expect(entries.map((e) => e.action)).to.deep.equal([
            "api_key.revoke",
            "api_key.rotate",
            "api_key.create",
            "agent_key.register",
            "store.create",
            "tenant.create",
          ]);
          expect(entries.filter((e) => e.actor.startsWith("cli:")).length).to.equal(5);
        });

        it("runs as the installed binary, whose help lists the subcommands beside the server mode", function () {
          const bin = path.join(__dirname, "..", "..", "..", "..", "bin", "stateset-sequencer");
          const env = { ...process.env, ...sequencerEnv(setup) };
          const created = spawnSync(bin, ["admin", "tenant", "create", "--name", "From the binary"], {
            env,
            encoding: "utf8",
          });
          expect(created.status, created.stderr).to.equal(0);
          const listed = spawnSync(bin, ["admin", "tenant", "list"], { env, encoding: "utf8" });
          expect(listed.status, listed.stderr).to.equal(0);
          expect(listed.stdout).to.include("From the binary");
          const help = spawnSync(bin, ["--help"], { env, encoding: "utf8" });
          for (const c of ["admin", "export", "import", "backup"])
            expect(help.stdout).to.match(new RegExp(`^  ${c}\\b`, "m"));
          expect(help.stdout).to.include("With no subcommand, runs the server");
        });

        it("fails with usage errors and clear messages", async function () {
          const env = sequencerEnv(setup);
          const bad = await cli(["admin", "store", "create", "--tenant", "nope", "--name", "x"], env);
          expect(bad.code).to.equal(2);
          expect(bad.stderr).to.include("--tenant must be a UUID");
          const missing = await cli(["admin", "tenant", "create"], env);
          expect(missing.code).to.equal(2);
          const unknown = await cli(["admin", "key", "revoke", "0123456789ab"], env);
          expect(unknown.code).to.equal(1);
          expect(unknown.stderr).to.include("NOT_FOUND");
          const perms = await cli(["admin", "key", "create", "--tenant", randomUUID(), "--permissions", "root"], env);
          expect(perms.code).to.equal(2);
          const help = await cli(["--help"], env);
          expect(help.code).to.equal(0);
          expect(help.stdout).to.include("admin");
        });
      });
    });
  }
});
