/**
 * Presigned receipts: the Presigner guesses the sequence numbers of a stream's large requests in plan order, makes
 * their appends wait their turn in that order, and follows what really happened (rejected events, requests that
 * append nothing, other writers) so that one miss does not make every later guess miss. The integration with a real
 * server, on both databases, is in test/offchain/sequencer/api.test.ts ("presigns the receipts of concurrent large
 * requests").
 */
import { randomBytes, randomUUID } from "node:crypto";

import { expect } from "chai";

import { Presigner, type PresignTicket } from "../../../../offchain/sequencer";
import type { VesEvent } from "../../../../offchain/ves";

describe("sequencer presigner", function () {
  const stream = { tenantId: randomUUID(), storeId: randomUUID() };
  let head = 0n;
  let headReads = 0;
  const store = {
    headSequence: async () => {
      headReads++;
      return head;
    },
  };
  const seed = new Uint8Array(32).fill(7);

  const plan = async (p: Presigner, n: number) => {
    const events = Array.from({ length: n }, () => ({ eventId: randomUUID() }) as unknown as VesEvent);
    const items = events.map((_, i) => ({ i, message: new Uint8Array(randomBytes(32)) }));
    const planned = await p.plan(stream, items, events);
    expect(planned).to.not.equal(undefined);
    return planned!;
  };

  /** Whether the ticket's turn has come (the earlier plans settled) within a few event-loop turns. */
  const turnCame = async (p: Presigner, t: PresignTicket) => {
    let came = false;
    void p.turn(t).then(() => (came = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return came;
  };

  beforeEach(() => {
    head = 0n;
    headReads = 0;
  });

  it("guesses consecutive numbers for concurrent plans from one head read, and orders their appends", async () => {
    head = 41n;
    const p = new Presigner(store, seed, undefined);
    const [a, b] = await Promise.all([plan(p, 3), plan(p, 2)]);
    expect(headReads).to.be.at.most(2);
    expect([a.first, b.first]).to.deep.equal([42n, 45n]);
    expect(a.hashes).to.have.length(3);
    expect(await turnCame(p, a.ticket)).to.equal(true);
    expect(await turnCame(p, b.ticket)).to.equal(false);
    p.appended(a.ticket, 44n, 3, 0);
    expect(await turnCame(p, b.ticket)).to.equal(true);
    p.appended(b.ticket, 46n, 2, 0);
    expect((await plan(p, 1)).first).to.equal(47n);
    expect(p.stats()).to.deep.equal({ hits: 5, misses: 0 });
  });

  it("follows a request that appended fewer events than planned: later plans guess right again", async () => {
    const p = new Presigner(store, seed, undefined);
    const a = await plan(p, 3); // 1..3
    const b = await plan(p, 2); // 4..5, but a loses one event: b gets 3..4 and misses
    p.appended(a.ticket, 2n, 1, 1);
    const c = await plan(p, 2); // planned after a settled: behind b's real 3..4
    expect(c.first).to.equal(5n);
    p.appended(b.ticket, 4n, 0, 2);
    p.appended(c.ticket, 6n, 2, 0);
    expect((await plan(p, 1)).first).to.equal(7n);
  });

  it("gives back the numbers of a request that appended nothing, in its turn", async () => {
    const p = new Presigner(store, seed, undefined);
    const a = await plan(p, 2); // 1..2
    const b = await plan(p, 3); // 3..5
    const c = await plan(p, 1); // 6
    p.abandon(b.ticket); // b's numbers go back once a has settled
    p.abandon(b.ticket); // ending a ticket twice does nothing
    expect(await turnCame(p, c.ticket)).to.equal(false);
    p.appended(a.ticket, 2n, 2, 0);
    expect(await turnCame(p, c.ticket)).to.equal(true);
    expect((await plan(p, 1)).first).to.equal(4n); // after c, which will really get 3
    p.appended(c.ticket, 3n, 0, 1);
    p.appended(c.ticket, 99n, 1, 0); // settled already: ignored
    expect((await plan(p, 1)).first).to.equal(5n);
  });

  it("follows other writers on the stream from the head each append reaches", async () => {
    const p = new Presigner(store, seed, undefined);
    const a = await plan(p, 2); // 1..2, but another process appended 10 events first
    p.appended(a.ticket, 12n, 0, 2);
    expect((await plan(p, 4)).first).to.equal(13n);
  });

  it("still plans when out-of-order settlements left the guess below 1, and the append corrects it", async () => {
    const p = new Presigner(store, seed, undefined);
    const a = await plan(p, 5); // 1..5, slow
    const b = await plan(p, 1); // 6: its turn timed out, it appended first and got 1
    p.appended(b.ticket, 1n, 0, 1);
    p.abandon(a.ticket); // a appends nothing: its numbers go back once more
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const c = await plan(p, 1); // raw 7 plus the drift is below 1: a guess of 1, not a failed plan
    expect(c.first).to.equal(1n);
    p.appended(c.ticket, 2n, 0, 1);
    expect((await plan(p, 2)).first).to.equal(3n);
  });

  it("takes no ticket when planning fails, so later requests do not wait for it", async () => {
    const p = new Presigner(store, seed, undefined, 60_000);
    const x = await plan(p, 1);
    p.appended(x.ticket, 1n, 1, 0);
    const bad = [{ eventId: "not-a-uuid" } as unknown as VesEvent];
    expect(await p.plan(stream, [{ i: 0, message: new Uint8Array(32) }], bad)).to.equal(undefined);
    const a = await plan(p, 1);
    expect(a.first).to.equal(2n); // the failed plan reserved no number
    expect(await turnCame(p, a.ticket)).to.equal(true);
  });

  it("lets a request append without its turn when an earlier one never settles", async () => {
    const p = new Presigner(store, seed, undefined, 50);
    await plan(p, 1); // never settled
    const b = await plan(p, 1);
    const began = Date.now();
    await p.turn(b.ticket);
    expect(Date.now() - began).to.be.at.least(45);
  });
});
