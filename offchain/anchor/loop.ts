/**
 * The anchor cycle. Each cycle:
 *   1. indexes the registry's `BatchCommitted` / `StarkProofCommitted` logs from the checkpoint to the head
 *      (rewinding when the checkpoint's block was reorganised away);
 *   2. tracks every transaction in flight: receipt → mined; vanished → re-broadcast (or dropped when its nonce was
 *      spent); unmined for too long → replaced with higher fees under the gas-price ceiling; mined but reverted →
 *      decoded (a `BatchAlreadyCommitted` is reconciled against the on-chain record, never counted as a failure);
 *   3. reports confirmed anchors to the sequencer (a durable queue: the state file, not memory);
 *   4. watches reported anchors within the reorg window: one whose block is gone is un-recorded at the sequencer
 *      (the commitment's anchor, and the proof's when it carried one), and its commitment (or proof) comes back as
 *      pending, to be anchored again;
 *   5. anchors the pending commitments: per stream, strictly in order, only the oldest and only when nothing of that
 *      stream is in flight; each with its batch proof when one is available within the configured wait; a stream
 *      that fails backs off on its own and never blocks another;
 *   6. anchors late proofs of batches anchored without one.
 */
import type { Logger } from "../common";
import { bytesToUuid, hexToBytes, toBytes32Hex } from "../ves";
import { Backoff } from "./backoff";
import { REGISTRY_INTERFACE, RpcUnavailable, isRevert, type Chain } from "./chain";
import type { AnchorConfig } from "./config";
import { AnchorError, formatRevert, type DecodedRevert } from "./errors";
import type { AnchorMetrics } from "./metrics";
import type { ProofRecord, ProofSource } from "./proofs";
import type { PendingCommitment, SequencerClient } from "./sequencer-client";
import type { AnchorState, ChainEvent, SendKind, SendRow } from "./state";

/** Everything a cycle works with. */
export interface AnchorerDeps {
  readonly config: AnchorConfig;
  readonly chain: Chain;
  readonly state: AnchorState;
  readonly sequencer: SequencerClient;
  readonly proofs: ProofSource;
  readonly metrics: AnchorMetrics;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The outcome of one cycle. */
export type CycleOutcome = "ok" | "failed" | "breaker_open";

/** `tenant/store`: a stream's key in the state file and the backoff table. */
export const streamKey = (tenantId: string, storeId: string) => `${tenantId}/${storeId}`;

/** The UUID of a left-aligned bytes32 id, or null when the low 16 bytes are not zero. */
export function uuidOfBytes32(hex: string): string | null {
  const bytes = hexToBytes(hex, { length: 32 });
  if (bytes.subarray(16).some((b) => b !== 0)) return null;
  return bytesToUuid(bytes.subarray(0, 16));
}

/** How many proof waits are checked per cycle, and how often each. */
const PROOF_CHECKS_PER_CYCLE = 16;

/** The anchor's cycle and the state it keeps between cycles (everything durable is in the state file). */
export class Anchorer {
  private readonly backoff: Backoff;
  private readonly ceiling: bigint;
  private readonly now: () => number;
  private readonly c: AnchorConfig;
  /** Commitments seen in the latest pending list, by batch id (for reports that need their event count). */
  private lastPending = new Map<string, PendingCommitment>();
  /** The next nonce to use in this cycle (null: ask the node). */
  private nextNonce: number | null = null;
  /** Streams whose head waits for its proof (for /stats). */
  readonly waitingForProof = new Set<string>();
  /** Streams backing off after a failure, with the decoded reason (for /stats). */
  readonly blocked = new Map<string, string>();

  constructor(private readonly d: AnchorerDeps) {
    this.c = d.config;
    this.now = d.now ?? Date.now;
    this.backoff = new Backoff(this.c.backoffBaseMs, this.c.backoffMaxMs, this.now);
    this.ceiling = BigInt(this.c.maxFeePerGasWei);
  }

  /**
   * Runs one cycle.
   * @returns `failed` when a dependency (RPC, sequencer) failed; the caller backs off.
   */
  async cycle(): Promise<CycleOutcome> {
    const { metrics, chain, log } = this.d;
    metrics.stats.totalCycles++;
    metrics.breaker.set(chain.breakerValue);
    if (chain.breaker.state === "open") {
      metrics.stats.circuitBreakerOpenSkips++;
      metrics.stats.failedCycles++;
      metrics.cycles.inc({ status: "breaker_open" });
      return "breaker_open";
    }
    try {
      const head = await chain.head();
      metrics.stats.lastL2Healthy = new Date().toISOString();
      await this.scanLogs(head);
      await this.track(head);
      await this.report();
      await this.watchReorgs(head);
      await this.anchorPending();
      if (this.c.proofs) await this.lateProofs();
      metrics.stats.successfulCycles++;
      metrics.stats.consecutiveFailures = 0;
      metrics.cycles.inc({ status: "ok" });
      return "ok";
    } catch (e) {
      metrics.stats.failedCycles++;
      metrics.stats.consecutiveFailures++;
      metrics.cycles.inc({ status: "failed" });
      const code = (e as { code?: unknown }).code;
      if (e instanceof RpcUnavailable) metrics.stats.l2ConnectionFailures++;
      else if (code === "ANCHOR_SEQUENCER_UNREACHABLE" || code === "ANCHOR_SEQUENCER_REJECTED") {
        metrics.stats.sequencerApiFailures++;
      }
      metrics.fail(typeof code === "string" ? code : "ANCHOR_INTERNAL", (e as Error).message);
      log.warn({ err: { code, message: (e as Error).message } }, "cycle failed");
      return "failed";
    } finally {
      metrics.breaker.set(chain.breakerValue);
    }
  }

  // 1. Logs ----------------------------------------------------------------------------------------------------------

  /** Indexes registry events from the checkpoint to `head` in bounded chunks. */
  private async scanLogs(head: number): Promise<void> {
    const { chain, state, log } = this.d;
    let cp = state.checkpoint();
    if (cp === null) {
      const start = Math.max(0, head - this.c.logLookbackBlocks);
      const hash = start === 0 ? null : await chain.blockHash(start - 1);
      state.advance(start - 1, hash ?? "genesis", []);
      state.setMeta("scan_origin", String(start));
      cp = { block: start - 1, hash: hash ?? "genesis" };
    } else if (cp.block >= 0 && cp.hash !== "genesis") {
      const hash = await chain.blockHash(cp.block);
      if (hash !== cp.hash) {
        const origin = Number(state.meta("scan_origin") ?? "0");
        const back = Math.max(origin - 1, cp.block - this.c.reorgWindowBlocks - 1, -1);
        const backHash = back < 0 ? "genesis" : ((await chain.blockHash(back)) ?? "genesis");
        log.warn({ checkpoint: cp.block, rewindTo: back }, "checkpoint block reorganised away; rewinding the log scan");
        state.rewind(back, backHash);
        cp = { block: back, hash: backHash };
      }
    }
    if (cp.block >= head) {
      // The chain shrank below the checkpoint (a reorganisation to a shorter chain): start over from the head.
      if (cp.block > head) {
        const h = (await chain.blockHash(head)) ?? "genesis";
        state.rewind(head, h);
      }
      return;
    }
    for (let from = cp.block + 1; from <= head; from += this.c.logChunkBlocks) {
      const to = Math.min(head, from + this.c.logChunkBlocks - 1);
      const logs = await chain.registryLogs(from, to);
      const events: ChainEvent[] = [];
      for (const l of logs) {
        const batchId = uuidOfBytes32(l.topics[1] ?? "0x" + "00".repeat(32));
        if (batchId === null) continue;
        const kind = l.topics[0] === REGISTRY_INTERFACE.getEvent("BatchCommitted").topicHash ? "batch" : "proof";
        events.push({
          batchId,
          kind,
          txHash: l.transactionHash,
          blockNumber: l.blockNumber,
          blockHash: l.blockHash,
          logIndex: l.index,
        });
      }
      const toHash = await chain.blockHash(to);
      if (toHash === null) return; // the chain moved under us; next cycle
      state.advance(to, toHash, events);
    }
  }

  /**
   * Finds the transaction that put a batch (or its proof) on-chain: the indexed logs first, then a bounded scan below
   * the scan's origin (never from genesis unless the origin is near it).
   */
  private async findOnChain(batchId: string, kind: "batch" | "proof"): Promise<ChainEvent | null> {
    const { state, chain } = this.d;
    const known = state.chainEvent(batchId, kind);
    if (known !== null) return known;
    const origin = Number(state.meta("scan_origin") ?? "0");
    const floor = Math.max(0, origin - this.c.logLookbackBlocks);
    const topicHash = REGISTRY_INTERFACE.getEvent(
      kind === "batch" ? "BatchCommitted" : "StarkProofCommitted",
    ).topicHash;
    for (let to = origin - 1; to >= floor; to -= this.c.logChunkBlocks) {
      const from = Math.max(floor, to - this.c.logChunkBlocks + 1);
      const logs = await chain.registryLogs(from, to, toBytes32Hex(batchId));
      const l = logs.filter((x) => x.topics[0] === topicHash).at(-1);
      if (l !== undefined) {
        return {
          batchId,
          kind,
          txHash: l.transactionHash,
          blockNumber: l.blockNumber,
          blockHash: l.blockHash,
          logIndex: l.index,
        };
      }
    }
    return null;
  }

  /**
   * Records a batch (or proof) found already on-chain as mined, so it is confirmed and reported like our own.
   * @returns false when no log of it was found (the caller backs off).
   */
  private async reconcile(
    batchId: string,
    stream: string,
    kind: "batch" | "proof",
    eventCount: number,
    proofId: string | null,
  ): Promise<boolean> {
    const { state, chain, metrics, log } = this.d;
    const ev = await this.findOnChain(batchId, kind);
    if (ev === null) {
      metrics.fail("ANCHOR_LOG_NOT_FOUND", `${kind} ${batchId} exists on-chain but no log was found`);
      this.streamFailed(stream, "ANCHOR_LOG_NOT_FOUND");
      return false;
    }
    const receipt = await chain.receipt(ev.txHash);
    const sendKind: SendKind = kind === "proof" ? "proof" : "batch";
    state.recordRecovered(
      { batchId, stream, kind: sendKind, proofId, eventCount },
      { txHash: ev.txHash, blockNumber: ev.blockNumber, blockHash: ev.blockHash, gasUsed: receipt?.gasUsed ?? null },
    );
    metrics.reconciled.inc();
    metrics.stats.reconciled++;
    log.info({ batchId, kind, txHash: ev.txHash, block: ev.blockNumber }, "already on-chain: reconciled from logs");
    return true;
  }

  // 2. Transactions in flight -----------------------------------------------------------------------------------------

  private async track(head: number): Promise<void> {
    const { state, chain, metrics, log } = this.d;
    for (const s of state.sends("sent", "mined")) {
      if (s.status === "mined") {
        await this.checkMined(s, head);
        continue;
      }
      const attempts = state.attempts(s.id);
      let mined = false;
      for (const a of attempts) {
        const r = await chain.receipt(a.txHash);
        if (r === null) continue;
        mined = true;
        if (r.status === 1) {
          state.update(s.id, "mined", {
            txHash: a.txHash,
            blockNumber: r.blockNumber,
            blockHash: r.blockHash,
            gasUsed: r.gasUsed,
          });
          metrics.gasUsed.inc(Number(r.gasUsed));
          metrics.txMined.inc();
          metrics.stats.gasUsed += r.gasUsed;
          log.info({ batchId: s.batchId, kind: s.kind, txHash: a.txHash, block: r.blockNumber }, "transaction mined");
          await this.checkMined({ ...s, status: "mined", blockNumber: r.blockNumber, blockHash: r.blockHash }, head);
        } else {
          await this.minedRevert(s, a.txHash, r.blockNumber);
        }
        break;
      }
      if (mined) continue;
      // Not mined: vanished, stuck, or just waiting.
      const newest = attempts[0];
      if (newest === undefined) continue;
      let inPool = false;
      for (const a of attempts) if (await chain.known(a.txHash)) inPool = true;
      const spent = await chain.nonce("latest");
      if (!inPool && s.nonce < spent) {
        // The nonce went to another transaction (not ours): this send is over; the batch is looked at afresh.
        state.update(s.id, "dropped", {}, `nonce ${s.nonce} spent by another transaction`);
        this.nextNonce = null;
        log.warn({ batchId: s.batchId, nonce: s.nonce }, "transaction dropped: its nonce was spent elsewhere");
        continue;
      }
      if (!inPool) {
        const result = await chain.broadcast(newest.raw).catch((e: unknown) => {
          if (e instanceof RpcUnavailable) throw e;
          return "refused" as const;
        });
        metrics.resent.inc();
        metrics.stats.resent++;
        log.warn({ batchId: s.batchId, txHash: newest.txHash, result }, "transaction vanished before mining; re-sent");
        continue;
      }
      if (this.now() - newest.sentAt >= this.c.stuckAfterMs) await this.replace(s, newest);
    }
  }

  /** A mined transaction: still there? enough confirmations? */
  private async checkMined(s: SendRow, head: number): Promise<void> {
    const { state, chain, log } = this.d;
    if (s.txHash === null || s.blockNumber === null) return;
    const r = await chain.receipt(s.txHash);
    if (r === null || r.status !== 1) {
      // Reorganised away before its confirmations: back to `sent`; the tracker re-broadcasts it.
      if (s.nonce < 0) {
        state.update(s.id, "reorged", {}, "recovered anchor reorganised away");
      } else {
        state.update(s.id, "sent", { txHash: null, blockNumber: null, blockHash: null });
      }
      this.d.metrics.reorgs.inc();
      this.d.metrics.stats.reorgs++;
      log.warn(
        { batchId: s.batchId, txHash: s.txHash, block: s.blockNumber },
        "transaction reorganised away before confirmation",
      );
      return;
    }
    if (r.blockHash !== s.blockHash) {
      state.update(s.id, "mined", { blockNumber: r.blockNumber, blockHash: r.blockHash });
    }
    if (head - r.blockNumber + 1 >= this.c.confirmations) state.update(s.id, "confirmed");
  }

  /** A mined revert: decoded; `BatchAlreadyCommitted` / `StarkProofAlreadyCommitted` are reconciled. */
  private async minedRevert(s: SendRow, txHash: string, block: number): Promise<void> {
    const { state, chain, log } = this.d;
    const why = (await chain.simulate(s.data, "latest")) ?? { name: "Unknown", args: [], data: "" };
    state.update(s.id, "failed", { txHash, blockNumber: block }, formatRevert(why));
    if (why.name === "BatchAlreadyCommitted" || why.name === "StarkProofAlreadyCommitted") {
      log.info({ batchId: s.batchId, txHash, error: formatRevert(why) }, "another transaction anchored it first");
      const pending = this.lastPending.get(s.batchId);
      await this.reconcile(
        s.batchId,
        s.stream,
        why.name === "BatchAlreadyCommitted" ? "batch" : "proof",
        pending?.eventCount ?? s.eventCount,
        s.proofId,
      );
      return;
    }
    this.revertFailed(s.stream, s.batchId, why, txHash);
  }

  /** Replaces a stuck transaction (same nonce, fees raised by the bump percentage, capped by the ceiling). */
  private async replace(s: SendRow, newest: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; txHash: string }) {
    const { state, chain, metrics, log } = this.d;
    const bump = (v: bigint) => (v * BigInt(100 + this.c.feeBumpPercent)) / 100n + 1n;
    const fees = await chain.fees();
    let maxPriority = bump(newest.maxPriorityFeePerGas);
    let maxFee = bump(newest.maxFeePerGas);
    if (fees.maxFeePerGas > maxFee) maxFee = fees.maxFeePerGas;
    if (maxPriority > maxFee) maxPriority = maxFee;
    if (this.ceiling > 0n && maxFee > this.ceiling) {
      metrics.gasSkips.inc();
      metrics.stats.gasPriceSkips++;
      log.warn(
        {
          batchId: s.batchId,
          txHash: newest.txHash,
          maxFeePerGas: maxFee.toString(),
          ceiling: this.ceiling.toString(),
        },
        "stuck transaction not replaced: the bumped fee would exceed the gas-price ceiling",
      );
      return;
    }
    const gasLimit = await this.gasLimitOf(s);
    const signed = await chain.sign({
      data: s.data,
      nonce: s.nonce,
      gasLimit,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: maxPriority,
    });
    state.recordAttempt(s.id, {
      txHash: signed.hash,
      raw: signed.raw,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: maxPriority,
    });
    const result = await chain.broadcast(signed.raw).catch((e: unknown) => {
      if (e instanceof RpcUnavailable) throw e;
      return `refused: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`;
    });
    metrics.replaced.inc();
    metrics.stats.replaced++;
    log.warn(
      {
        batchId: s.batchId,
        nonce: s.nonce,
        old: newest.txHash,
        txHash: signed.hash,
        maxFeePerGas: maxFee.toString(),
        result,
      },
      "stuck transaction replaced with higher fees",
    );
  }

  /** The gas limit of a send's calldata: the original attempt's (decoded from its raw form). */
  private async gasLimitOf(s: SendRow): Promise<bigint> {
    const { Transaction } = await import("ethers");
    const first = this.d.state.attempts(s.id).at(-1);
    return first === undefined ? 500_000n : Transaction.from(first.raw).gasLimit;
  }

  // 3. Reports ---------------------------------------------------------------------------------------------------------

  private async report(): Promise<void> {
    const { state, sequencer, proofs, metrics, log, chain } = this.d;
    for (const s of state.sends("confirmed")) {
      if (s.txHash === null || s.blockNumber === null) continue;
      const where = { txHash: s.txHash, chainId: chain.chainId, blockNumber: BigInt(s.blockNumber) };
      if (s.kind !== "proof") {
        const r = await sequencer.markAnchored(s.batchId, { ...where, gasUsed: s.gasUsed });
        metrics.stats.lastSequencerHealthy = new Date().toISOString();
        if (r === "conflict") {
          // The sequencer holds another transaction (for example one reorganised away and re-sent): replace it.
          log.warn({ batchId: s.batchId, txHash: s.txHash }, "sequencer records another transaction; re-recording");
          await sequencer.unmarkAnchored(s.batchId);
          const again = await sequencer.markAnchored(s.batchId, { ...where, gasUsed: s.gasUsed });
          if (again === "conflict") throw new AnchorError("ANCHOR_REPORT_CONFLICT", `cannot record ${s.batchId}`);
        }
        if (r === "not_found") log.warn({ batchId: s.batchId }, "sequencer does not know the anchored batch");
      }
      if (s.proofId !== null) {
        let pr = await proofs.markProofAnchored(s.proofId, where);
        if (pr === "conflict") {
          // Another transaction of this proof is recorded (one reorganised away and re-sent): replace it.
          log.warn(
            { batchId: s.batchId, proofId: s.proofId, txHash: s.txHash },
            "sequencer records another proof anchor",
          );
          await proofs.unmarkProofAnchored(s.proofId);
          pr = await proofs.markProofAnchored(s.proofId, where);
          if (pr === "conflict") throw new AnchorError("ANCHOR_REPORT_CONFLICT", `cannot record proof ${s.proofId}`);
        }
        if (pr !== "recorded")
          log.warn({ batchId: s.batchId, proofId: s.proofId, result: pr }, "proof anchor not recorded");
        metrics.proofs.inc();
        metrics.stats.totalProofsAnchored++;
        state.proofChecked(s.batchId, "done");
      }
      state.update(s.id, "reported");
      if (s.kind !== "proof") {
        metrics.anchoredBatch(s.batchId, s.eventCount, this.now() - s.createdAt);
        this.backoff.succeed(s.stream);
        this.blocked.delete(s.stream);
      }
      log.info({ batchId: s.batchId, kind: s.kind, txHash: s.txHash, block: s.blockNumber }, "anchor reported");
    }
  }

  // 4. Reorganisations after the report -------------------------------------------------------------------------------

  private async watchReorgs(head: number): Promise<void> {
    const { state, metrics, log } = this.d;
    for (const s of state.sends("reported")) {
      try {
        await this.watchOne(s, head);
      } catch (e) {
        if (e instanceof RpcUnavailable) throw e;
        const code = (e as { code?: string }).code ?? "ANCHOR_INTERNAL";
        metrics.fail(code, (e as Error).message);
        log.warn({ batchId: s.batchId, err: { code, message: (e as Error).message } }, "reorg repair failed; retrying");
      }
    }
  }

  private async watchOne(s: SendRow, head: number): Promise<void> {
    const { state, chain, sequencer, metrics, log } = this.d;
    if (s.blockNumber === null || s.txHash === null) return;
    if (s.blockNumber < head - this.c.reorgWindowBlocks) {
      state.update(s.id, "final");
      return;
    }
    const hash = await chain.blockHash(s.blockNumber);
    if (hash === s.blockHash) return;
    const r = await chain.receipt(s.txHash);
    if (r !== null && r.status === 1) {
      // Re-mined in another block: same transaction, new position.
      state.update(s.id, "reported", { blockNumber: r.blockNumber, blockHash: r.blockHash });
      return;
    }
    const registry = await chain.registry();
    const id32 = toBytes32Hex(s.batchId);
    if (s.kind === "proof") {
      // Un-record first: the proof's record at the sequencer must not keep a transaction that no longer exists.
      const out = await this.unrecordProof(s);
      const onChain = await chain.rpc(() => registry.hasStarkProof(id32));
      if (!onChain) state.proofChecked(s.batchId, "reopen");
      state.update(s.id, "reorged");
      metrics.reorgs.inc();
      metrics.stats.reorgs++;
      log.warn(
        { batchId: s.batchId, txHash: s.txHash, proofId: s.proofId, sequencer: out },
        "anchored proof reorganised away: un-recorded at the sequencer; will anchor it again",
      );
      // On-chain through another transaction: record that one instead.
      if (onChain) await this.reconcile(s.batchId, s.stream, "proof", 0, s.proofId);
      return;
    }
    const exists = await chain.rpc(() => registry["batchExists(bytes32)"](id32));
    if (!exists) {
      // Un-record first: only then may the commitment come back as pending and be anchored again.
      const out = await sequencer.unmarkAnchored(s.batchId);
      await this.unrecordProof(s);
      state.update(s.id, "reorged");
      if (s.kind === "batch+proof") state.proofChecked(s.batchId, "reopen");
      metrics.reorgs.inc();
      metrics.stats.reorgs++;
      log.warn(
        { batchId: s.batchId, txHash: s.txHash, block: s.blockNumber, sequencer: out },
        "reported anchor reorganised away: un-recorded at the sequencer; it will be anchored again",
      );
    } else {
      // On-chain through another transaction: record that one instead (and the proof's, if it is on-chain too).
      await this.unrecordProof(s);
      state.update(s.id, "reorged");
      metrics.reorgs.inc();
      metrics.stats.reorgs++;
      await this.reconcile(s.batchId, s.stream, "batch", s.eventCount, null);
      if (s.proofId !== null && (await chain.rpc(() => registry.hasStarkProof(id32)))) {
        await this.reconcile(s.batchId, s.stream, "proof", 0, s.proofId);
      }
    }
  }

  /** Un-records the proof anchor a reorganised send had reported (`DELETE …/proofs/{proof_id}/anchored`). */
  private async unrecordProof(s: SendRow): Promise<string | null> {
    if (s.proofId === null) return null;
    const out = await this.d.proofs.unmarkProofAnchored(s.proofId);
    if (out !== "unanchored") {
      this.d.log.warn({ batchId: s.batchId, proofId: s.proofId, result: out }, "proof anchor not un-recorded");
    }
    return out;
  }

  // 5. Pending commitments ---------------------------------------------------------------------------------------------

  private async anchorPending(): Promise<void> {
    const { sequencer, state, metrics, log } = this.d;
    const pending = await sequencer.pending(this.c.pendingLimit);
    metrics.stats.lastSequencerHealthy = new Date().toISOString();
    this.lastPending = new Map(pending.map((p) => [p.batchId, p]));
    // Group by stream, each in sequence order; streams in order of their oldest commitment.
    const streams = new Map<string, PendingCommitment[]>();
    for (const p of pending) {
      const key = streamKey(p.tenantId, p.storeId);
      const list = streams.get(key) ?? [];
      list.push(p);
      streams.set(key, list);
    }
    metrics.pendingAge.reset();
    metrics.pendingStreams.set(streams.size);
    const nowMs = this.now();
    for (const list of streams.values()) {
      list.sort((a, b) => (a.sequenceStart < b.sequenceStart ? -1 : a.sequenceStart > b.sequenceStart ? 1 : 0));
      const oldest = Math.min(...list.map((p) => Date.parse(p.committedAt)));
      metrics.pendingAge.set(
        { tenant_id: list[0]!.tenantId, store_id: list[0]!.storeId },
        Math.max(0, (nowMs - oldest) / 1000),
      );
    }
    const busy = state.busyStreams();
    this.waitingForProof.clear();
    // The node's pending nonce once per cycle: another sender on the same key (an operator) cannot leave us stale.
    this.nextNonce = null;
    let sends = 0;
    for (const [key, list] of streams) {
      if (sends >= this.c.maxSendsPerCycle) break;
      if (busy.has(key) || !this.backoff.ready(key)) continue;
      const head = list[0]!;
      // A batch whose send is already tracked (in flight, unreported, or reported but not yet seen as anchored).
      if (state.sendsOf(head.batchId).some((s) => ["sent", "mined", "confirmed", "reported"].includes(s.status))) {
        continue;
      }
      try {
        const result = await this.anchorOne(key, head);
        if (result === "sent") sends++;
      } catch (e) {
        if (e instanceof RpcUnavailable) throw e;
        const code = (e as { code?: string }).code ?? "ANCHOR_INTERNAL";
        metrics.fail(code, (e as Error).message);
        this.streamFailed(key, code);
        log.warn({ stream: key, batchId: head.batchId, err: { code, message: (e as Error).message } }, "anchor failed");
      }
    }
  }

  /** Anchors the oldest pending commitment of a stream (or reconciles it, or waits for its proof). */
  private async anchorOne(
    stream: string,
    p: PendingCommitment,
  ): Promise<"sent" | "reconciled" | "waiting" | "failed" | "gas"> {
    const { chain, proofs, state, log } = this.d;
    const registry = await chain.registry();
    const id32 = toBytes32Hex(p.batchId);
    // 1. Already on-chain (an earlier run, another process, a crash before the report): reconcile, never re-send.
    if (await chain.rpc(() => registry["batchExists(bytes32)"](id32))) {
      return (await this.reconcile(p.batchId, stream, "batch", p.eventCount, null)) ? "reconciled" : "failed";
    }
    // 2. The proof, if it is (or becomes) available within the wait.
    let proof: ProofRecord | null = null;
    if (this.c.proofs) {
      proof = await proofs.proofFor(p.batchId).catch((e: unknown) => {
        log.warn({ batchId: p.batchId, err: (e as Error).message }, "proof lookup failed; treating as no proof yet");
        return null;
      });
      const age = this.now() - Date.parse(p.committedAt);
      if (proof === null && age < this.c.proofWaitMs) {
        this.waitingForProof.add(stream);
        return "waiting";
      }
    }
    // 3. Calldata, simulated through estimateGas: a revert is decoded before anything is sent.
    const base = [
      id32,
      toBytes32Hex(p.tenantId),
      toBytes32Hex(p.storeId),
      p.eventsRoot,
      p.prevStateRoot,
      p.newStateRoot,
      p.sequenceStart,
      p.sequenceEnd,
      p.eventCount,
    ] as const;
    const data =
      proof === null
        ? REGISTRY_INTERFACE.encodeFunctionData("commitBatch", [...base])
        : REGISTRY_INTERFACE.encodeFunctionData("commitBatchWithStarkProof", [
            ...base,
            proof.proofHash,
            proof.policyHash,
            proof.policyLimit,
            proof.allCompliant,
            proof.proofSize,
            proof.provingTimeMs,
          ]);
    const sent = await this.sendTx(stream, p.batchId, proof === null ? "batch" : "batch+proof", data, {
      eventCount: p.eventCount,
      proofId: proof?.proofId ?? null,
    });
    if (sent === "sent" && proof === null && this.c.proofs) {
      state.awaitProof({ batchId: p.batchId, stream, prevStateRoot: p.prevStateRoot, newStateRoot: p.newStateRoot });
    }
    if (sent === "already") {
      return (await this.reconcile(p.batchId, stream, "batch", p.eventCount, null)) ? "reconciled" : "failed";
    }
    return sent === "sent" ? "sent" : sent === "gas" ? "gas" : "failed";
  }

  /**
   * Estimates, signs, records (before broadcast) and broadcasts one registry transaction.
   * @returns `already` when the registry says the batch (or proof) is already committed.
   */
  private async sendTx(
    stream: string,
    batchId: string,
    kind: SendKind,
    data: string,
    extra: { eventCount: number; proofId: string | null },
  ): Promise<"sent" | "already" | "failed" | "gas"> {
    const { chain, state, metrics, log } = this.d;
    let gas: bigint;
    try {
      gas = await chain.estimate(data);
    } catch (e) {
      if (!isRevert(e)) throw e;
      const why = chain.decode(e);
      if (why.name === "BatchAlreadyCommitted" || why.name === "StarkProofAlreadyCommitted") return "already";
      this.revertFailed(stream, batchId, why);
      return "failed";
    }
    const fees = await chain.fees();
    let maxFee = fees.maxFeePerGas;
    const priority = fees.maxPriorityFeePerGas;
    if (this.ceiling > 0n && maxFee > this.ceiling) {
      if (fees.baseFee + priority <= this.ceiling) maxFee = this.ceiling;
      else {
        metrics.gasSkips.inc();
        metrics.stats.gasPriceSkips++;
        log.warn(
          { batchId, baseFee: fees.baseFee.toString(), ceiling: this.ceiling.toString() },
          "gas price above the ceiling; not sending",
        );
        return "gas";
      }
    }
    if (this.nextNonce === null) this.nextNonce = await chain.nonce("pending");
    const nonce = this.nextNonce;
    const signed = await chain.sign({
      data,
      nonce,
      gasLimit: (gas * 6n) / 5n + 10_000n,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: priority > maxFee ? maxFee : priority,
    });
    // Recorded before broadcast: a crash now leaves a row that the next start re-broadcasts (same hash), or drops.
    state.recordSend(
      { batchId, stream, kind, proofId: extra.proofId, nonce, eventCount: extra.eventCount, data },
      {
        txHash: signed.hash,
        raw: signed.raw,
        maxFeePerGas: signed.maxFeePerGas,
        maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
      },
    );
    this.nextNonce = nonce + 1;
    metrics.stats.sent++;
    let result: string;
    try {
      result = await chain.broadcast(signed.raw);
    } catch (e) {
      // Left as `sent`: the tracker re-broadcasts or drops it.
      this.nextNonce = null;
      if (e instanceof RpcUnavailable) throw e;
      result = `refused: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`;
    }
    if (result === "nonce_used") this.nextNonce = null;
    log.info({ batchId, kind, txHash: signed.hash, nonce, gas: gas.toString(), result }, "transaction sent");
    return "sent";
  }

  /** Records a decoded revert as a failure of the stream, which backs off; other streams go on. */
  private revertFailed(stream: string, batchId: string, why: DecodedRevert, txHash?: string): void {
    const { metrics, log } = this.d;
    metrics.fail(why.name, `${batchId}: ${formatRevert(why)}`);
    const delay = this.streamFailed(stream, formatRevert(why));
    log.error(
      { stream, batchId, error: why.name, args: why.args, revert: formatRevert(why), txHash, retryInMs: delay },
      "registry rejected the commitment",
    );
  }

  private streamFailed(stream: string, reason: string): number {
    this.blocked.set(stream, reason);
    return this.backoff.fail(stream);
  }

  // 6. Late proofs -----------------------------------------------------------------------------------------------------

  private async lateProofs(): Promise<void> {
    const { state, proofs, chain, log } = this.d;
    for (const w of state.dueProofWaits(PROOF_CHECKS_PER_CYCLE)) {
      const sends = state.sendsOf(w.batchId);
      if (sends.some((s) => s.kind !== "batch" && ["sent", "mined", "confirmed"].includes(s.status))) continue;
      // Only once the batch itself is reported (the proof needs the batch on-chain).
      if (!sends.some((s) => s.kind === "batch" && (s.status === "reported" || s.status === "final"))) {
        state.proofChecked(w.batchId, this.now() + this.c.intervalMs);
        continue;
      }
      const proof = await proofs.proofFor(w.batchId).catch(() => null);
      if (proof === null) {
        // Not yet: ask again later, less and less often (up to the backoff ceiling) while no proof appears.
        state.proofChecked(
          w.batchId,
          this.now() + Math.max(this.c.intervalMs, this.backoff.fail(`proofwait:${w.batchId}`)),
        );
        continue;
      }
      this.backoff.succeed(`proofwait:${w.batchId}`);
      const registry = await chain.registry();
      const id32 = toBytes32Hex(w.batchId);
      if (await chain.rpc(() => registry.hasStarkProof(id32))) {
        await this.reconcile(w.batchId, w.stream, "proof", 0, proof.proofId);
        continue;
      }
      const data = REGISTRY_INTERFACE.encodeFunctionData("commitStarkProof", [
        id32,
        proof.proofHash,
        w.prevStateRoot,
        w.newStateRoot,
        proof.policyHash,
        proof.policyLimit,
        proof.allCompliant,
        proof.proofSize,
        proof.provingTimeMs,
      ]);
      const r = await this.sendTx(w.stream, w.batchId, "proof", data, { eventCount: 0, proofId: proof.proofId });
      if (r === "already") await this.reconcile(w.batchId, w.stream, "proof", 0, proof.proofId);
      else if (r !== "sent") state.proofChecked(w.batchId, this.now() + this.backoff.fail(`proof:${w.batchId}`));
      else log.info({ batchId: w.batchId, proofId: proof.proofId }, "late proof sent");
    }
  }
}
