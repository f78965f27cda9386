/**
 * Ingest benchmark of the VES sequencer (issue 6):
 *
 *   npx ts-node --transpile-only bench/ingest.ts [--postgres URL] [--events N] [--clients C] [--batch B] [--cpu-prof DIR]
 *
 * Starts the real server as a child process (`bin/stateset-sequencer --port 0`; SQLite in a temp data directory by
 * default, PostgreSQL at URL when given), registers an agent key, pre-builds signed batches (100 events each by
 * default) and drives the server over HTTP with C concurrent clients, then prints events/s. In the same run it
 * measures the bound: one Ed25519 verification plus one receipt signature per event on all cores (worker_threads),
 * no HTTP, no database; and prints the ratio ingest/bound, the server's CPU per event (all threads, main thread) and
 * the clients' own CPU per event (this process: HTTP and the response check, on the same cores as the server). It
 * reports figures only: nothing here asserts a timing.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

import {
  buildEnvelope,
  bytesToHex,
  ed25519Keygen,
  ed25519Node,
  envelopeToJson,
  parseIngestResponse,
  parseJsonExact,
} from "../offchain/ves";

const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin", "stateset-sequencer");

interface Options {
  readonly postgres?: string;
  readonly events: number;
  readonly clients: number;
  readonly batch: number;
  /** Directory for a V8 CPU profile of the server process (`--cpu-prof DIR`). */
  readonly cpuProf?: string;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      "usage: npx ts-node --transpile-only bench/ingest.ts [--postgres URL] [--events N] [--clients C] [--batch B] [--cpu-prof DIR]\n",
    );
    process.exit(0);
  }
  const pg = get("postgres");
  const prof = get("cpu-prof");
  return {
    ...(pg === undefined ? {} : { postgres: pg }),
    ...(prof === undefined ? {} : { cpuProf: path.resolve(prof) }),
    events: int("events", 20_000),
    clients: int("clients", 4),
    batch: int("batch", 100),
  };
}

// The bound: Ed25519 verify + sign per event on worker threads -------------------------------------------------------

interface BoundJob {
  readonly events: number;
}

/** Worker: prepares `events` (message, signature) pairs, waits for `go`, verifies each and signs a receipt hash. */
function boundWorker(job: BoundJob): void {
  const agent = ed25519Keygen();
  // The sequencer's key is prepared once (a KeyObject), as a long-running server would hold it.
  const sequencer = ed25519Node.signer(ed25519Keygen().secretKey);
  const messages: Uint8Array[] = [];
  const signatures: Uint8Array[] = [];
  for (let i = 0; i < job.events; i++) {
    const m = sha256(randomBytes(64));
    messages.push(m);
    signatures.push(ed25519Node.sign(m, agent.secretKey));
  }
  parentPort!.once("message", () => {
    let ok = 0;
    for (let i = 0; i < job.events; i++) {
      if (ed25519Node.verify(signatures[i]!, messages[i]!, agent.publicKey)) ok++;
      // The receipt hash depends on the event; one SHA-256 stands in for it, then the receipt signature.
      sequencer.sign(sha256(signatures[i]!));
    }
    parentPort!.postMessage({ ok });
  });
  parentPort!.postMessage({ ready: true });
}

/** Runs the bound on `threads` workers over `events` events in total; returns events/s. */
async function measureBound(events: number, threads: number): Promise<{ rate: number; seconds: number }> {
  const per = Math.ceil(events / threads);
  const workers = Array.from(
    { length: threads },
    () =>
      new Worker(__filename, {
        workerData: { events: per } satisfies BoundJob,
        execArgv: ["-r", "ts-node/register/transpile-only"],
      }),
  );
  const next = (w: Worker) =>
    new Promise<{ ready?: boolean; ok?: number }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
  await Promise.all(workers.map(next));
  const start = process.hrtime.bigint();
  const done = workers.map(next);
  for (const w of workers) w.postMessage("go");
  const results = await Promise.all(done);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all(workers.map((w) => w.terminate()));
  const ok = results.reduce((s, r) => s + (r.ok ?? 0), 0);
  if (ok !== per * threads) throw new Error(`bound: ${per * threads - ok} signatures did not verify`);
  return { rate: (per * threads) / seconds, seconds };
}

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

// The server ---------------------------------------------------------------------------------------------------------

async function startServer(o: Options, dataDir: string) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEQUENCER__")) env[k] = v;
  const prof = o.cpuProf === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", o.cpuProf];
  const metricsPort = await freePort();
  const args = [...prof, BIN, "--port", "0", "--metrics-port", String(metricsPort), "--host", "127.0.0.1"];
  args.push("--metrics-host", "127.0.0.1", "--data-dir", dataDir);
  let adminKey: string | undefined;
  if (o.postgres !== undefined) {
    adminKey = `ss_admin_${randomBytes(18).toString("hex")}`;
    env.SEQUENCER__ADMIN_API_KEY = adminKey;
    env.SEQUENCER__SIGNING_KEY = randomBytes(32).toString("hex");
    args.push("--database-url", o.postgres);
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 50) tail.shift();
  };
  readline.createInterface({ input: child.stderr }).on("line", keep);
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      keep(line);
      if (line.includes('"msg":"sequencer started"')) resolve(String((JSON.parse(line) as { url: unknown }).url));
    });
    child.once("exit", (code) => reject(new Error(`sequencer exited (${code}):\n${tail.join("\n")}`)));
  });
  adminKey ??= readFileSync(path.join(dataDir, "admin-api-key"), "utf8").trim();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    /** CPU seconds the server has used so far (whole process, and its main thread), where /proc tells; else null. */
    cpu: () => serverCpu(child.pid),
    /** One sample of the server's metrics, by name with its labels (`ves_receipts_presigned_total{result="hit"}`). */
    async metric(name: string): Promise<number | undefined> {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    },
    adminKey,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** utime + stime in seconds from a /proc stat file (fields 14 and 15, after the parenthesised command name). */
function procCpuSeconds(file: string): number {
  const text = readFileSync(file, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

function serverCpu(pid: number | undefined): { process: number; main: number } | null {
  if (pid === undefined) return null;
  try {
    return {
      process: procCpuSeconds(`/proc/${pid}/stat`),
      main: procCpuSeconds(`/proc/${pid}/task/${pid}/stat`),
    };
  } catch {
    return null;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, p: string, key: string, body: string): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: p,
        method: "POST",
        agent,
        headers: {
          authorization: `ApiKey ${key}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const cores = os.availableParallelism();
  const backend = o.postgres === undefined ? "SQLite" : "PostgreSQL";
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ves-bench-ingest-"));
  const server = await startServer(o, dataDir);
  try {
    // 1. One stream, one agent key.
    const keys = ed25519Keygen();
    const stream = { tenantId: randomUUID(), storeId: randomUUID(), agentId: randomUUID() };
    const reg = await post(
      server.url,
      "/api/v1/agents/keys",
      server.adminKey,
      JSON.stringify({ ...stream, keyId: 1, publicKey: bytesToHex(keys.publicKey) }),
    );
    if (reg.status !== 200) throw new Error(`agent key registration: ${reg.status} ${reg.text}`);

    // 2. Pre-built signed batches (plus two warm-up batches, not counted).
    const batches = Math.ceil(o.events / o.batch) + 2;
    process.stderr.write(`building ${batches * o.batch} signed events…\n`);
    const bodies: string[] = [];
    const signer = ed25519Node.signer(keys.secretKey);
    for (let b = 0; b < batches; b++) {
      const events: string[] = [];
      for (let i = 0; i < o.batch; i++) {
        const built = await buildEnvelope({
          tenantId: stream.tenantId,
          storeId: stream.storeId,
          sourceAgentId: stream.agentId,
          agentKeyId: 1,
          entityType: "order",
          entityId: `order-${b}-${i}`,
          eventType: "order.created",
          payload: { order: `${b}-${i}`, amount: 4990, currency: "EUR", lines: [{ sku: "A-1", qty: 2 }] },
          signingKey: signer,
        });
        events.push(envelopeToJson(built.envelope));
      }
      bodies.push(`{"agentId":"${stream.agentId}","events":[${events.join(",")}]}`);
    }
    const send = async (body: string) => {
      const t0 = process.hrtime.bigint();
      const r = await post(server.url, "/api/v1/ves/events/ingest", server.adminKey, body);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 200) throw new Error(`ingest: ${r.status} ${r.text.slice(0, 300)}`);
      const parsed = parseIngestResponse(parseJsonExact(r.text));
      if (!parsed.ok) throw new Error(`ingest response: ${parsed.message}`);
      if (parsed.value.eventsAccepted !== o.batch)
        throw new Error(`ingest: ${JSON.stringify(parsed.value.rejections)}`);
      return ms;
    };
    for (const body of bodies.splice(0, 2)) await send(body);

    // 3. Ingest over HTTP with C concurrent clients.
    process.stderr.write(`ingesting ${bodies.length * o.batch} events with ${o.clients} clients…\n`);
    const latencies: number[] = [];
    let next = 0;
    const cpu0 = server.cpu();
    const client0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        while (next < bodies.length) latencies.push(await send(bodies[next++]!));
      }),
    );
    const ingestSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu1 = server.cpu();
    const client = process.cpuUsage(client0);
    const ingested = bodies.length * o.batch;
    const ingestRate = ingested / ingestSeconds;
    const presignHits = await server.metric('ves_receipts_presigned_total{result="hit"}');
    const presignMisses = await server.metric('ves_receipts_presigned_total{result="miss"}');

    // 4. The bound, on all cores, with the server stopped (its commit worker would compete for the cores).
    await server.stop();
    process.stderr.write(`measuring the bound on ${cores} worker threads…\n`);
    const bound = await measureBound(Math.max(ingested, 20_000), cores);

    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    const rows: [string, string, string, string][] = [
      [
        `ingest over HTTP (${backend}, ${o.clients} clients, batches of ${o.batch})`,
        fmt(ingested),
        ingestSeconds.toFixed(2),
        fmt(ingestRate),
      ],
      [
        `bound: Ed25519 verify + receipt sign, ${cores} worker threads`,
        fmt(Math.ceil(Math.max(ingested, 20_000) / cores) * cores),
        bound.seconds.toFixed(2),
        fmt(bound.rate),
      ],
    ];
    const head: [string, string, string, string] = ["measure", "events", "seconds", "events/s"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: readonly string[]) =>
      `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
    console.log(`\nVES sequencer ingest benchmark (${backend}, ${cores} cores, node ${process.version})\n`);
    console.log(line(head));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const r of rows) console.log(line(r));
    console.log(
      `\nbatch latency: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    if (cpu0 !== null && cpu1 !== null) {
      const us = (s: number) => ((s * 1e6) / ingested).toFixed(0);
      console.log(
        `server CPU per event: ${us(cpu1.process - cpu0.process)} µs (all threads), ` +
          `${us(cpu1.main - cpu0.main)} µs (main thread)`,
      );
    }
    // The clients share the machine with the server (and the bound does not): their CPU is part of the gap.
    console.log(
      `bench clients' CPU per event: ${((client.user + client.system) / ingested).toFixed(0)} µs (HTTP, response check)`,
    );
    if (presignHits !== undefined && presignMisses !== undefined) {
      console.log(`receipts presigned on the workers: ${fmt(presignHits)}, signed inline: ${fmt(presignMisses)}`);
    }
    console.log(`ratio ingest/bound: ${((100 * ingestRate) / bound.rate).toFixed(1)}%`);
  } finally {
    await server.stop();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (!isMainThread) boundWorker(workerData as BoundJob);
else {
  main().catch((e: unknown) => {
    process.stderr.write(`bench/ingest: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
