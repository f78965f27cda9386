/**
 * The ingest verification pool: its answers match `ed25519Node.verify` item for item, in order, for the packed
 * records of the ingest case (64-byte signature, 32-byte hash, 32-byte key) and for items of any other size, and a
 * public key OpenSSL cannot use is a failed check, not an error. Two workers, about a hundred signatures: well under
 * a second.
 */
import { randomBytes } from "node:crypto";

import { expect } from "chai";

import { VerifyPool, type VerifyItem } from "../../../../offchain/sequencer";
import { ed25519Keygen, ed25519Node } from "../../../../offchain/ves";

describe("sequencer verify pool", function () {
  let pool: VerifyPool;
  before(() => {
    pool = new VerifyPool(2);
  });
  after(async () => {
    await pool.close();
  });

  const signed = (n: number, keys = [ed25519Keygen(), ed25519Keygen()]): VerifyItem[] =>
    Array.from({ length: n }, (_, i) => {
      const k = keys[i % keys.length]!;
      const message = new Uint8Array(randomBytes(32));
      return { message, signature: ed25519Node.sign(message, k.secretKey), publicKey: k.publicKey };
    });

  it("answers each packed record in order, under several keys", async () => {
    const items = signed(40);
    items[3] = { ...items[3]!, signature: items[4]!.signature }; // another message's signature
    items[10] = { ...items[10]!, publicKey: items[11]!.publicKey }; // the other agent's key
    const tampered = new Uint8Array(items[20]!.message);
    tampered[0]! ^= 1;
    items[20] = { ...items[20]!, message: tampered };
    items[30] = { ...items[30]!, publicKey: new Uint8Array(32).fill(0xff) }; // not a usable point
    const got = await pool.verifyAll(items);
    expect(got).to.have.length(40);
    expect(got).to.deep.equal(items.map((it) => ed25519Node.verify(it.signature, it.message, it.publicKey)));
    expect(got.flatMap((ok, i) => (ok ? [] : [i]))).to.deep.equal([3, 10, 20, 30]);
  });

  it("checks items of other sizes too (unpacked), with the same answers", async () => {
    const k = ed25519Keygen();
    const items = signed(20, [k]);
    const long = new Uint8Array(randomBytes(100));
    items[5] = { message: long, signature: ed25519Node.sign(long, k.secretKey), publicKey: k.publicKey };
    items[6] = { ...items[6]!, signature: items[6]!.signature.slice(0, 63) }; // truncated signature
    const got = await pool.verifyAll(items);
    expect(got.flatMap((ok, i) => (ok ? [] : [i]))).to.deep.equal([6]);
  });

  it("resolves an empty request with no answers", async () => {
    expect(await pool.verifyAll([])).to.deep.equal([]);
    expect(await pool.signAll(new Uint8Array(32), [])).to.deep.equal([]);
  });

  it("signs hashes in order with the seed's key, the same bytes as the main thread", async () => {
    const k = ed25519Keygen();
    const hashes = Array.from({ length: 25 }, () => new Uint8Array(randomBytes(32)));
    const got = await pool.signAll(k.secretKey, hashes);
    expect(got.map((s) => Buffer.from(s).toString("hex"))).to.deep.equal(
      hashes.map((h) => Buffer.from(ed25519Node.sign(h, k.secretKey)).toString("hex")),
    );
    // A second seed replaces the first worker-side.
    const k2 = ed25519Keygen();
    const [sig] = await pool.signAll(k2.secretKey, [hashes[0]!]);
    expect(ed25519Node.verify(sig!, hashes[0]!, k2.publicKey)).to.equal(true);
    expect(ed25519Node.verify(sig!, hashes[0]!, k.publicKey)).to.equal(false);
  });

  it("checks and signs in one message per worker, with the same answers as verifyAll and signAll", async () => {
    const k = ed25519Keygen();
    const sign = (n: number) => ({
      seed: k.secretKey,
      hashes: Array.from({ length: n }, () => new Uint8Array(randomBytes(32))),
    });
    const hex = (xs: readonly Uint8Array[] | undefined) => xs?.map((x) => Buffer.from(x).toString("hex"));
    // As many hashes as checks (the ingest case), more, fewer, none; packed and unpacked checks.
    const unpacked = signed(9);
    const long = new Uint8Array(randomBytes(50));
    unpacked[2] = { message: long, signature: ed25519Node.sign(long, k.secretKey), publicKey: k.publicKey };
    unpacked[4] = { ...unpacked[4]!, signature: unpacked[5]!.signature };
    for (const [items, work] of [
      [signed(33), sign(33)],
      [signed(5), sign(12)],
      [signed(12), sign(1)],
      [signed(7), sign(0)],
      [[], sign(3)],
      [unpacked, sign(9)],
    ] as const) {
      const got = await pool.verifyAndSign(items, work);
      expect(got.valid).to.deep.equal(await pool.verifyAll(items));
      expect(got.valid).to.deep.equal(items.map((it) => ed25519Node.verify(it.signature, it.message, it.publicKey)));
      expect(hex(got.signatures)).to.deep.equal(hex(await pool.signAll(work.seed, work.hashes)));
      expect(hex(got.signatures)).to.deep.equal(hex(work.hashes.map((h) => ed25519Node.sign(h, k.secretKey))));
    }
    const onlyChecks = await pool.verifyAndSign(signed(3));
    expect(onlyChecks).to.deep.equal({ valid: [true, true, true], signatures: undefined });
  });

  it("refuses a seed or a hash of the wrong size", async () => {
    await pool.signAll(new Uint8Array(31), [new Uint8Array(32)]).then(
      () => expect.fail("a 31-byte seed was accepted"),
      (e: Error) => expect(e.message).to.match(/signing seed: 32 bytes/),
    );
    await pool.signAll(new Uint8Array(32), [new Uint8Array(33)]).then(
      () => expect.fail("a 33-byte hash was accepted"),
      (e: Error) => expect(e.message).to.match(/hash 0: 32 bytes/),
    );
  });

  it("fails the jobs of a worker that dies, replaces it, and answers later jobs in full", async () => {
    const own = new VerifyPool(2);
    try {
      const items = signed(600);
      const doomed = own.verifyAll(items); // half of it goes to the worker in slot 0
      // A thread dying mid-job (out of memory, a native crash) is a fault a test can only cause by terminating it.
      await (own as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0]!.terminate();
      await doomed.then(
        () => expect.fail("a job of the dead worker was answered"),
        (e: Error) => expect(e.message).to.match(/worker exited/),
      );
      const again = signed(40);
      again[5] = { ...again[5]!, signature: again[6]!.signature };
      for (let round = 0; round < 3; round++) {
        const got = await own.verifyAll(again); // both slots answer (round robin), the new worker included
        expect(got.flatMap((ok, i) => (ok ? [] : [i]))).to.deep.equal([5]);
      }
    } finally {
      await own.close();
    }
  });

  it("fails instead of hanging once closed, also for jobs still waiting", async () => {
    const own = new VerifyPool(1);
    const waiting = own.verifyAll(signed(400));
    await own.close();
    await waiting.then(
      () => undefined, // answered before the worker stopped: fine
      (e: Error) => expect(e.message).to.match(/closed|exited/),
    );
    await own.verifyAll(signed(2)).then(
      () => expect.fail("a closed pool answered"),
      (e: Error) => expect(e.message).to.match(/verify pool is closed/),
    );
  });
});
