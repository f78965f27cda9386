/**
 * Typed commerce events: the reference's event-type names (agent-cli-mcp.md §3.1) with a JSON Schema each, kept as
 * files in `offchain/agent/schemas/` (the same documents `schemas:publish` registers with the sequencer), payload
 * validation before signing, and the amount commitment that `append` writes next to an event's amount.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import type Ajv from "ajv";
import type { ValidateFunction } from "ajv";
import type addFormats from "ajv-formats";

import { AMOUNT_BLINDING_FIELD, AMOUNT_COMMITMENT_FIELD, amountFieldOf, type ExactJsonValue } from "../ves";
import type * as Stark from "../stark";
import { AgentError } from "./errors";

/** Where the event types' JSON Schemas live. */
export const SCHEMAS_DIR = path.join(__dirname, "schemas");

/** The typed event types (those with a schema file). */
export const EVENT_TYPES: readonly string[] = readdirSync(SCHEMAS_DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

/** The schema file's text of a typed event type. */
function schemaText(eventType: string): string | undefined {
  if (!EVENT_TYPES.includes(eventType)) return undefined;
  return readFileSync(path.join(SCHEMAS_DIR, `${eventType}.json`), "utf8");
}

/** The JSON Schema of a typed event type. */
export function eventSchema(eventType: string): Record<string, unknown> | undefined {
  const text = schemaText(eventType);
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

/** The entity type a typed event belongs to (`order.created` → `order`). */
export function entityTypeOf(eventType: string): string | undefined {
  return EVENT_TYPES.includes(eventType) ? eventType.slice(0, eventType.indexOf(".")) : undefined;
}

// offchain/stark (its prover, verifier and hashes) loads with the first amount committed or checked, not with this
// module: the CLI imports it for the event types, and untyped events need none of it (issue 17).
let stark: typeof Stark | undefined;
function starkLibrary(): typeof Stark {
  stark ??= createRequire(__filename)("../stark") as typeof Stark;
  return stark;
}

// ajv loads with the first typed payload validated, not with this module: most CLI commands validate none (issue 17).
let ajv: Ajv | undefined;
function payloadAjv(): Ajv {
  if (ajv === undefined) {
    const lazyRequire = createRequire(__filename);
    const AjvClass = (lazyRequire("ajv") as { default: typeof Ajv }).default;
    const formats = (lazyRequire("ajv-formats") as { default: typeof addFormats }).default;
    ajv = formats(new AjvClass({ allErrors: true, strict: false })); // as validators-gen.ts's PAYLOAD_AJV_OPTIONS
  }
  return ajv;
}
const validators = new Map<string, { readonly validate: ValidateFunction; readonly kind: ValidatorKind }>();

/** Where a validator came from: `schemas/validators.js` (compiled ahead of time) or ajv at run time. */
export type ValidatorKind = "precompiled" | "compiled";

/** The shape of `schemas/validators.js`. */
export type PrecompiledValidators = Readonly<Record<string, unknown>> & {
  readonly ajvVersion: string;
  readonly digests: Readonly<Record<string, string>>;
};
let precompiled: { readonly mod: PrecompiledValidators | null; readonly ajvVersion: string } | undefined;

/**
 * The ahead-of-time validator of `eventType` in `mod` if it was compiled from exactly this schema text with the
 * installed ajv version; undefined otherwise (the caller compiles the schema at run time).
 */
export function usablePrecompiled(
  mod: PrecompiledValidators | null,
  installedAjv: string,
  eventType: string,
  text: string,
): ValidateFunction | undefined {
  if (mod === null || mod.ajvVersion !== installedAjv) return undefined;
  if (mod.digests[eventType] !== createHash("sha256").update(text, "utf8").digest("hex")) return undefined;
  const v = mod[eventType];
  return typeof v === "function" ? (v as ValidateFunction) : undefined;
}

/** `usablePrecompiled` over the generated module, loaded once. */
function precompiledValidator(eventType: string, text: string): ValidateFunction | undefined {
  if (precompiled === undefined) {
    const lazyRequire = createRequire(__filename);
    let mod: PrecompiledValidators | null = null;
    try {
      mod = lazyRequire("./schemas/validators.js") as PrecompiledValidators;
    } catch {
      // not generated: every schema is compiled at run time
    }
    precompiled = { mod, ajvVersion: (lazyRequire("ajv/package.json") as { version: string }).version };
  }
  return usablePrecompiled(precompiled.mod, precompiled.ajvVersion, eventType, text);
}

/** The validator of a typed event type, and where it came from. */
function validatorOf(eventType: string, text: string): { validate: ValidateFunction; kind: ValidatorKind } {
  let v = validators.get(eventType);
  if (v === undefined) {
    const ahead = precompiledValidator(eventType, text);
    v =
      ahead === undefined
        ? { validate: payloadAjv().compile(JSON.parse(text) as Record<string, unknown>), kind: "compiled" }
        : { validate: ahead, kind: "precompiled" };
    validators.set(eventType, v);
  }
  return v;
}

/** Where the validator of a typed event type comes from (undefined for an untyped event type). */
export function payloadValidatorKind(eventType: string): ValidatorKind | undefined {
  const text = schemaText(eventType);
  return text === undefined ? undefined : validatorOf(eventType, text).kind;
}

/** JSON Schema's view of exact JSON: bigint integers as numbers. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Validates a payload against its event type's schema (no-op for untyped event types).
 * @throws AgentError INVALID_INPUT listing the problems.
 */
export function validatePayload(eventType: string, payload: ExactJsonValue): void {
  const text = schemaText(eventType);
  if (text === undefined) return;
  const { validate } = validatorOf(eventType, text);
  if (validate(plain(payload))) return;
  const problems = (validate.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath === "" ? "/" : e.instancePath} ${e.message ?? e.keyword}`);
  throw new AgentError("INVALID_INPUT", `payload is not a valid ${eventType}: ${problems.join("; ")}`, {
    hint: `the schema is offchain/agent/schemas/${eventType}.json`,
  });
}

const U64_LIMIT = 1n << 64n;

/**
 * Adds `amountCommitment` and `amountBlinding` next to the amount of an event type that carries one (a fresh
 * blinding each time; C from offchain/stark's commitment function). Returns the payload unchanged when the event
 * type has no amount field or the payload does not hold it.
 * @throws AgentError INVALID_INPUT for a non-integer or out-of-range amount, or commitment fields set by the caller.
 */
export function withAmountCommitment(
  eventType: string,
  payload: ExactJsonValue,
  amountFields: Readonly<Record<string, string>>,
): ExactJsonValue {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const obj = payload as { [key: string]: ExactJsonValue };
  for (const f of [AMOUNT_COMMITMENT_FIELD, AMOUNT_BLINDING_FIELD]) {
    if (Object.hasOwn(obj, f)) {
      throw new AgentError("INVALID_INPUT", `payload must not set ${f}: append computes it`);
    }
  }
  const field = amountFieldOf(eventType, amountFields);
  if (field === undefined || !Object.hasOwn(obj, field)) return payload;
  const raw = obj[field];
  let amount: bigint;
  if (typeof raw === "bigint") amount = raw;
  else if (typeof raw === "number" && Number.isSafeInteger(raw)) amount = BigInt(raw);
  else {
    throw new AgentError(
      "INVALID_INPUT",
      `${field} must be an integer amount in minor units (e.g. 1999 for 19.99), got ${JSON.stringify(String(raw))}`,
    );
  }
  if (amount < 0n || amount >= U64_LIMIT) {
    throw new AgentError("INVALID_INPUT", `${field} must be in 0..2^64-1, got ${amount}`);
  }
  const { amountCommitmentHex, blindingToHex, randomBlinding } = starkLibrary();
  const blinding = randomBlinding();
  return {
    ...obj,
    [AMOUNT_COMMITMENT_FIELD]: amountCommitmentHex(amount, blinding),
    [AMOUNT_BLINDING_FIELD]: blindingToHex(blinding),
  };
}

/**
 * Checks that a payload's amount commitment opens to its amount (on pull, for payloads this agent can read).
 * Returns undefined when fine or absent, else the problem.
 */
export function amountCommitmentProblem(
  eventType: string,
  payload: ExactJsonValue,
  amountFields: Readonly<Record<string, string>>,
): string | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const obj = payload as { [key: string]: ExactJsonValue };
  const c = obj[AMOUNT_COMMITMENT_FIELD];
  const b = obj[AMOUNT_BLINDING_FIELD];
  if (c === undefined && b === undefined) return undefined;
  const field = amountFieldOf(eventType, amountFields);
  const raw = field === undefined ? undefined : obj[field];
  if (typeof c !== "string" || typeof b !== "string" || (typeof raw !== "number" && typeof raw !== "bigint")) {
    return "amount commitment fields are incomplete";
  }
  try {
    const amount = BigInt(raw);
    const { amountCommitmentHex, blindingFromHex } = starkLibrary();
    const blinding = blindingFromHex(b);
    return amountCommitmentHex(amount, blinding) === c ? undefined : "amountCommitment does not open to the amount";
  } catch (e) {
    return `amount commitment cannot be checked: ${(e as Error).message}`;
  }
}

/** The generated module of ahead-of-time validators (`npm run gen:validators` writes it). */
export const PAYLOAD_VALIDATORS_FILE = path.join(SCHEMAS_DIR, "validators.js");

/** The text `schemas/validators.js` must have for the current schemas and ajv (loads ajv's code generator). */
export function payloadValidatorsSource(): string {
  const gen = createRequire(__filename)("./validators-gen") as typeof import("./validators-gen");
  return gen.generateValidatorsSource(
    Object.fromEntries(EVENT_TYPES.map((t) => [t, path.join(SCHEMAS_DIR, `${t}.json`)])),
  );
}
