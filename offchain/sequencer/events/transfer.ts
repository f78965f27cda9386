/**
 * Stream export and import as JSON lines (import: `import.ts`) — the backup of one stream, and the SQLite ↔ PostgreSQL migration path.
 *
 * An export is, one JSON object per line: a `header` (format, stream, first sequence, the sequencers' public receipt
 * keys), the `agent_key`s that signed its events, every `event` from `from` with its envelope and receipt, the
 * `commitment`s that start at or after `from` (with their anchoring), and an `end` line with the counts (a truncated
 * file is refused). An import re-verifies everything before writing anything: each envelope's payload hash and agent
 * signature (under the exported agent key, valid when the event was sequenced), each receipt's hash and signature
 * (under the exported key of its sequencer id and version), contiguous sequence numbers, and each commitment's Merkle
 * root and state-root chain recomputed from the events. A stream that does not verify is refused as a whole.
 */
import { bytesToHex, parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../../ves";
import type { Principal } from "../auth";
import { commitmentJson } from "../commitments";
import { agentKeyJson } from "../keys";
import type { SequencerService } from "../service";
import type { AgentKey, StreamRef } from "../store";
import { receiptJson } from "./receipts";

/** The export format's name and version (header line). */
export const EXPORT_FORMAT = "ves-sequencer-stream";
/** The current export format version. */
export const EXPORT_VERSION = 1;

const PAGE = 1000;

/** What an export wrote. */
export interface ExportSummary {
  readonly tenantId: string;
  readonly storeId: string;
  readonly from: bigint;
  readonly events: number;
  readonly commitments: number;
  readonly headSequence: bigint;
}

const line = (value: unknown) => `${stringifyJsonExact(value as ExactJsonValue)}\n`;

/**
 * Writes a stream from sequence `from` as JSON lines through `write` (read permission on the stream).
 */
export async function exportStream(
  service: SequencerService,
  p: Principal,
  stream: StreamRef,
  from: bigint,
  write: (text: string) => void | Promise<void>,
): Promise<ExportSummary> {
  service.require(p, "read", stream.tenantId, stream.storeId);
  const store = service.store;
  const head = await store.headSequence(stream);
  const keys = await store.listSequencerKeys();
  await write(
    line({
      type: "header",
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      tenant_id: stream.tenantId,
      store_id: stream.storeId,
      from,
      head_sequence: head,
      exported_at: new Date().toISOString(),
      sequencer_keys: keys.map((k) => ({
        sequencer_id: k.sequencerId,
        version: k.version,
        public_key: bytesToHex(k.publicKey),
      })),
    }),
  );
  // Agent keys first (the importer verifies events as it reads them), then events, then commitments.
  const agentKeys = new Map<string, AgentKey>();
  for (let next = from; next <= head;) {
    const page = await store.listEvents(stream, next, PAGE);
    if (page.length === 0) break;
    for (const e of page) {
      const env = parseJsonExact(e.envelopeJson) as { source_agent_id: string; agent_key_id: number | bigint };
      const id = `${env.source_agent_id}/${env.agent_key_id}`;
      if (agentKeys.has(id)) continue;
      const key = await store.getAgentKey(stream.tenantId, env.source_agent_id, Number(env.agent_key_id));
      if (key !== null) agentKeys.set(id, key);
    }
    next = page.at(-1)!.sequenceNumber + 1n;
  }
  for (const k of agentKeys.values()) {
    await write(line({ type: "agent_key", ...agentKeyJson(k) }));
  }
  let events = 0;
  for (let next = from; next <= head;) {
    const page = await store.listEvents(stream, next, PAGE);
    if (page.length === 0) break;
    for (const e of page) {
      await write(
        line({
          type: "event",
          sequence_number: e.sequenceNumber,
          envelope: parseJsonExact(e.envelopeJson),
          receipt: receiptJson(e.eventId, e.receipt),
        }),
      );
      events++;
    }
    next = page.at(-1)!.sequenceNumber + 1n;
  }
  let commitments = 0;
  for (let after = from - 1n; ;) {
    const page = await store.listCommitments(stream, { afterSequence: after, limit: PAGE });
    for (const c of page) {
      await write(line({ type: "commitment", ...commitmentJson(c, true) }));
      commitments++;
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.sequenceStart;
  }
  await write(line({ type: "end", events, commitments }));
  await service.audit(p, "stream.export", stream.tenantId, stream.storeId, { from, events, commitments });
  return { tenantId: stream.tenantId, storeId: stream.storeId, from, events, commitments, headSequence: head };
}
