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

/**
 * How long an append waits for the requests planned before it on its stream (see `Presigner.turn`). Only a stuck
 * request makes it wait this long; it then appends anyway, and its presigned receipts may miss (signed inline).
 */
const TURN_WAIT_MS = 10_000;

/** Per stream: the guess of the sequence numbers the planned requests will get, and their order of appending. */
interface StreamPlans {
  /**
   * The next "raw" number: plans reserve consecutive raw ranges, in plan order. A plan's guess of its first sequence
   * number is its raw first plus `drift`.
   */
  rawNext: bigint;
  /**
   * The actual head minus the raw end of the last settled plan: what rejected events, abandoned plans and other
   * writers shifted the stream by. Settled plans update it in order, so one miss does not make the next plans miss.
   */
  drift: bigint;
  /** Settles when the last planned request has appended or given up. */
  tail: Promise<void>;
}

/**
 * A request's place in its stream's order of appends: made by `plan`, waited for by `turn`, ended by `appended` or
 * `abandon` (exactly one takes effect).
 */
export interface PresignTicket {
  readonly stream: string;
  /** The raw number of the plan's last receipt. */
  readonly rawEnd: bigint;
  /** How many numbers the plan reserved. */
  readonly count: bigint;
  /** Settles when every request planned before this one on the stream has settled. */
  readonly previous: Promise<void>;
  /** Lets the next request on the stream append. */
  readonly settle: () => void;
  settled: boolean;
}

/**
 * Presigns receipts, guessing per stream the sequence numbers the next requests will get. Appends of planned requests
 * on a stream happen in plan order (`turn`): concurrent appends on one stream serialise on its counter anyway, and
 * any other order would make every guess made meanwhile miss.
 */
export class Presigner {
  private readonly streams = new Map<string, StreamPlans>();
  private hitCount = 0;
  private missCount = 0;

  constructor(
    private readonly store: Pick<SequencerStore, "headSequence">,
    private readonly signingSeed: Uint8Array,
    private readonly logger: Logger | undefined,
    private readonly turnWaitMs = TURN_WAIT_MS,
  ) {}

  /**
   * Plans the receipts the events to verify would get if they were all appended in order after the requests already
   * planned on the stream: their receipt hashes, to be signed on the worker pool (in the same message as the agent
   * signatures' checks) and turned into presigned receipts by `complete`, and the request's ticket. The append uses a
   * presigned receipt only for the event id, sequence number and signing hash it was made for (so exactly the
   * receipt `ReceiptKeys.receiptFor` would make: Ed25519 signatures are deterministic); a wrong guess falls back to
   * signing inline. Undefined if the plan fails (the inline path then signs everything, unordered).
   */
  async plan(
    stream: StreamRef,
    items: readonly { readonly i: number; readonly message: Uint8Array }[],
    events: readonly (VesEvent | undefined)[],
  ): Promise<PresignPlan | undefined> {
    try {
      const key = streamKey(stream);
      let plans = this.streams.get(key);
      if (plans === undefined) {
        const head = await this.store.headSequence(stream);
        // Another request may have started the stream's plans meanwhile (across the await above): keep those.
        plans = this.streams.get(key);
        if (plans === undefined) {
          if (this.streams.size >= 10_000) this.streams.clear();
          plans = { rawNext: head + 1n, drift: 0n, tail: Promise.resolve() };
          this.streams.set(key, plans);
        }
      }
      const count = BigInt(items.length);
      const rawFirst = plans.rawNext;
      // Out-of-order settlements (a turn that timed out, a cleared map) can leave the drift too low: never below 1.
      const guess = rawFirst + plans.drift;
      const first = guess < 1n ? 1n : guess;
      const eventIds: string[] = new Array<string>(items.length);
      const hashes: Uint8Array[] = new Array<Uint8Array>(items.length);
      for (let k = 0; k < items.length; k++) {
        const eventId = events[items[k]!.i]!.eventId;
        eventIds[k] = eventId;
        hashes[k] = receiptHash({
          tenantId: stream.tenantId,
          storeId: stream.storeId,
          eventId,
          sequenceNumber: first + BigInt(k),
          eventSigningHash: items[k]!.message,
        });
      }
      // The ticket is taken only once nothing can throw: a plan that fails leaves no ticket for later ones to wait on.
      plans.rawNext += count;
      let settle: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (settle = resolve));
      const ticket: PresignTicket = {
        stream: key,
        rawEnd: rawFirst + count - 1n,
        count,
        previous: plans.tail,
        settle,
        settled: false,
      };
      plans.tail = done;
      return { first, eventIds, signingHashes: items.map((v) => v.message), hashes, seed: this.signingSeed, ticket };
    } catch (err) {
      this.logger?.warn({ err }, "planning presigned receipts failed (signing inline)");
      return undefined;
    }
  }

  /**
   * The presigned receipts of a plan from the pool's signatures of its hashes (none when signing failed: every event
   * then misses and is signed inline), with the plan's ticket.
   */
  complete(plan: PresignPlan, signatures: readonly Uint8Array[] | undefined): Presigned {
    const receipts = new Map<string, PresignedReceipt>();
    if (signatures === undefined || signatures.length !== plan.hashes.length) {
      this.logger?.warn("presigning receipts on the worker pool failed (signing inline)");
      return { receipts, ticket: plan.ticket };
    }
    for (let k = 0; k < plan.hashes.length; k++) {
      receipts.set(plan.eventIds[k]!, {
        sequenceNumber: plan.first + BigInt(k),
        eventSigningHash: plan.signingHashes[k]!,
        receiptHash: plan.hashes[k]!,
        signature: signatures[k]!,
      });
    }
    return { receipts, ticket: plan.ticket };
  }

  /**
   * Waits until every request planned before `ticket` on its stream has appended or given up (at most
   * `turnWaitMs`, 10 s by default: a stuck request only costs the later ones their presigned receipts).
   */
  async turn(ticket: PresignTicket): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger?.warn({ stream: ticket.stream }, "an earlier request on the stream is slow to append: not waiting");
        resolve();
      }, this.turnWaitMs);
      timer.unref();
    });
    await Promise.race([ticket.previous, late]);
    clearTimeout(timer);
  }

  /** Ends a ticket after its append: the stream reached `headSequence`; `hits` receipts were used as presigned. */
  appended(ticket: PresignTicket, headSequence: bigint, hits: number, misses: number): void {
    if (ticket.settled) return;
    this.hitCount += hits;
    this.missCount += misses;
    const plans = this.streams.get(ticket.stream);
    if (plans !== undefined) plans.drift = headSequence - ticket.rawEnd;
    this.end(ticket);
  }

  /**
   * Ends a ticket whose request appends nothing (every event rejected, or an error): once the requests before it have
   * settled, the numbers it reserved are given back to the guesses of the later ones. Never throws.
   */
  abandon(ticket: PresignTicket): void {
    if (ticket.settled) return;
    ticket.settled = true;
    void this.turn(ticket).then(() => {
      const plans = this.streams.get(ticket.stream);
      if (plans !== undefined) plans.drift -= ticket.count;
      ticket.settle();
    });
  }

  /** Receipts used as presigned, and those signed inline instead, since start. */
  stats(): { hits: number; misses: number } {
    return { hits: this.hitCount, misses: this.missCount };
  }

  private end(ticket: PresignTicket): void {
    ticket.settled = true;
    ticket.settle();
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
  readonly ticket: PresignTicket;
}

/** A request's presigned receipts by event id, and its ticket (to wait for its turn and to end). */
export interface Presigned {
  readonly receipts: Map<string, PresignedReceipt>;
  readonly ticket: PresignTicket;
}
