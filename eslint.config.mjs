// ESLint flat config: typescript-eslint (type-aware where it matters), mocha rules for tests, prettier last.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import mocha from "eslint-plugin-mocha";
import prettier from "eslint-config-prettier";

// Each offchain/<part>/index.ts is that part's only import surface: nothing outside a part may reach into its files.
const PARTS = ["common", "ves", "sequencer", "agent", "stark", "anchor"];
const deepImportPatterns = PARTS.map((part) => ({
  group: [`**/offchain/${part}/*`, `!**/offchain/${part}/index`, `!**/offchain/${part}/index.ts`],
  message: `Import offchain/${part} through its index.ts only.`,
}));
// offchain/stark/testing.ts holds the prover's test-only knobs (chosen blinding, chosen randomness): test/ and bench/
// may import it, nothing else may (a production caller choosing the blinding makes C brute-forceable).
const STARK_TESTING = "**/offchain/stark/testing";
const testImportPatterns = deepImportPatterns.map((p) =>
  p.group[0] === "**/offchain/stark/*" ? { ...p, group: [...p.group, `!${STARK_TESTING}`, `!${STARK_TESTING}.ts`] } : p,
);
const starkTestingPattern = {
  group: ["**/stark/testing", "**/stark/testing.ts", "./testing", "./testing.ts", "../testing", "../testing.ts"],
  message: "offchain/stark/testing.ts is for test/ and bench/ only (it lets a caller choose the prover's randomness).",
};

/** Inside offchain/sequencer: the part-level rules plus one import boundary between its folders (`regex`). */
const sequencerBoundary = (where, regex, message) => ({
  ...where,
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          ...deepImportPatterns.filter((p) => !p.group[0].includes("/offchain/sequencer/")),
          starkTestingPattern,
          { regex, message },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "typechain-types/",
      "coverage/",
      "dist/",
      "offchain/agent/schemas/validators.js",
      "deploy/deployments/",
      ".ves/",
      // AssemblyScript (its own types and compiler: offchain/stark/wasm/assembly/tsconfig.json, scripts/build-wasm.js)
      "offchain/stark/wasm/assembly/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // Outside offchain/, only a part's index may be imported.
    files: ["tasks/**/*.ts", "deploy/**/*.ts", "scripts/**/*.ts", "hardhat.config.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: deepImportPatterns }] },
  },
  {
    // Tests and benches: a part's index, plus offchain/stark/testing.ts.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: testImportPatterns }] },
  },
  ...PARTS.map((part) => ({
    // Inside offchain/<part>/, other parts are reached only through their index.
    files: [`offchain/${part}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...deepImportPatterns.filter((p) => !p.group[0].includes(`/offchain/${part}/`)),
            starkTestingPattern,
          ],
        },
      ],
    },
  })),
  {
    // Sequencer size rule (issue 11): each file and function readable whole. Route JSON-schema literals live in
    // route-schemas.ts files of their own, exempt from the function-length rule.
    files: ["offchain/sequencer/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 500 }],
      "max-lines-per-function": ["error", { max: 100 }],
    },
  },
  {
    files: ["offchain/sequencer/**/route-schemas.ts"],
    rules: { "max-lines-per-function": "off" },
  },
  // Sequencer concerns (auth/, tenants/, keys/, schemas/, events/, commitments/, proofs/, explorer/, http/, cli/,
  // store/): a folder is reached from outside only through its index.ts. The storage layer — store/ and each
  // concern's store*.ts slice — is the one exception: slices share SQL and row mappers with each other and with
  // store/, and only store/ composes them.
  sequencerBoundary(
    {
      files: ["offchain/sequencer/*/**/*.ts"],
      ignores: ["offchain/sequencer/store/**", "offchain/sequencer/*/store*.ts"],
    },
    "^\\.\\./(?!\\.\\.)[^/]+/",
    "Import another sequencer folder through its index.ts (`../<folder>`), not its files.",
  ),
  sequencerBoundary(
    { files: ["offchain/sequencer/store/**/*.ts", "offchain/sequencer/*/store*.ts"] },
    "^\\.\\./(?!\\.\\.)(?!store/)[^/]+/(?!store)[^/]+$",
    "The storage layer imports only other storage files (store/, <concern>/store*.ts).",
  ),
  sequencerBoundary(
    { files: ["offchain/sequencer/*.ts"] },
    "^\\./[^/]+/",
    "Import a sequencer folder through its index.ts (`./<folder>`), not its files.",
  ),
  {
    files: ["test/**/*.ts"],
    plugins: { mocha },
    rules: {
      "mocha/no-async-suite": "error",
      "mocha/no-exclusive-tests": "error",
      "mocha/no-identical-title": "error",
      // chai's `expect(x).to.be.true` is an expression statement.
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        __dirname: "readonly",
        console: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The explorer page: plain ES modules run by the browser.
    files: ["offchain/explorer/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: Object.fromEntries(
        ["window", "document", "location", "history", "sessionStorage", "localStorage", "fetch", "URLSearchParams"]
          .concat(["TextEncoder", "crypto", "Node", "ResizeObserver", "setTimeout", "clearTimeout", "console"])
          .map((name) => [name, "readonly"]),
      ),
    },
  },
  prettier,
);
