/**
 * `stateset-sequencer`: with no subcommand it runs the sequencer. Flags override `SEQUENCER__*` environment
 * variables, which override the defaults; secrets come only from the environment or `_FILE` variables. Logs are JSON
 * lines on stdout; SIGINT or SIGTERM stops it gracefully.
 *
 * Operator subcommands work on the database directly, through the store, with the same configuration (so they need
 * no running server): `admin …` (tenants, stores, API keys, receipt keys, audit log), `export`, `import` and
 * `backup`. They print JSON on stdout and are recorded in the audit log as `cli:<user>`.
 */
import os from "node:os";

import { Command, Option } from "commander";

import { AppError, ExitCode, describeOptions, flagName, isAppError } from "../../common";
import { normalizeUuid, stringifyJsonExact, type ExactJsonValue } from "../../ves";
import { SEQUENCER_OPTIONS, resolveSequencerConfig } from "../config";
import type { OperatorContext } from "./context";
import { registerOpsCommands } from "./ops";

// The server, the store drivers (pg, better-sqlite3), fastify, ajv and prom-client load only inside the command that
// needs them: `--help` and usage errors start without them (issue 17).
const loadServer = () => import("../server");
const loadContext = () => import("./context");
const loadAdminApi = () => import("../tenants/json");
const loadProofs = () => import("../proofs/service");

/** Where the CLI writes, and the environment it reads (tests pass their own). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
};

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** A UUID argument, normalized. @throws AppError USAGE. */
export function uuidArg(value: string | undefined, what: string): string {
  if (value === undefined || !UUID_RE.test(value)) {
    throw new AppError("USAGE", `${what} must be a UUID, got ${JSON.stringify(value ?? "")}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  return normalizeUuid(value);
}

/** A positive integer argument. @throws AppError USAGE. */
export function intArg(value: string | undefined, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = value === undefined ? NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new AppError("USAGE", `${what} must be an integer from ${min} to ${max}`, { exitCode: ExitCode.USAGE });
  }
  return n;
}

/** The configuration flags given to a (sub)command, keyed by option name. */
export function configFlags(cmd: Command): Record<string, unknown> {
  const all = cmd.optsWithGlobals();
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SEQUENCER_OPTIONS)) {
    const v = all[name] as unknown;
    if (v !== undefined) out[name] = v === true ? "true" : v;
  }
  return out;
}

/** Builds the command tree; `run` collects the action's promise so `runCli` can await it. */
function buildProgram(io: CliIo, actions: Promise<void>[]): Command {
  const program = new Command("stateset-sequencer")
    .description(
      "VES v1 sequencer: signed ingest, gap-free ordering, commitments, inclusion proofs. With no subcommand, " +
        "runs the server.",
    )
    .addHelpText(
      "after",
      `\nEvery option (flags override SEQUENCER__* environment variables; secrets only from the environment):\n\n${describeOptions(
        "sequencer",
        SEQUENCER_OPTIONS,
      )}\n`,
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride();
  for (const [name, spec] of Object.entries(SEQUENCER_OPTIONS)) {
    if ("secret" in spec && spec.secret) continue;
    const flag = flagName(name);
    const opt =
      spec.type === "bool"
        ? new Option(`${flag} [bool]`, spec.description).argParser((v) => v ?? "true")
        : new Option(`${flag} <${spec.type === "int" ? "n" : "value"}>`, spec.description);
    program.addOption(opt);
  }
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    (...args: A) => {
      actions.push(fn(...args));
    };

  program.action(
    run(async () => {
      const config = resolveSequencerConfig(configFlags(program), io.env);
      const { createSequencer } = await loadServer();
      const sequencer = await createSequencer(config);
      await sequencer.start();
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await sequencer.stop();
    }),
  );

  const print = (value: unknown) => io.stdout(`${stringifyJsonExact(value as ExactJsonValue)}\n`);
  const open = async (cmd: Command) => {
    const config = resolveSequencerConfig(configFlags(cmd), io.env);
    const { openSequencerService } = await loadContext();
    return openSequencerService(config, operatorName());
  };
  const withOperator = async (cmd: Command, fn: (ctx: OperatorContext) => Promise<unknown>) => {
    const ctx = await open(cmd);
    try {
      print(await fn(ctx));
    } finally {
      await ctx.close();
    }
  };

  // admin ----------------------------------------------------------------------------------------------------------
  const admin = program.command("admin").description("administer tenants, stores, API keys and receipt keys");

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

  const key = admin.command("key").description("API keys");
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

  registerOpsCommands(program, admin, { io, run, print, withOperator, open });
  return program;
}

/** The operating-system user, for the audit log. */
function operatorName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}

/**
 * Runs the CLI on `argv` (without the node and script names) and returns the exit code: 0 success, 1 a failure of
 * the action, 2 a usage or configuration error, 3 an unreachable database or busy port.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const actions: Promise<void>[] = [];
  const program = buildProgram(io, actions);
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    await Promise.all(actions);
    return 0;
  } catch (e) {
    const commanderCode = (e as { code?: unknown }).code;
    if (typeof commanderCode === "string" && commanderCode.startsWith("commander.")) {
      const code = (e as { exitCode?: number }).exitCode ?? 2;
      return code === 0 ? 0 : ExitCode.USAGE;
    }
    // A SequencerError comes only from the service, so its module is already loaded when one is thrown.
    const sequencerError =
      isAppError(e) && e.name === "SequencerError" ? (await import("../errors")).SequencerError : null;
    if (sequencerError !== null && e instanceof sequencerError) {
      io.stderr(`stateset-sequencer: ${e.code}: ${e.message}\n`);
      return e.status >= 500 ? ExitCode.INVALID : e.status === 400 ? ExitCode.USAGE : ExitCode.INVALID;
    }
    if (isAppError(e)) {
      io.stderr(`stateset-sequencer: ${e.message}\n`);
      return e.exitCode;
    }
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "ECONNREFUSED" || code === "ENOTFOUND") {
      io.stderr(`stateset-sequencer: ${(e as Error).message}\n`);
      return ExitCode.UNREACHABLE;
    }
    throw e;
  }
}

/** Parses `argv`, runs the command and exits with its code. */
export async function main(argv: readonly string[]): Promise<void> {
  process.exit(await runCli(argv));
}

if (require.main === module || process.env.VES_CLI_ENTRY === "stateset-sequencer") {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`stateset-sequencer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
