/**
 * The MCP server's record of applied writes, for the per-day limits: a table of its own (`_ves_mcp_writes`) in the
 * agent's outbox database, so the counts survive restarts. One row per command id (a retried call is never counted
 * twice), keyed by the UTC day the write was first applied; a write the sequencer rejected no longer counts.
 * Checking the limits and recording a write happen in one immediate transaction, so concurrent calls (or two servers
 * on one home) cannot both slip under a limit.
 */
import Database from "better-sqlite3";

import { AgentError } from "../errors";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS _ves_mcp_writes (
  command_id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  day TEXT NOT NULL,
  value TEXT NOT NULL,
  released INTEGER NOT NULL DEFAULT 0 CHECK (released IN (0, 1)),
  recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS _ves_mcp_writes_day ON _ves_mcp_writes (day, released);
`;

/** A day's applied writes. */
export interface DayTotals {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly writes: number;
  /** Sum of the writes' amounts, minor units. */
  readonly value: bigint;
}

/** A write to record. */
export interface LedgerWrite {
  readonly commandId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly value: bigint;
}

/** The UTC day of an instant. */
export const utcDay = (at: Date = new Date()): string => at.toISOString().slice(0, 10);

/** The ledger on one outbox database file. */
export class WriteLedger {
  private readonly db: Database.Database;

  constructor(file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma("busy_timeout = 5000");
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new AgentError("OUTBOX_ERROR", `cannot open the MCP write ledger in ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  close(): void {
    this.db.close();
  }

  /** The applied (not rejected) writes of a day. */
  totals(day: string): DayTotals {
    const rows = this.db.prepare("SELECT value FROM _ves_mcp_writes WHERE day = ? AND released = 0").all(day) as {
      value: string;
    }[];
    return { day, writes: rows.length, value: rows.reduce((s, r) => s + BigInt(r.value), 0n) };
  }

  /** Whether a command was recorded. */
  has(commandId: string): boolean {
    return this.db.prepare("SELECT 1 FROM _ves_mcp_writes WHERE command_id = ?").get(commandId) !== undefined;
  }

  /**
   * Records a write unless its command is already recorded; `check` sees the day's totals first and throws to
   * refuse. Returns true when this call recorded it.
   */
  record(write: LedgerWrite, day: string, check: (totals: DayTotals) => void): boolean {
    const run = this.db.transaction(() => {
      if (this.has(write.commandId)) return false;
      check(this.totals(day));
      this.db
        .prepare(
          `INSERT INTO _ves_mcp_writes (command_id, event_id, event_type, day, value, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(write.commandId, write.eventId, write.eventType, day, write.value.toString(), new Date().toISOString());
      return true;
    });
    return run.immediate();
  }

  /** Forgets a write this server recorded but could not append. */
  forget(commandId: string): void {
    this.db.prepare("DELETE FROM _ves_mcp_writes WHERE command_id = ?").run(commandId);
  }

  /** A write the sequencer rejected no longer counts. */
  release(commandId: string): void {
    this.db.prepare("UPDATE _ves_mcp_writes SET released = 1 WHERE command_id = ?").run(commandId);
  }
}
