import { spawnSync } from "node:child_process";
import path from "node:path";

import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

describe("demo (end to end)", function () {
  this.timeout(180_000);

  it("pushes signed events through the sequencer, anchors the commitment and verifies every event on-chain", function () {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.HARDHAT_NETWORK;
    delete env.VES__DEPLOYMENTS_DIR;
    const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["demo"], {
      cwd: ROOT,
      env,
      encoding: "utf8",
      timeout: 170_000,
    });
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout.match(/signature valid, inclusion on-chain verified/g)).to.have.length(5);
    expect(r.stdout).to.include("sequencer accepted 5 events as 1..5; 5 receipts verify");
    expect(r.stdout).to.include("a forged event is rejected on-chain");
    expect(r.stdout).to.include('the finance agent decrypts the refund: {"amount":"49.90","reason":"damaged"}');
    expect(r.stdout).to.match(/head sequence 5, proof no/);
    expect(r.stdout).to.include("demo: all checks passed");
  });
});
