/**
 * The sequencer store's behavioural suite, run against both backends: SQLite (a fresh temp file per test) and
 * PostgreSQL (a uniquely named database per run of the suite, its schema dropped and re-migrated before each test).
 * PostgreSQL comes from SEQUENCER_TEST_DATABASE_URL, which `npm test` (scripts/test.sh) provides; without it the
 * PostgreSQL suite fails rather than skips. Receipts and commitments come from a deterministic fake factory and
 * builder (SHA-256 of their inputs): the store only has to keep them byte for byte.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Client } from "pg";

import {
  openPostgresStore,
  openSqliteStore,
  type AgentKey,
  type AppendOutcome,
  type ApiKeyRecord,
  type CommitmentBuilder,
  type EventCandidate,
  type ReceiptFactory,
  type SequencerStore,
  type StoredCommitment,
  type StoredReceipt,
  type StreamRef,
} from "../../../../offchain/sequencer";
import { freshDatabase } from "../../../support/postgres";
import { waitFor } from "../../../support/time";

// Fixtures ------------------------------------------------------------------------------------------------------------

const sha256 = (...parts: (string | Uint8Array)[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));
const newStream = (): StreamRef => ({ tenantId: randomUUID(), storeId: randomUUID() });
const ZERO_ROOT = new Uint8Array(32);
const SEQUENCER_ID = "5f0c6a6e-2d5e-4f8e-9a3c-0b7c1d2e3f40";

/** A candidate event; `variant` changes its content (not its id), `commandId`/`baseVersion` as given. */
function candidate(
  options: { eventId?: string; entityId?: string; commandId?: string; baseVersion?: bigint; variant?: string } = {},
): EventCandidate {
  const eventId = options.eventId ?? randomUUID();
  const entityId = options.entityId ?? `order-${eventId.slice(0, 8)}`;
  const envelope = {
    event_id: eventId,
    entity_id: entityId,
    command_id: options.commandId ?? null,
    base_version: options.baseVersion?.toString() ?? null,
    variant: options.variant ?? "",
    amount: 18446744073709551615n.toString(),
  };
  const envelopeJson = JSON.stringify(envelope).replace(/"amount":"(\d+)"/, '"amount":$1');
  return {
    eventId,
    sourceAgentId: "0b6f2f6e-8b1a-4c3d-9e2f-1a2b3c4d5e6f",
    agentKeyId: 1,
    entityType: "order",
    entityId,
    eventType: "order.created",
    ...(options.commandId === undefined ? {} : { commandId: options.commandId }),
    ...(options.baseVersion === undefined ? {} : { baseVersion: options.baseVersion }),
    eventSigningHash: sha256("signing", eventId, options.variant ?? ""),
    agentSignature: new Uint8Array([...sha256("sig-a", eventId), ...sha256("sig-b", eventId)]),
    contentHash: sha256(envelopeJson),
    envelopeJson,
  };
}

/** Deterministic receipts; `sequencedAt` has nanoseconds so that any re-formatting by the database shows. */
function receiptFactory(): ReceiptFactory & { calls: number } {
  const factory = ((c: EventCandidate, sequenceNumber: bigint): StoredReceipt => {
    factory.calls += 1;
    const nanos = String(factory.calls).padStart(9, "0");
    return {
      sequencerId: SEQUENCER_ID,
      sequenceNumber,
      sequencedAt: `2025-06-01T12:00:00.${nanos}+00:00`,
      receiptHash: sha256("receipt", c.eventId, sequenceNumber.toString()),
      signature: factory.calls % 2 === 0 ? null : new Uint8Array(64).fill(factory.calls % 251),
      keyVersion: 0,
    };
  }) as ReceiptFactory & { calls: number };
  factory.calls = 0;
  return factory;
}

/** A fake commitment builder that records the previous state root it was given. */
function commitmentBuilder(batchId: string): CommitmentBuilder & { prevRoots: Uint8Array[] } {
  const prevRoots: Uint8Array[] = [];
  const build: CommitmentBuilder = (stream, range, leaves, prevStateRoot) => {
    prevRoots.push(prevStateRoot);
    const merkleRoot = sha256(...leaves.flatMap((l) => [l.eventSigningHash, l.agentSignature]));
    const padded = 2 ** Math.ceil(Math.log2(Math.max(leaves.length, 1)));
    return {
      batchId,
      tenantId: stream.tenantId,
      storeId: stream.storeId,
      vesVersion: 1,
      treeDepth: Math.log2(padded),
      leafCount: leaves.length,
      paddedLeafCount: padded,
      merkleRoot,
      prevStateRoot,
      newStateRoot: sha256(prevStateRoot, merkleRoot),
      sequenceStart: range.start,
      sequenceEnd: range.end,
    };
  };
  return Object.assign(build, { prevRoots });
}

function accepted(outcome: AppendOutcome | undefined): StoredReceipt {
  expect(
    outcome?.kind,
    JSON.stringify(outcome, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v)),
  ).to.equal("accepted");
  return (outcome as { receipt: StoredReceipt }).receipt;
}

function receiptHex(r: StoredReceipt) {
  return {
    sequencerId: r.sequencerId,
    sequenceNumber: r.sequenceNumber,
    sequencedAt: r.sequencedAt,
    receiptHash: hex(r.receiptHash),
    signature: hex(r.signature),
    keyVersion: r.keyVersion,
  };
}

// Backends ------------------------------------------------------------------------------------------------------------

/** A database for one test: opens store instances on it (all closed after the test). */
interface TestDb {
  open(): SequencerStore;
}

interface Backend {
  readonly name: string;
  readonly kind: "sqlite" | "postgres";
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh, empty (not yet migrated) database. */
  fresh(): Promise<TestDb>;
}

function sqliteBackend(): Backend {
  let root = "";
  return {
    name: "SQLite store",
    kind: "sqlite",
    async setUp() {
      root = mkdtempSync(path.join(os.tmpdir(), "ves-store-test-"));
    },
    async tearDown() {
      if (root !== "") rmSync(root, { recursive: true, force: true });
    },
    async fresh() {
      const file = path.join(root, `${randomUUID()}.db`);
      return { open: () => openSqliteStore(file) };
    },
  };
}

/** The PostgreSQL backend also tells its database's URL. */
interface PostgresBackend extends Backend {
  url(): string;
}

function postgresBackend(): PostgresBackend {
  let dbUrl = "";
  let drop: (() => Promise<void>) | undefined;
  return {
    name: "PostgreSQL store",
    kind: "postgres",
    url: () => dbUrl,
    async setUp() {
      const db = await freshDatabase("ves_store_test");
      dbUrl = db.url;
      drop = db.drop;
    },
    async tearDown() {
      await drop?.();
      drop = undefined;
    },
    async fresh() {
      const c = new Client({ connectionString: dbUrl });
      await c.connect();
      try {
        await c.query("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
      } finally {
        await c.end();
      }
      return { open: () => openPostgresStore(dbUrl, { poolSize: 12 }) };
    },
  };
}

// The suite -----------------------------------------------------------------------------------------------------------

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(backend.name, function () {
    let db: TestDb;
    let opened: SequencerStore[] = [];
    let store: SequencerStore;

    /** Another store instance on the test's database (for PostgreSQL: another pool, as another process would). */
    const another = async (): Promise<SequencerStore> => {
      const s = db.open();
      opened.push(s);
      await s.migrate();
      return s;
    };
    /** Runs `fn` on a plain client of the test's PostgreSQL database. */
    const postgresAdmin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
      const c = new Client({ connectionString: (backend as PostgresBackend).url() });
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    };
    /**
     * A concurrent writer beside `store`: another instance on PostgreSQL; `store` itself on SQLite, whose file one
     * process owns (a second connection in the same thread would wait synchronously for the first one's lock).
     */
    const peer = async (): Promise<SequencerStore> => (backend.kind === "postgres" ? another() : store);

    before(async function () {
      await backend.setUp();
    });

    after(async function () {
      await backend.tearDown();
    });

    beforeEach(async function () {
      opened = [];
      db = await backend.fresh();
      store = await another();
    });

    afterEach(async function () {
      for (const s of opened) await s.close();
    });

    describe("schema and lifecycle", function () {
      it("reports its kind and answers ping", async function () {
        expect(store.kind).to.equal(backend.kind);
        await store.ping();
      });

      it("migrate is idempotent, keeps the data, and may run from several instances at once", async function () {
        const stream = newStream();
        await store.appendEvents(stream, [candidate()], receiptFactory());
        await store.migrate();
        await store.migrate();
        const others = [db.open(), db.open(), db.open()];
        opened.push(...others);
        await Promise.all(others.map((s) => s.migrate()));
        expect(await store.headSequence(stream)).to.equal(1n);
        expect(await others[0]!.headSequence(stream)).to.equal(1n);
      });

      it("migrates a brand-new database concurrently from several instances", async function () {
        const fresh = await backend.fresh();
        const stores = [fresh.open(), fresh.open(), fresh.open()];
        opened.push(...stores);
        await Promise.all(stores.map((s) => s.migrate()));
        const stream = newStream();
        await stores[1]!.appendEvents(stream, [candidate()], receiptFactory());
        expect(await stores[2]!.headSequence(stream)).to.equal(1n);
      });

      it("fails calls after close", async function () {
        const s = await another();
        await s.close();
        let failed = false;
        try {
          await s.headSequence(newStream());
        } catch {
          failed = true;
        }
        expect(failed, "a call after close() must fail").to.be.true;
      });
    });

    describe("appendEvents", function () {
      it("assigns 1..n gap-free in request order and keeps each receipt, envelope and hash", async function () {
        const stream = newStream();
        const receipts = receiptFactory();
        const first = [candidate(), candidate(), candidate()];
        const r1 = await store.appendEvents(stream, first, receipts);
        expect(r1.headSequence).to.equal(3n);
        expect(r1.outcomes.map((o) => accepted(o).sequenceNumber)).to.deep.equal([1n, 2n, 3n]);
        const second = [candidate(), candidate()];
        const r2 = await store.appendEvents(stream, second, receipts);
        expect(r2.outcomes.map((o) => accepted(o).sequenceNumber)).to.deep.equal([4n, 5n]);
        expect(await store.headSequence(stream)).to.equal(5n);

        const all = [...first, ...second];
        const listed = await store.listEvents(stream, 1n, 100);
        expect(listed.map((e) => e.eventId)).to.deep.equal(all.map((c) => c.eventId));
        expect(listed.map((e) => e.sequenceNumber)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
        const returned = [...r1.outcomes, ...r2.outcomes].map((o) => receiptHex(accepted(o)));
        listed.forEach((e, i) => {
          const c = all[i]!;
          expect(e.tenantId).to.equal(stream.tenantId);
          expect(e.storeId).to.equal(stream.storeId);
          expect(e.envelopeJson).to.equal(c.envelopeJson);
          expect(hex(e.eventSigningHash)).to.equal(hex(c.eventSigningHash));
          expect(hex(e.agentSignature)).to.equal(hex(c.agentSignature));
          expect(hex(e.contentHash)).to.equal(hex(c.contentHash));
          expect(receiptHex(e.receipt)).to.deep.equal(returned[i]);
          expect(e.batchId).to.be.null;
        });
        expect((await store.listEvents(stream, 4n, 1)).map((e) => e.sequenceNumber)).to.deep.equal([4n]);
        expect(await store.listEvents(stream, 6n, 10)).to.deep.equal([]);
      });

      it("keeps streams independent", async function () {
        const a = newStream();
        const b = { tenantId: a.tenantId, storeId: randomUUID() };
        const receipts = receiptFactory();
        await store.appendEvents(a, [candidate(), candidate()], receipts);
        const rb = await store.appendEvents(b, [candidate()], receipts);
        expect(accepted(rb.outcomes[0]).sequenceNumber).to.equal(1n);
        const ra = await store.appendEvents(a, [candidate()], receipts);
        expect(accepted(ra.outcomes[0]).sequenceNumber).to.equal(3n);
        expect(await store.headSequence(a)).to.equal(3n);
        expect(await store.headSequence(b)).to.equal(1n);
        expect(await store.headSequence(newStream())).to.equal(0n);
        expect(await store.listEvents(newStream(), 1n, 10)).to.deep.equal([]);
      });

      it("answers an empty request with the head", async function () {
        const stream = newStream();
        await store.appendEvents(stream, [candidate()], receiptFactory());
        const r = await store.appendEvents(stream, [], receiptFactory());
        expect(r).to.deep.equal({ outcomes: [], headSequence: 1n });
      });

      it("answers an exact replay with the stored receipt, byte-identical, without consuming a number", async function () {
        const stream = newStream();
        const c = candidate();
        const first = await store.appendEvents(stream, [c], receiptFactory());
        const original = accepted(first.outcomes[0]);
        // A later request, and the same event twice in one request, both replay.
        const again = await store.appendEvents(stream, [c, candidate(), c], receiptFactory());
        expect(again.outcomes[0]?.kind).to.equal("replay");
        expect(receiptHex((again.outcomes[0] as { receipt: StoredReceipt }).receipt)).to.deep.equal(
          receiptHex(original),
        );
        expect(accepted(again.outcomes[1]).sequenceNumber).to.equal(2n);
        expect(again.outcomes[2]?.kind).to.equal("replay");
        expect(again.headSequence).to.equal(2n);
        const byId = await store.getEventsById([c.eventId, randomUUID()]);
        expect([...byId.keys()]).to.deep.equal([c.eventId]);
        expect(receiptHex(byId.get(c.eventId)!.receipt)).to.deep.equal(receiptHex(original));
        expect(byId.get(c.eventId)!.receipt.sequencedAt).to.equal("2025-06-01T12:00:00.000000001+00:00");
        expect((await store.getEventsById([])).size).to.equal(0);
      });

      it("rejects the same event id with other contents, and in another stream", async function () {
        const stream = newStream();
        const c = candidate();
        await store.appendEvents(stream, [c], receiptFactory());
        const changed = candidate({ eventId: c.eventId, variant: "changed" });
        const r = await store.appendEvents(stream, [changed], receiptFactory());
        expect(r.outcomes[0]).to.deep.equal({
          kind: "rejected",
          reason: "duplicate_event_id",
          message: "Event ID already exists with different contents",
        });
        expect(r.headSequence).to.equal(1n);
        const other = newStream();
        const r2 = await store.appendEvents(other, [c], receiptFactory());
        expect(r2.outcomes[0]).to.deep.equal({
          kind: "rejected",
          reason: "duplicate_event_id",
          message: "Event ID already exists",
        });
        expect(await store.headSequence(other)).to.equal(0n);
      });

      it("processes a command id once per stream: replay for the same event, duplicate otherwise", async function () {
        const stream = newStream();
        const commandId = randomUUID();
        const c = candidate({ commandId });
        const first = await store.appendEvents(stream, [c], receiptFactory());
        const original = accepted(first.outcomes[0]);
        const other = candidate({ commandId });
        const r = await store.appendEvents(stream, [c, other, candidate()], receiptFactory());
        expect(r.outcomes[0]?.kind).to.equal("replay");
        expect(receiptHex((r.outcomes[0] as { receipt: StoredReceipt }).receipt)).to.deep.equal(receiptHex(original));
        expect(r.outcomes[1]).to.deep.equal({
          kind: "rejected",
          reason: "duplicate_command_id",
          message: `Command ${commandId} already processed`,
        });
        expect(accepted(r.outcomes[2]).sequenceNumber).to.equal(2n);
        // Within one request: the second use of a fresh command id is a duplicate.
        const fresh = randomUUID();
        const r2 = await store.appendEvents(
          stream,
          [candidate({ commandId: fresh }), candidate({ commandId: fresh })],
          receiptFactory(),
        );
        expect(accepted(r2.outcomes[0]).sequenceNumber).to.equal(3n);
        expect(r2.outcomes[1]).to.include({ kind: "rejected", reason: "duplicate_command_id" });
        // Another stream has its own command ids.
        const r3 = await store.appendEvents(newStream(), [candidate({ commandId })], receiptFactory());
        expect(accepted(r3.outcomes[0]).sequenceNumber).to.equal(1n);
      });

      it("checks base_version against the entity's version (missing = 0); a conflict consumes no number", async function () {
        const stream = newStream();
        const entityId = `order-${randomUUID()}`;
        const r1 = await store.appendEvents(
          stream,
          [
            candidate({ entityId, baseVersion: 5n }),
            candidate({ entityId, baseVersion: 0n }),
            candidate({ entityId, baseVersion: 0n }),
            candidate({ entityId }),
            candidate({ entityId, baseVersion: 2n }),
          ],
          receiptFactory(),
        );
        expect(r1.outcomes[0]).to.include({ kind: "rejected", reason: "version_conflict: expected 5, actual 0" });
        expect(accepted(r1.outcomes[1]).sequenceNumber).to.equal(1n);
        expect(r1.outcomes[2]).to.include({ kind: "rejected", reason: "version_conflict: expected 0, actual 1" });
        expect(accepted(r1.outcomes[3]).sequenceNumber).to.equal(2n);
        expect(accepted(r1.outcomes[4]).sequenceNumber).to.equal(3n);
        const r2 = await store.appendEvents(
          stream,
          [candidate({ entityId, baseVersion: 2n }), candidate({ entityId, baseVersion: 3n })],
          receiptFactory(),
        );
        expect(r2.outcomes[0]).to.include({ kind: "rejected", reason: "version_conflict: expected 2, actual 3" });
        expect(accepted(r2.outcomes[1]).sequenceNumber).to.equal(4n);
        // The same entity in another stream starts at 0.
        const r3 = await store.appendEvents(newStream(), [candidate({ entityId, baseVersion: 0n })], receiptFactory());
        expect(accepted(r3.outcomes[0]).sequenceNumber).to.equal(1n);
        // A rejected command id is not reserved: it can be used again.
        const commandId = randomUUID();
        const r4 = await store.appendEvents(
          stream,
          [candidate({ entityId, baseVersion: 9n, commandId }), candidate({ entityId, baseVersion: 4n, commandId })],
          receiptFactory(),
        );
        expect(r4.outcomes[0]).to.include({ kind: "rejected", reason: "version_conflict: expected 9, actual 4" });
        expect(accepted(r4.outcomes[1]).sequenceNumber).to.equal(5n);
      });

      it("lets exactly one of two streams racing for one event id accept it, and never throws", async function () {
        const other = await peer();
        for (let i = 0; i < 10; i++) {
          const c = candidate();
          const [a, b] = await Promise.all([
            store.appendEvents(newStream(), [candidate(), c], receiptFactory()),
            other.appendEvents(newStream(), [c, candidate()], receiptFactory()),
          ]);
          const kinds = [a.outcomes[1]?.kind, b.outcomes[0]?.kind].sort();
          expect(kinds).to.deep.equal(["accepted", "rejected"]);
          const rejected = [a.outcomes[1], b.outcomes[0]].find((o) => o?.kind === "rejected");
          expect(rejected).to.include({ reason: "duplicate_event_id", message: "Event ID already exists" });
          expect(a.outcomes[0]?.kind).to.equal("accepted");
          expect(b.outcomes[1]?.kind).to.equal("accepted");
        }
      });

      it("completes two streams inserting the same two event ids in opposite orders", async function () {
        const other = await peer();
        const x = candidate();
        const y = candidate();
        const [a, b] = await Promise.all([
          store.appendEvents(newStream(), [x, y], receiptFactory()),
          other.appendEvents(newStream(), [y, x], receiptFactory()),
        ]);
        const kinds = [...a.outcomes, ...b.outcomes].map((o) => o.kind).sort();
        expect(kinds).to.deep.equal(["accepted", "accepted", "rejected", "rejected"]);
        const [stored] = [await store.getEventsById([x.eventId, y.eventId])];
        expect(stored.size).to.equal(2);
      });

      it("answers a request mixing every outcome per event, in order, and stores exactly the accepted rows", async function () {
        const stream = newStream();
        const entityId = `order-${randomUUID()}`;
        const commandId = randomUUID();
        const stored = candidate({ commandId });
        await store.appendEvents(stream, [stored, candidate({ entityId })], receiptFactory());
        const elsewhere = candidate();
        await store.appendEvents(newStream(), [elsewhere], receiptFactory());
        const fresh = Array.from({ length: 6 }, () => candidate());
        const changed = candidate({ eventId: stored.eventId, commandId, variant: "other" });
        const request = [
          fresh[0]!,
          stored, // exact replay
          fresh[1]!,
          candidate({ entityId, baseVersion: 0n }), // version conflict (the entity is at 1)
          fresh[2]!,
          candidate({ commandId }), // command id taken in this stream
          fresh[3]!,
          elsewhere, // id stored in another stream
          candidate({ entityId, baseVersion: 1n }), // accepted: the entity goes to 2
          changed, // same id, other contents
          fresh[4]!,
          candidate({ entityId, baseVersion: 1n }), // conflict with the bump earlier in this request
          fresh[5]!,
        ];
        const r = await store.appendEvents(stream, request, receiptFactory());
        expect(r.outcomes.map((o) => o.kind)).to.deep.equal([
          "accepted",
          "replay",
          "accepted",
          "rejected",
          "accepted",
          "rejected",
          "accepted",
          "rejected",
          "accepted",
          "rejected",
          "accepted",
          "rejected",
          "accepted",
        ]);
        expect(r.outcomes.flatMap((o) => (o.kind === "rejected" ? [o.reason] : []))).to.deep.equal([
          "version_conflict: expected 0, actual 1",
          "duplicate_command_id",
          "duplicate_event_id",
          "duplicate_event_id",
          "version_conflict: expected 1, actual 2",
        ]);
        const seqs = r.outcomes.flatMap((o) => (o.kind === "accepted" ? [o.receipt.sequenceNumber] : []));
        expect(seqs).to.deep.equal([3n, 4n, 5n, 6n, 7n, 8n, 9n]);
        expect(r.headSequence).to.equal(9n);
        expect(await store.headSequence(stream)).to.equal(9n);
        const rows = await store.listEvents(stream, 1n, 100);
        expect(rows.map((e) => e.sequenceNumber)).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
        const acceptedIds = request.filter((_, i) => r.outcomes[i]!.kind === "accepted").map((c) => c.eventId);
        expect(rows.slice(2).map((e) => e.eventId)).to.deep.equal(acceptedIds);
        rows.slice(2).forEach((e, k) => {
          const c = request.find((x) => x.eventId === e.eventId)!;
          expect(e.envelopeJson).to.equal(c.envelopeJson);
          expect(Buffer.from(e.contentHash).equals(Buffer.from(c.contentHash))).to.equal(true);
          expect(receiptHex(e.receipt)).to.deep.equal(receiptHex(accepted(r.outcomes[request.indexOf(c)])));
          expect(e.sequenceNumber).to.equal(seqs[k]);
        });
        const history = await store.entityHistory(stream, { entityType: "order", entityId }, 0, 10);
        expect(history.version).to.equal(2n);
      });

      it("stores every column byte for byte, whatever characters its text holds (quotes, backslashes, braces, NULL, unicode)", async function () {
        const stream = newStream();
        const odd = ['"', "\\", "{,}", "NULL", "null", "", " a b ", "ü€😀", "\\N", "'", "\t\n"];
        const request = odd.map((text, i) => {
          const c = candidate({ entityId: `e${text}${i}`, commandId: `cmd${text}${i}`, baseVersion: 0n });
          const envelopeJson = JSON.stringify({ text, i, nested: { quote: '"', backslash: "\\" } });
          return {
            ...c,
            entityType: `t${text}`,
            eventType: `ev${text}`,
            envelopeJson,
            contentHash: sha256(envelopeJson),
          };
        });
        const r = await store.appendEvents(stream, request, receiptFactory());
        expect(r.outcomes.map((o) => o.kind)).to.deep.equal(odd.map(() => "accepted"));
        const rows = await store.listEvents(stream, 1n, 100);
        expect(rows).to.have.length(odd.length);
        rows.forEach((e, k) => {
          const c = request[k]!;
          expect(e.eventId).to.equal(c.eventId);
          expect(e.envelopeJson).to.equal(c.envelopeJson);
          expect(Buffer.from(e.contentHash).equals(Buffer.from(c.contentHash))).to.equal(true);
          expect(Buffer.from(e.eventSigningHash).equals(Buffer.from(c.eventSigningHash))).to.equal(true);
          expect(Buffer.from(e.agentSignature).equals(Buffer.from(c.agentSignature))).to.equal(true);
          expect(receiptHex(e.receipt)).to.deep.equal(receiptHex(accepted(r.outcomes[k])));
        });
        for (const c of request) {
          const history = await store.entityHistory(stream, { entityType: c.entityType, entityId: c.entityId }, 0, 10);
          expect(history.events.map((e) => e.eventId)).to.deep.equal([c.eventId]);
          expect(history.version).to.equal(1n);
        }
        // The command ids are reserved as sent: the same event again is a replay, another event a duplicate.
        const again = await store.appendEvents(
          stream,
          [request[1]!, candidate({ commandId: request[2]!.commandId! })],
          receiptFactory(),
        );
        expect(again.outcomes.map((o) => o.kind)).to.deep.equal(["replay", "rejected"]);
      });

      it("appends a request larger than one insert chunk (2,100 events) in order, with its command ids and versions", async function () {
        const stream = newStream();
        const request = Array.from({ length: 2100 }, (_, i) =>
          i % 3 === 0 ? candidate({ commandId: randomUUID(), baseVersion: 0n }) : candidate(),
        );
        const r = await store.appendEvents(stream, request, receiptFactory());
        expect(r.outcomes.every((o) => o.kind === "accepted")).to.equal(true);
        expect(r.headSequence).to.equal(2100n);
        const rows = [...(await store.listEvents(stream, 1n, 1000)), ...(await store.listEvents(stream, 1001n, 1100))];
        expect(rows.map((e) => e.eventId)).to.deep.equal(request.map((c) => c.eventId));
        const again = await store.appendEvents(
          stream,
          [request[2097]!, candidate({ commandId: request[2097]!.commandId! })],
          receiptFactory(),
        );
        expect(again.outcomes.map((o) => o.kind)).to.deep.equal(["replay", "rejected"]);
        const history = await store.entityHistory(
          stream,
          { entityType: "order", entityId: request[2097]!.entityId },
          0,
          10,
        );
        expect(history.version).to.equal(1n);
      });

      if (backend.kind === "postgres") {
        it("appends a request in five round trips whatever its size: begin, lock, prefetch, one write, commit", async function () {
          const stream = newStream();
          await store.appendEvents(stream, [candidate()], receiptFactory()); // the pool has a connection
          const calls: string[] = [];
          const query = Client.prototype.query;
          const counting = function (this: Client, ...args: unknown[]) {
            calls.push(String(typeof args[0] === "string" ? args[0] : (args[0] as { text?: string }).text));
            return (query as (...a: unknown[]) => unknown).apply(this, args);
          };
          Client.prototype.query = counting as typeof query;
          let r: Awaited<ReturnType<SequencerStore["appendEvents"]>>;
          try {
            r = await store.appendEvents(
              stream,
              Array.from({ length: 120 }, () => candidate()),
              receiptFactory(),
            );
          } finally {
            Client.prototype.query = query;
          }
          expect(r.outcomes.every((o) => o.kind === "accepted")).to.equal(true);
          expect(calls, calls.map((c) => c.trim().split(/\s+/).slice(0, 3).join(" ")).join("\n")).to.have.length(5);
          expect(await store.headSequence(stream)).to.equal(121n);
        });
      }
    });

    describe("commitments", function () {
      async function streamWith(n: number): Promise<StreamRef> {
        const stream = newStream();
        await store.appendEvents(
          stream,
          Array.from({ length: n }, () => candidate()),
          receiptFactory(),
        );
        return stream;
      }

      it("creates a commitment, returns the same range as existing, and chains the state root", async function () {
        const stream = await streamWith(6);
        const b1 = randomUUID();
        const build1 = commitmentBuilder(b1);
        const c1 = await store.createCommitment(stream, 1n, 4n, b1, build1);
        expect(c1.kind).to.equal("created");
        const first = (c1 as { commitment: StoredCommitment }).commitment;
        expect(hex(build1.prevRoots[0]!)).to.equal(hex(ZERO_ROOT));
        expect(first).to.include({ batchId: b1, tenantId: stream.tenantId, storeId: stream.storeId, leafCount: 4 });
        expect(first.sequenceStart).to.equal(1n);
        expect(first.sequenceEnd).to.equal(4n);
        expect(first.committedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
        expect(first.chainId).to.be.null;
        expect(first.chainTxHash).to.be.null;
        expect(first.chainBlockNumber).to.be.null;
        expect(first.anchoredAt).to.be.null;

        const stored = await store.getCommitment(b1);
        expect(stored).to.not.be.null;
        expect(hex(stored!.merkleRoot)).to.equal(hex(first.merkleRoot));
        expect(hex(stored!.newStateRoot)).to.equal(hex(first.newStateRoot));
        expect(stored!.committedAt).to.equal(first.committedAt);
        expect(await store.getCommitment(randomUUID())).to.be.null;

        const same = await store.createCommitment(stream, 1n, 4n, randomUUID(), commitmentBuilder("unused"));
        expect(same.kind).to.equal("existing");
        expect((same as { commitment: { batchId: string } }).commitment.batchId).to.equal(b1);

        const b2 = randomUUID();
        const build2 = commitmentBuilder(b2);
        const c2 = await store.createCommitment(stream, 5n, 6n, b2, build2);
        expect(c2.kind).to.equal("created");
        expect(hex(build2.prevRoots[0]!)).to.equal(hex(first.newStateRoot));
        expect(hex((c2 as { commitment: { prevStateRoot: Uint8Array } }).commitment.prevStateRoot)).to.equal(
          hex(first.newStateRoot),
        );

        const events = await store.listEvents(stream, 1n, 10);
        expect(events.map((e) => e.batchId)).to.deep.equal([b1, b1, b1, b1, b2, b2]);
        expect((await store.getEventsById([events[4]!.eventId])).get(events[4]!.eventId)?.batchId).to.equal(b2);
        expect((await store.commitmentForSequence(stream, 3n))?.batchId).to.equal(b1);
        expect((await store.commitmentForSequence(stream, 6n))?.batchId).to.equal(b2);
        expect(await store.commitmentForSequence(stream, 7n)).to.be.null;
        expect((await store.latestCommitment(stream))?.batchId).to.equal(b2);
        expect(await store.latestCommitment(newStream())).to.be.null;
      });

      it("rejects other ends, overlaps, gaps, ranges past the head and invalid ranges", async function () {
        const stream = await streamWith(10);
        const reject = async (start: bigint, end: bigint, pattern: RegExp) => {
          const r = await store.createCommitment(stream, start, end, randomUUID(), commitmentBuilder("never-built"));
          expect(r.kind, `${start}..${end}`).to.equal("rejected");
          expect((r as { message: string }).message).to.match(pattern);
        };
        await reject(0n, 3n, /invalid range/);
        await reject(5n, 4n, /invalid range/);
        await reject(1n, 11n, /passes the stream head 10/);
        const b1 = randomUUID();
        expect((await store.createCommitment(stream, 1n, 4n, b1, commitmentBuilder(b1))).kind).to.equal("created");
        await reject(1n, 5n, /already starts at 1 and ends at 4, not 5/);
        await reject(1n, 3n, /already starts at 1 and ends at 4, not 3/);
        await reject(3n, 6n, /must start at 5/);
        await reject(6n, 8n, /must start at 5/);
        await reject(5n, 11n, /passes the stream head 10/);
        const b2 = randomUUID();
        expect((await store.createCommitment(stream, 5n, 10n, b2, commitmentBuilder(b2))).kind).to.equal("created");
        expect((await store.listCommitments(stream, { limit: 10 })).map((c) => c.batchId)).to.deep.equal([b1, b2]);
      });

      it("allows the first commitment to start at any stored sequence (§8.2) and rejects an empty stream", async function () {
        const stream = await streamWith(5);
        const b = randomUUID();
        expect((await store.createCommitment(stream, 3n, 5n, b, commitmentBuilder(b))).kind).to.equal("created");
        const empty = newStream();
        const r = await store.createCommitment(empty, 1n, 1n, randomUUID(), commitmentBuilder("x"));
        expect(r).to.deep.equal({ kind: "rejected", message: "range 1..1 passes the stream head 0" });
        expect(await store.headSequence(empty)).to.equal(0n);
      });

      it("returns the leaf inputs of a range in order", async function () {
        const stream = newStream();
        const cs = [candidate(), candidate(), candidate(), candidate()];
        await store.appendEvents(stream, cs, receiptFactory());
        const leaves = await store.leafInputs(stream, 2n, 3n);
        expect(leaves.map((l) => l.sequenceNumber)).to.deep.equal([2n, 3n]);
        expect(leaves.map((l) => hex(l.eventSigningHash))).to.deep.equal([
          hex(cs[1]!.eventSigningHash),
          hex(cs[2]!.eventSigningHash),
        ]);
        expect(leaves.map((l) => hex(l.agentSignature))).to.deep.equal([
          hex(cs[1]!.agentSignature),
          hex(cs[2]!.agentSignature),
        ]);
        expect(await store.leafInputs(stream, 5n, 9n)).to.deep.equal([]);
      });

      it("lists commitments by anchored state, after a sequence, with a limit", async function () {
        const stream = await streamWith(8);
        const ids: string[] = [];
        for (const [start, end] of [
          [1n, 2n],
          [3n, 4n],
          [5n, 6n],
          [7n, 8n],
        ] as const) {
          const b = randomUUID();
          ids.push(b);
          expect((await store.createCommitment(stream, start, end, b, commitmentBuilder(b))).kind).to.equal("created");
        }
        const txHash = sha256("tx");
        expect((await store.markAnchored(ids[1]!, { chainId: 84532001n, txHash, blockNumber: 7n })).kind).to.equal(
          "anchored",
        );
        const list = async (options: { anchored?: boolean; afterSequence?: bigint; limit: number }) =>
          (await store.listCommitments(stream, options)).map((c) => c.batchId);
        expect(await list({ limit: 10 })).to.deep.equal(ids);
        expect(await list({ limit: 2 })).to.deep.equal(ids.slice(0, 2));
        expect(await list({ anchored: true, limit: 10 })).to.deep.equal([ids[1]]);
        expect(await list({ anchored: false, limit: 10 })).to.deep.equal([ids[0], ids[2], ids[3]]);
        expect(await list({ afterSequence: 3n, limit: 10 })).to.deep.equal(ids.slice(2));
        expect(await list({ afterSequence: 1n, anchored: false, limit: 1 })).to.deep.equal([ids[2]]);
        expect(await list({ afterSequence: 7n, limit: 10 })).to.deep.equal([]);
        expect(await store.listCommitments(newStream(), { limit: 10 })).to.deep.equal([]);
      });

      it("lists pending anchors oldest first and records anchors (anchored, already anchored, conflict, not found)", async function () {
        const a = await streamWith(4);
        const b = await streamWith(2);
        const ids: string[] = [];
        const commit = async (stream: StreamRef, start: bigint, end: bigint) => {
          const id = randomUUID();
          ids.push(id);
          expect((await store.createCommitment(stream, start, end, id, commitmentBuilder(id))).kind).to.equal(
            "created",
          );
          await new Promise((resolve) => setTimeout(resolve, 5)); // distinct committedAt (millisecond precision)
        };
        await commit(a, 1n, 2n);
        await commit(b, 1n, 2n);
        await commit(a, 3n, 4n);
        expect((await store.pendingAnchors(10)).map((c) => c.batchId)).to.deep.equal(ids);
        expect((await store.pendingAnchors(2)).map((c) => c.batchId)).to.deep.equal(ids.slice(0, 2));

        const txHash = sha256("anchor-tx");
        const r1 = await store.markAnchored(ids[0]!, { chainId: 84532001n, txHash, blockNumber: 123n });
        expect(r1.kind).to.equal("anchored");
        const anchored = (r1 as { commitment: StoredCommitment }).commitment;
        expect(anchored.chainId).to.equal(84532001n);
        expect(hex(anchored.chainTxHash)).to.equal(hex(txHash));
        expect(anchored.chainBlockNumber).to.equal(123n);
        expect(anchored.anchoredAt).to.match(/\+00:00$/);

        const r2 = await store.markAnchored(ids[0]!, { chainId: 84532001n, txHash, blockNumber: 123n });
        expect(r2.kind).to.equal("already_anchored");
        expect((r2 as { commitment: { anchoredAt: string | null } }).commitment.anchoredAt).to.equal(
          anchored.anchoredAt,
        );
        const r3 = await store.markAnchored(ids[0]!, {
          chainId: 84532001n,
          txHash: sha256("other"),
          blockNumber: null,
        });
        expect(r3.kind).to.equal("conflict");
        expect(hex((r3 as { commitment: { chainTxHash: Uint8Array | null } }).commitment.chainTxHash)).to.equal(
          hex(txHash),
        );
        expect(await store.markAnchored(randomUUID(), { chainId: 1n, txHash, blockNumber: null })).to.deep.equal({
          kind: "not_found",
        });
        const r4 = await store.markAnchored(ids[1]!, { chainId: 1n, txHash: sha256("b"), blockNumber: null });
        expect(r4.kind).to.equal("anchored");
        expect((r4 as { commitment: { chainBlockNumber: bigint | null } }).commitment.chainBlockNumber).to.be.null;
        expect((await store.pendingAnchors(10)).map((c) => c.batchId)).to.deep.equal([ids[2]]);
      });

      it("lists streams with pending events: first pending and head", async function () {
        const committed = await streamWith(3);
        const partial = await streamWith(5);
        const untouched = await streamWith(2);
        const b1 = randomUUID();
        await store.createCommitment(committed, 1n, 3n, b1, commitmentBuilder(b1));
        const b2 = randomUUID();
        await store.createCommitment(partial, 1n, 3n, b2, commitmentBuilder(b2));
        // A stream whose only request was fully rejected has no pending events.
        const rejectedOnly = newStream();
        await store.appendEvents(rejectedOnly, [candidate({ baseVersion: 3n })], receiptFactory());

        const pending = await store.pendingStreams(100);
        const byStore = new Map(pending.map((p) => [p.storeId, p]));
        expect(byStore.has(committed.storeId)).to.be.false;
        expect(byStore.has(rejectedOnly.storeId)).to.be.false;
        expect(byStore.size).to.equal(2);
        const p = byStore.get(partial.storeId)!;
        expect(p).to.include({ tenantId: partial.tenantId, firstPending: 4n, headSequence: 5n });
        const fourth = (await store.listEvents(partial, 4n, 1))[0]!;
        expect(p.oldestPendingAt).to.equal(fourth.receipt.sequencedAt);
        const u = byStore.get(untouched.storeId)!;
        expect(u).to.include({ firstPending: 1n, headSequence: 2n });
        expect(u.oldestPendingAt).to.equal((await store.listEvents(untouched, 1n, 1))[0]!.receipt.sequencedAt);
        expect(await store.pendingStreams(1)).to.have.length(1);
      });
    });

    describe("keys", function () {
      const agentKey = (overrides: Partial<AgentKey> = {}): AgentKey => ({
        tenantId: randomUUID(),
        agentId: randomUUID(),
        keyId: 1,
        publicKey: sha256("pk", randomUUID()),
        status: "active",
        validFrom: "2025-01-01T00:00:00.000+00:00",
        validTo: null,
        revokedAt: null,
        createdAt: "2025-01-01T00:00:00.123456+00:00",
        ...overrides,
      });
      const keyHex = (k: AgentKey | null) => (k === null ? null : { ...k, publicKey: hex(k.publicKey) });

      it("registers agent keys once, reads and lists them", async function () {
        const k1 = agentKey({ keyId: 2 });
        expect(await store.insertAgentKey(k1)).to.be.true;
        expect(await store.insertAgentKey({ ...k1, publicKey: sha256("other") })).to.be.false;
        const k0 = agentKey({ tenantId: k1.tenantId, agentId: k1.agentId, keyId: 1, validTo: "2030-01-01T00:00:00Z" });
        expect(await store.insertAgentKey(k0)).to.be.true;
        expect(keyHex(await store.getAgentKey(k1.tenantId, k1.agentId, 2))).to.deep.equal(keyHex(k1));
        expect(await store.getAgentKey(k1.tenantId, k1.agentId, 3)).to.be.null;
        expect(await store.getAgentKey(randomUUID(), k1.agentId, 2)).to.be.null;
        expect((await store.listAgentKeys(k1.tenantId, k1.agentId)).map(keyHex)).to.deep.equal([
          keyHex(k0),
          keyHex(k1),
        ]);
        expect(await store.listAgentKeys(k1.tenantId, randomUUID())).to.deep.equal([]);
        const big = agentKey({ keyId: 4294967295 });
        expect(await store.insertAgentKey(big)).to.be.true;
        expect((await store.getAgentKey(big.tenantId, big.agentId, 4294967295))?.keyId).to.equal(4294967295);
      });

      it("revokes a key idempotently, keeping the first revocation time", async function () {
        const k = agentKey();
        await store.insertAgentKey(k);
        const first = await store.revokeAgentKey(k.tenantId, k.agentId, 1, "2025-02-01T00:00:00.000+00:00");
        expect(first).to.include({ status: "revoked", revokedAt: "2025-02-01T00:00:00.000+00:00" });
        const again = await store.revokeAgentKey(k.tenantId, k.agentId, 1, "2025-03-01T00:00:00.000+00:00");
        expect(again).to.include({ status: "revoked", revokedAt: "2025-02-01T00:00:00.000+00:00" });
        expect(await store.getAgentKey(k.tenantId, k.agentId, 1)).to.include({ status: "revoked" });
        expect(await store.revokeAgentKey(k.tenantId, k.agentId, 9, "2025-02-01T00:00:00.000+00:00")).to.be.null;
        // Concurrent revocations agree on one time.
        const k2 = agentKey();
        await store.insertAgentKey(k2);
        const other = await peer();
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store : other).revokeAgentKey(
              k2.tenantId,
              k2.agentId,
              1,
              `2025-04-0${i + 1}T00:00:00.000+00:00`,
            ),
          ),
        );
        const times = new Set(results.map((r) => r?.revokedAt));
        expect(times.size).to.equal(1);
        expect([...times][0]).to.equal((await store.getAgentKey(k2.tenantId, k2.agentId, 1))?.revokedAt);
      });

      it("stores API keys by hash", async function () {
        const record: ApiKeyRecord = {
          keyHash: sha256("api-key-1"),
          tenantId: randomUUID(),
          storeIds: [randomUUID(), randomUUID()],
          canRead: true,
          canWrite: false,
          canAdmin: false,
          agentId: randomUUID(),
          active: true,
          createdAt: "2025-01-01T00:00:00.000+00:00",
        };
        const admin: ApiKeyRecord = {
          keyHash: sha256("api-key-2"),
          tenantId: "00000000-0000-0000-0000-000000000000",
          storeIds: [],
          canRead: true,
          canWrite: true,
          canAdmin: true,
          agentId: null,
          active: false,
          createdAt: "2025-01-02T00:00:00.000+00:00",
        };
        await store.insertApiKey(record);
        await store.insertApiKey(admin);
        const norm = (r: ApiKeyRecord | null) =>
          r === null
            ? null
            : { label: null, rateLimit: null, lastUsedAt: null, revokedAt: null, ...r, keyHash: hex(r.keyHash) };
        expect(norm(await store.getApiKey(sha256("api-key-1")))).to.deep.equal(norm(record));
        expect(norm(await store.getApiKey(sha256("api-key-2")))).to.deep.equal(norm(admin));
        expect(await store.getApiKey(sha256("unknown"))).to.be.null;
      });
    });

    describe("administration", function () {
      const apiKey = (name: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
        keyHash: sha256(name),
        tenantId: randomUUID(),
        storeIds: [],
        canRead: true,
        canWrite: true,
        canAdmin: false,
        agentId: null,
        active: true,
        createdAt: "2025-01-01T00:00:00.000+00:00",
        label: `label ${name}`,
        rateLimit: 50,
        ...overrides,
      });
      const prefixOf = (r: ApiKeyRecord) => (hex(r.keyHash) ?? "").slice(0, 12);

      it("lists API keys per tenant, finds them by hash prefix, records last use and revokes once", async function () {
        const a = apiKey("k-a");
        const b = apiKey("k-b", { tenantId: a.tenantId, createdAt: "2025-01-02T00:00:00.000+00:00" });
        const c = apiKey("k-c");
        for (const r of [a, b, c]) await store.insertApiKey(r);
        expect((await store.listApiKeys(a.tenantId)).map(prefixOf)).to.deep.equal([prefixOf(a), prefixOf(b)]);
        expect((await store.listApiKeys()).length).to.equal(3);
        const found = await store.findApiKeysByPrefix(prefixOf(b).slice(0, 8));
        expect(found.map(prefixOf)).to.deep.equal([prefixOf(b)]);
        expect(found[0]).to.include({ label: "label k-b", rateLimit: 50, lastUsedAt: null, revokedAt: null });
        expect(await store.findApiKeysByPrefix("ffffffffffff")).to.deep.equal([]);

        await store.touchApiKey(a.keyHash, "2025-03-01T00:00:00.000+00:00");
        expect((await store.getApiKey(a.keyHash))?.lastUsedAt).to.equal("2025-03-01T00:00:00.000+00:00");

        const revoked = await store.revokeApiKey(a.keyHash, "2025-04-01T00:00:00.000+00:00");
        expect(revoked).to.include({ active: false, revokedAt: "2025-04-01T00:00:00.000+00:00" });
        const again = await store.revokeApiKey(a.keyHash, "2025-05-01T00:00:00.000+00:00");
        expect(again?.revokedAt).to.equal("2025-04-01T00:00:00.000+00:00");
        expect(await store.revokeApiKey(sha256("nope"), "2025-05-01T00:00:00.000+00:00")).to.be.null;
      });

      it("rotates a key atomically: exactly one of concurrent rotations wins", async function () {
        const old = apiKey("rot-old");
        await store.insertApiKey(old);
        const other = await peer();
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store : other).rotateApiKey(
              old.keyHash,
              apiKey(`rot-new-${i}`, { tenantId: old.tenantId }),
              "2025-06-01T00:00:00.000+00:00",
            ),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners.length).to.equal(1);
        expect(winners[0]).to.include({ active: true, tenantId: old.tenantId });
        expect(await store.getApiKey(old.keyHash)).to.include({ active: false });
        const keys = await store.listApiKeys(old.tenantId);
        expect(keys.filter((k) => k.active).length).to.equal(1);
        expect(keys.length).to.equal(2);
        expect(await store.rotateApiKey(old.keyHash, apiKey("rot-late"), "2025-06-02T00:00:00.000+00:00")).to.be.null;
      });

      it("registers tenants and stores once and lists them", async function () {
        const t = { tenantId: randomUUID(), name: "Acme", createdAt: "2025-01-01T00:00:00.000+00:00" };
        expect(await store.createTenant(t)).to.be.true;
        expect(await store.createTenant({ ...t, name: "Other" })).to.be.false;
        expect(await store.getTenant(t.tenantId)).to.deep.equal(t);
        expect(await store.getTenant(randomUUID())).to.be.null;
        const t2 = { tenantId: randomUUID(), name: "Beta", createdAt: "2025-01-02T00:00:00.000+00:00" };
        await store.createTenant(t2);
        expect(await store.listTenants()).to.deep.equal([t, t2]);
        const s1 = { tenantId: t.tenantId, storeId: randomUUID(), name: "EU", createdAt: t.createdAt };
        expect(await store.createTenantStore(s1)).to.be.true;
        expect(await store.createTenantStore({ ...s1, name: "dup" })).to.be.false;
        expect(await store.listTenantStores(t.tenantId)).to.deep.equal([s1]);
        expect(await store.listTenantStores(t2.tenantId)).to.deep.equal([]);
      });

      it("keeps an audit log, newest first, per tenant and paged", async function () {
        const tenant = randomUUID();
        for (let i = 0; i < 5; i++) {
          await store.appendAudit({
            at: `2025-01-0${i + 1}T00:00:00.000+00:00`,
            actor: "api-key:0123456789ab",
            action: `test.action${i}`,
            tenantId: i === 4 ? null : tenant,
            target: i % 2 === 0 ? `target-${i}` : null,
            details: { i, nested: { ok: true } },
          });
        }
        const mine = await store.listAudit({ tenantId: tenant, limit: 10 });
        expect(mine.map((e) => e.action)).to.deep.equal([
          "test.action3",
          "test.action2",
          "test.action1",
          "test.action0",
        ]);
        expect(mine[1]).to.deep.include({ actor: "api-key:0123456789ab", target: "target-2", tenantId: tenant });
        expect(mine[1]!.details).to.deep.equal({ i: 2, nested: { ok: true } });
        const all = await store.listAudit({ limit: 2 });
        expect(all.map((e) => e.action)).to.deep.equal(["test.action4", "test.action3"]);
        const next = await store.listAudit({ limit: 10, beforeId: all[1]!.id });
        expect(next.map((e) => e.action)).to.deep.equal(["test.action2", "test.action1", "test.action0"]);
      });
    });

    describe("receipt keys", function () {
      it("versions a sequencer's keys 0, 1, … and answers a known key with its version", async function () {
        const id = randomUUID();
        const k0 = await store.registerSequencerKey(id, sha256("k0"), "2025-01-01T00:00:00.000+00:00");
        expect(k0).to.include({ sequencerId: id, version: 0, origin: "local" });
        const k1 = await store.registerSequencerKey(id, sha256("k1"), "2025-01-02T00:00:00.000+00:00");
        expect(k1.version).to.equal(1);
        const again = await store.registerSequencerKey(id, sha256("k0"), "2025-01-03T00:00:00.000+00:00");
        expect(again).to.deep.equal(k0);
        const other = await store.registerSequencerKey(randomUUID(), sha256("k0"), "2025-01-03T00:00:00.000+00:00");
        expect(other.version).to.equal(0);
        const mine = (await store.listSequencerKeys()).filter((k) => k.sequencerId === id);
        expect(mine.map((k) => [k.version, hex(k.publicKey)])).to.deep.equal([
          [0, hex(sha256("k0"))],
          [1, hex(sha256("k1"))],
        ]);
      });

      it("gives concurrent registrations of one key one version, and of different keys distinct ones", async function () {
        const id = randomUUID();
        const other = await peer();
        const same = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store : other).registerSequencerKey(id, sha256("shared"), "2025-01-01T00:00:00.000+00:00"),
          ),
        );
        expect(new Set(same.map((k) => k.version))).to.deep.equal(new Set([0]));
        const distinct = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store : other).registerSequencerKey(id, sha256(`k${i}`), "2025-01-02T00:00:00.000+00:00"),
          ),
        );
        expect(distinct.map((k) => k.version).sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
      });

      it("imports another sequencer's key once and refuses a different key at a taken version", async function () {
        const key = {
          sequencerId: randomUUID(),
          version: 3,
          publicKey: sha256("imported"),
          origin: "imported" as const,
          createdAt: "2025-01-01T00:00:00.000+00:00",
        };
        expect(await store.importSequencerKey(key)).to.be.true;
        expect(await store.importSequencerKey(key)).to.be.true;
        expect(await store.importSequencerKey({ ...key, publicKey: sha256("evil") })).to.be.false;
        const listed = (await store.listSequencerKeys()).filter((k) => k.sequencerId === key.sequencerId);
        expect(listed.map((k) => ({ ...k, publicKey: hex(k.publicKey) }))).to.deep.equal([
          { ...key, publicKey: hex(key.publicKey) },
        ]);
      });
    });

    describe("payload schemas", function () {
      const schemaInput = (tenantId: string, eventType: string, n: number) => ({
        schemaId: randomUUID(),
        tenantId,
        eventType,
        schemaJson: JSON.stringify({ type: "object", properties: { n: { const: n } } }),
        status: "active" as const,
        description: `v${n}`,
        createdAt: "2025-01-01T00:00:00.000+00:00",
        updatedAt: "2025-01-01T00:00:00.000+00:00",
      });

      it("versions schemas per (tenant, event type), picks the highest active one, never reuses a version", async function () {
        const tenant = randomUUID();
        const s1 = await store.insertSchema(schemaInput(tenant, "order.created", 1));
        const s2 = await store.insertSchema(schemaInput(tenant, "order.created", 2));
        const other = await store.insertSchema(schemaInput(tenant, "order.paid", 1));
        expect([s1.version, s2.version, other.version]).to.deep.equal([1, 2, 1]);
        expect(await store.getSchema(s1.schemaId)).to.deep.equal(s1);
        expect((await store.activeSchema(tenant, "order.created"))?.schemaId).to.equal(s2.schemaId);
        const deprecated = await store.setSchemaStatus(s2.schemaId, "deprecated", "2025-01-02T00:00:00.000+00:00");
        expect(deprecated).to.include({ status: "deprecated", updatedAt: "2025-01-02T00:00:00.000+00:00" });
        expect((await store.activeSchema(tenant, "order.created"))?.schemaId).to.equal(s1.schemaId);
        expect(await store.activeSchema(randomUUID(), "order.created")).to.be.null;
        expect((await store.listSchemas(tenant)).map((s) => [s.eventType, s.version])).to.deep.equal([
          ["order.created", 1],
          ["order.created", 2],
          ["order.paid", 1],
        ]);
        expect((await store.listSchemas(tenant, "order.paid")).length).to.equal(1);
        expect(await store.deleteSchema(s2.schemaId, "2025-01-03T00:00:00.000+00:00")).to.be.true;
        expect(await store.deleteSchema(s2.schemaId, "2025-01-03T00:00:00.000+00:00")).to.be.false;
        expect(await store.getSchema(s2.schemaId)).to.be.null;
        expect(await store.setSchemaStatus(s2.schemaId, "active", "2025-01-04T00:00:00.000+00:00")).to.be.null;
        const s3 = await store.insertSchema(schemaInput(tenant, "order.created", 3));
        expect(s3.version).to.equal(3);
      });

      it("gives concurrent registrations distinct consecutive versions", async function () {
        const tenant = randomUUID();
        const other = await peer();
        const made = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? store : other).insertSchema(schemaInput(tenant, "order.created", i)),
          ),
        );
        expect(made.map((s) => s.version).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      });
    });

    describe("rate-limit counters", function () {
      it("counts hits per bucket and window, reports the previous window and drops older ones", async function () {
        const bucket = `key:${randomUUID()}`;
        const other = await peer();
        const hits = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : other).hitRateLimit(bucket, 60_000, 60_000)),
        );
        expect(hits.map((h) => h.current).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(hits.every((h) => h.previous === 0)).to.be.true;
        expect(await store.hitRateLimit(bucket, 120_000, 60_000)).to.deep.equal({ current: 1, previous: 6 });
        expect(await store.hitRateLimit(`tenant:${randomUUID()}`, 120_000, 60_000)).to.deep.equal({
          current: 1,
          previous: 0,
        });
        expect(await store.hitRateLimit(bucket, 240_000, 60_000)).to.deep.equal({ current: 1, previous: 0 });
      });
    });

    describe("importStream", function () {
      const imported = (c: EventCandidate, seq: bigint) => ({
        candidate: c,
        sequenceNumber: seq,
        receipt: receiptFactory()(c, seq),
      });

      it("appends a segment with its own numbers, receipts and commitments, all or nothing", async function () {
        const stream = newStream();
        const cs = [candidate({ commandId: "cmd-1" }), candidate(), candidate()];
        const events = cs.map((c, i) => imported(c, BigInt(i + 1)));
        const build = commitmentBuilder("9b2f7c1e-0000-4000-8000-000000000001");
        const leaves = cs.map((c, i) => ({
          sequenceNumber: BigInt(i + 1),
          eventSigningHash: c.eventSigningHash,
          agentSignature: c.agentSignature,
        }));
        const commitment: StoredCommitment = {
          ...build(stream, { start: 1n, end: 3n }, leaves, ZERO_ROOT),
          committedAt: "2025-01-01T00:00:00.000+00:00",
          chainId: 31337n,
          chainTxHash: sha256("tx"),
          chainBlockNumber: 7n,
          anchoredAt: "2025-01-02T00:00:00.000+00:00",
        };
        // Not after the head: refused, nothing written.
        expect(await store.importStream(stream, events.slice(1), [])).to.include({ kind: "rejected" });
        // A bad chain: refused, and the events of the same call are not written either.
        const broken = { ...commitment, prevStateRoot: sha256("other") };
        expect(await store.importStream(stream, events, [broken])).to.include({ kind: "rejected" });
        expect(await store.headSequence(stream)).to.equal(0n);
        expect(await store.importStream(stream, events, [commitment])).to.deep.equal({
          kind: "imported",
          headSequence: 3n,
        });
        const listed = await store.listEvents(stream, 1n, 10);
        expect(listed.map((e) => receiptHex(e.receipt))).to.deep.equal(events.map((e) => receiptHex(e.receipt)));
        const stored = await store.getCommitment(commitment.batchId);
        expect(stored).to.deep.include({ chainId: 31337n, chainBlockNumber: 7n, anchoredAt: commitment.anchoredAt });
        // The stream continues normally; the command id stays reserved; ids are not imported twice.
        const next = await store.appendEvents(
          stream,
          [candidate({ commandId: "cmd-1" }), candidate()],
          receiptFactory(),
        );
        expect(next.outcomes[0]).to.include({ kind: "rejected", reason: "duplicate_command_id" });
        expect(accepted(next.outcomes[1]).sequenceNumber).to.equal(4n);
        expect(await store.importStream(stream, [imported(cs[0]!, 5n)], [])).to.include({ kind: "rejected" });
        expect(await store.headSequence(stream)).to.equal(4n);
      });
    });

    describe("leadership", function () {
      if (backend.kind === "sqlite") {
        it("always leads (one process owns the file)", async function () {
          expect(await store.tryAcquireLeadership("commit-worker")).to.be.true;
          expect(await store.tryAcquireLeadership("commit-worker")).to.be.true;
          await store.releaseLeadership("commit-worker");
        });
      } else {
        it("lets one instance lead at a time, until it releases or closes", async function () {
          const name = `commit-worker-${randomUUID()}`;
          const b = await another();
          const c = await another();
          expect(await store.tryAcquireLeadership(name)).to.be.true;
          expect(await store.tryAcquireLeadership(name)).to.be.true; // still leading
          expect(await b.tryAcquireLeadership(name)).to.be.false;
          expect(await b.tryAcquireLeadership(`${name}-other`)).to.be.true; // names are independent
          await store.releaseLeadership(name);
          expect(await b.tryAcquireLeadership(name)).to.be.true;
          expect(await store.tryAcquireLeadership(name)).to.be.false;
          expect(await c.tryAcquireLeadership(name)).to.be.false;
          await b.close();
          expect(await c.tryAcquireLeadership(name)).to.be.true;
          expect(await store.tryAcquireLeadership(name)).to.be.false;
          await c.releaseLeadership(name);
          await c.releaseLeadership(name); // releasing what one does not hold is harmless
          expect(await store.tryAcquireLeadership(name)).to.be.true;
        });

        it("survives its pooled connections being killed", async function () {
          const stream = newStream();
          await Promise.all([1, 2, 3].map(() => store.appendEvents(stream, [candidate()], receiptFactory())));
          await postgresAdmin(async (c) =>
            c.query(
              // The timeout makes each call wait until the backend has exited.
              `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()`,
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
          const r = await store.appendEvents(stream, [candidate()], receiptFactory());
          expect(accepted(r.outcomes[0]).sequenceNumber).to.equal(4n);
        });

        it("loses leadership when its session dies, without crashing, and can take it again", async function () {
          const name = `commit-worker-${randomUUID()}`;
          const b = await another();
          expect(await store.tryAcquireLeadership(name)).to.be.true;
          const killed = await postgresAdmin(async (c) =>
            c.query(
              `SELECT pg_terminate_backend(pid, 10000) FROM pg_locks
               WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            ),
          );
          expect(killed.rowCount).to.equal(1);
          await waitFor("the killed session's advisory lock to be free", () => b.tryAcquireLeadership(name), {
            timeoutMs: 10_000,
          });
          expect(await store.tryAcquireLeadership(name)).to.be.false;
          await b.releaseLeadership(name);
          expect(await store.tryAcquireLeadership(name)).to.be.true;
          await store.ping();
        });
      }
    });

    describe("concurrency", function () {
      /** Runs 8 parallel requests of 25 events on one stream, through the given instances in turn. */
      async function hammer(stores: SequencerStore[]): Promise<void> {
        const stream = newStream();
        const batches = Array.from({ length: 8 }, () => Array.from({ length: 25 }, () => candidate()));
        const results = await Promise.all(
          batches.map((batch, i) => stores[i % stores.length]!.appendEvents(stream, batch, receiptFactory())),
        );
        const seen = new Map<bigint, string>();
        results.forEach((r, i) => {
          const seqs = r.outcomes.map((o) => accepted(o).sequenceNumber);
          // Each request is atomic: its events are consecutive, in request order.
          seqs.forEach((s, j) => expect(s).to.equal(seqs[0]! + BigInt(j)));
          seqs.forEach((s, j) => {
            expect(seen.has(s), `sequence ${s} assigned twice`).to.be.false;
            seen.set(s, batches[i]![j]!.eventId);
          });
        });
        expect(seen.size).to.equal(200);
        expect(await store.headSequence(stream)).to.equal(200n);
        const events = await store.listEvents(stream, 1n, 1000);
        expect(events.map((e) => e.sequenceNumber)).to.deep.equal(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
        expect(new Set(events.map((e) => e.eventId)).size).to.equal(200);
        for (const e of events) expect(seen.get(e.sequenceNumber)).to.equal(e.eventId);
      }

      it("serializes 8 parallel requests of 25 events on one stream: 1..200, no duplicates", async function () {
        await hammer([store]);
      });

      if (backend.kind === "postgres") {
        it("stays gap-free with the requests spread over two instances (two pools)", async function () {
          await hammer([store, await another()]);
        });
      }
    });
  });
}
