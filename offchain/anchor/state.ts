/**
 * The anchor's progress in a small SQLite file, so that a restart loses nothing: every transaction it signs (raw bytes
 * written before broadcast), which are mined, confirmed and reported, the proofs still awaited for anchored batches,
 * and the registry logs indexed from a checkpoint (the last scanned block and its hash) instead of from genesis.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { AnchorError } from "./errors";

/** What a send writes: a batch, a batch with its proof, or a late proof. */
export type SendKind = "batch" | "batch+proof" | "proof";

/**
 * Where a send stands: `sent` (signed, maybe broadcast), `mined` (receipt seen), `confirmed` (enough blocks, to be
 * reported), `reported` (sequencer told; watched for reorgs), `final` (past the reorg window), `failed` (reverted),
 * `dropped` (its nonce went to another transaction), `reorged` (its block was reorganised away).
 */
export type SendStatus = "sent" | "mined" | "confirmed" | "reported" | "final" | "failed" | "dropped" | "reorged";

/** One send (a logical transaction that may have several signed attempts). */
export interface SendRow {
  readonly id: number;
  readonly batchId: string;
  readonly stream: string;
  readonly kind: SendKind;
  readonly proofId: string | null;
  /** -1 for an anchor recovered from the chain (not sent by this process). */
  readonly nonce: number;
  readonly status: SendStatus;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  readonly gasUsed: bigint | null;
  readonly eventCount: number;
  readonly createdAt: number;
  readonly error: string | null;
  /** The calldata, to re-simulate a revert. */
  readonly data: string;
}

/** One signed attempt of a send. */
export interface AttemptRow {
  readonly sendId: number;
  readonly txHash: string;
  readonly raw: string;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly sentAt: number;
}

/** A registry event seen in the logs. */
export interface ChainEvent {
  readonly batchId: string;
  readonly kind: "batch" | "proof";
  readonly txHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly logIndex: number;
}

/** A batch anchored without its proof, whose proof is still awaited. */
export interface ProofWait {
  readonly batchId: string;
  readonly stream: string;
  readonly prevStateRoot: string;
  readonly newStateRoot: string;
  readonly nextCheckAt: number;
}

const SCHEMA_VERSION = "1";

const MIGRATION = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sends (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  kind TEXT NOT NULL,
  proof_id TEXT,
  nonce INTEGER NOT NULL,
  status TEXT NOT NULL,
  tx_hash TEXT,
  block_number INTEGER,
  block_hash TEXT,
  gas_used TEXT,
  event_count INTEGER NOT NULL,
  data TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_status ON sends (status);
CREATE INDEX IF NOT EXISTS sends_batch ON sends (batch_id);
CREATE TABLE IF NOT EXISTS attempts (
  tx_hash TEXT PRIMARY KEY,
  send_id INTEGER NOT NULL REFERENCES sends (id),
  raw TEXT NOT NULL,
  max_fee TEXT NOT NULL,
  priority_fee TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_send ON attempts (send_id);
CREATE TABLE IF NOT EXISTS chain_events (
  batch_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  PRIMARY KEY (batch_id, kind)
);
CREATE INDEX IF NOT EXISTS chain_events_block ON chain_events (block_number);
CREATE TABLE IF NOT EXISTS proof_waits (
  batch_id TEXT PRIMARY KEY,
  stream TEXT NOT NULL,
  prev_state_root TEXT NOT NULL,
  new_state_root TEXT NOT NULL,
  next_check_at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
`;

type Row = Record<string, unknown>;

const toSend = (r: Row): SendRow => ({
  id: r.id as number,
  batchId: r.batch_id as string,
  stream: r.stream as string,
  kind: r.kind as SendKind,
  proofId: (r.proof_id as string | null) ?? null,
  nonce: r.nonce as number,
  status: r.status as SendStatus,
  txHash: (r.tx_hash as string | null) ?? null,
  blockNumber: (r.block_number as number | null) ?? null,
  blockHash: (r.block_hash as string | null) ?? null,
  gasUsed: r.gas_used === null || r.gas_used === undefined ? null : BigInt(r.gas_used as string),
  eventCount: r.event_count as number,
  createdAt: r.created_at as number,
  error: (r.error as string | null) ?? null,
  data: r.data as string,
});

const toAttempt = (r: Row): AttemptRow => ({
  sendId: r.send_id as number,
  txHash: r.tx_hash as string,
  raw: r.raw as string,
  maxFeePerGas: BigInt(r.max_fee as string),
  maxPriorityFeePerGas: BigInt(r.priority_fee as string),
  sentAt: r.sent_at as number,
});

/** The state file. */
export class AnchorState {
  private readonly db: Database.Database;

  /**
   * Opens (creating) the file and checks it belongs to this chain and registry.
   * @throws AnchorError `ANCHOR_STATE_MISMATCH` when the file was written for another chain or registry.
   */
  constructor(
    file: string,
    identity: { chainId: bigint; registry: string },
    private readonly now: () => number = Date.now,
  ) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    // Progress must survive a crash right after a write: full sync.
    this.db.pragma("synchronous = FULL");
    this.db.exec(MIGRATION);
    const want = { version: SCHEMA_VERSION, chain_id: identity.chainId.toString(), registry: identity.registry };
    for (const [key, value] of Object.entries(want)) {
      const have = this.meta(key);
      if (have === null) this.setMeta(key, value);
      else if (have.toLowerCase() !== value.toLowerCase()) {
        this.db.close();
        throw new AnchorError(
          "ANCHOR_STATE_MISMATCH",
          `${file} belongs to ${key} ${have}, not ${value}; use another --state-file for another chain or registry`,
          { exitCode: 2 },
        );
      }
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  meta(key: string): string | null {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?")
      .run(key, value, value);
  }

  /** The last scanned block and its hash, or null before the first scan. */
  checkpoint(): { block: number; hash: string } | null {
    const block = this.meta("checkpoint_block");
    const hash = this.meta("checkpoint_hash");
    return block === null || hash === null ? null : { block: Number(block), hash };
  }

  /** Moves the checkpoint (with the events found up to it, in one transaction). */
  advance(block: number, hash: string, events: readonly ChainEvent[]): void {
    const insert = this.db.prepare(
      `INSERT INTO chain_events (batch_id, kind, tx_hash, block_number, block_hash, log_index) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (batch_id, kind) DO UPDATE SET tx_hash = excluded.tx_hash, block_number = excluded.block_number,
           block_hash = excluded.block_hash, log_index = excluded.log_index`,
    );
    this.db.transaction(() => {
      for (const e of events) insert.run(e.batchId, e.kind, e.txHash, e.blockNumber, e.blockHash, e.logIndex);
      this.setMeta("checkpoint_block", String(block));
      this.setMeta("checkpoint_hash", hash);
    })();
  }

  /** Forgets the events above `block` and moves the checkpoint back to it (a reorganisation). */
  rewind(block: number, hash: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM chain_events WHERE block_number > ?").run(block);
      this.setMeta("checkpoint_block", String(block));
      this.setMeta("checkpoint_hash", hash);
    })();
  }

  /** The indexed event of a batch (its commitment or its proof), or null. */
  chainEvent(batchId: string, kind: "batch" | "proof"): ChainEvent | null {
    const r = this.db.prepare("SELECT * FROM chain_events WHERE batch_id = ? AND kind = ?").get(batchId, kind) as
      Row | undefined;
    if (r === undefined) return null;
    return {
      batchId: r.batch_id as string,
      kind: r.kind as "batch" | "proof",
      txHash: r.tx_hash as string,
      blockNumber: r.block_number as number,
      blockHash: r.block_hash as string,
      logIndex: r.log_index as number,
    };
  }

  /** Records a new send and its first signed attempt, before it is broadcast. */
  recordSend(
    s: Pick<SendRow, "batchId" | "stream" | "kind" | "proofId" | "nonce" | "eventCount" | "data">,
    attempt: Omit<AttemptRow, "sendId" | "sentAt">,
  ): number {
    const t = this.now();
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO sends (batch_id, stream, kind, proof_id, nonce, status, event_count, data, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'sent', ?, ?, ?, ?)`,
          )
          .run(s.batchId, s.stream, s.kind, s.proofId, s.nonce, s.eventCount, s.data, t, t).lastInsertRowid,
      );
      this.insertAttempt(id, attempt, t);
      return id;
    })();
  }

  /** Records a replacement (same nonce, higher fees) before it is broadcast. */
  recordAttempt(sendId: number, attempt: Omit<AttemptRow, "sendId" | "sentAt">): void {
    this.insertAttempt(sendId, attempt, this.now());
  }

  private insertAttempt(sendId: number, a: Omit<AttemptRow, "sendId" | "sentAt">, t: number): void {
    this.db
      .prepare("INSERT INTO attempts (tx_hash, send_id, raw, max_fee, priority_fee, sent_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(a.txHash, sendId, a.raw, a.maxFeePerGas.toString(), a.maxPriorityFeePerGas.toString(), t);
  }

  /** Records an anchor found on the chain (not sent by this process, or sent before a crash): status `mined`. */
  recordRecovered(
    s: Pick<SendRow, "batchId" | "stream" | "kind" | "proofId" | "eventCount">,
    e: { txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint | null },
  ): number {
    const t = this.now();
    return Number(
      this.db
        .prepare(
          `INSERT INTO sends (batch_id, stream, kind, proof_id, nonce, status, tx_hash, block_number, block_hash, gas_used,
             event_count, data, created_at, updated_at) VALUES (?, ?, ?, ?, -1, 'mined', ?, ?, ?, ?, ?, '0x', ?, ?)`,
        )
        .run(
          s.batchId,
          s.stream,
          s.kind,
          s.proofId,
          e.txHash,
          e.blockNumber,
          e.blockHash,
          e.gasUsed?.toString() ?? null,
          s.eventCount,
          t,
          t,
        ).lastInsertRowid,
    );
  }

  /** Every attempt of a send, newest first. */
  attempts(sendId: number): AttemptRow[] {
    return (
      this.db.prepare("SELECT * FROM attempts WHERE send_id = ? ORDER BY sent_at DESC, rowid DESC").all(sendId) as Row[]
    ).map(toAttempt);
  }

  /** Sends in the given statuses, oldest first. */
  sends(...statuses: SendStatus[]): SendRow[] {
    const marks = statuses.map(() => "?").join(", ");
    return (
      this.db.prepare(`SELECT * FROM sends WHERE status IN (${marks}) ORDER BY id`).all(...statuses) as Row[]
    ).map(toSend);
  }

  /** The sends of a batch, newest first. */
  sendsOf(batchId: string): SendRow[] {
    return (this.db.prepare("SELECT * FROM sends WHERE batch_id = ? ORDER BY id DESC").all(batchId) as Row[]).map(
      toSend,
    );
  }

  /** Updates a send's status and chain fields. */
  update(
    id: number,
    status: SendStatus,
    chain: {
      txHash?: string | null;
      blockNumber?: number | null;
      blockHash?: string | null;
      gasUsed?: bigint | null;
    } = {},
    error?: string,
  ): void {
    const sets = ["status = ?", "updated_at = ?"];
    const args: unknown[] = [status, this.now()];
    const add = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      args.push(value);
    };
    if (chain.txHash !== undefined) add("tx_hash", chain.txHash);
    if (chain.blockNumber !== undefined) add("block_number", chain.blockNumber);
    if (chain.blockHash !== undefined) add("block_hash", chain.blockHash);
    if (chain.gasUsed !== undefined) add("gas_used", chain.gasUsed?.toString() ?? null);
    if (error !== undefined) add("error", error);
    this.db.prepare(`UPDATE sends SET ${sets.join(", ")} WHERE id = ?`).run(...args, id);
  }

  /** Streams with a send still in flight or unreported (their next batch waits: strict order). */
  busyStreams(): Set<string> {
    const rows = this.db
      .prepare("SELECT DISTINCT stream FROM sends WHERE status IN ('sent', 'mined', 'confirmed') AND kind != 'proof'")
      .all() as { stream: string }[];
    return new Set(rows.map((r) => r.stream));
  }

  /** Awaits the proof of a batch anchored without one. */
  awaitProof(w: Omit<ProofWait, "nextCheckAt">): void {
    this.db
      .prepare(
        `INSERT INTO proof_waits (batch_id, stream, prev_state_root, new_state_root, next_check_at) VALUES (?, ?, ?, ?, 0)
           ON CONFLICT (batch_id) DO NOTHING`,
      )
      .run(w.batchId, w.stream, w.prevStateRoot, w.newStateRoot);
  }

  /** Proof waits due for a check. */
  dueProofWaits(limit: number): ProofWait[] {
    return (
      this.db
        .prepare("SELECT * FROM proof_waits WHERE done = 0 AND next_check_at <= ? ORDER BY next_check_at LIMIT ?")
        .all(this.now(), limit) as Row[]
    ).map((r) => ({
      batchId: r.batch_id as string,
      stream: r.stream as string,
      prevStateRoot: r.prev_state_root as string,
      newStateRoot: r.new_state_root as string,
      nextCheckAt: r.next_check_at as number,
    }));
  }

  /** The proof wait of a batch, or null. */
  proofWait(batchId: string): (ProofWait & { done: boolean }) | null {
    const r = this.db.prepare("SELECT * FROM proof_waits WHERE batch_id = ?").get(batchId) as Row | undefined;
    if (r === undefined) return null;
    return {
      batchId: r.batch_id as string,
      stream: r.stream as string,
      prevStateRoot: r.prev_state_root as string,
      newStateRoot: r.new_state_root as string,
      nextCheckAt: r.next_check_at as number,
      done: r.done === 1,
    };
  }

  /** Schedules the next check of a proof wait, or closes it. */
  proofChecked(batchId: string, next: number | "done" | "reopen"): void {
    if (next === "done") this.db.prepare("UPDATE proof_waits SET done = 1 WHERE batch_id = ?").run(batchId);
    else if (next === "reopen") {
      this.db.prepare("UPDATE proof_waits SET done = 0, next_check_at = 0 WHERE batch_id = ?").run(batchId);
    } else this.db.prepare("UPDATE proof_waits SET next_check_at = ? WHERE batch_id = ?").run(next, batchId);
  }

  /** Counts of sends by status (for /stats). */
  counts(): Record<string, number> {
    const rows = this.db.prepare("SELECT status, COUNT(*) AS n FROM sends GROUP BY status").all() as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
