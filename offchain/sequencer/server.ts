/**
 * The sequencer process: opens the store (SQLite or PostgreSQL) and migrates it, builds the service, the HTTP API, the
 * Prometheus metrics listener (its own address, loopback by default) and the commit worker, and offers `start()` /
 * `stop()` with a graceful shutdown bounded by `shutdownTimeoutMs` (refuse new connections, answer in-flight requests
 * with `Connection: close`, close idle connections, then any left at the deadline; stop the worker, close the
 * database).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

import { Counter, Registry, collectDefaultMetrics } from "prom-client";

import { createLogger, type Logger } from "../common";
import { authHook, type RouteContext, type SequencerApp } from "./http";
import { createApp, type AppOptions } from "./http";
import { sendJson } from "./http";
import { anchorRoutes } from "./commitments";
import { leaseRoutes } from "./commitments";
import { commitmentRoutes, inclusionProofRoutes } from "./commitments";
import { CommitWorker } from "./commitments";
import type { SequencerConfig } from "./config";
import { eventReadRoutes, ingestRoutes } from "./events";
import { streamRoutes } from "./events";
import { VerifyPool } from "./events";
import { registerExplorer, type ExplorerOptions } from "./explorer";
import { agentKeyRoutes, sequencerKeyRoutes } from "./keys";
import { proofRoutes } from "./proofs";
import type { SchemaMode } from "./schemas";
import { schemaRoutes } from "./schemas";
import { SequencerService, type SequencerHooks, type SequencerServiceOptions } from "./service";
import { openPostgresStore, openSqliteStore, type SequencerStore } from "./store";
import { agentApiKeyCreateRoutes, agentApiKeyRoutes, apiKeyRoutes } from "./tenants";
import { auditRoutes, tenantRoutes } from "./tenants";

/** A running (or startable) sequencer. */
export interface Sequencer {
  readonly service: SequencerService;
  readonly logger: Logger;
  /** The base URL once started, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The metrics listener's URL once started (`http://127.0.0.1:9464/metrics`), null when it is off. */
  readonly metricsUrl: string | null;
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Optional replacements of a sequencer's parts (tests wrap the store to observe or slow it). */
export interface SequencerDeps {
  /** Wraps the opened store before the service uses it. */
  readonly wrapStore?: (store: SequencerStore) => SequencerStore;
  /**
   * Serve metrics on a free port of the metrics host whatever `metricsPort` says (where 0 means off): tests run many
   * sequencers in one process and must not collide on the default port.
   */
  readonly metricsOnAnyPort?: boolean;
}

/** A plain HTTP listener for `GET /metrics` (everything else 404). */
function metricsServer(metrics: Registry, log: Logger): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    metrics.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
      (e: unknown) => {
        log.error({ err: e }, "metrics failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n");
      },
    );
  });
}

/** Listens on `host:port` and resolves with the bound port. */
function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a listener and every connection it still holds. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What the HTTP API needs: the app's options and the explorer page's chain settings. */
export interface ApiOptions extends AppOptions {
  /** The explorer page's chain settings (`/explorer`); without them the page skips its on-chain root check. */
  readonly explorer?: ExplorerOptions;
}

/**
 * Builds the HTTP API (not listening): the app with its shared hooks (`http/app.ts`), then every concern's routes
 * plugin, in the order their paths appear in the OpenAPI document.
 */
export async function buildApi(options: ApiOptions): Promise<SequencerApp> {
  const app = await createApp(options);
  const ctx: RouteContext = {
    service: options.service,
    auth: authHook(options.service),
    sendJson,
  };
  for (const plugin of [
    ingestRoutes,
    eventReadRoutes,
    sequencerKeyRoutes,
    commitmentRoutes,
    inclusionProofRoutes,
    agentKeyRoutes,
    agentApiKeyCreateRoutes,
    tenantRoutes,
    apiKeyRoutes,
    auditRoutes,
    agentApiKeyRoutes,
    leaseRoutes,
    schemaRoutes,
    proofRoutes,
    streamRoutes,
  ]) {
    await app.register(plugin, ctx);
  }
  registerExplorer(app, options.explorer);
  await app.register(anchorRoutes, ctx);
  return app;
}

/** Opens the configured store with its pool size and database timeout. */
export function openStore(config: SequencerConfig): SequencerStore {
  return config.database.kind === "sqlite"
    ? openSqliteStore(config.database.file, {
        busyTimeoutMs: config.databaseTimeoutMs,
        synchronous: config.sqliteSynchronous === "normal" ? "normal" : "full",
      })
    : openPostgresStore(config.database.url, {
        poolSize: config.databasePoolSize,
        connectionTimeoutMs: config.databaseTimeoutMs,
      });
}

/** The service options every process derives from the configuration (the server adds limits, pool and hooks). */
export function baseServiceOptions(config: SequencerConfig, store: SequencerStore): SequencerServiceOptions {
  return {
    store,
    signingSeed: config.signingSeed,
    ...(config.sequencerId === undefined ? {} : { sequencerId: config.sequencerId }),
    adminApiKey: config.adminApiKey,
    keyCacheMs: config.keyCacheMs,
    strictFormat: config.strictFormat,
    schemaMode: config.schemaValidation as SchemaMode,
    ...(config.jwtSecret === undefined
      ? {}
      : {
          jwt: {
            secret: new TextEncoder().encode(config.jwtSecret),
            issuer: config.jwtIssuer,
            audience: config.jwtAudience,
          },
        }),
  };
}

/** The event and commitment counters on `metrics`, as the service's hooks. */
function ingestMetrics(metrics: Registry): SequencerHooks {
  const accepted = new Counter({ name: "ves_events_accepted_total", help: "Events sequenced", registers: [metrics] });
  const replayed = new Counter({
    name: "ves_events_replayed_total",
    help: "Exact replays answered",
    registers: [metrics],
  });
  const rejected = new Counter({
    name: "ves_events_rejected_total",
    help: "Events rejected, by reason",
    labelNames: ["reason"],
    registers: [metrics],
  });
  const commitments = new Counter({ name: "ves_commitments_total", help: "Commitments created", registers: [metrics] });
  return {
    onIngest: (a, r, p, reasons) => {
      accepted.inc(a);
      replayed.inc(p);
      for (const reason of reasons) rejected.inc({ reason });
      void r;
    },
    onCommitment: () => commitments.inc(),
  };
}

/** Opens and migrates the store, checks it answers, and builds the service on it (closing the store on failure). */
async function openService(config: SequencerConfig, deps: SequencerDeps, log: Logger, hooks: SequencerHooks) {
  const opened = openStore(config);
  const store = deps.wrapStore?.(opened) ?? opened;
  try {
    await store.migrate();
    await store.ping();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  const verifyPool = new VerifyPool(config.verifyThreads === 0 ? undefined : config.verifyThreads);
  const service = new SequencerService({
    ...baseServiceOptions(config, store),
    verifyPool,
    rateLimits: {
      perKey: config.rateLimitPerKey,
      perTenant: config.rateLimitPerTenant,
      windowSeconds: config.rateLimitWindowSeconds,
      mode: config.rateLimitMode as "fixed" | "sliding",
    },
    logger: log.child({ component: "service" }),
    hooks,
  });
  try {
    await service.init();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return { store, verifyPool, service };
}

/** Closes the API: in-flight requests are answered; at the deadline every connection still open is closed. */
async function closeApp(app: SequencerApp, shutdownTimeoutMs: number, log: Logger): Promise<void> {
  let deadline: NodeJS.Timeout | undefined;
  const closed = app.close();
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => {
      deadline = setTimeout(() => resolve(true), shutdownTimeoutMs);
    }),
  ]);
  clearTimeout(deadline);
  if (timedOut) {
    log.warn({ shutdownTimeoutMs }, "shutdown deadline: closing open connections");
    app.server.closeAllConnections();
    await closed;
  }
}

/** Creates a sequencer from a resolved configuration; nothing listens until `start()`. */
export async function createSequencer(
  config: SequencerConfig,
  logger?: Logger,
  deps: SequencerDeps = {},
): Promise<Sequencer> {
  const log = logger ?? createLogger("sequencer", config.logLevel);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const hooks = ingestMetrics(metrics);

  // 1. Preflight: the database is reachable and its schema current; the service on it.
  const { store, verifyPool, service } = await openService(config, deps, log, hooks);
  new Counter({
    name: "ves_receipts_presigned_total",
    help: "Receipts of large requests: signed on the worker pool ahead of the append (hit) or inline after it (miss)",
    labelNames: ["result"],
    registers: [metrics],
    collect() {
      const { hits, misses } = service.ingestPipeline.presignStats();
      this.reset();
      this.inc({ result: "hit" }, hits);
      this.inc({ result: "miss" }, misses);
    },
  });
  let ready = false;
  let shuttingDown = false;
  const app = await buildApi({
    service,
    logger: log.child({ component: "http" }),
    requestTimeoutMs: config.requestTimeoutMs,
    metrics,
    ready: () => ready,
    stopping: () => shuttingDown,
    explorer: { chainRpcUrl: config.explorerChainRpcUrl, registryAddress: config.explorerRegistryAddress },
  });
  const metricsPort = deps.metricsOnAnyPort === true ? 0 : config.metricsPort;
  const metricsHttp =
    deps.metricsOnAnyPort === true || config.metricsPort !== 0 ? metricsServer(metrics, log) : undefined;
  let metricsUrl: string | null = null;
  const worker = new CommitWorker(
    service,
    { maxEvents: config.commitMaxEvents, maxWaitMs: config.commitMaxWaitMs, intervalMs: config.commitIntervalMs },
    log.child({ component: "commit-worker" }),
  );
  let url = "";
  let stopping: Promise<void> | undefined;

  return {
    service,
    logger: log,
    get url() {
      return url;
    },
    get metricsUrl() {
      return metricsUrl;
    },
    async start() {
      // 2. Listen (metrics, then the API), then start the worker; only then report ready.
      if (metricsHttp !== undefined) {
        const port = await listen(metricsHttp, config.metricsHost, metricsPort);
        const host = config.metricsHost.includes(":") ? `[${config.metricsHost}]` : config.metricsHost;
        metricsUrl = `http://${host}:${port}/metrics`;
      }
      url = await app.listen({ host: config.host, port: config.port });
      if (config.commitWorker) worker.start();
      ready = true;
      const durability = await store.durability().catch((e: unknown) => `unknown (${(e as Error).message})`);
      log.info(
        {
          url,
          metricsUrl,
          database: store.kind,
          durability,
          sequencerId: service.sequencerId,
          receiptKeyVersion: service.keyVersion,
          commitWorker: config.commitWorker,
        },
        "sequencer started",
      );
      return url;
    },
    stop() {
      // 3. Refuse new connections, answer in-flight requests with `Connection: close` (new requests on open
      // connections get 503), close idle connections; at the deadline close whatever is left. Every acknowledged
      // event is already committed. Then stop the worker and close the database.
      stopping ??= (async () => {
        ready = false;
        shuttingDown = true;
        log.info({ shutdownTimeoutMs: config.shutdownTimeoutMs }, "sequencer stopping");
        await closeApp(app, config.shutdownTimeoutMs, log);
        if (metricsHttp !== undefined) await closeServer(metricsHttp);
        await worker.stop();
        await verifyPool.close();
        await store.close();
        log.info("sequencer stopped");
      })();
      return stopping;
    },
  };
}
