/**
 * Stream import (the other half of `transfer.ts`): an export is re-verified completely — envelopes, payload hashes,
 * agent signatures, receipts, contiguous sequence numbers, commitments recomputed from the events — and only then
 * written, in one transaction; a stream that does not verify is refused as a whole.
 */
import {
  buildCommitment,
  bytesEqual,
  deriveEventHashes,
  ed25519Node,
  hexToBytes,
  leafHash,
  normalizeUuid,
  parseEnvelope,
  parseJsonExact,
  parseReceipt,
  verifyReceipt,
} from "../../ves";
import type { Principal } from "../auth";
import { SequencerError } from "../errors";
import { agentKeyProblem } from "../keys";
import type { SequencerService } from "../service";
import type { AgentKey, ImportedEvent, SequencerKeyRecord, StoredCommitment, StreamRef } from "../store";
import { canonicalEnvelope, eventCandidate, normalizeEnvelope } from "./envelope";
import { EXPORT_FORMAT, EXPORT_VERSION } from "./transfer";

/** What an import wrote. */
export interface ImportSummary {
  readonly tenantId: string;
  readonly storeId: string;
  readonly from: bigint;
  readonly events: number;
  readonly commitments: number;
  readonly anchored: number;
  readonly headSequence: bigint;
}

/** An import that does not verify. */
const refuse = (message: string) => new SequencerError(422, "IMPORT_REFUSED", message);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (o: Obj, k: string, where: string): string => {
  const v = o[k];
  if (typeof v !== "string") throw refuse(`${where}: ${k} must be a string`);
  return v;
};
const int = (o: Obj, k: string, where: string): bigint => {
  const v = o[k];
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw refuse(`${where}: ${k} must be an integer`);
};
const hex32 = (o: Obj, k: string, where: string): Uint8Array => {
  try {
    return hexToBytes(str(o, k, where), { length: 32 });
  } catch {
    throw refuse(`${where}: ${k} must be 32 bytes of hex`);
  }
};
const uuid = (o: Obj, k: string, where: string): string => {
  const v = str(o, k, where);
  if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(v)) {
    throw refuse(`${where}: ${k} must be a UUID`);
  }
  return normalizeUuid(v);
};
const maybeStr = (o: Obj, k: string): string | null => (typeof o[k] === "string" ? (o[k] as string) : null);

/** The anchoring fields of an exported commitment (all null when it is not anchored). */
function anchorOf(
  r: Obj,
  where: string,
): Pick<StoredCommitment, "chainId" | "chainTxHash" | "chainBlockNumber" | "anchoredAt"> {
  if (r.chain_tx_hash === null || r.chain_tx_hash === undefined) {
    return { chainId: null, chainTxHash: null, chainBlockNumber: null, anchoredAt: null };
  }
  return {
    chainId: int(r, "chain_id", where),
    chainTxHash: hex32(r, "chain_tx_hash", where),
    chainBlockNumber: r.chain_block_number === null ? null : int(r, "chain_block_number", where),
    anchoredAt: str(r, "anchored_at", where),
  };
}

/** The export's lines as records. */
function parseRecords(text: string): Obj[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.map((l, i) => {
    let v: unknown;
    try {
      v = parseJsonExact(l);
    } catch (e) {
      throw refuse(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (!isObj(v) || typeof v.type !== "string") throw refuse(`line ${i + 1}: not an export record`);
    return v;
  });
}

/** The header's stream, first sequence number and sequencer keys; checks the trailer is there. */
function readHeader(records: readonly Obj[]) {
  const header = records[0];
  if (header?.type !== "header" || header.format !== EXPORT_FORMAT) throw refuse("line 1: not a stream export header");
  if (int(header, "version", "header") !== BigInt(EXPORT_VERSION)) {
    throw refuse(`header: unsupported export version ${String(header.version)}`);
  }
  const stream: StreamRef = {
    tenantId: uuid(header, "tenant_id", "header"),
    storeId: uuid(header, "store_id", "header"),
  };
  const from = int(header, "from", "header");
  if (from < 1n) throw refuse("header: from must be at least 1");
  const end = records.at(-1);
  if (end?.type !== "end") throw refuse("the export is truncated (no end line)");

  const sequencerKeys = new Map<string, SequencerKeyRecord>();
  const rawKeys = header.sequencer_keys;
  if (!Array.isArray(rawKeys)) throw refuse("header: sequencer_keys must be an array");
  for (const [i, k] of rawKeys.entries()) {
    if (!isObj(k)) throw refuse(`header: sequencer_keys[${i}] must be an object`);
    const record: SequencerKeyRecord = {
      sequencerId: uuid(k, "sequencer_id", `sequencer_keys[${i}]`),
      version: Number(int(k, "version", `sequencer_keys[${i}]`)),
      publicKey: hex32(k, "public_key", `sequencer_keys[${i}]`),
      origin: "imported",
      createdAt: new Date().toISOString().replace(/Z$/, "+00:00"),
    };
    sequencerKeys.set(`${record.sequencerId}/${record.version}`, record);
  }
  return { stream, from, end, sequencerKeys };
}

/** An exported agent key record. */
function agentKeyOf(r: Obj, where: string, stream: StreamRef): AgentKey {
  const key: AgentKey = {
    tenantId: uuid(r, "tenant_id", where),
    agentId: uuid(r, "agent_id", where),
    keyId: Number(int(r, "key_id", where)),
    publicKey: hex32(r, "public_key", where),
    status: r.status === "revoked" ? "revoked" : "active",
    validFrom: maybeStr(r, "valid_from"),
    validTo: maybeStr(r, "valid_to"),
    revokedAt: maybeStr(r, "revoked_at"),
    createdAt: str(r, "created_at", where),
  };
  if (key.tenantId !== stream.tenantId) throw refuse(`${where}: agent key of another tenant`);
  return key;
}

/** What verifying an event record needs: the stream, the keys read so far, the expected sequence number. */
interface EventContext {
  readonly stream: StreamRef;
  readonly agentKeys: ReadonlyMap<string, AgentKey>;
  readonly sequencerKeys: ReadonlyMap<string, SequencerKeyRecord>;
  readonly expected: bigint;
}

/** An exported event record, verified: its sequence, hashes, agent signature and receipt. */
function importedEventOf(r: Obj, where: string, ctx: EventContext): ImportedEvent {
  const seq = int(r, "sequence_number", where);
  if (seq !== ctx.expected) {
    throw refuse(`${where}: sequence ${seq} where ${ctx.expected} was expected (a gap or reorder)`);
  }
  const env = parseEnvelope(r.envelope);
  if (!env.ok) throw refuse(`${where}: envelope does not parse: ${env.rejection.message}`);
  const e = env.event;
  if (e.tenantId !== ctx.stream.tenantId || e.storeId !== ctx.stream.storeId) {
    throw refuse(`${where}: event ${e.eventId} belongs to another stream`);
  }
  const hashes = deriveEventHashes(e);
  if (e.payloadKind === 0 && !bytesEqual(hashes.payloadPlainHash, e.payloadPlainHash)) {
    throw refuse(`${where}: payload_plain_hash of event ${e.eventId} does not match its payload`);
  }
  if (e.payloadKind === 1 && !bytesEqual(hashes.payloadCipherHash, e.payloadCipherHash)) {
    throw refuse(`${where}: payload_cipher_hash of event ${e.eventId} does not match its ciphertext`);
  }
  const key = ctx.agentKeys.get(`${e.sourceAgentId}/${e.agentKeyId}`);
  if (key === undefined) throw refuse(`${where}: no exported agent key ${e.sourceAgentId}/${e.agentKeyId}`);
  if (!ed25519Node.verify(e.agentSignature, hashes.eventSigningHash, key.publicKey)) {
    throw refuse(`${where}: the agent signature of event ${e.eventId} does not verify`);
  }
  const receipt = parseReceipt(r.receipt);
  if (!receipt.ok) throw refuse(`${where}: receipt does not parse: ${receipt.message}`);
  const rc = receipt.value;
  if (rc.sequenceNumber !== seq) throw refuse(`${where}: the receipt is for sequence ${rc.sequenceNumber}`);
  // Usable when sequenced: a revocation after that does not matter.
  const problem = agentKeyProblem({ ...key, status: "active" }, Date.parse(rc.sequencedAt));
  if (problem !== undefined)
    throw refuse(`${where}: event ${e.eventId} was sequenced under an unusable key: ${problem}`);
  const version = rc.sequencerKeyVersion ?? 0;
  const seqKey = ctx.sequencerKeys.get(`${normalizeUuid(rc.sequencerId)}/${version}`);
  if (seqKey === undefined)
    throw refuse(`${where}: no exported key for sequencer ${rc.sequencerId} version ${version}`);
  const check = verifyReceipt(rc, e, seqKey.publicKey);
  if (!check.ok) throw refuse(`${where}: the receipt of event ${e.eventId} does not verify: ${check.message}`);
  const canonical = canonicalEnvelope(normalizeEnvelope(e));
  return {
    sequenceNumber: seq,
    candidate: eventCandidate(e, hashes.eventSigningHash, canonical),
    receipt: {
      sequencerId: normalizeUuid(rc.sequencerId),
      sequenceNumber: seq,
      sequencedAt: rc.sequencedAt,
      receiptHash: hexToBytes(rc.receiptHash, { length: 32 }),
      signature: rc.sequencerSignature === "" ? null : hexToBytes(rc.sequencerSignature, { length: 64 }),
      keyVersion: version,
    },
  };
}

/** Agent keys and events (hash, signature, receipt), in order; commitment records kept for later. */
function readBody(records: readonly Obj[], header: ReturnType<typeof readHeader>) {
  const { stream, from, end, sequencerKeys } = header;
  const agentKeys = new Map<string, AgentKey>();
  const events: ImportedEvent[] = [];
  const commitmentRecords: Obj[] = [];
  let expected = from;
  for (const [index, r] of records.slice(1, -1).entries()) {
    const where = `line ${index + 2}`;
    if (r.type === "agent_key") {
      const key = agentKeyOf(r, where, stream);
      agentKeys.set(`${key.agentId}/${key.keyId}`, key);
    } else if (r.type === "event") {
      events.push(importedEventOf(r, where, { stream, agentKeys, sequencerKeys, expected }));
      expected = events.at(-1)!.sequenceNumber + 1n;
    } else if (r.type === "commitment") {
      commitmentRecords.push(r);
    } else {
      throw refuse(`${where}: unknown record type ${JSON.stringify(r.type)}`);
    }
  }
  if (int(end!, "events", "end") !== BigInt(events.length)) throw refuse("end: the event count does not match");
  if (int(end!, "commitments", "end") !== BigInt(commitmentRecords.length)) {
    throw refuse("end: the commitment count does not match");
  }
  return { agentKeys, events, commitmentRecords, expected };
}

/** One exported commitment, recomputed from the exported events and chained onto `prevRoot`. */
function commitmentOf(
  r: Obj,
  where: string,
  ctx: { stream: StreamRef; from: bigint; events: readonly ImportedEvent[]; prevRoot: Uint8Array },
): StoredCommitment {
  const { stream, from, events, prevRoot } = ctx;
  const start = int(r, "sequence_start", where);
  const endSeq = int(r, "sequence_end", where);
  const slice = events.slice(Number(start - from), Number(endSeq - from) + 1);
  const built = buildCommitment({
    tenantId: stream.tenantId,
    storeId: stream.storeId,
    sequenceStart: start,
    prevStateRoot: prevRoot,
    leaves: slice.map((e) =>
      leafHash({
        tenantId: stream.tenantId,
        storeId: stream.storeId,
        sequenceNumber: e.sequenceNumber,
        eventSigningHash: e.candidate.eventSigningHash,
        agentSignature: e.candidate.agentSignature,
      }),
    ),
  });
  if (!bytesEqual(built.merkleRoot, hex32(r, "merkle_root", where)))
    throw refuse(`${where}: merkle_root does not match the events`);
  if (!bytesEqual(built.newStateRoot, hex32(r, "new_state_root", where))) {
    throw refuse(`${where}: new_state_root does not match`);
  }
  if (
    BigInt(built.treeDepth) !== int(r, "tree_depth", where) ||
    BigInt(built.leafCount) !== int(r, "leaf_count", where) ||
    BigInt(built.paddedLeafCount) !== int(r, "padded_leaf_count", where)
  ) {
    throw refuse(`${where}: tree shape does not match`);
  }
  return {
    batchId: uuid(r, "batch_id", where),
    tenantId: stream.tenantId,
    storeId: stream.storeId,
    vesVersion: Number(int(r, "ves_version", where)),
    treeDepth: built.treeDepth,
    leafCount: built.leafCount,
    paddedLeafCount: built.paddedLeafCount,
    merkleRoot: built.merkleRoot,
    prevStateRoot: prevRoot,
    newStateRoot: built.newStateRoot,
    sequenceStart: start,
    sequenceEnd: endSeq,
    committedAt: str(r, "committed_at", where),
    ...anchorOf(r, where),
  };
}

/** Commitments: each range inside the exported events, contiguous, chained onto the target's latest state root. */
async function readCommitments(
  service: SequencerService,
  stream: StreamRef,
  from: bigint,
  body: ReturnType<typeof readBody>,
): Promise<{ commitments: StoredCommitment[]; anchored: number }> {
  const target = await service.store.latestCommitment(stream);
  let prevRoot = target?.newStateRoot ?? new Uint8Array(32);
  let prevEnd = target?.sequenceEnd;
  const commitments: StoredCommitment[] = [];
  let anchored = 0;
  for (const [i, r] of body.commitmentRecords.entries()) {
    const where = `commitment ${i + 1}`;
    const start = int(r, "sequence_start", where);
    const endSeq = int(r, "sequence_end", where);
    if (start < from || endSeq < start || endSeq >= body.expected) {
      throw refuse(`${where}: range ${start}..${endSeq} is not inside the exported events`);
    }
    if (prevEnd !== undefined && start !== prevEnd + 1n)
      throw refuse(`${where}: starts at ${start}, not ${prevEnd + 1n}`);
    const claimedPrev = hex32(r, "prev_state_root", where);
    if (!bytesEqual(claimedPrev, prevRoot)) throw refuse(`${where}: prev_state_root does not chain`);
    const c = commitmentOf(r, where, { stream, from, events: body.events, prevRoot });
    commitments.push(c);
    if (typeof r.chain_tx_hash === "string") anchored++;
    prevRoot = c.newStateRoot;
    prevEnd = endSeq;
  }
  return { commitments, anchored };
}

/**
 * Verifies an export (JSON lines) completely and, only if everything verifies, writes it into the service's store
 * (bootstrap admin). The target stream's head must be `from − 1`.
 * @throws SequencerError 422 `IMPORT_REFUSED` naming the first problem; nothing is written then.
 */
export async function importStream(service: SequencerService, p: Principal, text: string): Promise<ImportSummary> {
  service.requireBootstrap(p);
  const records = parseRecords(text);
  // 1. Header and trailer; 2. agent keys, events (hash, signature, receipt), in order.
  const header = readHeader(records);
  const { stream, from, sequencerKeys } = header;
  const body = readBody(records, header);
  const { agentKeys, events } = body;

  const head = await service.store.headSequence(stream);
  if (events.length > 0 && head !== from - 1n) {
    throw refuse(`the target stream's head is ${head}; this export continues from ${from - 1n}`);
  }

  // 3. Commitments: recomputed from the exported events, chained onto the target's latest state root.
  const { commitments, anchored } = await readCommitments(service, stream, from, body);

  // 4. The target: agent keys must agree, sequencer keys are published, then the segment in one transaction.
  for (const key of agentKeys.values()) {
    const existing = await service.store.getAgentKey(key.tenantId, key.agentId, key.keyId);
    if (existing !== null && !bytesEqual(existing.publicKey, key.publicKey)) {
      throw refuse(`agent key ${key.agentId}/${key.keyId} exists in the target with another public key`);
    }
  }
  const used = new Set(events.map((e) => `${e.receipt.sequencerId}/${e.receipt.keyVersion}`));
  for (const id of used) {
    if (!(await service.store.importSequencerKey(sequencerKeys.get(id)!))) {
      throw refuse(`sequencer ${id.replace("/", " key version ")} is registered here with another public key`);
    }
  }
  for (const key of agentKeys.values()) await service.store.insertAgentKey(key);
  const result = await service.store.importStream(stream, events, commitments);
  if (result.kind === "rejected") throw refuse(result.message);
  await service.audit(p, "stream.import", stream.tenantId, stream.storeId, {
    from,
    events: events.length,
    commitments: commitments.length,
  });
  return {
    tenantId: stream.tenantId,
    storeId: stream.storeId,
    from,
    events: events.length,
    commitments: commitments.length,
    anchored,
    headSequence: result.headSequence,
  };
}
