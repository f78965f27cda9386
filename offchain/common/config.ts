/**
 * Service configuration: each service declares its options once (type, default, description, environment name), and
 * `loadConfig` merges flags over environment over defaults, validates every option, and reports every bad key at
 * once. Environment names are `<SERVICE>__<OPTION>`; an option marked `secret` may also be read from the file named by
 * `<SERVICE>__<OPTION>_FILE`, and is never accepted as a flag (flags show up in `ps`).
 */
import { readFileSync } from "node:fs";

import { AppError, ExitCode } from "./errors";

/** The value types an option can have. */
export type OptionType = "string" | "int" | "bool";

/** One option of a service. */
export interface OptionSpec<T> {
  readonly type: OptionType;
  readonly description: string;
  /** Default value; `undefined` makes the option optional with no value. */
  readonly default?: T;
  /** Read from the environment (and `_FILE`) only, never from a flag. */
  readonly secret?: boolean;
  /** Extra validation: return an error message or undefined. */
  readonly check?: (value: T) => string | undefined;
}

/** A service's options, keyed by camelCase option name. */
export type OptionsSpec = Record<string, OptionSpec<string> | OptionSpec<number> | OptionSpec<boolean>>;

/** The loaded configuration of a spec. */
export type ConfigOf<S extends OptionsSpec> = {
  -readonly [K in keyof S]: S[K] extends OptionSpec<infer T>
    ? S[K] extends { readonly default: unknown }
      ? T
      : T | undefined
    : never;
};

/** `fooBarBaz` → `FOO_BAR_BAZ`. */
export function envName(service: string, option: string): string {
  return `${service.toUpperCase()}__${option.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** `fooBarBaz` → `--foo-bar-baz`. */
export function flagName(option: string): string {
  return `--${option.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
}

function parseValue(type: OptionType, raw: string): { ok: true; value: string | number | boolean } | { ok: false } {
  switch (type) {
    case "string":
      return { ok: true, value: raw };
    case "int": {
      if (!/^-?\d+$/.test(raw.trim())) return { ok: false };
      const n = Number(raw);
      return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false };
    }
    case "bool": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return { ok: true, value: true };
      if (["0", "false", "no", "off"].includes(v)) return { ok: true, value: false };
      return { ok: false };
    }
  }
}

/**
 * Loads a service's configuration from flags (already parsed, keyed by option name), the environment and defaults.
 * @throws AppError `CONFIG_INVALID` (exit code 2) listing every bad option.
 */
export function loadConfig<S extends OptionsSpec>(
  service: string,
  spec: S,
  flags: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const errors: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, opt] of Object.entries(spec)) {
    const envKey = envName(service, name);
    let raw: unknown;
    let source = "";
    const flag = flags[name];
    if (flag !== undefined && !opt.secret) {
      raw = flag;
      source = flagName(name);
    } else if (flag !== undefined && opt.secret) {
      errors.push(`${flagName(name)}: secrets are not accepted as flags; use ${envKey} or ${envKey}_FILE`);
      continue;
    } else if (env[envKey] !== undefined && env[envKey] !== "") {
      raw = env[envKey];
      source = envKey;
    } else if (opt.secret && env[`${envKey}_FILE`]) {
      const file = env[`${envKey}_FILE`] as string;
      try {
        raw = readFileSync(file, "utf8").trim();
        source = `${envKey}_FILE (${file})`;
      } catch (e) {
        errors.push(`${envKey}_FILE: cannot read ${file}: ${(e as Error).message}`);
        continue;
      }
    }
    if (raw === undefined) {
      out[name] = opt.default;
      continue;
    }
    const parsed =
      typeof raw === "string" ? parseValue(opt.type, raw) : { ok: typeof raw === typeofOption(opt.type), value: raw };
    if (!parsed.ok) {
      errors.push(
        `${source}: expected ${opt.type === "int" ? "an integer" : `a ${opt.type}`}, got ${JSON.stringify(raw)}`,
      );
      continue;
    }
    const value = (parsed as { value: unknown }).value;
    const problem = (opt.check as ((v: unknown) => string | undefined) | undefined)?.(value);
    if (problem !== undefined) {
      errors.push(`${source}: ${problem}`);
      continue;
    }
    out[name] = value;
  }
  if (errors.length > 0) {
    throw new AppError("CONFIG_INVALID", `invalid ${service} configuration:\n  - ${errors.join("\n  - ")}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  return out as ConfigOf<S>;
}

function typeofOption(type: OptionType): string {
  return type === "int" ? "number" : type === "bool" ? "boolean" : "string";
}

/** A markdown table of a spec's options (for `--help` and the README). */
export function describeOptions(service: string, spec: OptionsSpec): string {
  const rows = Object.entries(spec).map(([name, opt]) => {
    const where = opt.secret ? `${envName(service, name)}[_FILE]` : `${flagName(name)}, ${envName(service, name)}`;
    const def = opt.default === undefined ? "" : String(opt.default);
    return `| ${where} | ${opt.type} | ${def} | ${opt.description} |`;
  });
  return ["| option | type | default | description |", "|---|---|---|---|", ...rows].join("\n");
}
