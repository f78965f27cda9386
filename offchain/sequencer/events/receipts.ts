/**
 * Receipts as ingest answers them (ves-protocol.md §7.6), and presigning: the receipts a large request's events are
 * expected to get, signed on the worker pool while their agent signatures are checked there.
 */
import { bytesToHex, receiptHash, type SequencerReceipt, type VesEvent } from "../../ves";
import type { Logger } from "../../common";
import type { SequencerStore, StoredReceipt, StreamRef } from "../store";
import type { VerifyPool } from "./verify-pool";

/** A receipt in the ingest response's camelCase form (§7.6). */
export type ReceiptJson = SequencerReceipt;

/** The camelCase receipt of a stored one. */
export function receiptJson(eventId: string, r: StoredReceipt): ReceiptJson {
  const out: ReceiptJson = {
    sequencerId: r.sequencerId,
    eventId,
    sequenceNumber: r.sequenceNumber,
    sequencedAt: r.sequencedAt,
    receiptHash: bytesToHex(r.receiptHash),
    signatureAlg: r.signature === null ? "none" : "ed25519",
    sequencerSignature: r.signature === null ? "" : bytesToHex(r.signature),
    sequencerKeyVersion: r.keyVersion,
  };
  if (r.signature !== null) out.receiptSignatureScheme = 1;
  return out;
}

/** A receipt signed ahead of its append (see `Presigner.presign`), valid only for exactly these inputs. */
export interface PresignedReceipt {
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly receiptHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** The key of a stream in per-stream maps. */
const streamKey = (s: StreamRef) => `${s.tenantId}/${s.storeId}`;

/** Presigns receipts, keeping per stream a guess of the next sequence number. */
export class Presigner {
  /** Per stream, the sequence number the next presigned receipt expects (a guess: a wrong one only costs speed). */
  private readonly nextSequence = new Map<string, bigint>();

  constructor(
    private readonly store: Pick<SequencerStore, "headSequence">,
    private readonly signingSeed: Uint8Array,
    private readonly logger: Logger | undefined,
  ) {}

  /** Corrects the guess of a stream after a presigned append missed: the store reached `headSequence`. */
  missed(stream: StreamRef, headSequence: bigint): void {
    this.nextSequence.set(streamKey(stream), headSequence + 1n);
  }

  /**
   * Signs on the worker pool, off the main thread, the receipts the events to verify would get if they were all
   * appended in order at the stream's expected next sequence number, and reserves those numbers for the guess of
   * the next request. The append uses a presigned receipt only for the event id, sequence number and signing hash it
   * was made for (so exactly the receipt `ReceiptKeys.receiptFor` would make: Ed25519 signatures are deterministic);
   * a wrong guess falls back to signing inline. Resolves empty if the pool fails (the inline path then signs
   * everything).
   */
  async presign(
    pool: VerifyPool,
    stream: StreamRef,
    items: readonly { readonly i: number; readonly message: Uint8Array }[],
    events: readonly (VesEvent | undefined)[],
  ): Promise<Map<string, PresignedReceipt>> {
    const out = new Map<string, PresignedReceipt>();
    try {
      const key = streamKey(stream);
      let next = this.nextSequence.get(key);
      if (next === undefined) next = (await this.store.headSequence(stream)) + 1n;
      // Another request may have reserved meanwhile (across the await above): take the later guess.
      next = this.nextSequence.get(key) ?? next;
      if (this.nextSequence.size >= 10_000) this.nextSequence.clear();
      this.nextSequence.set(key, next + BigInt(items.length));
      const planned = items.map((v, k) => {
        const eventId = events[v.i]!.eventId;
        const sequenceNumber = next + BigInt(k);
        const hash = receiptHash({
          tenantId: stream.tenantId,
          storeId: stream.storeId,
          eventId,
          sequenceNumber,
          eventSigningHash: v.message,
        });
        return { eventId, sequenceNumber, eventSigningHash: v.message, receiptHash: hash };
      });
      const signatures = await pool.signAll(
        this.signingSeed,
        planned.map((p) => p.receiptHash),
      );
      planned.forEach((p, k) => out.set(p.eventId, { ...p, signature: signatures[k]! }));
    } catch (err) {
      this.logger?.warn({ err }, "presigning receipts on the worker pool failed (signing inline)");
      out.clear();
    }
    return out;
  }
}
