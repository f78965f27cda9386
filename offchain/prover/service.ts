/**
 * The prover service: a party entitled to the amounts (an HPKE recipient of encrypted payloads; plaintext payloads
 * are read directly) that works through the sequencer's API with a `prover` key. Its loop: list commitments without a
 * validity proof (oldest first), lease one (`claim`; 409 means another prover has it), read its events, decrypt,
 * check each amount opening (`amountCommitment`/`amountBlinding` next to the amount, by the amount-field table), prove,
 * verify its own proof, submit, renew the lease meanwhile and release it at the end. A lease that expires is taken
 * over by another prover, so a crashed prover's job is redone.
 *
 * Per commitment it proves one batch (validity) proof with offchain/stark `proveBatch` (events out of scope, without a
 * valid opening or not decryptable get their public reason in the statement), verifies it with `verifyBatch` and
 * submits it; with `perEvent` it also submits a compliance proof per compliant in-scope event. Events are counted by
 * result in the metrics. Logs never contain amounts or blindings.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";

import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import { createLogger, type Logger } from "../common";
import {
  amountCommitmentHex,
  blindingFromHex,
  buildBatchStatement,
  decryptBatchPayloads,
  type BatchCommitmentRecord,
  type PulledEvent,
  isCompliant,
  type CompliancePublicInputs,
} from "../stark";
import {
  AMOUNT_BLINDING_FIELD,
  AMOUNT_COMMITMENT_FIELD,
  amountFieldOf,
  decryptPayload,
  parseEnvelope,
  parseJsonExact,
  stringifyJsonExact,
  type ExactJsonValue,
} from "../ves";
import type { ProverConfig } from "./config";
import { ProofPool } from "./pool";
import { runProofTask, type BatchResult, type EventResult, type ProofResult, type ProofTask } from "./tasks";

/** Why an event was not proven (metrics label; never an amount). */
export type SkipReason =
  | "out_of_scope"
  | "no_amount"
  | "invalid_amount"
  | "no_commitment"
  | "opening_mismatch"
  | "not_a_recipient"
  | "over_limit"
  | "already_proven";

/** A failed HTTP call to the sequencer. */
export class SequencerCallError extends Error {
  override readonly name = "SequencerCallError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface PendingItem {
  readonly batchId: string;
  readonly claim: { readonly proverId: string; readonly expiresAt: string } | null;
}

interface EventItem {
  readonly eventId: string;
  readonly sequenceNumber: bigint | number;
  readonly envelope: unknown;
}

interface CommitmentItem {
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly merkleRoot: string;
  readonly prevStateRoot: string;
  readonly newStateRoot: string;
  readonly sequenceStart: bigint | number;
  readonly sequenceEnd: bigint | number;
}

/** The prover service. */
export class ProverService {
  readonly metrics = new Registry();
  private readonly log: Logger;
  private server: Server | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly active = new Set<string>();
  private readonly jobs: Counter;
  private readonly events: Counter;
  private readonly batchEvents: Counter;
  private readonly failures: Counter;
  private readonly duration: Histogram;
  private wake: (() => void) | undefined;
  /** Proof threads, or null when proofs run on the main thread (`threads: 0`). */
  private readonly pool: ProofPool | null;

  constructor(
    readonly config: ProverConfig,
    logger?: Logger,
  ) {
    this.log = logger ?? createLogger("ves-prover", config.logLevel);
    const threads = config.threads < 0 ? Math.min(config.jobs, os.availableParallelism()) : config.threads;
    this.pool = threads === 0 ? null : new ProofPool(threads);
    collectDefaultMetrics({ register: this.metrics });
    this.jobs = new Counter({
      name: "ves_prover_jobs_total",
      help: "commitments processed, by outcome",
      labelNames: ["outcome"],
      registers: [this.metrics],
    });
    this.events = new Counter({
      name: "ves_prover_events_total",
      help: "events seen, by result (proven or the reason they were not)",
      labelNames: ["result"],
      registers: [this.metrics],
    });
    this.batchEvents = new Counter({
      name: "ves_prover_batch_events_total",
      help: "events of proven batches, by public reason (`none`: opened, compliant or not)",
      labelNames: ["reason"],
      registers: [this.metrics],
    });
    this.failures = new Counter({
      name: "ves_prover_failures_total",
      help: "job failures, by reason",
      labelNames: ["reason"],
      registers: [this.metrics],
    });
    this.duration = new Histogram({
      name: "ves_prover_job_duration_seconds",
      help: "time per commitment",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.metrics],
    });
  }

  private async call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { authorization: `ApiKey ${this.config.apiKey}` };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      init.body = stringifyJsonExact(body as ExactJsonValue);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(`${this.config.sequencerUrl.replace(/\/$/, "")}${path}`, init);
    const text = await res.text();
    const json = (text === "" ? {} : parseJsonExact(text)) as Record<string, unknown>;
    if (!res.ok) {
      const err = (json.error ?? {}) as { code?: string; message?: string };
      throw new SequencerCallError(res.status, err.code ?? `HTTP_${res.status}`, err.message ?? text.slice(0, 200));
    }
    return json;
  }

  /** Starts /health, /ready and /metrics, and the job loop; returns the metrics URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      if (req.url === "/health") return send(200, "application/json", '{"status":"ok","service":"ves-prover"}');
      if (req.url === "/ready") {
        return this.running
          ? send(200, "application/json", '{"status":"ready"}')
          : send(503, "application/json", '{"status":"not_ready"}');
      }
      if (req.url === "/metrics") {
        void this.metrics.metrics().then((m) => send(200, this.metrics.contentType, m));
        return;
      }
      send(404, "application/json", '{"error":{"code":"NOT_FOUND","message":"not found"}}');
    });
    await new Promise<void>((resolve) => this.server!.listen(this.config.port, this.config.host, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.running = true;
    this.loop = this.run();
    this.log.info({ port, proverId: this.config.proverId }, "prover started");
    return `http://${this.config.host}:${port}`;
  }

  /** Stops taking jobs, waits for the running ones, closes the listener. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.pool?.close();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** Runs a proof task on the pool (or inline with `threads: 0`). */
  private prove(task: ProofTask): Promise<ProofResult> {
    if (this.pool !== null) return this.pool.run(task);
    return Promise.resolve().then(() => runProofTask(task));
  }

  private async run(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    while (this.running) {
      let started = 0;
      try {
        if (inflight.size < this.config.jobs) {
          const list = await this.call("GET", "/api/v1/ves/validity/pending?limit=100");
          const now = Date.now();
          for (const item of (list.pending ?? []) as PendingItem[]) {
            if (inflight.size >= this.config.jobs || !this.running) break;
            if (this.active.has(item.batchId) || this.done.has(item.batchId)) continue;
            const held = item.claim !== null && Date.parse(item.claim.expiresAt) > now;
            if (held && item.claim!.proverId !== this.config.proverId) continue;
            const job = this.job(item.batchId).finally(() => inflight.delete(job));
            inflight.add(job);
            started++;
          }
        }
      } catch (e) {
        this.failures.inc({ reason: e instanceof SequencerCallError ? e.code : "network" });
        this.log.warn({ err: (e as Error).message }, "listing pending commitments failed");
      }
      if (started === 0) {
        await Promise.race([
          new Promise<void>((r) => {
            this.wake = r;
            setTimeout(r, this.config.pollMs);
          }),
          ...inflight,
        ]);
      }
    }
    await Promise.allSettled([...inflight]);
  }

  /** Commitments this process finished (per-event proofs submitted; stays pending until a batch proof exists). */
  private readonly done = new Set<string>();

  /** Proves one commitment under a lease. */
  async job(batchId: string): Promise<void> {
    const id = this.config.proverId;
    this.active.add(batchId);
    const timer = this.duration.startTimer();
    let renew: NodeJS.Timeout | undefined;
    try {
      await this.call("POST", `/api/v1/ves/validity/${batchId}/claim`, { proverId: id, leaseMs: this.config.leaseMs });
    } catch (e) {
      this.active.delete(batchId);
      if (e instanceof SequencerCallError && e.status === 409)
        return void this.jobs.inc({ outcome: "claimed_elsewhere" });
      this.failures.inc({ reason: e instanceof SequencerCallError ? e.code : "network" });
      return;
    }
    try {
      renew = setInterval(
        () => {
          this.call("POST", `/api/v1/ves/validity/${batchId}/claim/renew`, {
            proverId: id,
            leaseMs: this.config.leaseMs,
          }).catch((e: unknown) => this.log.warn({ batchId, err: (e as Error).message }, "lease renewal failed"));
        },
        Math.max(50, Math.floor(this.config.leaseMs / 3)),
      );
      const { commitment, events } = (await this.call("GET", `/api/v1/ves/validity/${batchId}/events`)) as unknown as {
        commitment: CommitmentItem;
        events: EventItem[];
      };
      const compliant = await this.proveBatchOf(commitment, events);
      let proven = 0;
      if (this.config.perEvent) {
        for (const ev of events) {
          if (!this.running) throw new Error("stopping");
          const result = await this.proveEvent(ev);
          this.events.inc({ result });
          if (result === "proven") proven++;
        }
      }
      this.done.add(batchId);
      this.jobs.inc({ outcome: "done" });
      this.log.info({ batchId, events: events.length, compliant, perEventProofs: proven }, "commitment proven");
    } catch (e) {
      this.jobs.inc({ outcome: "failed" });
      this.failures.inc({ reason: e instanceof SequencerCallError ? e.code : "error" });
      this.log.warn({ batchId, err: (e as Error).message }, "job failed");
    } finally {
      if (renew !== undefined) clearInterval(renew);
      await this.call("POST", `/api/v1/ves/validity/${batchId}/claim/release`, { proverId: id }).catch(() => undefined);
      this.active.delete(batchId);
      timer();
    }
  }

  /** Proves, verifies and submits the batch proof of a commitment; returns the count of compliant events. */
  private async proveBatchOf(c: CommitmentItem, events: readonly EventItem[]): Promise<number> {
    const commitment: BatchCommitmentRecord = {
      batch_id: c.batchId,
      tenant_id: c.tenantId,
      store_id: c.storeId,
      merkle_root: c.merkleRoot,
      prev_state_root: c.prevStateRoot,
      new_state_root: c.newStateRoot,
      sequence_start: c.sequenceStart,
      sequence_end: c.sequenceEnd,
    };
    const pulled: PulledEvent[] = events.map((e) => ({
      sequence_number: e.sequenceNumber,
      event_id: e.eventId,
      envelope: e.envelope,
    }));
    const key = this.config.x25519SecretKey;
    const decrypted =
      key === null ? new Map() : await decryptBatchPayloads(pulled, { kid: this.config.kid, secretKey: key });
    const policy = this.config.policy;
    const { statement, witness } = buildBatchStatement({
      commitment,
      events: pulled,
      policy,
      currency: this.config.currency,
      decrypted,
    });
    const own = (await this.prove({
      kind: "batch",
      statement,
      witness,
      commitment,
      policy,
      events: pulled,
    })) as BatchResult;
    for (const ev of statement.events) {
      const e = ev as unknown as { scope: string; reason: string };
      this.batchEvents.inc({ reason: e.reason });
    }
    const limit = policy.id === "aml.threshold" ? policy.threshold : policy.cap;
    await this.call("POST", `/api/v1/ves/validity/${c.batchId}/proofs`, {
      bundle: own.bundle as ExactJsonValue,
      proverId: this.config.proverId,
      policyId: policy.id,
      policyLimit: limit.toString(),
    });
    return own.compliantCount;
  }

  /** The payload of an event this prover can read, or the reason it cannot. */
  private async payloadOf(envelope: unknown): Promise<{ payload: unknown } | { reason: SkipReason }> {
    const parsed = parseEnvelope(envelope);
    if (!parsed.ok) return { reason: "no_amount" };
    const ev = parsed.event;
    if (ev.payloadKind === 0 || ev.payloadEncrypted === undefined) return { payload: ev.payload ?? null };
    const key = this.config.x25519SecretKey;
    const mine = ev.payloadEncrypted.recipients.some((r) => r.recipientKid === this.config.kid);
    if (key === null || !mine) return { reason: "not_a_recipient" };
    const d = await decryptPayload({
      payloadEncrypted: ev.payloadEncrypted,
      context: ev,
      payloadPlainHash: ev.payloadPlainHash,
      recipientKid: this.config.kid,
      recipientSecretKey: key,
    });
    return d.ok ? { payload: d.payload } : { reason: "not_a_recipient" };
  }

  /** Proves one event's compliance and submits it, or says why not. */
  private async proveEvent(ev: EventItem): Promise<SkipReason | "proven"> {
    const env = ev.envelope as { event_type?: unknown };
    const field = amountFieldOf(typeof env.event_type === "string" ? env.event_type : "");
    if (field === undefined) return "out_of_scope";
    const existing = await this.call("GET", `/api/v1/ves/compliance/${ev.eventId}/proofs`);
    if (Number(existing.count) > 0) return "already_proven";
    const read = await this.payloadOf(ev.envelope);
    if ("reason" in read) return read.reason;
    const p = read.payload as Record<string, unknown> | null;
    if (typeof p !== "object" || p === null || !(field in p)) return "no_amount";
    const raw = p[field];
    const amount =
      typeof raw === "bigint" ? raw : typeof raw === "number" && Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
    if (amount === undefined || amount < 0n || amount >= 1n << 64n) return "invalid_amount";
    const c = p[AMOUNT_COMMITMENT_FIELD];
    const b = p[AMOUNT_BLINDING_FIELD];
    if (typeof c !== "string" || typeof b !== "string") return "no_commitment";
    try {
      if (amountCommitmentHex(amount, blindingFromHex(b)) !== c) return "opening_mismatch";
    } catch {
      return "opening_mismatch";
    }
    const policy = this.config.policy;
    if (!isCompliant(policy, amount)) return "over_limit";
    const limit = policy.id === "aml.threshold" ? policy.threshold : policy.cap;
    const inputs = (await this.call(
      "GET",
      `/api/v1/ves/compliance/${ev.eventId}/inputs?policy_id=${policy.id}&policy_limit=${limit}`,
    )) as unknown as CompliancePublicInputs;
    const own = (await this.prove({ kind: "event", amount, publicInputs: inputs, policy })) as EventResult;
    await this.call("POST", `/api/v1/ves/compliance/${ev.eventId}/proofs`, {
      bundle: own.bundle as unknown as ExactJsonValue,
      proverId: this.config.proverId,
      policyId: policy.id,
      policyLimit: limit.toString(),
    });
    return "proven";
  }
}
