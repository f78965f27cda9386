/**
 * The import boundary of offchain/stark/testing.ts (the prover's test-only knobs): the project's eslint configuration
 * refuses an import of it from production code (inside offchain/stark, from another part, from tasks/ or the Hardhat
 * config) and allows it from test/ and bench/. The source is linted as if it were an existing file of each place.
 */
import { join } from "node:path";

import { expect } from "chai";
import { ESLint } from "eslint";

const ROOT = join(__dirname, "..", "..", "..");
const source = (from: string): string => `import { seededWords } from "${from}";\n\nexport const w = seededWords(1);\n`;

describe("stark testing.ts import boundary (eslint)", function () {
  this.timeout(60_000);
  // only the import rule, without type information (the project service would cost ~20 s here)
  const eslint = new ESLint({
    cwd: ROOT,
    ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
    overrideConfig: { files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: false } } },
  });

  async function restricted(file: string, from: string): Promise<boolean> {
    const [result] = await eslint.lintText(source(from), { filePath: join(ROOT, file) });
    const messages = result?.messages ?? [];
    expect(
      messages.filter((m) => m.fatal === true),
      file,
    ).to.deep.equal([]);
    return messages.some((m) => m.ruleId === "no-restricted-imports");
  }

  it("refuses testing.ts from offchain/ and other production code", async function () {
    expect(await restricted("offchain/stark/compliance.ts", "./testing")).to.equal(true);
    expect(await restricted("offchain/stark/cli/commands.ts", "../testing")).to.equal(true);
    expect(await restricted("offchain/ves/index.ts", "../stark/testing")).to.equal(true);
    expect(await restricted("hardhat.config.ts", "./offchain/stark/testing")).to.equal(true);
  });

  it("allows testing.ts from test/ and bench/", async function () {
    expect(await restricted("test/offchain/stark/poly.test.ts", "../../../offchain/stark/testing")).to.equal(false);
    expect(await restricted("bench/stark.ts", "../offchain/stark/testing")).to.equal(false);
  });
});
