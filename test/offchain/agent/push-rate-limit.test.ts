/**
 * `push` against a sequencer that rate-limits the agent's key: a 429 makes the agent wait as Retry-After says, with
 * the events left `pending` and no retry counted, and the push then completes; nothing is sent twice.
 */
import { expect } from "chai";

import { Agent } from "../../../offchain/agent";
import { client } from "../../support/sequencer";
import { setUpAgent, startStack, tempDir, type Stack } from "../../support/agent";
import { startOfWindow } from "../../support/time";

describe("stateset-sync push under the sequencer's rate limit", function () {
  this.timeout(90_000);

  let stack: Stack;
  let remove: () => void = () => undefined;

  before(async function () {
    // Three requests per key per two-second window: one push of six events in requests of two must meet a 429.
    stack = await startStack({ rateLimitPerKey: 3, rateLimitWindowSeconds: 2 });
  });

  after(async function () {
    await stack?.stop();
    remove();
  });

  it("waits as Retry-After says on 429, keeps the events pending without a retry count, then delivers each once", async function () {
    const t = tempDir();
    remove = t.remove;
    const home = await setUpAgent(stack, t.dir);
    expect((await home.run(["config", "set", "batch-size", "2"])).code).to.equal(0);
    for (let i = 0; i < 6; i++) {
      const r = await home.run([
        "append",
        "--entity-type",
        "note",
        "--entity-id",
        `N-${i}`,
        "--event-type",
        "note.added",
        "--payload",
        `{"n":${i}}`,
        "--json",
      ]);
      expect(r.code, r.stderr).to.equal(0);
    }

    const waits: number[] = [];
    const progress: string[] = [];
    let statesDuringWait: { status: string; retryCount: number }[][] = [];
    const agent = Agent.open({
      cwd: t.dir,
      env: home.env,
      onProgress: (m) => progress.push(m),
      sleep: async (ms: number) => {
        waits.push(ms);
        statesDuringWait.push(
          agent
            .outboxEntries()
            .filter((e) => e.status !== "acknowledged")
            .map((e) => ({ status: e.status, retryCount: e.retryCount })),
        );
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    try {
      // Its four requests (a key lookup and three ingests) then fall into one window, so the fourth meets a 429.
      await startOfWindow(2000);
      const result = await agent.push();
      expect(result.acknowledged).to.equal(6);
      expect(result.rejected).to.deep.equal([]);
      expect(result.pending).to.equal(0);
      expect(waits.length, progress.join("\n")).to.be.greaterThan(0);
      // Retry-After is whole seconds (at least 1): the wait follows it, not the exponential backoff's base.
      for (const w of waits) expect(w).to.be.within(1000, 2000);
      expect(
        progress.some((m) => /rate/i.test(m) || /429/.test(m)),
        progress.join("\n"),
      ).to.equal(true);
      // While waiting, every undelivered event was pending with no retry counted against it.
      statesDuringWait = statesDuringWait.filter((s) => s.length > 0);
      expect(statesDuringWait.length).to.be.greaterThan(0);
      for (const s of statesDuringWait) {
        for (const e of s) expect(e).to.deep.equal({ status: "pending", retryCount: 0 });
      }
      expect(agent.outboxCounts()).to.include({ pending: 0, acknowledged: 6, rejected: 0 });
    } finally {
      agent.close();
    }

    // The sequencer holds each event exactly once, sequences 1..6.
    const reader = client(stack.url, home.env.STATESET_API_KEY);
    let page: { status: number; json: Record<string, unknown> } | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      page = await reader.get(
        `/api/v1/ves/events?tenant_id=${stack.tenantId}&store_id=${stack.storeId}&from=1&limit=100`,
      );
      if (page.status !== 429) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(page!.status).to.equal(200);
    const events = page!.json.events as unknown as { event_id: string }[];
    expect(events).to.have.length(6);
    expect(new Set(events.map((e) => e.event_id)).size).to.equal(6);
  });
});
