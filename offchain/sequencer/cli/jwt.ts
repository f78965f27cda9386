/**
 * `admin jwt issue`: mints an HS256 JWT with the configured secret (`SEQUENCER__JWT_SECRET[_FILE]`) for a tenant, its
 * stores, an agent and permissions — the same claims the server checks (auth/jwt.ts). The token is printed once and
 * its issue recorded in the audit log (its `jti`, never the token).
 */
import { randomUUID } from "node:crypto";

import type { Command } from "commander";

import { AppError, ExitCode } from "../../common";
import { intArg, uuidArg } from "./main";
import type { OpsContext } from "./ops";

const PERMISSIONS: Record<string, string> = { read: "read", read_write: "read,write", admin: "admin" };

/** Adds `admin jwt issue`. */
export function registerJwtCommands(admin: Command, { run, withOperator }: OpsContext): void {
  admin
    .command("jwt")
    .description("JWT bearer credentials (needs SEQUENCER__JWT_SECRET)")
    .command("issue")
    .description("mint a token for a tenant (printed once; its id is audited)")
    .requiredOption("--tenant <uuid>", "tenant id (`sub`)")
    .option("--stores <uuids>", "comma-separated store ids (default: every store)")
    .option("--agent <uuid>", "the agent the token is bound to (ingest only as this agent)")
    .option("--permissions <p>", "read, read_write or admin", "read_write")
    .option("--ttl <seconds>", "lifetime", "3600")
    .action(
      run(
        async (
          o: { tenant: string; stores?: string; agent?: string; permissions: string; ttl: string },
          cmd: Command,
        ) =>
          withOperator(cmd, async ({ config, service, principal }) => {
            if (config.jwtSecret === undefined) {
              throw new AppError("CONFIG_INVALID", "set SEQUENCER__JWT_SECRET (or _FILE) to issue JWTs", {
                exitCode: ExitCode.USAGE,
              });
            }
            const perms = PERMISSIONS[o.permissions];
            if (perms === undefined) {
              throw new AppError("USAGE", "--permissions must be read, read_write or admin", {
                exitCode: ExitCode.USAGE,
              });
            }
            const tenantId = uuidArg(o.tenant, "--tenant");
            const stores = (o.stores ?? "")
              .split(",")
              .filter((s) => s !== "")
              .map((s) => uuidArg(s, "--stores"));
            const agent = o.agent === undefined ? undefined : uuidArg(o.agent, "--agent");
            const now = Math.floor(Date.now() / 1000);
            const exp = now + intArg(o.ttl, "--ttl", 1, 366 * 86_400);
            const jti = randomUUID();
            const claims = {
              iss: config.jwtIssuer,
              aud: config.jwtAudience,
              sub: tenantId,
              stores: stores.join(","),
              perms,
              iat: now,
              nbf: now,
              exp,
              jti,
              ...(agent === undefined ? {} : { agent }),
            };
            const { signJwt } = await import("../auth"); // loads with the command, not with the CLI
            const token = signJwt(claims, new TextEncoder().encode(config.jwtSecret));
            await service.audit(principal, "jwt.issued", tenantId, jti, { stores, agent: agent ?? null, perms, exp });
            return { token, jti, expires_at: new Date(exp * 1000).toISOString() };
          }),
      ),
    );
}
