/**
 * Typed payloads are validated by validators compiled ahead of time (`offchain/agent/schemas/validators.js`, issue 17:
 * `append` of a typed event loads neither ajv nor its compiler). The generated module must be current, must decide
 * exactly as ajv compiling the schema at run time does, and is never used for a schema text or ajv version other than
 * the ones it was generated from.
 */
import { readFileSync } from "node:fs";

import Ajv from "ajv";
import addFormats from "ajv-formats";
import { expect } from "chai";

import {
  EVENT_TYPES,
  PAYLOAD_VALIDATORS_FILE,
  SCHEMAS_DIR,
  eventSchema,
  payloadValidatorKind,
  payloadValidatorsSource,
  usablePrecompiled,
  type PrecompiledValidators,
} from "../../../offchain/agent";

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

const generated = require(PAYLOAD_VALIDATORS_FILE) as PrecompiledValidators; // eslint-disable-line @typescript-eslint/no-require-imports
const ajvVersion = (require("ajv/package.json") as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
const schemaText = (t: string) => readFileSync(`${SCHEMAS_DIR}/${t}.json`, "utf8");

/** Payloads exercising each schema: the example-ish valid ones and typical mistakes. */
const SAMPLES: unknown[] = [
  {},
  null,
  [],
  "x",
  { orderId: "o-1", amount: 1999, currency: "EUR" },
  { orderId: "o-1", amount: -1, currency: "EUR" },
  { orderId: "", amount: 5, currency: "eur" },
  { orderId: "o-1", amount: 5, currency: "EUR", amountCommitment: "ab".repeat(32) },
  { orderId: "o-1", amount: 5, currency: "EUR", amountCommitment: "ab".repeat(32), amountBlinding: "cd".repeat(20) },
  { sku: "A", delta: 0 },
  { sku: "A", delta: -3, location: "main" },
  { sku: "A", quantity: 2, expiresAt: "2026-12-03T12:00:00Z" },
  { sku: "A", quantity: 2, expiresAt: "tomorrow" },
  { returnId: "r-1", orderId: "o-1", reason: "damaged" },
  {
    orderId: "o-1",
    customerId: "c-1",
    items: [{ sku: "A", quantity: 1, unitPrice: 100 }],
    total: 100,
    currency: "USD",
  },
  { orderId: "o-1", items: [], total: "100" },
];

describe("ahead-of-time payload validators", function () {
  it("are current: npm run gen:validators would write the same file", function () {
    expect(readFileSync(PAYLOAD_VALIDATORS_FILE, "utf8")).to.equal(payloadValidatorsSource());
  });

  it("are used for every typed event type", function () {
    expect(EVENT_TYPES.length).to.be.greaterThan(0);
    for (const t of EVENT_TYPES) expect(payloadValidatorKind(t), t).to.equal("precompiled");
    expect(payloadValidatorKind("custom.thing")).to.equal(undefined);
  });

  it("decide exactly as ajv compiling the schema at run time, errors included", function () {
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    let invalid = 0;
    for (const t of EVENT_TYPES) {
      const runtime = ajv.compile(eventSchema(t)!) as Validate;
      const ahead = generated[t] as Validate;
      for (const sample of SAMPLES) {
        const verdict = ahead(sample);
        expect(verdict, `${t} ${JSON.stringify(sample)}`).to.equal(runtime(sample));
        expect(ahead.errors ?? null, `${t} ${JSON.stringify(sample)}`).to.deep.equal(runtime.errors ?? null);
        if (!verdict) invalid++;
      }
    }
    expect(invalid, "the samples include failures").to.be.greaterThan(EVENT_TYPES.length);
  });

  it("are refused for another schema text or another ajv version", function () {
    const t = EVENT_TYPES[0]!;
    const text = schemaText(t);
    expect(usablePrecompiled(generated, ajvVersion, t, text)).to.be.a("function");
    expect(usablePrecompiled(generated, ajvVersion, t, `${text} `)).to.equal(undefined);
    expect(usablePrecompiled(generated, ajvVersion, t, schemaText(EVENT_TYPES[1]!))).to.equal(undefined);
    expect(usablePrecompiled(generated, `${ajvVersion}-other`, t, text)).to.equal(undefined);
    expect(usablePrecompiled(null, ajvVersion, t, text)).to.equal(undefined);
    expect(usablePrecompiled(generated, ajvVersion, "custom.thing", text)).to.equal(undefined);
  });
});
