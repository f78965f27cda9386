/**
 * The anchor service: preflight (chain id, registry code, signer authorized and funded, sequencer reachable with the
 * API key), the anchor lease held through the sequencer (one anchor per sequencer: a second process waits), the cycle
 * loop with exponential backoff after failures, and the `/health`, `/ready`, `/metrics` and `/stats` listener.
 */
import { createServer, type Server } from "node:http";
import path from "node:path";

import { ExitCode, createLogger, readRegistryAddress, type Logger } from "../common";
import { backoffDelay } from "./backoff";
import { Chain, RpcUnavailable } from "./chain";
import type { AnchorConfig } from "./config";
import { AnchorError, unreachable } from "./errors";
import { Anchorer, type CycleOutcome } from "./loop";
import { AnchorMetrics } from "./metrics";
import { HttpProofSource, NO_PROOFS, type ProofSource } from "./proofs";
import { SequencerClient, SequencerRejected } from "./sequencer-client";
import { AnchorState } from "./state";

/** The package version reported by /health. */
const VERSION = "0.1.0";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Optional collaborators (tests pass a logger destination or another proof source). */
export interface AnchorDeps {
  readonly logger?: Logger;
  readonly proofs?: ProofSource;
}

/** Where the lease stands. */
export type LeaseStatus =
  | { readonly kind: "unknown" }
  | { readonly kind: "unsupported" }
  | { readonly kind: "held"; readonly untilMs: number; readonly expiresAt: string }
  | { readonly kind: "busy"; readonly holderId: string; readonly expiresAt: string };

/** A running (or startable) anchor service. */
export interface AnchorService {
  /** Runs the preflight, opens the state, starts the listener and the loop; resolves with the listener's URL. */
  start(): Promise<string>;
  /** Stops the loop after the current cycle, releases the lease, closes everything. */
  stop(): Promise<void>;
  /** Runs one cycle now (tests, `anchor:start --once`). */
  runOnce(): Promise<CycleOutcome>;
  /** The `/stats` document. */
  stats(): Record<string, unknown>;
  readonly config: AnchorConfig;
  readonly metrics: AnchorMetrics;
}

/** The signer's address and the registry, as the preflight found them. */
export interface PreflightResult {
  readonly chainId: bigint;
  readonly registryAddress: string;
  readonly signer: string;
  readonly balance: bigint;
}

/**
 * Checks everything the service needs before it starts.
 * @throws AnchorError: `ANCHOR_CHAIN_ID_MISMATCH`, `REGISTRY_NO_CODE`, `ANCHOR_NOT_AUTHORIZED`, `ANCHOR_UNFUNDED`,
 * `ANCHOR_SEQUENCER_AUTH` (exit 1), or an unreachable L2 or sequencer (exit 3).
 */
export async function preflight(
  config: AnchorConfig,
  chain: Chain,
  sequencer: SequencerClient,
): Promise<PreflightResult> {
  // 1. The chain id.
  let chainId: bigint;
  try {
    chainId = BigInt(await chain.send<string>("eth_chainId", []));
  } catch (cause) {
    throw unreachable("ANCHOR_RPC_UNREACHABLE", `cannot reach the L2 at ${config.rpcUrl}`, cause);
  }
  if (chainId !== BigInt(config.chainId)) {
    throw new AnchorError(
      "ANCHOR_CHAIN_ID_MISMATCH",
      `the L2 at ${config.rpcUrl} is chain ${chainId}, not the configured ${config.chainId}`,
    );
  }
  // 2. Code at the registry address (connectRegistry checks it).
  const registry = await chain.registry();
  // 3. The signer is an authorized sequencer, and funded.
  const signer = chain.address;
  if (!(await chain.rpc(() => registry.authorizedSequencers(signer)))) {
    throw new AnchorError(
      "ANCHOR_NOT_AUTHORIZED",
      `the signer ${signer} is not an authorized sequencer of the registry ${chain.registryAddress}`,
    );
  }
  const balance = await chain.balance();
  if (balance < BigInt(config.minBalanceWei)) {
    throw new AnchorError(
      "ANCHOR_UNFUNDED",
      `the signer ${signer} holds ${balance} wei, below ${config.minBalanceWei}`,
    );
  }
  // 4. The sequencer answers with the API key.
  try {
    await sequencer.pending(1);
  } catch (e) {
    if (e instanceof SequencerRejected && (e.status === 401 || e.status === 403)) {
      throw new AnchorError(
        "ANCHOR_SEQUENCER_AUTH",
        `the sequencer at ${config.sequencerUrl} refuses the API key (${e.status} ${e.remoteCode}); the anchoring routes need the bootstrap admin key`,
      );
    }
    throw e;
  }
  return { chainId, registryAddress: chain.registryAddress, signer, balance };
}

/** Resolves the registry address: the configured one, else the devnet's Ignition record for the chain id. */
export function registryAddressOf(config: AnchorConfig): string {
  return config.registryAddress ?? readRegistryAddress(PROJECT_ROOT, BigInt(config.chainId));
}

/** Builds the anchor service (nothing runs until `start`). */
export function createAnchor(config: AnchorConfig, deps: AnchorDeps = {}): AnchorService {
  const log = (deps.logger ?? createLogger("set-anchor", config.logLevel)).child({ component: "anchor" });
  const metrics = new AnchorMetrics();
  const sequencer = new SequencerClient(config.sequencerUrl, config.sequencerApiKey, config.httpTimeoutMs);
  const proofs =
    deps.proofs ??
    (config.proofs
      ? new HttpProofSource(new SequencerClient(config.proofApiUrl, config.sequencerApiKey, config.httpTimeoutMs))
      : NO_PROOFS);
  const startedAt = Date.now();
  let chain: Chain | undefined;
  let state: AnchorState | undefined;
  let anchorer: Anchorer | undefined;
  let server: Server | undefined;
  let lease: LeaseStatus = { kind: "unknown" };
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let current: Promise<CycleOutcome> | undefined;
  let lastOkAt = 0;
  let preflightOk = false;

  /** Takes or renews the lease; true if this process may work now. */
  async function ensureLease(): Promise<boolean> {
    if (lease.kind === "unsupported") return true;
    const now = Date.now();
    if (lease.kind === "held" && now < lease.untilMs - config.leaseMs / 2) return true;
    try {
      const answer = await sequencer.lease(
        lease.kind === "held" ? "renew" : "acquire",
        config.holderId,
        config.leaseMs,
      );
      if (answer.kind === "unsupported") {
        log.warn("the sequencer has no anchor lease route; running without a lease (double sends are reconciled)");
        lease = answer;
      } else if (answer.kind === "held") {
        if (lease.kind !== "held") log.info({ holderId: config.holderId, expiresAt: answer.expiresAt }, "lease taken");
        lease = { kind: "held", untilMs: now + config.leaseMs, expiresAt: answer.expiresAt };
      } else {
        if (lease.kind !== "busy" || lease.holderId !== answer.holderId) {
          log.warn(
            { holder: answer.holderId, expiresAt: answer.expiresAt },
            "another anchor process holds the lease for this sequencer; waiting",
          );
        }
        lease = { kind: "busy", holderId: answer.holderId, expiresAt: answer.expiresAt };
      }
    } catch (e) {
      // The sequencer is unreachable: a held lease stays usable until it would have expired.
      log.warn({ err: (e as Error).message }, "lease request failed");
      if (lease.kind === "held" && now >= lease.untilMs) lease = { kind: "unknown" };
    }
    metrics.leaseHeld.set(lease.kind === "held" || lease.kind === "unsupported" ? 1 : 0);
    return lease.kind === "held" || lease.kind === "unsupported";
  }

  async function runOnce(): Promise<CycleOutcome> {
    if (anchorer === undefined) throw new AnchorError("ANCHOR_NOT_STARTED", "start() the service first");
    current = anchorer.cycle();
    try {
      const outcome = await current;
      if (outcome === "ok") lastOkAt = Date.now();
      return outcome;
    } finally {
      current = undefined;
    }
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (running) {
      let delay = config.intervalMs;
      try {
        if (await ensureLease()) {
          const outcome = await runOnce();
          failures = outcome === "ok" ? 0 : failures + 1;
          if (failures > 0)
            delay = Math.max(config.intervalMs / 2, backoffDelay(failures, config.backoffBaseMs, config.backoffMaxMs));
        } else {
          delay = Math.min(config.intervalMs, config.leaseMs / 4);
        }
      } catch (e) {
        failures++;
        log.error({ err: (e as Error).message }, "cycle crashed");
        delay = backoffDelay(failures, config.backoffBaseMs, config.backoffMaxMs);
      }
      metrics.ready.set(isReady() ? 1 : 0);
      if (!running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  function isReady(): boolean {
    const fresh = Date.now() - lastOkAt <= Math.max(10 * config.intervalMs, 60_000);
    return preflightOk && (lease.kind === "held" || lease.kind === "unsupported") && fresh;
  }

  function stats(): Record<string, unknown> {
    const s = metrics.stats;
    const attempted = s.totalAnchored + s.totalFailed;
    return {
      version: VERSION,
      holder_id: config.holderId,
      signer: chain?.address ?? null,
      registry: chain?.registryAddress ?? null,
      total_anchored: s.totalAnchored,
      total_failed: s.totalFailed,
      total_events_anchored: s.totalEventsAnchored,
      total_proofs_anchored: s.totalProofsAnchored,
      success_rate: attempted === 0 ? 1 : s.totalAnchored / attempted,
      successful_cycles: s.successfulCycles,
      failed_cycles: s.failedCycles,
      total_cycles: s.totalCycles,
      cycle_success_rate: s.totalCycles === 0 ? 1 : s.successfulCycles / s.totalCycles,
      last_anchor_time: s.lastAnchorTime,
      last_batch_id: s.lastBatchId,
      consecutive_failures: s.consecutiveFailures,
      l2_connection_failures: s.l2ConnectionFailures,
      sequencer_api_failures: s.sequencerApiFailures,
      gas_price_skips: s.gasPriceSkips,
      gas_used: s.gasUsed.toString(),
      avg_anchor_time_ms: s.avgAnchorTimeMs,
      last_l2_healthy: s.lastL2Healthy,
      last_sequencer_healthy: s.lastSequencerHealthy,
      service_started: new Date(startedAt).toISOString(),
      uptime_secs: Math.floor((Date.now() - startedAt) / 1000),
      circuit_breaker_state: chain?.breaker.state ?? "closed",
      circuit_breaker_open_skips: s.circuitBreakerOpenSkips,
      transactions_sent: s.sent,
      transactions_replaced: s.replaced,
      transactions_resent: s.resent,
      reorgs: s.reorgs,
      reconciled: s.reconciled,
      failures_by_error: s.failuresByError,
      last_error: s.lastError,
      blocked_streams: Object.fromEntries(anchorer?.blocked ?? []),
      streams_waiting_for_proof: [...(anchorer?.waitingForProof ?? [])],
      lease:
        lease.kind === "held"
          ? { status: "held", expires_at: lease.expiresAt }
          : lease.kind === "busy"
            ? { status: "waiting", holder_id: lease.holderId, expires_at: lease.expiresAt }
            : { status: lease.kind },
      sends: state?.counts() ?? {},
      checkpoint_block: state?.checkpoint()?.block ?? null,
      ready: isReady(),
    };
  }

  async function listen(): Promise<string> {
    server = createServer((req, res) => {
      const send = (status: number, body: string, type = "application/json; charset=utf-8") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      const route = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") return send(405, JSON.stringify({ error: { code: "METHOD_NOT_ALLOWED" } }));
      if (route === "/health") {
        return send(
          200,
          JSON.stringify({ status: "ok", version: VERSION, uptime_secs: Math.floor((Date.now() - startedAt) / 1000) }),
        );
      }
      if (route === "/ready") {
        const ready = isReady();
        return send(
          ready ? 200 : 503,
          JSON.stringify({
            ready,
            preflight: preflightOk,
            lease: lease.kind,
            l2_connected: chain?.breaker.state !== "open" && metrics.stats.lastL2Healthy !== null,
            sequencer_connected: metrics.stats.lastSequencerHealthy !== null,
            last_ok_cycle_secs_ago: lastOkAt === 0 ? null : Math.floor((Date.now() - lastOkAt) / 1000),
          }),
        );
      }
      if (route === "/stats") return send(200, JSON.stringify(stats()));
      if (route === "/metrics") {
        metrics.registry
          .metrics()
          .then((text) => send(200, text, metrics.registry.contentType))
          .catch((e: unknown) => send(500, JSON.stringify({ error: { code: "METRICS", message: String(e) } })));
        return;
      }
      send(404, JSON.stringify({ error: { code: "NOT_FOUND", message: `no route ${route}` } }));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          e.code === "EADDRINUSE"
            ? new AnchorError("ANCHOR_PORT_IN_USE", `port ${config.port} on ${config.host} is in use`, {
                exitCode: ExitCode.USAGE,
              })
            : e,
        ),
      );
      server!.listen(config.port, config.host, () => resolve());
    });
    const addr = server.address() as { address: string; port: number };
    return `http://${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  return {
    config,
    metrics,
    stats,
    runOnce,
    async start() {
      // 1. Preflight (the registry address from the config or the devnet's record).
      const registryAddress = registryAddressOf(config);
      chain = new Chain(config.rpcUrl, BigInt(config.chainId), registryAddress, config.signerKey, {
        timeoutMs: config.rpcTimeoutMs,
        breakerThreshold: config.breakerThreshold,
        breakerResetMs: config.breakerResetMs,
        onBreaker: (s) => log.warn({ state: s }, "RPC circuit breaker"),
      });
      try {
        const pf = await preflight(config, chain, sequencer);
        log.info(
          {
            chainId: pf.chainId.toString(),
            registry: pf.registryAddress,
            signer: pf.signer,
            balance: pf.balance.toString(),
          },
          "preflight passed",
        );
        // 2. The state file (bound to this chain and registry).
        state = new AnchorState(config.stateFile, { chainId: pf.chainId, registry: pf.registryAddress });
      } catch (e) {
        chain.destroy();
        if (e instanceof RpcUnavailable) throw unreachable("ANCHOR_RPC_UNREACHABLE", e.message, e);
        throw e;
      }
      preflightOk = true;
      anchorer = new Anchorer({ config, chain, state, sequencer, proofs, metrics, log });
      // 3. The listener, then the loop.
      const url = await listen();
      log.info({ url, holderId: config.holderId }, "anchor listening");
      running = true;
      loopDone = loop();
      return url;
    },
    async stop() {
      running = false;
      wake?.();
      await current?.catch(() => undefined);
      await loopDone.catch(() => undefined);
      if (lease.kind === "held") await sequencer.releaseLease(config.holderId).catch(() => undefined);
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
      server?.closeAllConnections?.();
      state?.close();
      chain?.destroy();
      log.info("anchor stopped");
    },
  };
}
