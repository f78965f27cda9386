/**
 * The sequencer's receipt-signing key (ves-protocol.md §5.3): its id and version in the database's key registry,
 * the published keys (this sequencer's and imported ones), rotation, and the signing of receipts.
 */
import { bytesEqual, bytesToHex, ed25519Node, receiptHash, type Ed25519Signer } from "../../ves";
import { nowRfc3339 } from "../store";
import type { EventCandidate, SequencerKeyRecord, SequencerStore, StoredReceipt, StreamRef } from "../store";
import { sha256 } from "../auth";
import { requireBootstrap, type Principal } from "../auth";
import type { AuditLog } from "../tenants";

/** A stable sequencer id derived from the receipt-signing public key (UUID-shaped). */
export function deriveSequencerId(publicKey: Uint8Array): string {
  const h = Buffer.from(sha256(Buffer.concat([Buffer.from("VES_SEQUENCER_ID_V1"), publicKey]))).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The receipt key and its registry. */
export class ReceiptKeys {
  /** The id in receipts: configured, or this database's local sequencer's (see `init`). */
  sequencerId: string;
  /** The version of the receipt-signing key in the key registry (0 until `init`). */
  keyVersion = 0;
  readonly publicKey: Uint8Array;
  private readonly signer: Ed25519Signer;
  private keysCache: { at: number; keys: SequencerKeyRecord[] } | undefined;

  /**
   * @param signingSeed the Ed25519 seed of the receipt key.
   * @param configuredId the configured sequencer id, if any.
   */
  constructor(
    private readonly store: Pick<SequencerStore, "listSequencerKeys" | "registerSequencerKey">,
    private readonly audit: AuditLog,
    readonly signingSeed: Uint8Array,
    private readonly configuredId: string | undefined,
    private readonly keyCacheMs: number,
  ) {
    this.publicKey = ed25519Node.publicKey(signingSeed);
    // A prepared signer: `ed25519Node.sign(msg, seed)` rebuilds the private key object per call (about 15x slower).
    this.signer = ed25519Node.signer(signingSeed);
    this.sequencerId = configuredId ?? deriveSequencerId(this.publicKey);
  }

  /**
   * Registers the receipt-signing public key in the database's key registry and adopts its version, so every past key
   * stays published and processes with the same key agree on its version. Without a configured id, the sequencer id
   * is the one of this database's local keys (stable across key rotations), or else derived from this key.
   */
  async init(): Promise<void> {
    if (this.configuredId === undefined) {
      const local = (await this.store.listSequencerKeys()).filter((k) => k.origin === "local");
      const mine = local.find((k) => bytesEqual(k.publicKey, this.publicKey));
      const first = [...local].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version - b.version)[0];
      this.sequencerId = (mine ?? first)?.sequencerId ?? deriveSequencerId(this.publicKey);
    }
    const record = await this.store.registerSequencerKey(this.sequencerId, this.publicKey, nowRfc3339());
    this.keyVersion = record.version;
    this.keysCache = undefined;
  }

  /** Every published receipt key (cached for `keyCacheMs`): this sequencer's first, by version, then imported ones. */
  async list(): Promise<SequencerKeyRecord[]> {
    const now = Date.now();
    if (this.keysCache !== undefined && now - this.keysCache.at < Math.max(this.keyCacheMs, 1)) {
      return this.keysCache.keys;
    }
    const all = await this.store.listSequencerKeys();
    const keys = [
      ...all.filter((k) => k.sequencerId === this.sequencerId),
      ...all.filter((k) => k.sequencerId !== this.sequencerId),
    ];
    this.keysCache = { at: now, keys };
    return keys;
  }

  /**
   * Registers a new receipt-signing public key under this sequencer id (the next version) and audits it; processes
   * sign with it once they run with its seed.
   */
  async register(p: Principal, publicKey: Uint8Array): Promise<SequencerKeyRecord> {
    requireBootstrap(p);
    const record = await this.store.registerSequencerKey(this.sequencerId, publicKey, nowRfc3339());
    this.keysCache = undefined;
    await this.audit.record(p, "receipt_key.rotate", null, `${this.sequencerId}/${record.version}`, {
      public_key: bytesToHex(publicKey),
      version: record.version,
    });
    return record;
  }

  /** The signed receipt of a candidate at its sequence number (§4.2 item 7, §5.3), from its known signing hash. */
  receiptFor(stream: StreamRef, c: EventCandidate, sequenceNumber: bigint): StoredReceipt {
    const hash = receiptHash({
      tenantId: stream.tenantId,
      storeId: stream.storeId,
      eventId: c.eventId,
      sequenceNumber,
      eventSigningHash: c.eventSigningHash,
    });
    return this.receipt(sequenceNumber, hash, this.signer.sign(hash));
  }

  /** A receipt from its hash and this sequencer's signature of it. */
  receipt(sequenceNumber: bigint, hash: Uint8Array, signature: Uint8Array): StoredReceipt {
    return {
      sequencerId: this.sequencerId,
      sequenceNumber,
      sequencedAt: nowRfc3339(),
      receiptHash: hash,
      signature,
      keyVersion: this.keyVersion,
    };
  }
}
