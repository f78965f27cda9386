/**
 * The anchor's Prometheus metrics (its own registry) and the counters behind `/stats`, which follows the reference
 * service's fields (registry-anchor.md §3.7) plus ours: failures by decoded error name, replacements, re-sends,
 * reorganisations, proofs, the lease and the log checkpoint.
 */
import { Counter, Gauge, Registry } from "prom-client";

/** Metrics and plain counters of one anchor process. */
export class AnchorMetrics {
  readonly registry = new Registry();
  readonly anchored = new Counter({
    name: "set_anchor_batches_anchored_total",
    help: "Batches anchored and reported to the sequencer",
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: "set_anchor_events_anchored_total",
    help: "Events covered by the anchored batches",
    registers: [this.registry],
  });
  readonly proofs = new Counter({
    name: "set_anchor_proofs_anchored_total",
    help: "Batch proofs anchored (with their batch or late)",
    registers: [this.registry],
  });
  readonly gasUsed = new Counter({
    name: "set_anchor_gas_used_total",
    help: "Gas used by the anchor's mined transactions",
    registers: [this.registry],
  });
  readonly txMined = new Counter({
    name: "set_anchor_transactions_mined_total",
    help: "The anchor's transactions mined (successful)",
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: "set_anchor_failures_total",
    help: "Failures by error name (decoded registry errors such as StateRootMismatch, or the anchor's codes)",
    labelNames: ["error"],
    registers: [this.registry],
  });
  readonly pendingAge = new Gauge({
    name: "set_anchor_pending_age_seconds",
    help: "Age of each stream's oldest unanchored commitment",
    labelNames: ["tenant_id", "store_id"],
    registers: [this.registry],
  });
  readonly cycles = new Counter({
    name: "set_anchor_cycles_total",
    help: "Cycles by outcome",
    labelNames: ["status"],
    registers: [this.registry],
  });
  readonly replaced = new Counter({
    name: "set_anchor_tx_replaced_total",
    help: "Stuck transactions replaced with higher fees",
    registers: [this.registry],
  });
  readonly resent = new Counter({
    name: "set_anchor_tx_resent_total",
    help: "Transactions re-broadcast after they vanished (node restart, reorganisation)",
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: "set_anchor_reorgs_total",
    help: "Anchors whose block was reorganised away",
    registers: [this.registry],
  });
  readonly gasSkips = new Counter({
    name: "set_anchor_gas_price_skips_total",
    help: "Sends held back by the gas-price ceiling",
    registers: [this.registry],
  });
  readonly reconciled = new Counter({
    name: "set_anchor_reconciled_total",
    help: "Batches found already anchored on-chain (BatchAlreadyCommitted, logs) and reconciled",
    registers: [this.registry],
  });
  readonly breaker = new Gauge({
    name: "set_anchor_circuit_breaker_state",
    help: "RPC circuit breaker: 0 closed, 1 half-open, 2 open",
    registers: [this.registry],
  });
  readonly leaseHeld = new Gauge({
    name: "set_anchor_lease_held",
    help: "1 while this process holds the anchor lease (or the sequencer has none)",
    registers: [this.registry],
  });
  readonly ready = new Gauge({ name: "set_anchor_ready", help: "1 when ready", registers: [this.registry] });
  readonly pendingStreams = new Gauge({
    name: "set_anchor_pending_streams",
    help: "Streams with unanchored commitments",
    registers: [this.registry],
  });

  /** Plain counters for /stats. */
  readonly stats = {
    totalAnchored: 0,
    totalFailed: 0,
    totalEventsAnchored: 0,
    totalProofsAnchored: 0,
    successfulCycles: 0,
    failedCycles: 0,
    totalCycles: 0,
    consecutiveFailures: 0,
    l2ConnectionFailures: 0,
    sequencerApiFailures: 0,
    gasPriceSkips: 0,
    circuitBreakerOpenSkips: 0,
    replaced: 0,
    resent: 0,
    reorgs: 0,
    reconciled: 0,
    sent: 0,
    gasUsed: 0n,
    avgAnchorTimeMs: 0,
    lastAnchorTime: null as string | null,
    lastBatchId: null as string | null,
    lastL2Healthy: null as string | null,
    lastSequencerHealthy: null as string | null,
    lastError: null as string | null,
    failuresByError: {} as Record<string, number>,
  };

  /** Records a failure under `name` (a decoded error name or an anchor code). */
  fail(name: string, message: string): void {
    this.failures.inc({ error: name });
    this.stats.totalFailed++;
    this.stats.failuresByError[name] = (this.stats.failuresByError[name] ?? 0) + 1;
    this.stats.lastError = message;
  }

  /** Records an anchored batch. */
  anchoredBatch(batchId: string, events: number, sinceMs: number): void {
    this.anchored.inc();
    this.events.inc(events);
    this.stats.totalAnchored++;
    this.stats.totalEventsAnchored += events;
    this.stats.lastAnchorTime = new Date().toISOString();
    this.stats.lastBatchId = batchId;
    const avg = this.stats.avgAnchorTimeMs;
    this.stats.avgAnchorTimeMs = avg === 0 ? sinceMs : Math.round((9 * avg + sinceMs) / 10);
  }
}
