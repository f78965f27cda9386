import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";

import { DEVNET_CHAIN_ID, REGISTRY_FUTURE_ID, connectRegistry } from "../../offchain/common";

const ROOT = path.resolve(__dirname, "..", "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The environment for child Hardhat processes: no inherited network selection. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.HARDHAT_NETWORK;
  return env;
}

interface Devnet {
  proc: ChildProcessWithoutNullStreams;
  output: () => string;
  url: string;
  deployments: string;
  env: NodeJS.ProcessEnv;
}

/** Starts `hardhat devnet` on a free port with its own deployments folder and waits until it says it is ready. */
async function startDevnet(extraEnv: Record<string, string> = {}): Promise<Devnet> {
  const port = await freePort();
  const deployments = mkdtempSync(path.join(tmpdir(), "ves-devnet-"));
  const url = `http://127.0.0.1:${port}`;
  const env = childEnv({ VES__DEPLOYMENTS_DIR: deployments, DEVNET__RPC_URL: url, ...extraEnv });
  const proc = spawn(HARDHAT, ["devnet", "--port", String(port)], { cwd: ROOT, env });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devnet did not start in 90 s:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes("devnet: ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited early with ${code}:\n${out}`));
    });
  });
  return { proc, output: () => out, url, deployments, env };
}

/** Sends SIGINT and resolves with the exit code. */
async function stopDevnet(d: Devnet): Promise<number | null> {
  if (d.proc.exitCode !== null) return d.proc.exitCode;
  const exited = new Promise<number | null>((resolve) => d.proc.once("exit", (code) => resolve(code)));
  d.proc.kill("SIGINT");
  const code = await exited;
  rmSync(d.deployments, { recursive: true, force: true });
  return code;
}

function hardhat(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(HARDHAT, args, { cwd: ROOT, env, encoding: "utf8", timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("devnet (end to end)", function () {
  this.timeout(240_000);

  describe("with automine", function () {
    let devnet: Devnet;

    before(async function () {
      devnet = await startDevnet();
    });

    after(async function () {
      if (devnet) await stopDevnet(devnet);
    });

    it("serves chain 84532001 with the registry deployed and recorded", async function () {
      const provider = new ethers.JsonRpcProvider(devnet.url, undefined, { staticNetwork: true });
      expect((await provider.getNetwork()).chainId).to.equal(DEVNET_CHAIN_ID);
      const recorded = JSON.parse(
        readFileSync(path.join(devnet.deployments, `chain-${DEVNET_CHAIN_ID}`, "deployed_addresses.json"), "utf8"),
      ) as Record<string, string>;
      const address = recorded[REGISTRY_FUTURE_ID]!;
      expect(devnet.output()).to.include(address);
      const registry = await connectRegistry(address, provider);
      const accounts = (await provider.send("eth_accounts", [])) as string[];
      expect(await registry.owner()).to.equal(ethers.getAddress(accounts[0]!));
      expect(await registry.authorizedSequencers(accounts[1]!)).to.equal(true);
      expect(await registry.strictModeEnabled()).to.equal(true);
      provider.destroy();
    });

    it("prints the registry state with registry:status", async function () {
      const r = hardhat(["registry:status", "--network", "setDevnet", "--json"], devnet.env);
      expect(r.status, r.stderr).to.equal(0);
      const status = JSON.parse(r.stdout) as { chainId: string; sequencers: string[]; strictMode: boolean };
      expect(status.chainId).to.equal(DEVNET_CHAIN_ID.toString());
      expect(status.strictMode).to.equal(true);
      expect(status.sequencers).to.have.length(1);
      const text = hardhat(["registry:status", "--network", "setDevnet"], devnet.env);
      expect(text.stdout).to.match(/strict mode\s+true/);
    });

    it("authorizes and revokes a sequencer with registry:authorize", async function () {
      const who = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
      const granted = hardhat(["registry:authorize", "--sequencer", who, "--network", "setDevnet"], devnet.env);
      expect(granted.status, granted.stderr).to.equal(0);
      expect(granted.stdout).to.include("authorized now: true");
      let status = JSON.parse(hardhat(["registry:status", "--network", "setDevnet", "--json"], devnet.env).stdout);
      expect(status.sequencers).to.include(who);
      const revoked = hardhat(
        ["registry:authorize", "--sequencer", who, "--revoke", "--network", "setDevnet"],
        devnet.env,
      );
      expect(revoked.status, revoked.stderr).to.equal(0);
      status = JSON.parse(hardhat(["registry:status", "--network", "setDevnet", "--json"], devnet.env).stdout);
      expect(status.sequencers).not.to.include(who);
    });

    it("rejects a bad address with a usage error", async function () {
      const r = hardhat(["registry:authorize", "--sequencer", "0x12", "--network", "setDevnet"], devnet.env);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.include("--sequencer is not an address");
    });

    it("refuses a recorded address without code", async function () {
      const r = hardhat(
        ["registry:status", "--address", "0x000000000000000000000000000000000000dEaD", "--network", "setDevnet"],
        devnet.env,
      );
      expect(r.status).to.equal(3);
      expect(r.stderr).to.include("REGISTRY_NO_CODE");
    });

    it("stops cleanly on SIGINT", async function () {
      const code = await stopDevnet(devnet);
      expect(code).to.equal(0);
      expect(devnet.output()).to.include("devnet: stopped");
    });
  });

  describe("with DEVNET__BLOCK_MS", function () {
    it("mines blocks on the interval without transactions", async function () {
      const devnet = await startDevnet({ DEVNET__BLOCK_MS: "300" });
      try {
        expect(devnet.output()).to.include("a block every 300 ms");
        const provider = new ethers.JsonRpcProvider(devnet.url, undefined, { staticNetwork: true });
        const first = await provider.getBlockNumber();
        await new Promise((r) => setTimeout(r, 1500));
        expect(await provider.getBlockNumber()).to.be.greaterThan(first + 1);
        provider.destroy();
      } finally {
        expect(await stopDevnet(devnet)).to.equal(0);
      }
    });

    it("rejects a malformed interval", async function () {
      const r = hardhat(["devnet", "--port", String(await freePort())], childEnv({ DEVNET__BLOCK_MS: "fast" }));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.include("DEVNET__BLOCK_MS must be a positive integer");
    });
  });
});
