/**
 * Graceful stop of the sequencer as a real process (`bin/stateset-sequencer`, spawned) under keep-alive load, on both
 * backends: SIGTERM arrives while clients keep sending batches on persistent connections, while one request is in
 * flight (its body still arriving) and while another request never completes. The in-flight request is answered with
 * its receipts and `Connection: close`, every keep-alive client is let go, the process exits with code 0 (closing the
 * request that never completes at `SEQUENCER__SHUTDOWN_TIMEOUT_MS`), and after a restart on the same database every
 * event that got a receipt is stored at its sequence number with the same receipt hash.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";

import { expect } from "chai";

import { parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../../offchain/ves";
import { ADMIN_KEY, BACKENDS, client, newAgent, sequencerEnv, startSequencer, type Agent } from "../support/sequencer";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "stateset-sequencer");
const INGEST = "/api/v1/ves/events/ingest";
/** Workers sending batches on their own keep-alive connection. */
const WORKERS = 6;
const BATCH = 5;

interface Receipt {
  readonly eventId: string;
  readonly sequenceNumber: bigint;
  readonly receiptHash: string;
}

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly receipts: Receipt[];
}

/** Sends an ingest request on `agent`; `hold` keeps back the last bytes of the body until it resolves. */
function post(
  base: URL,
  httpAgent: http.Agent,
  body: string,
  hold?: Promise<void>,
): { answer: Promise<Answer>; sent: Promise<void> } {
  let markSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: "POST",
        path: INGEST,
        agent: httpAgent,
        headers: {
          authorization: `ApiKey ${ADMIN_KEY}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let receipts: Receipt[] = [];
          if (res.statusCode === 200) {
            receipts = (parseJsonExact(text) as unknown as { receipts: Receipt[] }).receipts.map((r) => ({
              eventId: r.eventId,
              sequenceNumber: BigInt(r.sequenceNumber),
              receiptHash: r.receiptHash,
            }));
          }
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, receipts });
        });
      },
    );
    req.on("error", reject);
    if (hold === undefined) {
      req.end(body, markSent);
    } else {
      req.write(body.slice(0, -1), () => markSent());
      void hold.then(() => req.end(body.slice(-1)));
    }
  });
  return { answer, sent };
}

const batch = async (agent: Agent) =>
  stringifyJsonExact({
    agentId: agent.agentId,
    events: (await Promise.all(Array.from({ length: BATCH }, () => agent.event()))) as unknown as ExactJsonValue[],
  } as ExactJsonValue);

describe("sequencer graceful stop", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    it(`lets keep-alive clients go on SIGTERM, exits and keeps every acknowledged event (${backend.name})`, async function () {
      const setup = await backend.setup();
      const agents: http.Agent[] = [];
      let child: ChildProcess | undefined;
      try {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEQUENCER__")) env[k] = v;
        Object.assign(
          env,
          sequencerEnv(setup, { SEQUENCER__LOG_LEVEL: "info", SEQUENCER__SHUTDOWN_TIMEOUT_MS: "2000" }),
        );
        child = spawn(process.execPath, [BIN, "--port", "0", "--commit-interval-ms", "100"], {
          cwd: ROOT,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const lines: string[] = [];
        const waiters: { pattern: string; resolve: (line: string) => void }[] = [];
        const seen = (pattern: string) =>
          new Promise<string>((resolve) => {
            const line = lines.find((l) => l.includes(pattern));
            if (line !== undefined) resolve(line);
            else waiters.push({ pattern, resolve });
          });
        const onLine = (line: string) => {
          lines.push(line);
          for (const w of waiters.filter((x) => line.includes(x.pattern))) w.resolve(line);
        };
        readline.createInterface({ input: child.stdout! }).on("line", onLine);
        readline.createInterface({ input: child.stderr! }).on("line", onLine);
        const proc = child;
        const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
        const started = await Promise.race([
          seen('"msg":"sequencer started"'),
          exited.then((code) => {
            throw new Error(`sequencer exited (${code}) before starting:\n${lines.join("\n")}`);
          }),
        ]);
        const base = new URL((JSON.parse(started) as { url: string }).url);
        const agent = await newAgent(client(base.origin, ADMIN_KEY));
        const receipts: Receipt[] = [];
        let stopping = false;

        // One request in flight across the signal (its last byte sent afterwards), one that never completes.
        const inFlightAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const stuckAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        agents.push(inFlightAgent, stuckAgent);
        let release: () => void = () => undefined;
        const released = new Promise<void>((resolve) => (release = resolve));
        const inFlight = post(base, inFlightAgent, await batch(agent), released);
        const stuck = post(base, stuckAgent, await batch(agent), new Promise<void>(() => undefined));
        stuck.answer.catch(() => undefined);
        await Promise.all([inFlight.sent, stuck.sent]);

        // Keep-alive load: each worker sends batches on its own connection until it is let go.
        const outcomes: string[] = [];
        const worker = async () => {
          const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          agents.push(httpAgent);
          for (;;) {
            let a: Answer;
            try {
              a = await post(base, httpAgent, await batch(agent)).answer;
            } catch (e) {
              outcomes.push(stopping ? "transport error after SIGTERM" : `transport error: ${(e as Error).message}`);
              return;
            }
            receipts.push(...a.receipts);
            if (a.status !== 200) {
              outcomes.push(stopping && a.status === 503 ? "503 after SIGTERM" : `status ${a.status}`);
              return;
            }
            if (a.connection === "close") {
              outcomes.push(stopping ? "Connection: close" : "Connection: close before SIGTERM");
              return;
            }
          }
        };
        const workers = Array.from({ length: WORKERS }, worker);
        while (receipts.length < 20 * BATCH && outcomes.length === 0) await new Promise((r) => setTimeout(r, 10));

        stopping = true;
        proc.kill("SIGTERM");
        await seen('"msg":"sequencer stopping"');
        release();
        const last = await inFlight.answer;
        receipts.push(...last.receipts);
        await Promise.all(workers);
        const code = await exited;

        expect(code, lines.slice(-20).join("\n")).to.equal(0);
        expect(last.status).to.equal(200);
        expect(last.connection, "the in-flight request's answer").to.equal("close");
        expect(last.receipts).to.have.length(BATCH);
        for (const o of outcomes)
          expect(["Connection: close", "503 after SIGTERM", "transport error after SIGTERM"]).to.include(o);
        expect(lines.some((l) => l.includes('"msg":"shutdown deadline: closing open connections"'))).to.equal(true);
        expect(lines.some((l) => l.includes('"msg":"sequencer stopped"'))).to.equal(true);
        expect(receipts.length).to.be.greaterThan(20 * BATCH);

        // Restarted on the same data: every acknowledged event is stored at its sequence number.
        const { seq, url } = await startSequencer(setup);
        try {
          const stored = new Map<bigint, { event_id: string; receipt: { receiptHash: string } }>();
          const admin = client(url, ADMIN_KEY);
          for (let from = 1n; ;) {
            const r = await admin.get(
              `/api/v1/ves/events?tenant_id=${agent.tenantId}&store_id=${agent.storeId}&from=${from}&limit=1000`,
            );
            expect(r.status, r.text).to.equal(200);
            const page = r.json.events as unknown as {
              sequence_number: bigint;
              event_id: string;
              receipt: { receiptHash: string };
            }[];
            for (const e of page) stored.set(BigInt(e.sequence_number), e);
            if (!(r.json.has_more as unknown as boolean)) break;
            from = r.json.next as unknown as bigint;
          }
          for (const rc of receipts) {
            const e = stored.get(rc.sequenceNumber);
            expect(e?.event_id, `event ${rc.eventId} at ${rc.sequenceNumber}`).to.equal(rc.eventId);
            expect(e?.receipt.receiptHash).to.equal(rc.receiptHash);
          }
        } finally {
          await seq.stop();
        }
      } finally {
        if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        for (const a of agents) a.destroy();
        await setup.cleanup();
      }
    });
  }
});
