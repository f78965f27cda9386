/**
 * Robustness of the VES sequencer as a real process (`bin/stateset-sequencer --port 0`, spawned with child_process)
 * over real HTTP on 127.0.0.1, against both backends: SQLite (a fresh data directory per test) and PostgreSQL (a
 * uniquely named database per run of this file, created from SEQUENCER_TEST_DATABASE_URL, which `npm test` /
 * scripts/test.sh provides; without it the PostgreSQL suite FAILS with a clear message, it never skips).
 *
 * - Concurrency: many clients write one stream at once (on PostgreSQL also through two processes on one database):
 *   the stream is gap-free 1..N, no event twice, every accepted event has exactly one sequence number, each batch got
 *   a contiguous range in request order, and every receipt verifies against `GET /api/v1/ves/sequencer-key`.
 * - Crash: clients send batches continuously and record every receipt; the process is killed with SIGKILL and
 *   restarted on the same data: every received receipt is stored unchanged at its sequence number, a batch whose
 *   response was lost is all-or-nothing, the stream is gap-free, and retrying every batch yields replays (the same
 *   receipts) or acceptances, never duplicates.
 * - Bad input: thousands of generated malformed or hostile requests (seeded PRNG; the seed is logged, set
 *   VES_ROBUSTNESS_SEED to replay a run) each get a 4xx JSON error or per-event rejections in a 200, never a 5xx;
 *   afterwards /health and /ready answer 200 and the stream's events and receipts are byte-for-byte unchanged.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

import { expect } from "chai";

import {
  buildEnvelope,
  bytesToHex,
  ed25519Keygen,
  envelopeToJson,
  hexToBytes,
  parseIngestResponse,
  parseJsonExact,
  parseReceipt,
  stringifyJsonExact,
  verifyReceipt,
  type BuiltEnvelope,
  type IngestResponse,
  type SequencerReceipt,
} from "../../offchain/ves";
import { freshDatabase } from "../support/postgres";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "stateset-sequencer");
const INGEST = "/api/v1/ves/events/ingest";
/** Short commit-worker timings, so that commitments are being written while the tests load the server. */
const COMMON_ARGS = ["--commit-max-wait-ms", "300", "--commit-interval-ms", "100", "--metrics-port", "0"];

const NO_URL =
  "SEQUENCER_TEST_DATABASE_URL is not set: run `npm test` (scripts/test.sh provides a throwaway PostgreSQL) " +
  "or set SEQUENCER_TEST_DATABASE_URL to a PostgreSQL URL whose role may CREATE DATABASE";

// Processes -----------------------------------------------------------------------------------------------------------

/** Where a sequencer keeps its data: a data directory (SQLite) or a database URL and shared secrets (PostgreSQL). */
interface Deployment {
  readonly dataDir: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** A spawned sequencer process. */
interface SequencerProcess {
  readonly url: string;
  readonly adminKey: string;
  readonly agent: http.Agent;
  readonly child: ChildProcess;
  /** Log lines at level error (50) or above, which a 5xx would produce. */
  readonly errorLines: string[];
  /** The last lines of stdout and stderr, for failure messages. */
  readonly tail: string[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<SequencerProcess>();

/** Spawns `bin/stateset-sequencer --port 0` and resolves with its URL once it logs `sequencer started`. */
async function startSequencer(dep: Deployment): Promise<SequencerProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEQUENCER__")) env[k] = v;
  Object.assign(env, dep.env);
  const child = spawn(
    process.execPath,
    [BIN, "--port", "0", "--host", "127.0.0.1", "--data-dir", dep.dataDir, ...COMMON_ARGS, ...dep.args],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const tail: string[] = [];
  const errorLines: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 200) tail.shift();
    if (/"level":(5|6)0\b/.test(line) && errorLines.length < 100) errorLines.push(line);
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  readline.createInterface({ input: child.stderr! }).on("line", remember);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sequencer did not start in 60 s:\n${tail.join("\n")}`)), 60_000);
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      remember(line);
      if (!line.includes('"msg":"sequencer started"')) return;
      const u = (JSON.parse(line) as { url?: unknown }).url;
      if (typeof u === "string") {
        clearTimeout(timer);
        resolve(u);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`sequencer exited (${code ?? signal}) before starting:\n${tail.join("\n")}`));
    });
  });
  const adminKey = dep.env.SEQUENCER__ADMIN_API_KEY ?? readFileSync(path.join(dep.dataDir, "admin-api-key"), "utf8");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const proc: SequencerProcess = {
    url,
    adminKey: adminKey.trim(),
    agent,
    child,
    errorLines,
    tail,
    async kill9() {
      running.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      agent.destroy();
    },
    async stop() {
      running.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      agent.destroy();
    },
  };
  running.add(proc);
  return proc;
}

// HTTP ----------------------------------------------------------------------------------------------------------------

interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** One HTTP request on the process's keep-alive agent; rejects on a transport error (reset, refused, timeout). */
function request(
  proc: Pick<SequencerProcess, "url" | "agent">,
  method: string,
  pathAndQuery: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const base = new URL(proc.url);
  return new Promise<HttpResult>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = Buffer.byteLength(options.body);
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: pathAndQuery, headers, agent: proc.agent, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(options.body);
  });
}

const authHeader = (key: string) => ({ authorization: `ApiKey ${key}` });
const JSON_HEADERS = { "content-type": "application/json" };

/** A JSON request with an API key; the response parsed with exact integers. */
async function api(
  proc: SequencerProcess,
  method: string,
  p: string,
  key: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const r = await request(proc, method, p, {
    headers: { ...(key === undefined ? {} : authHeader(key)), ...(body === undefined ? {} : JSON_HEADERS) },
    ...(body === undefined ? {} : { body: stringifyJsonExact(body) }),
  });
  let json: unknown;
  try {
    json = parseJsonExact(r.text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text: r.text };
}

const obj = (v: unknown): Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not an object: ${String(v)}`);
  return v as Record<string, unknown>;
};

/** The body of an ingest request for prepared envelopes. */
const ingestBody = (agentId: string, events: readonly BuiltEnvelope[]) =>
  `{"agentId":"${agentId}","events":[${events.map((e) => envelopeToJson(e.envelope)).join(",")}]}`;

/** Ingests envelopes; any status but 200 or an unparsable response throws. */
async function ingest(
  proc: SequencerProcess,
  key: string,
  agentId: string,
  events: readonly BuiltEnvelope[],
): Promise<IngestResponse> {
  const r = await request(proc, "POST", INGEST, {
    headers: { ...authHeader(key), ...JSON_HEADERS },
    body: ingestBody(agentId, events),
  });
  if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${r.text.slice(0, 400)}`);
  const parsed = parseIngestResponse(parseJsonExact(r.text));
  if (!parsed.ok) throw new Error(`bad ingest response: ${parsed.message}: ${r.text.slice(0, 400)}`);
  return parsed.value;
}

// Streams and events --------------------------------------------------------------------------------------------------

/** A stream with one registered agent key. */
interface StreamFixture {
  readonly tenantId: string;
  readonly storeId: string;
  readonly agentId: string;
  readonly keyId: number;
  readonly secretKey: Uint8Array;
}

async function newStream(proc: SequencerProcess, tenantId: string = randomUUID()): Promise<StreamFixture> {
  const keys = ed25519Keygen();
  const fx = { tenantId, storeId: randomUUID(), agentId: randomUUID(), keyId: 1, secretKey: keys.secretKey };
  const r = await api(proc, "POST", "/api/v1/agents/keys", proc.adminKey, {
    tenantId: fx.tenantId,
    agentId: fx.agentId,
    keyId: fx.keyId,
    publicKey: bytesToHex(keys.publicKey),
  });
  expect(r.status, r.text).to.equal(200);
  return fx;
}

/** A validly signed plaintext event of the stream. */
function makeEvent(fx: StreamFixture, tag: string, payload: unknown = { tag, n: tag.length }): Promise<BuiltEnvelope> {
  return buildEnvelope({
    tenantId: fx.tenantId,
    storeId: fx.storeId,
    sourceAgentId: fx.agentId,
    agentKeyId: fx.keyId,
    entityType: "order",
    entityId: `order-${tag}`,
    eventType: "order.created",
    payload,
    signingKey: fx.secretKey,
  });
}

async function makeBatches(fx: StreamFixture, prefix: string, batches: number, size: number) {
  const out: BuiltEnvelope[][] = [];
  for (let b = 0; b < batches; b++) {
    const batch: BuiltEnvelope[] = [];
    for (let i = 0; i < size; i++) batch.push(await makeEvent(fx, `${prefix}-${b}-${i}`));
    out.push(batch);
  }
  return out;
}

/** One pulled event: sequence number, id, the raw JSON text of the whole item, and its receipt. */
interface PulledEvent {
  readonly seq: bigint;
  readonly eventId: string;
  readonly receipt: SequencerReceipt;
  readonly text: string;
}

/** Pulls a whole stream, 1000 at a time. */
async function pullAll(proc: SequencerProcess, fx: StreamFixture): Promise<{ events: PulledEvent[]; head: bigint }> {
  const events: PulledEvent[] = [];
  let from = 1n;
  let head: bigint;
  for (;;) {
    const r = await api(
      proc,
      "GET",
      `/api/v1/ves/events?tenant_id=${fx.tenantId}&store_id=${fx.storeId}&from=${from}&limit=1000`,
      proc.adminKey,
    );
    expect(r.status, r.text).to.equal(200);
    const page = obj(r.json);
    head = BigInt(page.head_sequence as number | bigint);
    for (const item of page.events as unknown[]) {
      const e = obj(item);
      const receipt = parseReceipt(e.receipt);
      if (!receipt.ok) throw new Error(`pulled receipt: ${receipt.message}`);
      events.push({
        seq: BigInt(e.sequence_number as number | bigint),
        eventId: String(e.event_id),
        receipt: receipt.value,
        text: stringifyJsonExact({ ...e, batch_id: null }),
      });
    }
    if (page.has_more !== true) break;
    from = BigInt(page.next as number | bigint);
  }
  return { events, head };
}

/** The stream is exactly 1..head, each event id once; returns the index by event id. */
function expectGapFree(events: readonly PulledEvent[], head: bigint): Map<string, PulledEvent> {
  expect(BigInt(events.length), "events pulled = head").to.equal(head);
  const byId = new Map<string, PulledEvent>();
  events.forEach((e, i) => {
    if (e.seq !== BigInt(i + 1)) throw new Error(`gap or disorder: position ${i + 1} holds sequence ${e.seq}`);
    if (byId.has(e.eventId))
      throw new Error(`event ${e.eventId} stored twice (sequences ${byId.get(e.eventId)!.seq}, ${e.seq})`);
    if (e.receipt.sequenceNumber !== e.seq)
      throw new Error(`event ${e.eventId}: receipt says ${e.receipt.sequenceNumber}`);
    byId.set(e.eventId, e);
  });
  return byId;
}

async function sequencerKey(proc: SequencerProcess): Promise<Uint8Array> {
  const r = await api(proc, "GET", "/api/v1/ves/sequencer-key", undefined);
  expect(r.status, r.text).to.equal(200);
  const keys = obj(r.json).keys as unknown[];
  const current = keys.map(obj).find((k) => k.current === true) ?? obj(keys[0]);
  return hexToBytes(String(current.public_key), { length: 32 });
}

const sameReceipt = (a: SequencerReceipt, b: SequencerReceipt) =>
  a.sequenceNumber === b.sequenceNumber &&
  a.receiptHash === b.receiptHash &&
  a.sequencerSignature === b.sequencerSignature &&
  a.sequencedAt === b.sequencedAt &&
  a.sequencerId === b.sequencerId;

const describeReceipt = (r: SequencerReceipt) =>
  `seq ${r.sequenceNumber} hash ${r.receiptHash.slice(0, 12)} at ${r.sequencedAt} by ${r.sequencerId}`;

// Seeded PRNG ---------------------------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough to generate inputs reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const hex = (bytes: number) => {
    let s = "";
    for (let i = 0; i < bytes; i++) s += int(256).toString(16).padStart(2, "0");
    return s;
  };
  const uuid = () => {
    const h = hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return { next, int, pick, hex, uuid };
}
type Rng = ReturnType<typeof prng>;

// Backends ------------------------------------------------------------------------------------------------------------

interface Backend {
  readonly name: string;
  readonly kind: "sqlite" | "postgres";
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh deployment (SQLite: a new data dir) or the shared one (PostgreSQL: this file's database). */
  deployment(): Deployment;
}

const tempDirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "ves-seq-robust-"));
  tempDirs.push(d);
  return d;
};

function sqliteBackend(): Backend {
  return {
    name: "SQLite",
    kind: "sqlite",
    async setUp() {},
    async tearDown() {},
    deployment: () => ({ dataDir: tempDir(), args: [], env: {} }),
  };
}

function postgresBackend(): Backend {
  let dbUrl = "";
  let drop: (() => Promise<void>) | undefined;
  const adminKey = `ss_admin_${randomBytes(18).toString("hex")}`;
  const signingKey = randomBytes(32).toString("hex");
  return {
    name: "PostgreSQL",
    kind: "postgres",
    async setUp() {
      const db = await freshDatabase("ves_robust");
      dbUrl = db.url;
      drop = db.drop;
    },
    async tearDown() {
      await drop?.();
      drop = undefined;
    },
    deployment: () => {
      if (dbUrl === "") throw new Error(NO_URL);
      return {
        dataDir: tempDir(),
        args: ["--database-url", dbUrl],
        env: { SEQUENCER__ADMIN_API_KEY: adminKey, SEQUENCER__SIGNING_KEY: signingKey },
      };
    },
  };
}

// Scenarios -----------------------------------------------------------------------------------------------------------

/**
 * `clients` concurrent clients, each sending `batches` batches of `size` new events to one stream, client c through
 * `procs[c % procs.length]`; then checks the stream and every receipt.
 */
async function concurrentWriters(procs: readonly SequencerProcess[], clients: number, batches: number, size: number) {
  const first = procs[0]!;
  const fx = await newStream(first);
  const work = await Promise.all(Array.from({ length: clients }, (_, c) => makeBatches(fx, `c${c}`, batches, size)));
  const built = new Map(work.flat(2).map((b) => [b.event.eventId, b]));
  const received = new Map<string, SequencerReceipt>();
  await Promise.all(
    work.map(async (clientBatches, c) => {
      const proc = procs[c % procs.length]!;
      for (const batch of clientBatches) {
        const res = await ingest(proc, proc.adminKey, fx.agentId, batch);
        expect(res.eventsAccepted, JSON.stringify(res.rejections)).to.equal(size);
        expect(res.eventsRejected).to.equal(0);
        const receipts = res.receipts ?? [];
        expect(receipts).to.have.length(size);
        // Request order kept: one contiguous range, in the order of the batch.
        receipts.forEach((r, i) => {
          expect(r.eventId).to.equal(batch[i]!.event.eventId);
          expect(r.sequenceNumber).to.equal(res.sequenceStart! + BigInt(i));
          if (received.has(r.eventId)) throw new Error(`two receipts for ${r.eventId}`);
          received.set(r.eventId, r);
        });
        expect(res.sequenceEnd).to.equal(res.sequenceStart! + BigInt(size - 1));
      }
    }),
  );
  const total = clients * batches * size;
  const keys = await Promise.all(procs.map(sequencerKey));
  for (const k of keys) expect(bytesToHex(k)).to.equal(bytesToHex(keys[0]!));
  for (const proc of procs) {
    const { events, head } = await pullAll(proc, fx);
    expect(head).to.equal(BigInt(total));
    const byId = expectGapFree(events, head);
    expect(byId.size).to.equal(built.size);
    for (const [id, r] of received) {
      const stored = byId.get(id);
      if (stored === undefined) throw new Error(`accepted event ${id} is missing`);
      expect(sameReceipt(stored.receipt, r), `${describeReceipt(stored.receipt)} vs ${describeReceipt(r)}`).to.be.true;
      const check = verifyReceipt(r, built.get(id)!.event, keys[0]);
      if (!check.ok) throw new Error(`receipt of ${id}: ${check.message}`);
    }
  }
}

/** What one batch of the crash test got: its receipts, or nothing because the response was lost. */
type BatchOutcome = { readonly kind: "ok"; readonly receipts: SequencerReceipt[] } | { readonly kind: "lost" };

/** Load, kill -9, restart on the same data, check; then retry every batch and check again. */
async function crashAndRecover(backend: Backend) {
  const dep = backend.deployment();
  const CLIENTS = 6;
  const BATCHES = 30;
  const SIZE = 20;
  let proc = await startSequencer(dep);
  const fx = await newStream(proc);
  const work = await Promise.all(
    Array.from({ length: CLIENTS }, (_, c) => makeBatches(fx, `crash${c}`, BATCHES, SIZE)),
  );
  const built = new Map(work.flat(2).map((b) => [b.event.eventId, b]));
  const outcomes: BatchOutcome[][] = work.map(() => []);
  let acceptedEvents = 0;
  let killed = false;
  const victim = proc;
  const clientsDone = Promise.all(
    work.map(async (clientBatches, c) => {
      for (const batch of clientBatches) {
        if (killed) return;
        try {
          const res = await ingest(victim, victim.adminKey, fx.agentId, batch);
          expect(res.eventsAccepted, JSON.stringify(res.rejections)).to.equal(SIZE);
          outcomes[c]!.push({ kind: "ok", receipts: res.receipts ?? [] });
          acceptedEvents += SIZE;
        } catch (e) {
          if (!killed) throw e;
          outcomes[c]!.push({ kind: "lost" });
          return;
        }
      }
    }),
  );
  // Kill while the clients are still sending (about a third of the load in).
  const threshold = (CLIENTS * BATCHES * SIZE) / 3;
  while (acceptedEvents < threshold) await new Promise((r) => setTimeout(r, 5));
  killed = true;
  await victim.kill9();
  await clientsDone;
  const lost = outcomes.flat().filter((o) => o.kind === "lost").length;
  const ok = outcomes.flat().filter((o) => o.kind === "ok").length;
  expect(ok, "batches answered before the kill").to.be.greaterThan(0);

  proc = await startSequencer(dep);
  const key = await sequencerKey(proc);
  const first = await pullAll(proc, fx);
  const byId = expectGapFree(first.events, first.head);
  // Every received receipt is stored unchanged; a lost batch is all-or-nothing.
  let lostStored = 0;
  outcomes.forEach((list, c) =>
    list.forEach((o, b) => {
      const batch = work[c]![b]!;
      if (o.kind === "ok") {
        o.receipts.forEach((r) => {
          const stored = byId.get(r.eventId);
          if (stored === undefined)
            throw new Error(`event ${r.eventId} had a receipt (${describeReceipt(r)}) but is gone`);
          if (!sameReceipt(stored.receipt, r)) {
            throw new Error(
              `event ${r.eventId}: ${describeReceipt(stored.receipt)} stored, ${describeReceipt(r)} sent`,
            );
          }
        });
      } else {
        const present = batch.filter((e) => byId.has(e.event.eventId)).length;
        if (present !== 0 && present !== SIZE) throw new Error(`lost batch ${c}/${b} is partly stored (${present})`);
        if (present === SIZE) lostStored++;
      }
    }),
  );
  for (const e of first.events) if (!built.has(e.eventId)) throw new Error(`unknown event ${e.eventId} stored`);

  // Retry every attempted batch: replays keep their receipts, the rest is accepted once.
  let replays = 0;
  let accepted = 0;
  await Promise.all(
    outcomes.map(async (list, c) => {
      for (let b = 0; b < list.length; b++) {
        const batch = work[c]![b]!;
        const o = list[b]!;
        const res = await ingest(proc, proc.adminKey, fx.agentId, batch);
        expect(res.eventsRejected, JSON.stringify(res.rejections)).to.equal(0);
        const receipts = res.receipts ?? [];
        expect(receipts).to.have.length(SIZE);
        receipts.forEach((r, i) => {
          const prior = byId.get(r.eventId);
          expect(r.eventId).to.equal(batch[i]!.event.eventId);
          if (prior !== undefined) {
            replays++;
            if (!sameReceipt(prior.receipt, r)) {
              throw new Error(`retry of ${r.eventId}: ${describeReceipt(r)}, was ${describeReceipt(prior.receipt)}`);
            }
          } else accepted++;
          if (o.kind === "ok" && !sameReceipt(o.receipts[i]!, r)) throw new Error(`retry of ${r.eventId} differs`);
        });
      }
    }),
  );
  const attempted = outcomes.flat().length * SIZE;
  expect(replays, "replays = events stored before the retry").to.equal(first.events.length);
  expect(replays + accepted).to.equal(attempted);

  const after = await pullAll(proc, fx);
  const finalById = expectGapFree(after.events, after.head);
  expect(after.head).to.equal(BigInt(attempted));
  for (const e of first.events) expect(finalById.get(e.eventId)!.text).to.equal(e.text);
  for (const e of after.events) {
    const check = verifyReceipt(e.receipt, built.get(e.eventId)!.event, key);
    if (!check.ok) throw new Error(`receipt of ${e.eventId}: ${check.message}`);
  }
  await proc.stop();
  return { ok, lost, lostStored, storedAtCrash: first.events.length, attempted };
}

// Bad input -----------------------------------------------------------------------------------------------------------

/** A generated hostile request and what it may be answered with. */
interface HostileCase {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /**
   * `4xx`: only a client error; `ingest`: a 4xx or a 200 accepting nothing (every event rejected or replayed),
   * `events` being the number of events sent, except the events in `mayAccept`; `any-non-5xx`: anything below 500.
   */
  readonly expect: "4xx" | "ingest" | "any-non-5xx";
  /** The exact status(es) required, where the API defines one. */
  readonly status?: readonly number[];
  readonly events?: number;
  /** Ingest: ids of events that may legitimately be accepted (sent to the scratch stream), or `all`. */
  readonly mayAccept?: ReadonlySet<string> | "all";
  /** Ingest: what was done to each event, by event id, to name the culprit when one is accepted. */
  readonly eventLabels?: ReadonlyMap<string, string>;
}

/** Everything the generators need: the target stream, stored events, credentials of another tenant. */
interface HostileContext {
  readonly fx: StreamFixture;
  /** Another tenant's stream, with its own agent key. */
  readonly other: StreamFixture;
  /** A scratch stream of a third tenant: requests whose events may legitimately be accepted go there. */
  readonly scratch: StreamFixture;
  readonly adminKey: string;
  /** An API key of the other tenant (read/write). */
  readonly otherKey: string;
  /** A read-only API key of the target tenant. */
  readonly readOnlyKey: string;
  /** A write key of the target tenant bound to its agent. */
  readonly agentKey: string;
  readonly stored: readonly BuiltEnvelope[];
  readonly head: bigint;
}

const HOSTILE_VALUES = (rng: Rng): unknown[] => [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  -0,
  "",
  " ",
  "null",
  "18446744073709551616",
  "x".repeat(129),
  "é".repeat(300),
  "x".repeat(70_000),
  "\u0000\u0001\u001f",
  "\u202e\ufeff\u200b",
  "😀".repeat(200),
  [],
  {},
  [1, 2, 3],
  { a: { b: { c: [null] } } },
  JSON.parse("[".repeat(100) + "]".repeat(100)) as unknown,
  JSON.parse("[".repeat(150) + "]".repeat(150)) as unknown,
  `0x${"zz".repeat(32)}`,
  `0x${rng.hex(31)}`,
  `0x${rng.hex(33)}`,
  `0x${rng.hex(32)}`,
  `0x${rng.hex(64)}`,
  rng.hex(32),
  `0X${rng.hex(32)}`,
  `0x${rng.hex(32).slice(1)}`,
  rng.uuid(),
  "not-a-uuid",
  `{${rng.uuid()}}`,
  "2024-13-45T99:99:99Z",
  "2024-01-01",
  "1970-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999999999+14:00",
  "AAAA====",
  "-_-_",
  Number.MAX_SAFE_INTEGER,
  2n ** 63n,
  2n ** 64n - 1n,
  4294967296,
  -4294967296,
  255,
  2,
];

/** JSON text of any value, bigints as plain integers, with no depth limit (unlike stringifyJsonExact). */
const toJson = (v: unknown): string =>
  (JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `__big${x}__` : x)) ?? "null").replace(
    /"__big(\d+)__"/g,
    "$1",
  );

/** Bodies of the other write routes that must fail whatever the random parts: marked by their fixed values. */
const STRICT_BODY =
  /"validFrom":"2030-01-01T00:00:00Z"|"sequence_start":5,"sequence_end":2|"sequence_start":0,"sequence_end":0/;

/** Envelope fields outside the signing hash. */
const UNSIGNED_FIELDS: ReadonlySet<string> = new Set([
  "command_id",
  "base_version",
  "agent_signature_scheme",
  "agent_signature_bundle",
]);

const ENVELOPE_FIELDS = [
  "ves_version",
  "event_id",
  "tenant_id",
  "store_id",
  "source_agent_id",
  "agent_key_id",
  "entity_type",
  "entity_id",
  "event_type",
  "created_at",
  "payload_kind",
  "payload",
  "payload_plain_hash",
  "payload_cipher_hash",
  "agent_signature",
  "command_id",
  "base_version",
  "agent_signature_scheme",
  "payload_encrypted",
  "agent_signature_bundle",
] as const;

/** Builds the list of hostile requests (pure given the seed, except for fresh signatures over random ids). */
async function hostileCases(rng: Rng, ctx: HostileContext, count: number): Promise<HostileCase[]> {
  const { fx, other } = ctx;
  const cases: HostileCase[] = [];
  const admin = { ...authHeader(ctx.adminKey), ...JSON_HEADERS };
  const asWire = (b: BuiltEnvelope) => JSON.parse(envelopeToJson(b.envelope)) as Record<string, unknown>;
  const ingestCase = (
    label: string,
    events: unknown[],
    headers = admin,
    agentId: unknown = fx.agentId,
    extra: Pick<HostileCase, "mayAccept" | "eventLabels" | "status"> = {},
  ) =>
    cases.push({
      label,
      method: "POST",
      path: INGEST,
      headers,
      body: toJson({ agentId, events }),
      expect: "ingest",
      events: events.length,
      ...extra,
    });
  const fresh = (tag: string, payload?: unknown, stream = fx) => makeEvent(stream, `hostile-${tag}`, payload);
  const streamQ = `tenant_id=${fx.tenantId}&store_id=${fx.storeId}`;

  // Huge bodies (a few: each is over 10 MiB on the wire), 1001 events, one payload over 1 MiB.
  const big = Buffer.alloc(10 * 1024 * 1024 + 1024, 0x61);
  cases.push({
    label: "body over 10 MiB (one huge string)",
    method: "POST",
    path: INGEST,
    headers: admin,
    body: `{"agentId":"${fx.agentId}","events":[{"x":"${big.toString("latin1")}"}]}`,
    expect: "4xx",
    status: [413],
  });
  cases.push({
    label: "body over 10 MiB (garbage)",
    method: "POST",
    path: INGEST,
    headers: admin,
    body: big,
    expect: "4xx",
    status: [413],
  });
  cases.push({
    label: "body over 10 MiB (agent-key route)",
    method: "POST",
    path: "/api/v1/agents/keys",
    headers: admin,
    body: big,
    expect: "4xx",
    status: [413],
  });
  const stub = asWire(await fresh("stub"));
  cases.push({
    label: "1001 events",
    method: "POST",
    path: INGEST,
    headers: admin,
    body: toJson({ agentId: fx.agentId, events: Array.from({ length: 1001 }, () => stub) }),
    expect: "4xx",
    status: [413],
  });
  // The builder refuses a payload over 1 MiB: swap it into the wire form of a small event.
  const hugePayload = asWire(await fresh("huge-payload"));
  hugePayload.payload = { blob: "p".repeat(1024 * 1024 + 10) };
  ingestCase("payload over 1 MiB", [hugePayload], admin, fx.agentId, { status: [413] });

  type Gen = () => Promise<void>;
  const gens: [number, Gen][] = [
    // Envelope field mutations: 1..4 mutated fresh events, sometimes with an exact replay of a stored one.
    [
      40,
      async () => {
        const n = 1 + rng.int(4);
        const fields = Array.from({ length: n }, () => rng.pick(ENVELOPE_FIELDS));
        // Unsigned fields (command_id, base_version, the signature scheme and bundle) may be changed to another
        // valid value without invalidating the event: such batches go to the scratch stream, where acceptance is
        // allowed. Every other field is covered by the signature, so any change must be rejected.
        const unsigned = fields.some((f) => UNSIGNED_FIELDS.has(f));
        const stream = unsigned ? ctx.scratch : fx;
        const events: unknown[] = [];
        const labels = new Map<string, string>();
        for (let i = 0; i < n; i++) {
          const w = asWire(await fresh(`${cases.length}-${i}`, undefined, stream));
          const field = fields[i]!;
          let label: string;
          if (rng.next() < 0.15 && field in w) {
            delete w[field];
            label = `-${field}`;
          } else {
            let v = rng.pick(HOSTILE_VALUES(rng));
            if (toJson(v) === toJson(w[field])) v = "different";
            if (field === "payload" && rng.next() < 0.5 && typeof w.payload === "object") {
              v = { ...(w.payload as object), extra: v };
            }
            w[field] = v;
            label = `${field}=${toJson(v).slice(0, 24)}`;
          }
          labels.set(String(w.event_id), label);
          events.push(w);
        }
        if (!unsigned && rng.next() < 0.3) events.splice(rng.int(events.length + 1), 0, asWire(rng.pick(ctx.stored)));
        ingestCase(`envelope mutation ${[...labels.values()].join(" ")}`, events, admin, stream.agentId, {
          eventLabels: labels,
          ...(unsigned ? { mayAccept: "all" as const } : {}),
        });
      },
    ],
    // Signatures: random, bit-flipped, another agent's key, an unregistered key id, an unknown scheme.
    [
      10,
      async () => {
        const w = asWire(await fresh(`sig-${cases.length}`));
        const sig = hexToBytes(String(w.agent_signature));
        const kind = rng.int(6);
        if (kind === 0) w.agent_signature = `0x${rng.hex(64)}`;
        else if (kind === 1) {
          const at = rng.int(64);
          sig[at] = sig[at]! ^ (1 << rng.int(8));
          w.agent_signature = `0x${bytesToHex(sig)}`;
        } else if (kind === 2) {
          const forged = await buildEnvelope({ ...wireToInput(w), signingKey: other.secretKey });
          w.agent_signature = forged.envelope.agent_signature;
        } else if (kind === 3) w.agent_key_id = 2 + rng.int(1000);
        else if (kind === 4) w.agent_signature_scheme = 2 + rng.int(5);
        else w.agent_signature = `0x${"00".repeat(64)}`;
        ingestCase(`bad signature (${kind})`, [w]);
      },
    ],
    // Replayed ids with changed content (same stream, validly signed), or a stored id in another tenant's stream.
    [
      6,
      async () => {
        const victim = rng.pick(ctx.stored);
        if (rng.next() < 0.7) {
          const changed = await buildEnvelope({
            ...wireToInput(asWire(victim)),
            payload: { changed: rng.hex(4) },
            signingKey: fx.secretKey,
          });
          ingestCase("replayed id, changed content", [asWire(changed)]);
        } else {
          const elsewhere = await makeEvent(other, `steal-${cases.length}`);
          const stolen = await buildEnvelope({
            ...wireToInput(asWire(elsewhere)),
            eventId: victim.event.eventId,
            signingKey: other.secretKey,
          });
          ingestCase(
            "stored id in another tenant's stream",
            [asWire(stolen)],
            {
              ...authHeader(ctx.otherKey),
              ...JSON_HEADERS,
            },
            other.agentId,
          );
        }
      },
    ],
    // Outer shape of the ingest body, and malformed JSON: against the scratch stream (a few shapes are valid).
    [
      8,
      async () => {
        const sx = ctx.scratch;
        const e = asWire(await fresh(`outer-${cases.length}`, undefined, sx));
        const shapes: unknown[] = [
          null,
          [],
          "events",
          42,
          {},
          { agentId: sx.agentId },
          { events: [e] },
          { agentId: rng.pick(HOSTILE_VALUES(rng)), events: [e] },
          { agentId: sx.agentId, events: rng.pick([null, {}, "x", 1, { 0: e }]) },
          { agentId: sx.agentId, events: [] },
          { agentId: sx.agentId, events: [e], __proto__: { admin: true } },
          { agentId: rng.uuid(), events: [e] },
          {
            agentId: sx.agentId,
            events: [asWire(await makeEvent({ ...sx, storeId: rng.uuid() }, `mix-${cases.length}`)), e],
          },
        ];
        const body = rng.pick(shapes);
        cases.push({
          label: `outer shape ${toJson(body).slice(0, 60)}`,
          method: "POST",
          path: INGEST,
          headers: admin,
          body: toJson(body),
          expect: "ingest",
          mayAccept: "all",
        });
      },
    ],
    // Malformed JSON and invalid UTF-8.
    [
      8,
      async () => {
        const sx = ctx.scratch;
        const good = ingestBody(sx.agentId, [await fresh(`json-${cases.length}`, undefined, sx)]);
        const variants: (string | Buffer)[] = [
          good.slice(0, 1 + rng.int(good.length - 1)),
          `${good}}`,
          `${good} garbage`,
          good.replace(/"/, "'"),
          good.replace(":", "::"),
          "{".repeat(5000),
          "[".repeat(100_000),
          `{"agentId":"${sx.agentId}","events":[{"a":1e400}]}`,
          `{"agentId":"${sx.agentId}","agentId":"${sx.agentId}","events":[]}`,
          `{"agentId":"\\ud800","events":[]}`,
          `{"agentId":"${sx.agentId}","events":[{"event_id":"\\ud800\\udc00\\udfff"}]}`,
          Buffer.concat([
            Buffer.from(good.slice(0, 40)),
            Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
            Buffer.from(good.slice(40)),
          ]),
          Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(good)]),
          Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
          "",
          "\u0000",
          "NaN",
          `{"agentId":"${sx.agentId}","events":[${"1,".repeat(999)}1]}`,
        ];
        const body = rng.pick(variants);
        cases.push({
          label: `malformed JSON ${JSON.stringify(body.toString().slice(0, 40))}`,
          method: "POST",
          path: INGEST,
          headers: admin,
          body,
          expect: "ingest",
          mayAccept: "all",
        });
      },
    ],
    // Wrong content types around a body of valid new events: must never be ingested.
    [
      5,
      async () => {
        const types = [
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/octet-stream",
          "application/jsonp",
          "application/x-json",
          "text/json",
          "application/json-patch+json",
          "application/vnd.api+json",
          "json",
          "*/*",
          "",
          "application/xml",
        ];
        const t = rng.pick(types);
        const headers: Record<string, string> = { ...authHeader(ctx.adminKey) };
        if (t !== "") headers["content-type"] = t;
        cases.push({
          label: `content type ${JSON.stringify(t)}`,
          method: "POST",
          path: INGEST,
          headers,
          body: ingestBody(fx.agentId, [await fresh(`ct-${cases.length}`)]),
          expect: "4xx",
          status: [415],
        });
      },
    ],
    // Credentials: none, garbage, Bearer, another tenant's, read-only, agent mismatch.
    [
      10,
      async () => {
        const body = ingestBody(fx.agentId, [await fresh(`auth-${cases.length}`)]);
        const k = rng.int(9);
        const headers: Record<string, string> = { ...JSON_HEADERS };
        let label: string;
        let p = INGEST;
        let b: string | undefined = body;
        let method = "POST";
        if (k === 0) label = "no credential";
        else if (k === 1) {
          headers.authorization = `ApiKey ss_${rng.hex(20)}`;
          label = "unknown API key";
        } else if (k === 2) {
          headers.authorization = `Bearer ${ctx.adminKey}`;
          label = "Bearer with the admin key";
        } else if (k === 3) {
          headers["x-api-key"] = ctx.otherKey;
          label = "another tenant's key (X-API-Key)";
        } else if (k === 4) {
          headers.authorization = `ApiKey ${ctx.readOnlyKey}`;
          label = "read-only key";
        } else if (k === 5) {
          headers.authorization = `ApiKey ${ctx.agentKey}`;
          b = body.replace(fx.agentId, rng.uuid());
          label = "agent-bound key, other agentId";
        } else if (k === 6) {
          headers.authorization = `ApiKey ${ctx.otherKey}`;
          method = "GET";
          b = undefined;
          delete headers["content-type"];
          p = rng.pick([
            `/api/v1/ves/events?${streamQ}`,
            `/api/v1/ves/head?${streamQ}`,
            `/api/v1/ves/events/${rng.pick(ctx.stored).event.eventId}`,
            `/api/v1/ves/commitments?${streamQ}&anchored=all`,
            `/api/v1/ves/proofs/1?${streamQ}`,
            `/api/v1/agents/keys?tenant_id=${fx.tenantId}&agent_id=${fx.agentId}`,
            "/v1/commitments/pending",
          ]);
          label = `another tenant reads ${p.split("?")[0]}`;
        } else if (k === 7) {
          headers.authorization = `ApiKey ${ctx.otherKey}`;
          const target = rng.int(4);
          p = [
            "/api/v1/agents/keys/revoke",
            "/api/v1/agents/keys",
            `/api/v1/agents/${fx.agentId}/api-keys`,
            "/api/v1/ves/commitments",
          ][target]!;
          b = toJson(
            [
              { tenantId: fx.tenantId, agentId: fx.agentId, keyId: fx.keyId },
              { tenantId: fx.tenantId, agentId: rng.uuid(), keyId: 1, publicKey: rng.hex(32) },
              { tenantId: fx.tenantId, admin: true },
              { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: 1, sequence_end: 1 },
            ][target] as never,
          );
          label = `another tenant writes ${p}`;
        } else {
          headers.authorization = rng.pick([
            "ApiKey",
            "ApiKey  ",
            `ApiKey ${ctx.adminKey} extra`,
            `apikey ${ctx.adminKey.slice(0, -1)}`,
            `Basic ${Buffer.from(`admin:${ctx.adminKey}`).toString("base64")}`,
            "ss_",
            `ApiKey ${"k".repeat(8000)}`,
          ]);
          label = `malformed Authorization ${headers.authorization.slice(0, 20)}`;
        }
        cases.push({ label, method, path: p, headers, ...(b === undefined ? {} : { body: b }), expect: "4xx" });
      },
    ],
    // Unknown routes and wrong methods.
    [
      6,
      async () => {
        const segs = [
          "api",
          "v1",
          "ves",
          "events",
          "ingest",
          "..",
          "%2e%2e",
          "%00",
          "admin",
          "x".repeat(rng.int(300)),
          "ｆｕｌｌ",
          "~",
          "%ff",
        ];
        const known = [INGEST, "/api/v1/agents/keys", "/api/v1/ves/commitments", "/health"];
        const r = rng.int(3);
        let p: string;
        let method: string;
        if (r === 0) {
          p = `/${Array.from({ length: 1 + rng.int(6) }, () => encodeURI(rng.pick(segs))).join("/")}`;
          method = rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH"]);
        } else if (r === 1) {
          p = rng.pick(known);
          method = rng.pick(["PUT", "DELETE", "PATCH"]);
        } else {
          p = `${rng.pick(["/api/v2/ves/events/ingest", "/API/V1/VES/EVENTS/INGEST", "/api/v1/ves/events/ingest/x", "/docs/yaml", "/v1/commitments"])}`;
          method = "POST";
        }
        cases.push({
          label: `route ${method} ${p.slice(0, 60)}`,
          method,
          path: p,
          headers: admin,
          body: "{}",
          expect: "4xx",
        });
      },
    ],
    // Query strings and path parameters of the read routes.
    [
      8,
      async () => {
        const v = () =>
          encodeURIComponent(
            String(
              rng.pick([
                "",
                "-1",
                "abc",
                "1e3",
                "0x10",
                "18446744073709551616",
                "18446744073709551615",
                "9223372036854775808",
                "9223372036854775807",
                "99999999999999999999999",
                "1.5",
                rng.uuid().slice(1),
                "%",
                "' OR 1=1 --",
                "0",
              ]),
            ),
          );
        const routes = [
          `/api/v1/ves/events?${streamQ}&from=${v()}`,
          `/api/v1/ves/events?${streamQ}&limit=${rng.pick(["0", "1001", "-5", "x", "1e9", "99999999999999999999"])}`,
          `/api/v1/ves/events?tenant_id=${v()}&store_id=${fx.storeId}`,
          `/api/v1/ves/events?store_id=${fx.storeId}`,
          `/api/v1/ves/events/${v()}`,
          `/api/v1/ves/head?tenant_id=${fx.tenantId}&store_id=${v()}`,
          `/api/v1/ves/proofs/${v()}?${streamQ}`,
          `/api/v1/ves/proofs/1?${streamQ}&batch_id=${v()}`,
          `/api/v1/ves/proofs/18446744073709551615?${streamQ}`,
          `/api/v1/ves/commitments?${streamQ}&anchored=${v()}`,
          `/api/v1/ves/commitments?${streamQ}&after=${v()}&limit=${v()}`,
          `/api/v1/ves/commitments/${v()}`,
          `/api/v1/agents/keys?tenant_id=${fx.tenantId}&agent_id=${v()}`,
          `/v1/commitments/pending?limit=${rng.pick(["0", "5001", "x", "-1"])}`,
        ];
        const p = rng.pick(routes);
        cases.push({
          label: `query ${p.slice(0, 90)}`,
          // Some generated values are valid ("0", "", "1e3" coerced): a 200 is fine, a 5xx is not.
          method: "GET",
          path: p,
          headers: authHeader(ctx.adminKey),
          expect: "any-non-5xx",
        });
      },
    ],
    // Bodies of the other write routes: agent keys, revocation, API keys, commitments, proof verification, anchoring.
    [
      8,
      async () => {
        const hv = () => rng.pick(HOSTILE_VALUES(rng));
        const bodies: [string, unknown, boolean?][] = [
          [
            "/api/v1/agents/keys",
            { tenantId: fx.tenantId, agentId: fx.agentId, keyId: fx.keyId, publicKey: rng.hex(32) },
            true,
          ],
          ["/api/v1/agents/keys", { tenantId: rng.uuid(), agentId: rng.uuid(), keyId: 1, publicKey: hv() }],
          ["/api/v1/agents/keys", { tenantId: rng.uuid(), agentId: rng.uuid(), keyId: hv(), publicKey: rng.hex(32) }],
          [
            "/api/v1/agents/keys",
            {
              tenantId: rng.uuid(),
              agentId: rng.uuid(),
              keyId: 1,
              publicKey: rng.hex(32),
              validFrom: "2030-01-01T00:00:00Z",
              validTo: "2020-01-01T00:00:00Z",
            },
            true,
          ],
          [
            "/api/v1/agents/keys",
            { tenantId: rng.uuid(), agentId: rng.uuid(), keyId: 1, publicKey: rng.hex(32), validFrom: hv() },
          ],
          ["/api/v1/agents/keys/revoke", { tenantId: ctx.scratch.tenantId, agentId: ctx.scratch.agentId, keyId: hv() }],
          ["/api/v1/agents/keys/revoke", { tenantId: fx.tenantId, agentId: rng.uuid(), keyId: 1 }, true],
          [`/api/v1/agents/${rng.uuid()}/api-keys`, { tenantId: hv() }],
          [`/api/v1/agents/${rng.uuid()}/api-keys`, { tenantId: rng.uuid(), storeIds: hv() }],
          [`/api/v1/agents/not-a-uuid/api-keys`, { tenantId: rng.uuid() }, true],
          [
            "/api/v1/ves/commitments",
            {
              tenant_id: fx.tenantId,
              store_id: fx.storeId,
              sequence_start: ctx.head + 1n + BigInt(rng.int(10)),
              sequence_end: ctx.head + 50n,
            },
          ],
          [
            "/api/v1/ves/commitments",
            { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: 5, sequence_end: 2 },
          ],
          [
            "/api/v1/ves/commitments",
            { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: hv(), sequence_end: hv() },
          ],
          [
            "/api/v1/ves/commitments",
            { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: 0, sequence_end: 0 },
          ],
          ["/api/v1/ves/commitments", { tenant_id: hv(), store_id: fx.storeId, sequence_start: 1, sequence_end: 1 }],
          ["/api/v1/ves/proofs/verify", { leaf_hash: hv(), merkle_root: rng.hex(32), proof_path: [], leaf_index: 0 }],
          [
            "/api/v1/ves/proofs/verify",
            { leaf_hash: rng.hex(32), merkle_root: rng.hex(32), proof_path: hv(), leaf_index: hv() },
          ],
          [
            "/api/v1/ves/proofs/verify",
            {
              leaf_hash: rng.hex(32),
              merkle_root: rng.hex(32),
              proof_path: Array.from({ length: 65 }, () => rng.hex(32)),
              leaf_index: 0,
            },
          ],
          [`/v1/commitments/${rng.uuid()}/anchored`, { chain_tx_hash: rng.hex(32), chain_id: 1 }],
          [`/v1/commitments/${rng.uuid()}/anchored`, { chain_tx_hash: hv(), chain_id: hv() }],
        ];
        const [p, body] = rng.pick(bodies);
        // Cases whose random values may happen to be valid (a key id of 2, a verify request answered {valid:false})
        // may succeed; the duplicate registration, the inverted validity window and the bad ranges may not.
        const strict = STRICT_BODY.test(toJson(body)) || p.includes("not-a-uuid");
        cases.push({
          label: `body of ${p}: ${toJson(body).slice(0, 80)}`,
          method: "POST",
          path: p,
          headers: admin,
          body: toJson(body),
          expect: strict ? "4xx" : "any-non-5xx",
        });
      },
    ],
  ];
  const total = gens.reduce((s, [w]) => s + w, 0);
  while (cases.length < count) {
    let x = rng.int(total);
    for (const [w, g] of gens) {
      if (x < w) {
        await g();
        break;
      }
      x -= w;
    }
  }
  return cases;
}

/** The builder's input for an envelope in wire form (plaintext events only). */
function wireToInput(w: Record<string, unknown>) {
  return {
    tenantId: String(w.tenant_id),
    storeId: String(w.store_id),
    sourceAgentId: String(w.source_agent_id),
    agentKeyId: Number(w.agent_key_id),
    entityType: String(w.entity_type),
    entityId: String(w.entity_id),
    eventType: String(w.event_type),
    eventId: String(w.event_id),
    createdAt: String(w.created_at),
    payload: w.payload,
  };
}

/** Sends one hostile request and returns a problem description, or undefined when the answer is acceptable. */
async function judge(proc: SequencerProcess, c: HostileCase, tally: Map<string, number>): Promise<string | undefined> {
  let r: HttpResult;
  try {
    r = await request(proc, c.method, c.path, {
      headers: c.headers,
      ...(c.body === undefined ? {} : { body: c.body }),
    });
  } catch (e) {
    // A huge body may be cut off by the server after it answered; that is the only transport error we accept.
    const big = c.body !== undefined && Buffer.byteLength(c.body) > 10 * 1024 * 1024;
    const code = (e as { code?: string }).code;
    tally.set(code ?? "error", (tally.get(code ?? "error") ?? 0) + 1);
    if (big && (code === "EPIPE" || code === "ECONNRESET")) return undefined;
    return `transport error ${code ?? (e as Error).message}`;
  }
  const short = r.text.slice(0, 200);
  tally.set(String(r.status), (tally.get(String(r.status)) ?? 0) + 1);
  if (r.status >= 500) return `${r.status} ${short}`;
  if (c.status !== undefined && !c.status.includes(r.status)) return `expected ${c.status.join("/")}, got ${r.status}`;
  if (c.expect === "any-non-5xx") return undefined;
  if (r.status >= 400 && r.status < 500) {
    if (r.status === 431) return undefined; // node's header limit answers without a body
    try {
      const err = obj(obj(parseJsonExact(r.text)).error);
      if (typeof err.code !== "string" || typeof err.message !== "string") return `${r.status} without a JSON error`;
    } catch {
      return `${r.status} with a non-JSON body: ${short}`;
    }
    return undefined;
  }
  if (c.expect === "4xx") return `expected a 4xx, got ${r.status}: ${short}`;
  if (r.status !== 200) return `expected 200 or a 4xx, got ${r.status}`;
  const parsed = parseIngestResponse(parseJsonExact(r.text));
  if (!parsed.ok) return `unparsable ingest response: ${parsed.message}`;
  const res = parsed.value;
  if (res.eventsAccepted !== 0 && c.mayAccept !== "all") {
    const allowed = c.mayAccept ?? new Set<string>();
    // Newly accepted events are the receipts in [sequenceStart, sequenceEnd]; replays carry older numbers.
    const culprits = (res.receipts ?? [])
      .filter((r) => res.sequenceStart !== null && r.sequenceNumber >= res.sequenceStart)
      .filter((r) => !allowed.has(r.eventId))
      .map((r) => c.eventLabels?.get(r.eventId) ?? r.eventId);
    if (culprits.length > 0) return `accepted hostile event(s) [${culprits.join("; ")}]: ${short}`;
  }
  const answered = (res.rejections?.length ?? 0) + (res.receipts?.length ?? 0);
  if (c.events !== undefined && answered !== c.events) return `${answered} results for ${c.events} events`;
  return undefined;
}

async function badInput(backend: Backend) {
  const proc = await startSequencer(backend.deployment());
  const seed = Number(process.env.VES_ROBUSTNESS_SEED ?? randomBytes(4).readUInt32BE(0));
  console.log(`      bad input (${backend.name}): seed ${seed} (set VES_ROBUSTNESS_SEED=${seed} to replay)`);
  const rng = prng(seed);
  const fx = await newStream(proc);
  const other = await newStream(proc);
  const scratch = await newStream(proc);
  const mkKey = async (agentId: string, body: Record<string, unknown>) => {
    const r = await api(proc, "POST", `/api/v1/agents/${agentId}/api-keys`, proc.adminKey, body);
    expect(r.status, r.text).to.equal(200);
    return String(obj(r.json).apiKey);
  };
  const otherKey = await mkKey(other.agentId, { tenantId: other.tenantId });
  const readOnlyKey = await mkKey(fx.agentId, { tenantId: fx.tenantId, readOnly: true });
  const agentKey = await mkKey(fx.agentId, { tenantId: fx.tenantId });

  // Some data to protect, committed (so that the commit worker changes nothing during the run).
  const stored = (await makeBatches(fx, "base", 3, 20)).flat();
  for (let i = 0; i < stored.length; i += 20) await ingest(proc, proc.adminKey, fx.agentId, stored.slice(i, i + 20));
  // The other tenant's key may write its own stream (a sanity check of the credential used below).
  const own = await makeEvent(other, "own");
  expect((await ingest(proc, otherKey, other.agentId, [own])).eventsAccepted).to.equal(1);
  for (let i = 0; ; i++) {
    const h = obj(
      (await api(proc, "GET", `/api/v1/ves/head?tenant_id=${fx.tenantId}&store_id=${fx.storeId}`, proc.adminKey)).json,
    );
    const latest = h.latest_commitment === null ? null : obj(h.latest_commitment);
    if (latest !== null && BigInt(latest.sequence_end as number) === BigInt(stored.length)) break;
    if (i > 200) throw new Error("the commit worker did not commit the stream in 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await pullAll(proc, fx);
  expect(before.head).to.equal(BigInt(stored.length));

  const cases = await hostileCases(
    rng,
    { fx, other, scratch, adminKey: proc.adminKey, otherKey, readOnlyKey, agentKey, stored, head: before.head },
    2100,
  );
  const problems: string[] = [];
  const tally = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const problem = await judge(proc, c, tally);
        if (problem !== undefined) problems.push(`${c.label}: ${problem}`);
      }
    }),
  );
  expect(
    problems,
    `${problems.length} of ${cases.length} hostile requests (seed ${seed}):\n${problems.slice(0, 40).join("\n")}`,
  ).to.deep.equal([]);

  // Healthy, and the stream is unchanged byte for byte (events, envelopes, receipts, commitments).
  for (const p of ["/health", "/ready"]) {
    const r = await request(proc, "GET", p);
    expect(r.status, `${p}: ${r.text}`).to.equal(200);
  }
  const after = await pullAll(proc, fx);
  expect(after.head).to.equal(before.head);
  expect(after.events.map((e) => e.text)).to.deep.equal(before.events.map((e) => e.text));
  // The victim's agent key is still active and works.
  const still = await ingest(proc, proc.adminKey, fx.agentId, [await makeEvent(fx, "after")]);
  expect(still.eventsAccepted, JSON.stringify(still.rejections)).to.equal(1);
  expect(still.sequenceStart).to.equal(before.head + 1n);
  expect(proc.errorLines, proc.errorLines.slice(0, 5).join("\n")).to.deep.equal([]);
  await proc.stop();
  const statuses = [...tally.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(" ");
  return { requests: cases.length, seed, statuses };
}

/**
 * Sequence numbers above i64::MAX (the largest a stream can reach, §7.3, and the largest either database stores) in
 * every place a client can send one: a 4xx each, never a 5xx.
 */
async function hugeSequenceNumbers(backend: Backend) {
  const proc = await startSequencer(backend.deployment());
  const fx = await newStream(proc);
  await ingest(proc, proc.adminKey, fx.agentId, [await makeEvent(fx, "one")]);
  const q = `tenant_id=${fx.tenantId}&store_id=${fx.storeId}`;
  const problems: string[] = [];
  for (const v of ["9223372036854775808", "18446744073709551615"]) {
    const probes: [string, string, unknown?][] = [
      ["GET", `/api/v1/ves/events?${q}&from=${v}`],
      ["GET", `/api/v1/ves/proofs/${v}?${q}`],
      ["GET", `/api/v1/ves/commitments?${q}&anchored=all&after=${v}`],
      [
        "POST",
        "/api/v1/ves/commitments",
        { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: BigInt(v), sequence_end: BigInt(v) },
      ],
      [
        "POST",
        "/api/v1/ves/commitments",
        { tenant_id: fx.tenantId, store_id: fx.storeId, sequence_start: 1, sequence_end: BigInt(v) },
      ],
    ];
    for (const [method, p, body] of probes) {
      const r = await api(proc, method, p, proc.adminKey, body);
      if (r.status < 400 || r.status >= 500)
        problems.push(
          `${method} ${p.split("?")[0]} ${body === undefined ? p.split("?")[1] : toJson(body)}: ${r.status} ${r.text.slice(0, 120)}`,
        );
    }
  }
  await proc.stop();
  expect(problems, problems.join("\n")).to.deep.equal([]);
}

// Suites --------------------------------------------------------------------------------------------------------------

describe("sequencer robustness (real processes over HTTP)", function () {
  this.timeout(180_000);

  after(async function () {
    await Promise.all([...running].map((p) => p.kill9()));
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  for (const backend of [sqliteBackend(), postgresBackend()]) {
    describe(backend.name, function () {
      before(async function () {
        await backend.setUp();
      });
      after(async function () {
        await Promise.all([...running].map((p) => p.kill9()));
        await backend.tearDown();
      });

      it("8 concurrent clients on one stream: gap-free, no duplicates, one sequence number each, receipts verify", async function () {
        const proc = await startSequencer(backend.deployment());
        await concurrentWriters([proc], 8, 10, 25);
        expect(proc.errorLines, proc.errorLines.join("\n")).to.deep.equal([]);
        await proc.stop();
      });

      if (backend.kind === "postgres") {
        it("two processes on one database, clients split across them: the same guarantees", async function () {
          const dep = backend.deployment();
          const procs = [await startSequencer(dep), await startSequencer(dep)];
          await concurrentWriters(procs, 8, 10, 25);
          for (const p of procs) expect(p.errorLines, p.errorLines.join("\n")).to.deep.equal([]);
          await Promise.all(procs.map((p) => p.stop()));
        });
      }

      it("kill -9 under load, restart on the same data: receipts kept, gap-free, retries are replays", async function () {
        const r = await crashAndRecover(backend);
        console.log(
          `      crash (${backend.name}): ${r.ok} batches answered, ${r.lost} lost (${r.lostStored} of them stored), ` +
            `${r.storedAtCrash} events survived, ${r.attempted} after the retries`,
        );
      });

      it("sequence numbers above i64::MAX in queries, paths and commitment ranges answer 400, not 500", async function () {
        await hugeSequenceNumbers(backend);
      });

      it("2,000+ malformed or hostile requests: 4xx or per-event rejections, never a 5xx; data unchanged", async function () {
        const r = await badInput(backend);
        console.log(`      bad input (${backend.name}): ${r.requests} requests, none answered 5xx (${r.statuses})`);
      });
    });
  }
});
