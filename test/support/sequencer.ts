/**
 * Shared helpers of the sequencer's operations suites: both backends (a SQLite data directory, a fresh PostgreSQL
 * database), a sequencer started on a loopback port with fixed test secrets, a small exact-JSON HTTP client, agents
 * with registered keys that sign envelopes, and the CLI run in-process with captured output.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import * as ves from "../../offchain/ves";
import { createSequencer, resolveSequencerConfig, runCli, type Sequencer } from "../../offchain/sequencer";
import { freshDatabase } from "./postgres";

/** The bootstrap admin key of test sequencers. */
export const ADMIN_KEY = "ss_admin_test_key_0123456789abcdef";
/** The receipt-signing seed of test sequencers. */
export const SIGNING_KEY = "11".repeat(32);

/** A place for a sequencer's data: its environment (database URL) and data directory. */
export interface BackendSetup {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly cleanup: () => Promise<void>;
}

/** A storage backend for the suites. */
export interface Backend {
  readonly name: "SQLite" | "PostgreSQL";
  setup(): Promise<BackendSetup>;
}

/** Both backends. */
export const BACKENDS: readonly Backend[] = [
  {
    name: "SQLite",
    async setup() {
      const dataDir = mkdtempSync(path.join(tmpdir(), "ves-seq-ops-"));
      return { env: {}, dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: "PostgreSQL",
    async setup() {
      const db = await freshDatabase("ves_ops");
      const dataDir = mkdtempSync(path.join(tmpdir(), "ves-seq-ops-"));
      return {
        env: { SEQUENCER__DATABASE_URL: db.url },
        dataDir,
        cleanup: async () => {
          await db.drop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];

/** The environment of a test sequencer on `setup` (secrets included). */
export function sequencerEnv(setup: BackendSetup, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...setup.env,
    SEQUENCER__ADMIN_API_KEY: ADMIN_KEY,
    SEQUENCER__SIGNING_KEY: SIGNING_KEY,
    SEQUENCER__DATA_DIR: setup.dataDir,
    SEQUENCER__LOG_LEVEL: "silent",
    // No metrics listener: suites run many sequencers in one process (a suite that reads metrics asks for any port).
    SEQUENCER__METRICS_PORT: "0",
    ...extra,
  };
}

/** Starts a sequencer on `setup` with a free port and no commit worker; `flags` override. */
export async function startSequencer(
  setup: BackendSetup,
  flags: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
  deps: Parameters<typeof createSequencer>[2] = {},
): Promise<{ seq: Sequencer; url: string }> {
  const config = resolveSequencerConfig({ port: 0, commitWorker: false, ...flags }, sequencerEnv(setup, env));
  const seq = await createSequencer(config, undefined, deps);
  return { seq, url: await seq.start() };
}

/** An HTTP response with its exact-JSON body. */
export interface Response {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown> & Record<string, never>;
  readonly text: string;
}

/** A tiny HTTP client with an API key. */
export function client(base: string, key?: string) {
  const call = async (
    method: string,
    url: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = key === undefined ? {} : { authorization: `ApiKey ${key}` };
    const init: RequestInit = { method, headers: { ...headers, ...extra } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : ves.stringifyJsonExact(body as ves.ExactJsonValue);
      init.headers = { ...headers, "content-type": "application/json", ...extra };
    }
    const res = await fetch(base + url, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = ves.parseJsonExact(text);
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, json: json as Response["json"], text };
  };
  return {
    get: (url: string) => call("GET", url),
    /** POSTs `body` as JSON (a string is sent as is); `headers` override, e.g. another content type. */
    post: (url: string, body: unknown = {}, headers?: Record<string, string>) => call("POST", url, body, headers),
    put: (url: string, body: unknown = {}) => call("PUT", url, body),
    delete: (url: string) => call("DELETE", url),
  };
}

/** A client as returned by `client`. */
export type Client = ReturnType<typeof client>;

/** An agent of a tenant with a registered Ed25519 key, able to build signed envelopes. */
export interface Agent {
  readonly tenantId: string;
  readonly storeId: string;
  readonly agentId: string;
  readonly key: ves.Ed25519KeyPair;
  event(overrides?: Partial<ves.BuildEnvelopeInput>): Promise<ves.VesEventEnvelope>;
}

let counter = 0;

/** Registers a new agent key through `admin` and returns the agent. */
export async function newAgent(
  admin: Client,
  tenantId: string = randomUUID(),
  storeId: string = randomUUID(),
): Promise<Agent> {
  const agentId = randomUUID();
  const key = ves.ed25519Keygen();
  const r = await admin.post("/api/v1/agents/keys", {
    tenantId,
    agentId,
    keyId: 1,
    publicKey: ves.bytesToHex(key.publicKey),
  });
  expect(r.status, r.text).to.equal(200);
  return {
    tenantId,
    storeId,
    agentId,
    key,
    event: async (o = {}) =>
      (
        await ves.buildEnvelope({
          tenantId,
          storeId,
          sourceAgentId: agentId,
          agentKeyId: 1,
          entityType: "order",
          entityId: `ORD-${++counter}`,
          eventType: "order.created",
          payload: { n: counter, total: "19.99" },
          signingKey: key.secretKey,
          ...o,
        })
      ).envelope,
  };
}

/** Ingests `events` for `agent` through `c`. */
export function ingest(c: Client, agent: Agent, events: unknown[]): Promise<Response> {
  return c.post("/api/v1/ves/events/ingest", { agentId: agent.agentId, events });
}

/** Runs the CLI in-process with `env`; returns its exit code, output and (when JSON) parsed output. */
export async function cli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> & Record<string, never> }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  let json: unknown;
  try {
    json = ves.parseJsonExact(stdout.trim());
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json: json as Record<string, unknown> & Record<string, never> };
}
