import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

import { expect } from "chai";
import { JsonRpcProvider } from "ethers";

import { connectRegistry } from "../../offchain/common";
import type { Sequencer } from "../../offchain/sequencer";
import type { SetRegistry } from "../../typechain-types";
import { ADMIN_KEY, BACKENDS, client, startSequencer, type BackendSetup, type Client } from "../support/sequencer";
import {
  KEYS,
  ROOT,
  anchoredTx,
  commit,
  getJson,
  id32,
  newStream,
  startDevnet,
  tempDir,
  waitFor,
  type Devnet,
} from "../support/anchor";

const BIN = path.join(ROOT, "bin", "set-anchor");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

/** Runs a command to its end without blocking the event loop (the sequencer under test runs in this process). */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A `set-anchor` child process with its output collected. */
interface AnchorProc {
  readonly proc: ChildProcessWithoutNullStreams;
  output(): string;
  /** The listener URL, once it logged it. */
  url(): Promise<string>;
  exited: Promise<number | null>;
}

describe("set-anchor processes (real hardhat devnet, real sequencer, the bin as child processes)", function () {
  this.timeout(240_000);

  let devnet: Devnet;
  let setup: BackendSetup;
  let seq: Sequencer;
  let seqUrl: string;
  let admin: Client;
  let provider: JsonRpcProvider;
  let registry: SetRegistry;
  let tmp: ReturnType<typeof tempDir>;
  const procs: AnchorProc[] = [];

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      ANCHOR__RPC_URL: devnet.url,
      ANCHOR__REGISTRY_ADDRESS: devnet.registry,
      ANCHOR__SIGNER_KEY: KEYS.sequencer,
      ANCHOR__SEQUENCER_URL: seqUrl,
      ANCHOR__SEQUENCER_API_KEY: ADMIN_KEY,
      ANCHOR__PORT: "0",
      ANCHOR__INTERVAL_MS: "150",
      ANCHOR__CONFIRMATIONS: "1",
      ANCHOR__PROOFS: "false",
      ANCHOR__BACKOFF_BASE_MS: "200",
      ANCHOR__BACKOFF_MAX_MS: "2000",
      ANCHOR__LEASE_MS: "3000",
      ANCHOR__LOG_LEVEL: "info",
      ...extra,
    };
    delete e.VES_CLI_ENTRY;
    return e;
  }

  function spawnAnchor(extra: Record<string, string>): AnchorProc {
    const proc = spawn(BIN, [], { cwd: ROOT, env: env(extra) });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    const p: AnchorProc = {
      proc,
      output: () => out,
      exited,
      url: () =>
        waitFor("the anchor's listener", () => {
          const m = /"url":"(http:\/\/[^"]+)","holderId"/.exec(out);
          if (m === null && proc.exitCode !== null) throw new Error(`anchor exited ${proc.exitCode}:\n${out}`);
          return m?.[1];
        }),
    };
    procs.push(p);
    return p;
  }

  async function stopAnchor(p: AnchorProc, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill(signal);
    return p.exited;
  }

  async function commitLogs(batchId: string) {
    return registry.queryFilter(registry.filters.BatchCommitted(id32(batchId)), 0, "latest");
  }

  before(async function () {
    [devnet, setup] = await Promise.all([startDevnet(), BACKENDS[0]!.setup()]);
    ({ seq, url: seqUrl } = await startSequencer(setup));
    admin = client(seqUrl, ADMIN_KEY);
    provider = new JsonRpcProvider(devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    registry = await connectRegistry(devnet.registry, provider);
    tmp = tempDir("ves-anchor-e2e-");
  });

  afterEach(async function () {
    for (const p of procs.splice(0)) await stopAnchor(p, "SIGKILL");
    await devnet.rpc("evm_setAutomine", [true]).catch(() => undefined);
  });

  after(async function () {
    provider?.destroy();
    await seq?.stop();
    await devnet?.stop();
    await setup?.cleanup();
    tmp?.cleanup();
  });

  it("after a SIGKILL between sending and recording a transaction, the restarted anchor reports it: exactly one on-chain commitment", async function () {
    const s = await newStream(admin);
    const stateFile = path.join(tmp.dir, "crash.db");
    await devnet.rpc("evm_setAutomine", [false]);
    const batch = await commit(admin, s, 2);
    const first = spawnAnchor({ ANCHOR__STATE_FILE: stateFile, ANCHOR__STUCK_AFTER_MS: "600000" });
    const sent = await waitFor("the transaction sent", () => {
      const line = first
        .output()
        .split("\n")
        .find((l) => l.includes('"transaction sent"') && l.includes(batch));
      return line === undefined ? undefined : (JSON.parse(line) as { txHash: string }).txHash;
    });
    await stopAnchor(first, "SIGKILL");
    expect(await anchoredTx(admin, batch)).to.equal(undefined);
    // The transaction was broadcast before the crash; it is mined while the anchor is down.
    await devnet.rpc("evm_mine");
    await devnet.rpc("evm_setAutomine", [true]);
    const second = spawnAnchor({ ANCHOR__STATE_FILE: stateFile });
    expect(await waitFor("reported after the restart", () => anchoredTx(admin, batch))).to.equal(sent);
    const logs = await commitLogs(batch);
    expect(logs).to.have.length(1);
    expect(logs[0]!.transactionHash).to.equal(sent);
    const stats = (await getJson(`${await second.url()}/stats`)).json;
    expect(stats.transactions_sent).to.equal(0);
    expect(stats.failures_by_error).to.deep.equal({});
    expect(await stopAnchor(second)).to.equal(0);
  });

  it("two anchor processes started by mistake on one sequencer never anchor a batch twice", async function () {
    const a = spawnAnchor({ ANCHOR__STATE_FILE: path.join(tmp.dir, "a.db"), ANCHOR__HOLDER_ID: "anchor-a" });
    await a.url();
    const b = spawnAnchor({ ANCHOR__STATE_FILE: path.join(tmp.dir, "b.db"), ANCHOR__HOLDER_ID: "anchor-b" });
    await b.url();
    const streams = await Promise.all([newStream(admin), newStream(admin), newStream(admin)]);
    const batches: string[] = [];
    for (let round = 0; round < 2; round++) for (const s of streams) batches.push(await commit(admin, s, 2));
    for (const batch of batches) await waitFor(`${batch} reported`, () => anchoredTx(admin, batch));
    for (const batch of batches) expect(await commitLogs(batch), batch).to.have.length(1);
    const [sa, sb] = [(await getJson(`${await a.url()}/stats`)).json, (await getJson(`${await b.url()}/stats`)).json];
    // A second anchor that loses a race sees BatchAlreadyCommitted, which is reconciled, never counted as a failure.
    for (const st of [sa, sb])
      expect(Object.keys(st.failures_by_error as object)).to.not.include("BatchAlreadyCommitted");
    const leases = [sa.lease, sb.lease] as { status: string; holder_id?: string }[];
    if (leases.some((l) => l.status !== "unsupported")) {
      // With the sequencer's lease: one holds it, the other waits and sends nothing.
      expect(leases.map((l) => l.status).sort()).to.deep.equal(["held", "waiting"]);
      const waiting = leases[0]!.status === "waiting" ? sa : sb;
      expect(waiting.transactions_sent).to.equal(0);
      // The holder stops (releasing the lease): the other takes over.
      const holder = waiting === sa ? b : a;
      expect(await stopAnchor(holder)).to.equal(0);
      const late = await commit(admin, streams[0]!, 1);
      await waitFor("anchored by the other process", () => anchoredTx(admin, late));
      expect(await commitLogs(late)).to.have.length(1);
    }
  });

  it("anchor:verify compares the on-chain record with the sequencer's commitment", async function () {
    const s = await newStream(admin);
    const batch = await commit(admin, s, 3);
    const unanchored = await newStream(admin);
    const other = await commit(admin, unanchored, 1);
    const a = spawnAnchor({ ANCHOR__STATE_FILE: path.join(tmp.dir, "verify.db") });
    await waitFor("anchored", () => anchoredTx(admin, batch));
    await waitFor("anchored", () => anchoredTx(admin, other));
    await stopAnchor(a);
    const hhEnv: NodeJS.ProcessEnv = {
      ...env(),
      DEVNET__RPC_URL: devnet.url,
      VES__DEPLOYMENTS_DIR: devnet.deployments,
    };
    delete hhEnv.HARDHAT_NETWORK;
    const ok = await run(HARDHAT, ["anchor:verify", "--batch", batch, "--network", "setDevnet", "--json"], hhEnv);
    expect(ok.status, ok.stderr).to.equal(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).to.equal(true);
    expect(report.checks.map((c) => c.name)).to.include.members([
      "events root",
      "new state root",
      "recorded transaction",
    ]);
  });

  it("refuses to start with exit codes: unauthorized signer 1, wrong chain 1, refused API key 1, bad config 2, no L2 3", async function () {
    const start = (extra: Record<string, string>) => run(BIN, [], env(extra), 60_000);
    const file = (n: string) => ({ ANCHOR__STATE_FILE: path.join(tmp.dir, `${n}.db`) });
    const stranger = await start({ ...file("x1"), ANCHOR__SIGNER_KEY: KEYS.stranger });
    expect(stranger.status, stranger.stderr).to.equal(1);
    expect(stranger.stderr, stranger.stderr).to.include("ANCHOR_NOT_AUTHORIZED");
    const chain = await start({ ...file("x2"), ANCHOR__CHAIN_ID: "31337" });
    expect(chain.status, chain.stderr).to.equal(1);
    expect(chain.stderr).to.include("ANCHOR_CHAIN_ID_MISMATCH");
    const key = await start({ ...file("x3"), ANCHOR__SEQUENCER_API_KEY: "ss_wrong_key_0123456789" });
    expect(key.status, key.stderr).to.equal(1);
    expect(key.stderr).to.include("ANCHOR_SEQUENCER_AUTH");
    const bad = await start({ ANCHOR__CONFIRMATIONS: "0", ANCHOR__SIGNER_KEY: "", ANCHOR__RPC_URL: "localhost" });
    expect(bad.status).to.equal(2);
    expect(bad.stderr)
      .to.include("ANCHOR__CONFIRMATIONS")
      .and.include("ANCHOR__SIGNER_KEY")
      .and.include("ANCHOR__RPC_URL");
    const down = await start({ ...file("x4"), ANCHOR__RPC_URL: "http://127.0.0.1:9", ANCHOR__RPC_TIMEOUT_MS: "2000" });
    expect(down.status, down.stderr).to.equal(3);
  });
});
