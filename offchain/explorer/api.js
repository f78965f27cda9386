/**
 * The explorer's session and API client: the API key (and an optional tenant id) live in sessionStorage only, so they
 * vanish with the tab; every request sends the key as `Authorization: ApiKey …` to this origin and parses exact JSON
 * (integers beyond 2^53 become bigint). Failures are `ApiError`s with the sequencer's reason code.
 */

const KEY = "ves.explorer.apiKey";
const TENANT = "ves.explorer.tenantId";

/** The browser-session settings. */
export const session = {
  get apiKey() {
    return sessionStorage.getItem(KEY) ?? "";
  },
  get tenantId() {
    return sessionStorage.getItem(TENANT) ?? "";
  },
  /** Stores the key and tenant id for this tab's session. */
  save(apiKey, tenantId) {
    sessionStorage.setItem(KEY, apiKey);
    if (tenantId) sessionStorage.setItem(TENANT, tenantId);
    else sessionStorage.removeItem(TENANT);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(TENANT);
  },
};

/** A failed API call: HTTP status (0 for a network failure), the sequencer's reason code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** JSON.parse keeping integers beyond 2^53 exact as bigint (the sequencer prints u64 values as integers). */
export function parseExact(text) {
  return JSON.parse(text, (_key, value, context) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source) {
      return /^-?[0-9]+$/.test(context.source) ? BigInt(context.source) : value;
    }
    return value;
  });
}

/**
 * GETs an API path with query parameters (undefined ones left out).
 * @throws ApiError for a non-2xx answer (with the sequencer's code) or a network failure.
 */
export async function apiGet(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
  const url = query.size > 0 ? `${path}?${query}` : path;
  let res;
  try {
    res = await fetch(url, { headers: { authorization: `ApiKey ${session.apiKey}` }, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "NETWORK", `the sequencer could not be reached (${e.message})`);
  }
  const text = await res.text();
  let body;
  try {
    body = parseExact(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = body?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `HTTP ${res.status}`);
  }
  if (body === undefined) throw new ApiError(res.status, "BAD_JSON", "the sequencer answered something not JSON");
  return body;
}

/** The page's chain settings from `/explorer/config.json` (`chainRpcUrl`, `registryAddress`, both may be null). */
export async function explorerConfig() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    return res.ok ? await res.json() : { chainRpcUrl: null, registryAddress: null };
  } catch {
    return { chainRpcUrl: null, registryAddress: null };
  }
}
