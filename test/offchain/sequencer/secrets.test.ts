import { existsSync, lstatSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { resolveSequencerConfig } from "../../../offchain/sequencer";

describe("sequencer generated secrets", function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ves-secrets-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the admin key and the receipt-signing key at mode 0600 and reads them back on the next start", function () {
    const first = resolveSequencerConfig({ dataDir: dir }, {});
    for (const name of ["admin-api-key", path.basename(first.signingKeyFile!)]) {
      const st = statSync(path.join(dir, name));
      expect(st.mode & 0o777, name).to.equal(0o600);
    }
    const second = resolveSequencerConfig({ dataDir: dir }, {});
    expect(second.adminApiKey).to.equal(first.adminApiKey);
    expect(Buffer.from(second.signingSeed).toString("hex")).to.equal(Buffer.from(first.signingSeed).toString("hex"));
  });

  it("refuses to write a secret through a dangling symbolic link planted at its path", function () {
    const target = path.join(dir, "elsewhere", "stolen");
    symlinkSync(target, path.join(dir, "admin-api-key"));
    expect(() => resolveSequencerConfig({ dataDir: dir }, {}))
      .to.throw(/symbolic link/)
      .with.property("code", "CONFIG_INVALID");
    expect(existsSync(target)).to.equal(false);
    expect(lstatSync(path.join(dir, "admin-api-key")).isSymbolicLink()).to.equal(true);
  });

  it("refuses to write the receipt-signing key through a symbolic link as well", function () {
    const target = path.join(dir, "target-key");
    symlinkSync(target, path.join(dir, "sequencer-signing-key"));
    expect(() =>
      resolveSequencerConfig({ dataDir: dir }, { SEQUENCER__ADMIN_API_KEY: "ss_admin_given_by_operator_01" }),
    )
      .to.throw(/symbolic link/)
      .with.property("code", "CONFIG_INVALID");
    expect(existsSync(target)).to.equal(false);
  });
});
