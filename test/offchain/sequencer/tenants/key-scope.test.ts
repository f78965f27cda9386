/**
 * Who may act on which API key, over HTTP on both backends: every route that lists, creates, revokes, rotates or
 * deletes API keys applies the minting rule to the target — its tenant is the caller's, its stores are a subset of the
 * caller's (an unscoped key is wider than any store-scoped one) and its permissions are at most the caller's. A key out
 * of the caller's scope answers like a nonexistent one (404 `NOT_FOUND`, absent from lists); a caller without admin
 * permission gets 403 `INSUFFICIENT_PERMISSIONS` whatever the target.
 */
import { randomBytes, randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

type Permission = "read" | "read_write" | "admin";

/** A key's scope: its stores (by name; none is every store) and permissions, in tenant T unless `other`. */
interface Scope {
  readonly stores: readonly ("A" | "B")[];
  readonly permissions: Permission;
}

const CALLERS = {
  bootstrap: null,
  "tenant admin": { stores: [], permissions: "admin" },
  "store-A admin": { stores: ["A"], permissions: "admin" },
  "read_write key": { stores: [], permissions: "read_write" },
  "read key": { stores: [], permissions: "read" },
  "other tenant's admin": { stores: [], permissions: "admin" },
} as const satisfies Record<string, Scope | null>;
type CallerName = keyof typeof CALLERS;

const TARGETS = {
  "unscoped admin": { stores: [], permissions: "admin" },
  "unscoped read": { stores: [], permissions: "read" },
  "store-A admin": { stores: ["A"], permissions: "admin" },
  "store-A read": { stores: ["A"], permissions: "read" },
  "store-B read_write": { stores: ["B"], permissions: "read_write" },
  "stores-A+B read": { stores: ["A", "B"], permissions: "read" },
} as const satisfies Record<string, Scope>;
type TargetName = keyof typeof TARGETS;

const ACTIONS = [
  "list",
  "list agent keys",
  "create",
  "create agent key",
  "revoke",
  "delete",
  "rotate",
  "delete agent key",
] as const;
type Action = (typeof ACTIONS)[number];

/** What an action on a target answers: allowed, hidden (404 or left out of a list) or forbidden (403). */
type Outcome = "allowed" | "hidden" | "forbidden";

/** The rule: what `caller` gets for `target`. */
function expected(caller: CallerName, action: Action, target: Scope): Outcome {
  if (caller === "bootstrap" || caller === "tenant admin") return "allowed";
  if (caller === "read_write key" || caller === "read key") return "forbidden";
  if (caller === "other tenant's admin")
    return action.startsWith("list") || action.startsWith("create") ? "forbidden" : "hidden";
  // The store-A admin: only keys limited to store A. Minting something wider is refused with 403, as before.
  const within = target.stores.length > 0 && target.stores.every((s) => s === "A");
  if (within) return "allowed";
  return action.startsWith("create") ? "forbidden" : "hidden";
}

describe("sequencer API-key scope", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      let sequencer: Sequencer;
      let url: string;
      let admin: Client;
      const tenant = randomUUID();
      const otherTenant = randomUUID();
      const stores = { A: randomUUID(), B: randomUUID() };
      const agent = randomUUID();
      const callers = new Map<CallerName, Client>();

      /** Creates a key of `scope` in tenant T (bound to the agent) through the bootstrap admin. */
      const mint = async (scope: Scope, tenantId = tenant) => {
        const r = await admin.post("/api/v1/admin/api-keys", {
          tenant_id: tenantId,
          store_ids: scope.stores.map((s) => stores[s]),
          permissions: scope.permissions,
          agent_id: agent,
        });
        expect(r.status, r.text).to.equal(201);
        return { key: r.json.api_key as unknown as string, prefix: r.json.key_hash_prefix as unknown as string };
      };
      /** Whether a key still authenticates (any answer but 401). */
      const works = async (key: string) =>
        (await client(url, key).get(`/api/v1/ves/events?tenant_id=${tenant}&store_id=${stores.B}`)).status !== 401;

      before(async function () {
        setup = await backend.setup();
        ({ seq: sequencer, url } = await startSequencer(setup));
        admin = client(url, ADMIN_KEY);
        for (const [id, name] of [
          [tenant, "T"],
          [otherTenant, "U"],
        ]) {
          const r = await admin.post("/api/v1/admin/tenants", { name, tenant_id: id });
          expect(r.status, r.text).to.equal(201);
        }
        for (const [name, scope] of Object.entries(CALLERS) as [CallerName, Scope | null][]) {
          if (scope === null) callers.set(name, admin);
          else
            callers.set(
              name,
              client(url, (await mint(scope, name === "other tenant's admin" ? otherTenant : tenant)).key),
            );
        }
      });

      after(async function () {
        await sequencer?.stop();
        await setup?.cleanup();
      });

      /** Performs `action` as `c` on a fresh key of `scope` and classifies the answer, checking its side effects. */
      async function attempt(c: Client, action: Action, scope: Scope): Promise<Outcome | string> {
        const storeIds = scope.stores.map((s) => stores[s]);
        if (action === "create" || action === "create agent key") {
          const r =
            action === "create"
              ? await c.post("/api/v1/admin/api-keys", {
                  tenant_id: tenant,
                  store_ids: storeIds,
                  permissions: scope.permissions,
                })
              : await c.post(`/api/v1/agents/${agent}/api-keys`, {
                  tenantId: tenant,
                  storeIds,
                  admin: scope.permissions === "admin",
                  readOnly: scope.permissions === "read",
                });
          if (r.status === 201 || r.status === 200) {
            const key = (r.json.api_key ?? r.json.apiKey) as unknown as string;
            return (await works(key)) ? "allowed" : `created a key that does not work: ${r.text}`;
          }
          return classify(r.status, r.json);
        }
        const target = await mint(scope);
        if (action === "list" || action === "list agent keys") {
          const r = await c.get(
            action === "list"
              ? `/api/v1/admin/api-keys?tenant_id=${tenant}`
              : `/api/v1/agents/${agent}/api-keys?tenant_id=${tenant}`,
          );
          if (r.status !== 200) return classify(r.status, r.json);
          const listed = (r.json.keys as unknown as Record<string, string>[]).map(
            (k) => k.key_hash_prefix ?? k.keyHashPrefix,
          );
          return listed.includes(target.prefix) ? "allowed" : "hidden";
        }
        const [method, route] = (
          {
            revoke: ["POST", `/api/v1/admin/api-keys/${target.prefix}/revoke`],
            delete: ["DELETE", `/api/v1/admin/api-keys/${target.prefix}`],
            rotate: ["POST", `/api/v1/admin/api-keys/${target.prefix}/rotate`],
            "delete agent key": ["DELETE", `/api/v1/agents/${agent}/api-keys/${target.prefix}`],
          } as const
        )[action];
        const r = method === "POST" ? await c.post(route) : await c.delete(route);
        const stillWorks = await works(target.key);
        if (r.status === 200 || r.status === 201) {
          if (stillWorks) return `answered ${r.status} but the key still works`;
          if (action === "rotate" && !(await works(r.json.api_key as unknown as string))) return "rotated key fails";
          return "allowed";
        }
        if (!stillWorks) return `answered ${r.status} but the key was revoked`;
        return classify(r.status, r.json);
      }

      const classify = (status: number, json: Record<string, unknown>): Outcome | string => {
        const code = (json.error as { code?: string } | undefined)?.code;
        if (status === 404 && code === "NOT_FOUND") return "hidden";
        if (status === 403 && code === "INSUFFICIENT_PERMISSIONS") return "forbidden";
        return `${status} ${code}`;
      };

      for (const caller of Object.keys(CALLERS) as CallerName[]) {
        it(`applies the minting rule to every key action of the ${caller}`, async function () {
          const actual: Record<string, Outcome | string> = {};
          const wanted: Record<string, Outcome> = {};
          for (const action of ACTIONS) {
            for (const [name, scope] of Object.entries(TARGETS) as [TargetName, Scope][]) {
              actual[`${action} / ${name}`] = await attempt(callers.get(caller)!, action, scope);
              wanted[`${action} / ${name}`] = expected(caller, action, scope);
            }
          }
          expect(actual).to.deep.equal(wanted);
        });
      }

      it("keeps the tenant's audit log from a store-scoped admin", async function () {
        const scoped = callers.get("store-A admin")!;
        const r = await scoped.get(`/api/v1/admin/audit?tenant_id=${tenant}`);
        expect(r.status, r.text).to.equal(403);
        expect((r.json.error as unknown as { code: string }).code).to.equal("INSUFFICIENT_PERMISSIONS");
        expect((await callers.get("tenant admin")!.get(`/api/v1/admin/audit?tenant_id=${tenant}`)).status).to.equal(
          200,
        );
      });

      it("keeps tenant-wide agent signing keys and payload schemas from a store-scoped admin", async function () {
        const scoped = callers.get("store-A admin")!;
        const wide = callers.get("tenant admin")!;
        const forbidden = (r: { status: number; json: Record<string, unknown> }) =>
          `${r.status} ${(r.json.error as { code?: string } | undefined)?.code}`;
        const signingKey = (keyId: number) => ({
          tenantId: tenant,
          agentId: agent,
          keyId,
          publicKey: randomBytes(32).toString("hex"),
        });
        // registering, and revoking a key the agent signs with in every store of the tenant
        expect(forbidden(await scoped.post("/api/v1/agents/keys", signingKey(7)))).to.equal(
          "403 INSUFFICIENT_PERMISSIONS",
        );
        expect((await wide.post("/api/v1/agents/keys", signingKey(8))).status).to.equal(200);
        const revoke = { tenantId: tenant, agentId: agent, keyId: 8 };
        expect(forbidden(await scoped.post("/api/v1/agents/keys/revoke", revoke))).to.equal(
          "403 INSUFFICIENT_PERMISSIONS",
        );
        const listed = await wide.get(`/api/v1/agents/keys?tenant_id=${tenant}&agent_id=${agent}`);
        expect(
          (listed.json.keys as unknown as { key_id: unknown; status: string }[]).map((k) => k.status),
        ).to.deep.equal(["active"]);
        // a schema validates the event type's payloads in every store
        const schema = { tenantId: tenant, eventType: "scope.check", schema: { type: "object" } };
        expect(forbidden(await scoped.post("/api/v1/schemas", schema))).to.equal("403 INSUFFICIENT_PERMISSIONS");
        const created = await wide.post("/api/v1/schemas", schema);
        expect(created.status, created.text).to.equal(201);
        const id = created.json.id as unknown as string;
        expect(forbidden(await scoped.delete(`/api/v1/schemas/${id}`))).to.equal("403 INSUFFICIENT_PERMISSIONS");
      });
    });
  }
});
