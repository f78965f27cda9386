/**
 * The README's sequencer configuration reference is generated from the options schema (scripts/config-reference.ts)
 * and must be current: every option appears with its variable, flag (none for secrets) and default.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";

import { envName, flagName, type OptionsSpec } from "../../../offchain/common";
import { SEQUENCER_OPTIONS } from "../../../offchain/sequencer";
import { BEGIN, END, README, renderConfigSection, updateReadme } from "../../../scripts/config-reference";

describe("sequencer configuration reference", function () {
  this.timeout(30_000);

  it("is current in README.md (run `npx ts-node scripts/config-reference.ts` after changing an option)", async function () {
    const readme = readFileSync(README, "utf8");
    expect(readme).to.include(BEGIN);
    expect(readme).to.include(END);
    expect(await updateReadme(readme)).to.equal(readme);
  });

  it("lists every option with its variable and flag, and no flag for secrets", async function () {
    const section = await renderConfigSection();
    for (const [name, opt] of Object.entries(SEQUENCER_OPTIONS as OptionsSpec)) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${envName("sequencer", name)}\``));
      expect(row, name).to.be.a("string");
      const secret = "secret" in opt && opt.secret === true;
      if (secret) expect(row).not.to.include(flagName(name));
      else expect(row).to.include(`\`${flagName(name)}\``);
      if (opt.default !== undefined) expect(row).to.include(`\`${String(opt.default)}\``);
    }
  });
});
