/**
 * A push killed mid-flight: 3,000 queued events, `stateset-sync push` run as a real child process and killed with
 * SIGKILL while its second request (of three) is out, then `push` again. The sequencer must hold each event exactly
 * once, and the outbox must agree with it event by event (state and sequence number).
 */
import { spawn } from "node:child_process";

import { expect } from "chai";

import { Agent } from "../../offchain/agent";
import { client } from "../support/sequencer";
import { BIN, setUpAgent, startStack, syncBin, tempDir, type Stack } from "../support/agent";

const EVENTS = 3000;

describe("stateset-sync push killed mid-flight", function () {
  this.timeout(300_000);

  let stack: Stack;
  let remove: () => void;

  before(async function () {
    stack = await startStack();
  });

  after(async function () {
    await stack?.stop();
    remove?.();
  });

  it("re-sends after SIGKILL without duplicating or losing an event", async function () {
    const t = tempDir();
    remove = t.remove;
    const home = await setUpAgent(stack, t.dir);
    const agent = Agent.open({ cwd: t.dir, env: home.env });
    try {
      for (let i = 0; i < EVENTS; i++) {
        await agent.append({ entityType: "note", entityId: `N-${i}`, eventType: "note.added", payload: { i } });
      }
    } finally {
      agent.close();
    }

    // First push: killed when the second request is announced (its rows are marked `sending` before it goes out).
    const killed = await new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "push"], {
        cwd: t.dir,
        env: { PATH: process.env.PATH, ...home.env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if ((stderr.match(/^sending /gm) ?? []).length >= 2) child.kill("SIGKILL");
      });
      child.on("exit", (_code, signal) => resolve({ signal, stderr }));
    });
    expect(killed.signal, killed.stderr).to.equal("SIGKILL");

    const mid = Agent.open({ cwd: t.dir, env: home.env });
    const counts = mid.outboxCounts();
    mid.close();
    expect(counts.acknowledged).to.equal(1000);
    expect(counts.pending + counts.sending).to.equal(EVENTS - 1000);

    // Second push: recovers the interrupted rows and finishes.
    const again = await syncBin(["push", "--json"], t.dir, home.env);
    expect(again.code, again.stderr).to.equal(0);
    expect(Number(again.json.acknowledged)).to.equal(EVENTS - 1000);
    expect(again.json.rejected).to.deep.equal([]);

    // The sequencer holds each event exactly once.
    const api = client(stack.url, home.env.STATESET_API_KEY);
    const held = new Map<string, bigint>();
    let from = 1n;
    let head: bigint | undefined;
    for (;;) {
      const page = await api.get(
        `/api/v1/ves/events?tenant_id=${stack.tenantId}&store_id=${stack.storeId}&from=${from}&limit=1000`,
      );
      expect(page.status, page.text).to.equal(200);
      const events = page.json.events as unknown as { event_id: string; sequence_number: bigint }[];
      for (const e of events) {
        expect(held.has(e.event_id), `event ${e.event_id} held twice`).to.equal(false);
        held.set(e.event_id, BigInt(e.sequence_number));
      }
      head = BigInt(page.json.head_sequence as unknown as bigint);
      if (page.json.has_more !== true || events.length === 0) break;
      from = BigInt(page.json.next as unknown as bigint);
    }
    expect(head).to.equal(BigInt(EVENTS));
    expect(held.size).to.equal(EVENTS);

    // The outbox agrees: every event acknowledged with the sequencer's sequence number.
    const end = Agent.open({ cwd: t.dir, env: home.env });
    try {
      const rows = end.outboxEntries({ limit: EVENTS + 1 });
      expect(rows).to.have.length(EVENTS);
      for (const r of rows) {
        expect(r.status).to.equal("acknowledged");
        expect(r.sequenceNumber).to.equal(held.get(r.eventId));
      }
    } finally {
      end.close();
    }
  });
});
