/**
 * Receipts as ingest answers them (ves-protocol.md §7.6), and presigning: the receipts a large request's events are
 * expected to get, signed on the worker pool while their agent signatures are checked there.
 */
import { bytesToHex, receiptHash, type SequencerReceipt, type VesEvent } from "../../ves";
import type { Logger } from "../../common";
import type { SequencerStore, StoredReceipt, StreamRef } from "../store";

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

/** A receipt signed ahead of its append (see `Presigner.plan`), valid only for exactly these inputs. */
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
   * Plans the receipts the events to verify would get if they were all appended in order at the stream's expected
   * next sequence number, and reserves those numbers for the guess of the next request: their receipt hashes, to be
   * signed on the worker pool (in the same message as the agent signatures' checks) and turned into presigned
   * receipts by `complete`. The append uses a presigned receipt only for the event id, sequence number and signing
   * hash it was made for (so exactly the receipt `ReceiptKeys.receiptFor` would make: Ed25519 signatures are
   * deterministic); a wrong guess falls back to signing inline. Undefined if the plan fails (the inline path then
   * signs everything).
   */
  async plan(
    stream: StreamRef,
    items: readonly { readonly i: number; readonly message: Uint8Array }[],
    events: readonly (VesEvent | undefined)[],
  ): Promise<PresignPlan | undefined> {
    try {
      const key = streamKey(stream);
      let next = this.nextSequence.get(key);
      if (next === undefined) next = (await this.store.headSequence(stream)) + 1n;
      // Another request may have reserved meanwhile (across the await above): take the later guess.
      next = this.nextSequence.get(key) ?? next;
      if (this.nextSequence.size >= 10_000) this.nextSequence.clear();
      this.nextSequence.set(key, next + BigInt(items.length));
      const eventIds: string[] = new Array<string>(items.length);
      const hashes: Uint8Array[] = new Array<Uint8Array>(items.length);
      for (let k = 0; k < items.length; k++) {
        const eventId = events[items[k]!.i]!.eventId;
        eventIds[k] = eventId;
        hashes[k] = receiptHash({
          tenantId: stream.tenantId,
          storeId: stream.storeId,
          eventId,
          sequenceNumber: next + BigInt(k),
          eventSigningHash: items[k]!.message,
        });
      }
      return { first: next, eventIds, signingHashes: items.map((v) => v.message), hashes, seed: this.signingSeed };
    } catch (err) {
      this.logger?.warn({ err }, "planning presigned receipts failed (signing inline)");
      return undefined;
    }
  }

  /**
   * The presigned receipts of a plan from the pool's signatures of its hashes (empty when signing failed: every
   * event then misses, and the guess is corrected after the append).
   */
  complete(plan: PresignPlan, signatures: readonly Uint8Array[] | undefined): Map<string, PresignedReceipt> {
    const out = new Map<string, PresignedReceipt>();
    if (signatures === undefined || signatures.length !== plan.hashes.length) {
      this.logger?.warn("presigning receipts on the worker pool failed (signing inline)");
      return out;
    }
    for (let k = 0; k < plan.hashes.length; k++) {
      out.set(plan.eventIds[k]!, {
        sequenceNumber: plan.first + BigInt(k),
        eventSigningHash: plan.signingHashes[k]!,
        receiptHash: plan.hashes[k]!,
        signature: signatures[k]!,
      });
    }
    return out;
  }
}

/** Receipts planned by `Presigner.plan`: the k-th event id at sequence `first + k`, its receipt hash to sign. */
export interface PresignPlan {
  readonly first: bigint;
  readonly eventIds: readonly string[];
  readonly signingHashes: readonly Uint8Array[];
  /** Receipt hashes, to be signed with `seed`. */
  readonly hashes: readonly Uint8Array[];
  readonly seed: Uint8Array;
}
