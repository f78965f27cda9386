/**
 * The whole VES flow as a user deploys it, each part a separate process through its real entry point: the L2 devnet
 * (`hardhat devnet`, SetRegistry deployed by Ignition), the sequencer (`stateset-sequencer`, SQLite in a temporary
 * directory or `--postgres URL`), the prover (`ves-prover`, when the bin exists) and the anchor service
 * (`set-anchor`). Four agents and an auditor work through `stateset-sync`: init, keys, register, append, push. Once
 * every event is committed, anchored (and proven), the auditor verifies the stream on its own (`verify --all`), and a
 * summary table is printed. Every process is stopped at the end (or left up with `keepRunning`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { JsonRpcProvider } from "ethers";

import { connectRegistry } from "../../../offchain/common";
import { bytesToHex, toBytes32Hex, x25519Keygen } from "../../../offchain/ves";
import { ROOT, syncOk, syncRun } from "./cli";
import { AML_THRESHOLD, LARGE_ORDER_TOTAL, ROLES, planEvents, type PlannedEvent, type Role } from "./events";
import { FatalWaitError, Service, waitFor } from "./procs";
import { formatSummary, type DemoSummary, type ProofRow } from "./summary";

/** The demo's options. */
export interface DemoOptions {
  readonly events: number;
  readonly keepRunning: boolean;
  readonly postgres?: string;
  /** Devnet port (0: a free one). */
  readonly port: number;
  /** Deadline of each wait (ms). */
  readonly waitMs?: number;
  readonly log?: (line: string) => void;
}

/** Hardhat's public test account #1, the registry's authorized sequencer on the devnet (not a secret). */
const DEVNET_SEQUENCER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PROVER_KID = 9001;
const BIN = (name: string) => path.join(ROOT, "bin", name);

type Json = { readonly [k: string]: unknown };

/** An environment without the services' own variables (the demo sets the ones it means). */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SEQUENCER__|ANCHOR__|PROVER__|STATESET_|DEVNET__|VES__)/.test(k) || k === "HARDHAT_NETWORK") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

async function http(base: string, key: string, method: string, route: string, body?: unknown): Promise<Json> {
  const res = await fetch(base + route, {
    method,
    headers: {
      authorization: `ApiKey ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as Json;
}

/** Runs the demo; resolves to the process exit code (0 when every check passed). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const t0 = Date.now();
  const print = options.log ?? ((l: string) => console.log(l));
  const log = (m: string) => print(`demo [${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${m}`);
  const waitMs = options.waitMs ?? 150_000;
  const work = mkdtempSync(path.join(tmpdir(), "ves-demo-"));
  const services: Service[] = [];
  let provider: JsonRpcProvider | undefined;
  const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const s = new Service(name, command, args, env, ROOT);
    services.push(s);
    return s;
  };
  /** Fails a wait at once when a service has exited. */
  const alive = () => {
    const dead = services.find((s) => !s.running);
    if (dead !== undefined) throw new FatalWaitError(`${dead.name} exited:\n${dead.tail()}`);
  };
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    log(`${ok ? "✓" : "✗"} ${name}: ${detail}`);
  };

  try {
    // 1. The devnet, with SetRegistry deployed through Ignition into the demo's own deployments folder.
    log(`starting the L2 devnet (hardhat devnet) — working directory ${work}`);
    const deployments = path.join(work, "deployments");
    const devnet = start(
      "devnet",
      path.join(ROOT, "node_modules", ".bin", "hardhat"),
      ["devnet", "--port", String(options.port)],
      baseEnv({ VES__DEPLOYMENTS_DIR: deployments }),
    );
    await devnet.line(/devnet: ready/, "ready", waitMs);
    const rpcUrl = (await devnet.line(/serving JSON-RPC at (http:\/\/[0-9.]+:\d+)/, "its URL", 1000))[1]!;
    const registry = (await devnet.line(/SetRegistry deployed at (0x[0-9a-fA-F]{40})/, "the registry", 1000))[1]!;
    log(`devnet at ${rpcUrl}; SetRegistry at ${registry}`);
    provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });

    // 2. The sequencer, committing a stream every few events.
    const adminKey = `ss_admin_demo_${randomBytes(18).toString("base64url")}`;
    const perBatch = Math.max(2, Math.ceil(options.events / 4));
    const sequencer = start(
      "sequencer",
      process.execPath,
      [BIN("stateset-sequencer")],
      baseEnv({
        SEQUENCER__PORT: "0",
        SEQUENCER__METRICS_PORT: "0",
        SEQUENCER__DATA_DIR: path.join(work, "sequencer"),
        SEQUENCER__ADMIN_API_KEY: adminKey,
        SEQUENCER__SIGNING_KEY: randomBytes(32).toString("hex"),
        SEQUENCER__COMMIT_MAX_EVENTS: String(perBatch),
        SEQUENCER__COMMIT_MAX_WAIT_MS: "1500",
        SEQUENCER__COMMIT_INTERVAL_MS: "250",
        SEQUENCER__LOG_LEVEL: "info",
        ...(options.postgres === undefined ? {} : { SEQUENCER__DATABASE_URL: options.postgres }),
      }),
    );
    const started = await sequencer.line(/"msg":"sequencer started"/, "started", waitMs);
    const seqUrl = new URL((JSON.parse(started.input) as { url: string }).url).origin;
    log(
      `sequencer at ${seqUrl} (${options.postgres === undefined ? `SQLite in ${path.join(work, "sequencer")}` : "PostgreSQL"}; ` +
        `commits every ${perBatch} events or 1.5 s)`,
    );
    const admin = (method: string, route: string, body?: unknown) => http(seqUrl, adminKey, method, route, body);

    // 3. The tenant, its store, and the keys: a tenant admin, one read-write key per agent, a read-only auditor key.
    const tenantId = randomUUID();
    const storeId = randomUUID();
    const mint = async (agentId: string, body: Record<string, unknown>) =>
      String((await admin("POST", `/api/v1/agents/${agentId}/api-keys`, { tenantId, ...body })).apiKey);
    const tenantAdminKey = await mint(randomUUID(), { admin: true });

    // 4. The prover, when this checkout has one.
    const proverPresent = existsSync(BIN("ves-prover"));
    let prover: Service | undefined;
    const proverKeys = x25519Keygen();
    if (proverPresent) {
      const proverKey = String((await admin("POST", "/api/v1/admin/prover-keys", { label: "demo prover" })).api_key);
      prover = start(
        "prover",
        process.execPath,
        [BIN("ves-prover")],
        baseEnv({
          PROVER__SEQUENCER_URL: seqUrl,
          PROVER__API_KEY: proverKey,
          PROVER__POLICY_ID: "aml.threshold",
          PROVER__POLICY_LIMIT: AML_THRESHOLD.toString(),
          PROVER__X25519_SECRET_KEY: bytesToHex(proverKeys.secretKey),
          PROVER__KID: String(PROVER_KID),
          PROVER__PER_EVENT: "true",
          PROVER__PORT: "0",
          PROVER__LOG_LEVEL: "info",
        }),
      );
      await prover.line(/"msg":"prover started"/, "started", waitMs);
      log(
        `prover started (aml.threshold, limit ${AML_THRESHOLD} minor units = 10,000.00 USD; a batch proof per ` +
          `commitment, a proof per compliant event; recipient kid ${PROVER_KID})`,
      );
    } else {
      log("proofs are NOT part of this run: bin/ves-prover is missing (the prover service has not landed)");
    }

    // 5. The anchor service.
    const anchor = start(
      "anchor",
      process.execPath,
      [BIN("set-anchor")],
      baseEnv({
        ANCHOR__RPC_URL: rpcUrl,
        ANCHOR__REGISTRY_ADDRESS: registry,
        ANCHOR__SIGNER_KEY: DEVNET_SEQUENCER_KEY,
        ANCHOR__SEQUENCER_URL: seqUrl,
        ANCHOR__SEQUENCER_API_KEY: adminKey,
        ANCHOR__STATE_FILE: path.join(work, "anchor.db"),
        ANCHOR__PORT: "0",
        ANCHOR__INTERVAL_MS: "300",
        ANCHOR__CONFIRMATIONS: "1",
        ANCHOR__PROOFS: proverPresent ? "true" : "false",
        ANCHOR__PROOF_WAIT_MS: "90000",
        ANCHOR__LOG_LEVEL: "info",
      }),
    );
    const registryView = await connectRegistry(registry, provider);
    const anchorUrl = (await anchor.line(/"url":"(http:\/\/[^"]+)","holderId"/, "listening", waitMs))[1]!;
    log(`anchor service at ${anchorUrl} (signs as the registry's authorized sequencer)`);

    // 6. The agents and the auditor, through stateset-sync.
    const homes = new Map<Role | "auditor", { home: string; env: NodeJS.ProcessEnv; agentId: string }>();
    for (const role of [...ROLES, "auditor"] as const) {
      const agentId = randomUUID();
      const key = await mint(agentId, role === "auditor" ? { readOnly: true } : {});
      homes.set(role, { home: path.join(work, "agents", role), env: { STATESET_API_KEY: key }, agentId });
    }
    await Promise.all(
      [...homes.entries()].map(async ([role, h]) => {
        await syncOk(
          h.home,
          [
            "init",
            "--sequencer-url",
            seqUrl,
            "--tenant-id",
            tenantId,
            "--store-id",
            storeId,
            "--agent-id",
            h.agentId,
            ...(role === "auditor" ? ["--rpc-url", rpcUrl, "--registry", registry] : []),
          ],
          h.env,
        );
        await syncOk(h.home, ["keys:generate"], h.env);
        if (role !== "auditor") {
          await syncOk(h.home, ["keys:register"], { ...h.env, STATESET_ADMIN_API_KEY: tenantAdminKey });
        }
      }),
    );
    const auditor = homes.get("auditor")!;
    const exportRun = await syncRun(auditor.home, ["keys:export", "--format", "json"], auditor.env);
    const exported = exportRun.json as { encryptionKeys?: { kid: number; x25519: string }[] } | undefined;
    const auditorKey = exported?.encryptionKeys?.[0];
    if (auditorKey === undefined) throw new Error("the auditor has no encryption key");
    const recipients = [
      `${auditorKey.kid}:${auditorKey.x25519}`,
      ...(proverPresent ? [`${PROVER_KID}:${bytesToHex(proverKeys.publicKey)}`] : []),
    ];
    log(
      `agents ${ROLES.join(", ")} initialised and their keys registered; auditor with a read-only key ` +
        `(encryption kid ${auditorKey.kid})`,
    );

    // 7. Append and push, in rounds, agents side by side.
    const plan = planEvents(options.events);
    const rounds = Math.max(2, Math.ceil(plan.length / (perBatch * 2)));
    const perRound = Math.ceil(plan.length / rounds);
    const eventIds: { planned: PlannedEvent; eventId: string }[] = [];
    let rejected = 0;
    for (let r = 0; r < rounds; r++) {
      const slice = plan.slice(r * perRound, (r + 1) * perRound);
      await Promise.all(
        ROLES.map(async (role) => {
          const h = homes.get(role)!;
          for (const e of slice.filter((x) => x.role === role)) {
            const out = await syncOk(
              h.home,
              [
                "append",
                "--entity-id",
                e.entityId,
                "--event-type",
                e.eventType,
                "--payload",
                JSON.stringify(e.payload),
                ...(e.encrypted ? recipients.flatMap((x) => ["--encrypt-for", x]) : []),
              ],
              h.env,
            );
            eventIds.push({ planned: e, eventId: String(out.eventId) });
          }
          const pushed = await syncRun(h.home, ["push", "--json"], h.env);
          const rej = (pushed.json?.rejected as unknown[] | undefined)?.length ?? 0;
          rejected += rej;
          if (pushed.code !== 0) log(`${role}: push exit ${pushed.code}: ${pushed.stderr.trim()}`);
        }),
      );
      log(`round ${r + 1}/${rounds}: ${eventIds.length}/${plan.length} events appended, signed and pushed`);
    }
    check("push", rejected === 0, `${eventIds.length} events acknowledged, ${rejected} rejected`);

    // 8. Wait until every event is committed and anchored.
    const stream = { tenant_id: tenantId, store_id: storeId };
    const q = new URLSearchParams({ ...stream, anchored: "all", limit: "1000" }).toString();
    const listCommitments = async () =>
      (await admin("GET", `/api/v1/ves/commitments?${q}`)).commitments as Record<string, unknown>[];
    let lastReport = "";
    const commitments = await waitFor(
      "every event committed and anchored",
      async () => {
        alive();
        const list = await listCommitments();
        const committed = list.reduce((n, c) => n + Number(c.leaf_count), 0);
        const anchored = list.filter((c) => c.is_anchored === true).length;
        let proven = 0;
        if (proverPresent) {
          for (const c of list) {
            const p = await registryView.hasStarkProof(toBytes32Hex(String(c.batch_id)));
            if (p) proven++;
          }
        }
        const report =
          `${list.length} commitments (${committed}/${plan.length} events), ${anchored} anchored` +
          (proverPresent ? `, ${proven} with a batch proof on-chain` : "");
        if (report !== lastReport) log(report);
        lastReport = report;
        const done =
          committed === plan.length && anchored === list.length && (!proverPresent || proven === list.length);
        return done ? list : undefined;
      },
      waitMs,
      300,
    );
    check(
      "commitments",
      commitments.length >= 2,
      `${commitments.length} commitments, every one anchored in SetRegistry${proverPresent ? " with its batch proof" : ""}`,
    );

    // 9. The proofs: one batch proof per commitment (aml.threshold), checked again by the sequencer.
    let proofs: DemoSummary["proofs"] = {
      present: false,
      note: "NOT part of this run: bin/ves-prover is missing, so no proofs were made",
    };
    if (prover !== undefined) {
      const ids = commitments.map((c) => String(c.batch_id));
      await waitFor(
        "the prover's per-event proofs of every commitment",
        () => {
          alive();
          return ids.every((id) =>
            prover.lines.some((l) => /"msg":"commitment (proven|processed)"/.test(l) && l.includes(id)),
          );
        },
        waitMs,
        300,
      );
      const port = (await prover.line(/"port":(\d+)/, "its port", 1000))[1]!;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const byResult: Record<string, number> = {};
      for (const m of metrics.matchAll(/ves_prover_batch_events_total\{[a-z_]+="([a-z_]+)"\} (\d+)/g)) {
        byResult[m[1]!] = Number(m[2]);
      }
      const rows: ProofRow[] = [];
      const batchOf = new Map<string, boolean>();
      for (const c of commitments) {
        const batchId = String(c.batch_id);
        const list = (await admin("GET", `/api/v1/ves/validity/${batchId}/proofs`)).proofs as Json[];
        const p = list.at(-1);
        if (p === undefined) continue;
        const v = await admin("GET", `/api/v1/ves/validity/proofs/${String(p.proofId)}/verify`);
        batchOf.set(batchId, p.allCompliant === true);
        rows.push({
          batchId,
          valid: v.valid === true,
          allCompliant: p.allCompliant === true,
          size: Number(p.proofSize),
          provingMs: Number(p.provingTimeMs),
        });
      }
      proofs = { present: true, rows, byResult };
      const large = eventIds.find((e) => e.planned.payload.total === LARGE_ORDER_TOTAL);
      const largeBatch =
        large === undefined ? undefined : String((await admin("GET", `/api/v1/ves/events/${large.eventId}`)).batch_id);
      check(
        "proofs",
        rows.length === commitments.length && rows.every((r) => r.valid),
        `${rows.filter((r) => r.valid).length}/${commitments.length} batch proofs valid`,
      );
      check(
        "compliance",
        largeBatch !== undefined && batchOf.get(largeBatch) === false,
        `the order of 12,500.00 USD (over 10,000.00) makes batch ${largeBatch} non-compliant; ` +
          `${rows.filter((r) => r.allCompliant).length} batch(es) all-compliant`,
      );
    }

    // 10. The auditor verifies everything on its own.
    log("the auditor verifies the stream on its own: stateset-sync verify --all (read-only key + the chain)");
    const verified = await syncRun(auditor.home, ["verify", "--all", "--json"], auditor.env);
    const v = verified.json as
      | {
          ok: boolean;
          eventsChecked: number;
          summary: Record<string, { passed: number; failed: number; skipped: number }>;
          firstBroken: { eventId: string; step: string; detail: string } | null;
        }
      | undefined;
    if (v === undefined) throw new Error(`verify --all failed (exit ${verified.code}): ${verified.stderr}`);
    check(
      "verification",
      verified.code === 0 && v.ok && v.eventsChecked === plan.length,
      v.ok ? `${v.eventsChecked} events verified on-chain` : `first broken link ${JSON.stringify(v.firstBroken)}`,
    );
    const secret = eventIds.find((e) => e.planned.eventType === "payment.completed");
    if (secret !== undefined) {
      const d = await syncRun(auditor.home, ["decrypt", secret.eventId, "--json"], auditor.env);
      const amount = (d.json?.payload as Json | undefined)?.amount;
      check(
        "decryption",
        d.code === 0 && String(amount) === String(secret.planned.payload.amount),
        `the auditor reads the encrypted payment ${secret.planned.entityId}: ${String(amount)} minor units`,
      );
    }

    // 11. The summary.
    const gasByTx = new Map<string, bigint>();
    for (const c of commitments) {
      const hash = `0x${String(c.chain_tx_hash)}`;
      if (!gasByTx.has(hash)) gasByTx.set(hash, (await provider.getTransactionReceipt(hash))?.gasUsed ?? 0n);
    }
    const byAgent: Record<string, number> = {};
    for (const e of eventIds) byAgent[e.planned.role] = (byAgent[e.planned.role] ?? 0) + 1;
    const summary: DemoSummary = {
      streams: [{ stream: `${tenantId.slice(0, 8)}…/${storeId.slice(0, 8)}…`, events: eventIds.length, byAgent }],
      commitments: commitments.map((c) => ({
        batchId: String(c.batch_id),
        range: `${String(c.sequence_start)}..${String(c.sequence_end)}`,
        events: Number(c.leaf_count),
        anchored: c.is_anchored === true,
      })),
      proofs,
      chain: { transactions: gasByTx.size, gas: [...gasByTx.values()].reduce((a, b) => a + b, 0n), registry },
      verification: {
        ok: v.ok,
        events: v.eventsChecked,
        steps: Object.entries(v.summary).map(([step, c]) => ({ step, ...c })),
        firstBroken: v.firstBroken === null ? null : `${v.firstBroken.eventId} at ${v.firstBroken.step}`,
      },
      checks,
    };
    for (const line of formatSummary(summary)) print(line);
    const ok = checks.every((c) => c.ok);
    log(ok ? "all checks passed" : "SOME CHECKS FAILED");

    if (options.keepRunning) {
      print(
        [
          "",
          "The services stay up (Ctrl-C stops them):",
          `  devnet      ${rpcUrl}   SetRegistry ${registry}`,
          `  sequencer   ${seqUrl}   (bootstrap admin key ${adminKey})`,
          `  anchor      ${anchorUrl}/stats`,
          ...(prover === undefined ? [] : [`  prover      pid ${prover.pid}`]),
          `  auditor     STATESET_API_KEY=${auditor.env.STATESET_API_KEY} bin/stateset-sync --home ${auditor.home} verify --all`,
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
    }
    return ok ? 0 : 1;
  } catch (e) {
    log(`FAILED: ${(e as Error).message}`);
    for (const s of services) print(`--- ${s.name}${s.running ? "" : " (exited)"}: last lines ---\n${s.tail(8)}`);
    return 1;
  } finally {
    provider?.destroy();
    log("stopping every process");
    for (const s of [...services].reverse()) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
