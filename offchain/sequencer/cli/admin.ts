/**
 * The operator CLI's `admin` commands on the sequencer database: tenants, stores, API keys (create, prover keys,
 * list, revoke, rotate) and the audit log. Each opens the configured store and calls the same services as the API.
 */
import type { Command } from "commander";

import { AppError, ExitCode } from "../../common";
import { intArg, uuidArg } from "./main";
import { registerJwtCommands } from "./jwt";
import type { OpsContext } from "./ops";

const loadAdminApi = () => import("../tenants/json");
const loadProofs = () => import("../proofs/service");

/** `admin tenant create|list`. */
function registerTenantCommands(admin: Command, { run, withOperator }: OpsContext): void {
  const tenant = admin.command("tenant").description("tenants");
  tenant
    .command("create")
    .description("register a tenant")
    .requiredOption("--name <name>", "display name")
    .option("--id <uuid>", "tenant id (default: a new UUID)")
    .action(
      run(async (o: { name: string; id?: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const t = await service.createTenant(principal, {
            name: o.name,
            ...(o.id === undefined ? {} : { tenantId: uuidArg(o.id, "--id") }),
          });
          return { tenant_id: t.tenantId, name: t.name, created_at: t.createdAt };
        }),
      ),
    );
  tenant
    .command("list")
    .description("list tenants")
    .action(
      run(async (_o: unknown, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const list = await service.listTenants(principal);
          return { tenants: list.map((t) => ({ tenant_id: t.tenantId, name: t.name, created_at: t.createdAt })) };
        }),
      ),
    );
}

/** `admin store create|list`. */
function registerStoreCommands(admin: Command, { run, withOperator }: OpsContext): void {
  const store = admin.command("store").description("stores of a tenant");
  store
    .command("create")
    .description("register a store of a tenant")
    .requiredOption("--tenant <uuid>", "tenant id")
    .requiredOption("--name <name>", "display name")
    .option("--id <uuid>", "store id (default: a new UUID)")
    .action(
      run(async (o: { tenant: string; name: string; id?: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const s = await service.createTenantStore(principal, {
            tenantId: uuidArg(o.tenant, "--tenant"),
            name: o.name,
            ...(o.id === undefined ? {} : { storeId: uuidArg(o.id, "--id") }),
          });
          return { tenant_id: s.tenantId, store_id: s.storeId, name: s.name, created_at: s.createdAt };
        }),
      ),
    );
  store
    .command("list")
    .description("list a tenant's stores")
    .requiredOption("--tenant <uuid>", "tenant id")
    .action(
      run(async (o: { tenant: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const list = await service.listTenantStores(principal, uuidArg(o.tenant, "--tenant"));
          return {
            stores: list.map((s) => ({
              tenant_id: s.tenantId,
              store_id: s.storeId,
              name: s.name,
              created_at: s.createdAt,
            })),
          };
        }),
      ),
    );
}

/** `admin key create|create-prover`. */
function registerKeyCreateCommands(key: Command, { run, withOperator }: OpsContext): void {
  key
    .command("create")
    .description("create an API key (printed once)")
    .requiredOption("--tenant <uuid>", "tenant id")
    .option("--stores <uuids>", "comma-separated store ids (default: every store)")
    .option("--permissions <p>", "read, read_write or admin", "read_write")
    .option("--agent <uuid>", "bind the key to an agent id")
    .option("--label <text>", "a note for operators")
    .option("--rate-limit <n>", "requests per rate-limit window for this key")
    .action(
      run(
        async (
          o: {
            tenant: string;
            stores?: string;
            permissions: string;
            agent?: string;
            label?: string;
            rateLimit?: string;
          },
          cmd: Command,
        ) =>
          withOperator(cmd, async ({ service, principal }) => {
            const { apiKeyJson, permissionFlags } = await loadAdminApi();
            let flags: ReturnType<typeof permissionFlags>;
            try {
              flags = permissionFlags(o.permissions);
            } catch (e) {
              throw new AppError("USAGE", (e as Error).message, { exitCode: ExitCode.USAGE });
            }
            const created = await service.createApiKey(principal, {
              tenantId: uuidArg(o.tenant, "--tenant"),
              storeIds: o.stores === undefined ? [] : o.stores.split(",").map((s) => uuidArg(s.trim(), "--stores")),
              agentId: o.agent === undefined ? null : uuidArg(o.agent, "--agent"),
              label: o.label ?? null,
              rateLimit: o.rateLimit === undefined ? null : intArg(o.rateLimit, "--rate-limit"),
              ...flags,
            });
            return { api_key: created.apiKey, ...apiKeyJson(created.info) };
          }),
      ),
    );
  key
    .command("create-prover")
    .description("create a prover key (printed once): the proof routes across tenants, nothing else")
    .option("--label <text>", "a note for operators")
    .option("--rate-limit <n>", "requests per rate-limit window for this key")
    .action(
      run(async (o: { label?: string; rateLimit?: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const [{ apiKeyJson }, { ProofService }] = await Promise.all([loadAdminApi(), loadProofs()]);
          const created = await new ProofService(service).createProverKey(principal, {
            label: o.label ?? null,
            rateLimit: o.rateLimit === undefined ? null : intArg(o.rateLimit, "--rate-limit"),
          });
          return { api_key: created.apiKey, ...apiKeyJson(created.info) };
        }),
      ),
    );
}

/** `admin key list|revoke|rotate`. */
function registerKeyManageCommands(key: Command, { run, withOperator }: OpsContext): void {
  key
    .command("list")
    .description("list API keys (hash prefix, scope, last use)")
    .option("--tenant <uuid>", "only this tenant's keys")
    .action(
      run(async (o: { tenant?: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const { apiKeyJson } = await loadAdminApi();
          const keys = await service.listApiKeys(
            principal,
            o.tenant === undefined ? undefined : uuidArg(o.tenant, "--tenant"),
          );
          return { keys: keys.map(apiKeyJson) };
        }),
      ),
    );
  key
    .command("revoke")
    .description("revoke an API key by its hash prefix")
    .argument("<prefix>", "key hash prefix (8–12 hex characters)")
    .action(
      run(async (prefix: string, _o: unknown, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const { apiKeyJson } = await loadAdminApi();
          return { key: apiKeyJson(await service.revokeApiKey(principal, prefix)) };
        }),
      ),
    );
  key
    .command("rotate")
    .description("replace an API key by a new one with the same scope (printed once) and revoke the old one")
    .argument("<prefix>", "key hash prefix (8–12 hex characters)")
    .action(
      run(async (prefix: string, _o: unknown, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const r = await service.rotateApiKey(principal, prefix);
          const { apiKeyJson } = await loadAdminApi();
          return { api_key: r.apiKey, replaced: r.replaced, ...apiKeyJson(r.info) };
        }),
      ),
    );
}

/** `admin audit`. */
function registerAuditCommand(admin: Command, { run, withOperator }: OpsContext): void {
  admin
    .command("audit")
    .description("the audit log, newest first")
    .option("--tenant <uuid>", "only this tenant's entries")
    .option("--limit <n>", "how many", "100")
    .action(
      run(async (o: { tenant?: string; limit: string }, cmd: Command) =>
        withOperator(cmd, async ({ service, principal }) => {
          const entries = await service.listAudit(principal, {
            ...(o.tenant === undefined ? {} : { tenantId: uuidArg(o.tenant, "--tenant") }),
            limit: intArg(o.limit, "--limit", 1, 10_000),
          });
          return {
            entries: entries.map((e) => ({
              id: e.id,
              at: e.at,
              actor: e.actor,
              action: e.action,
              tenant_id: e.tenantId,
              target: e.target,
              details: e.details,
            })),
          };
        }),
      ),
    );
}

/** Adds the tenant, store, API-key and audit commands to `admin`. */
export function registerAdminCommands(admin: Command, ctx: OpsContext): void {
  registerTenantCommands(admin, ctx);
  registerStoreCommands(admin, ctx);
  const key = admin.command("key").description("API keys");
  registerKeyCreateCommands(key, ctx);
  registerKeyManageCommands(key, ctx);
  registerAuditCommand(admin, ctx);
  registerJwtCommands(admin, ctx);
}
