/**
 * The automatic commit worker (what the reference lacks, §8.1): it seals a stream's pending events into a commitment
 * when `maxEvents` are waiting or the oldest has waited `maxWaitMs`. Commitments hold at most `maxEvents` events, so a
 * batch proof can cover one. With several processes on PostgreSQL only the leader (an advisory lock) works.
 */
import type { Logger } from "../../common";
import type { SequencerService } from "../service";

/** Settings of the worker. */
export interface CommitWorkerOptions {
  readonly maxEvents: number;
  readonly maxWaitMs: number;
  readonly intervalMs: number;
}

const LEADERSHIP = "ves-commit-worker";

/** A periodic commit loop with `start()` / `stop()`. */
export class CommitWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private leading = false;
  private stopped = true;

  constructor(
    private readonly service: SequencerService,
    private readonly options: CommitWorkerOptions,
    private readonly log: Logger,
  ) {}

  /** Starts ticking every `intervalMs`. */
  start(): void {
    this.stopped = false;
    const loop = () => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, "commit worker tick failed"))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(loop, this.options.intervalMs);
  }

  /** Stops after the current tick and gives up leadership. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
    if (this.leading) await this.service.store.releaseLeadership(LEADERSHIP).catch(() => undefined);
    this.leading = false;
  }

  /** One pass: commits every stream that is due; returns the number of commitments made. */
  async tick(now: number = Date.now()): Promise<number> {
    // 1. Only the leader commits.
    if (!this.leading) this.leading = await this.service.store.tryAcquireLeadership(LEADERSHIP);
    if (!this.leading) return 0;
    // 2. Streams with pending events; full batches first, then any that waited long enough.
    let made = 0;
    for (const s of await this.service.store.pendingStreams(1000)) {
      let start = s.firstPending;
      const stream = { tenantId: s.tenantId, storeId: s.storeId };
      while (!this.stopped && start <= s.headSequence) {
        const pending = s.headSequence - start + 1n;
        const due =
          pending >= BigInt(this.options.maxEvents) || now - Date.parse(s.oldestPendingAt) >= this.options.maxWaitMs;
        if (!due) break;
        const size = pending < BigInt(this.options.maxEvents) ? pending : BigInt(this.options.maxEvents);
        const end = start + size - 1n;
        const { commitment } = await this.service.commit(stream, start, end);
        this.log.info(
          { batchId: commitment.batchId, tenantId: s.tenantId, storeId: s.storeId, start, end },
          "commitment created",
        );
        made++;
        start = end + 1n;
      }
    }
    return made;
  }
}
