/**
 * The sequencer's REST API as the agent uses it: exact JSON both ways (u64 values as bigint), the API key as
 * `Authorization: ApiKey <key>` whatever its form, a timeout per request, and every failure as an AgentError
 * (transport → UNREACHABLE, 401 → UNAUTHORIZED, 403 → FORBIDDEN, 429 → RATE_LIMITED with Retry-After, 5xx →
 * SEQUENCER_ERROR, other 4xx → the sequencer's own code and message).
 */
import { parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../ves";
import { AgentError } from "./errors";

/** A decoded JSON object of a response. */
export type JsonObject = { readonly [key: string]: ExactJsonValue };

/** A failed request: the HTTP status (0 for transport errors) and, for 429, the delay asked for. */
export class HttpFailure extends AgentError {
  constructor(
    readonly httpStatus: number,
    code: ConstructorParameters<typeof AgentError>[0],
    message: string,
    options: ConstructorParameters<typeof AgentError>[2] & { readonly retryAfterMs?: number } = {},
  ) {
    super(code, message, { ...options, status: httpStatus });
    this.retryAfterMs = options.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^[0-9]+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A client of one sequencer with one credential. */
export class SequencerClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** GET a JSON object. */
  get(route: string, query: Record<string, string | number | bigint | undefined> = {}): Promise<JsonObject> {
    const q = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    return this.call("GET", q === "" ? route : `${route}?${q}`);
  }

  /** POST a JSON body. */
  post(route: string, body: ExactJsonValue): Promise<JsonObject> {
    return this.call("POST", route, stringifyJsonExact(body));
  }

  private async call(method: string, route: string, body?: string): Promise<JsonObject> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.apiKey !== undefined) headers.authorization = `ApiKey ${this.apiKey}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const url = this.baseUrl + route;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (e as Error).name === "TimeoutError"
          ? `no answer within ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw new HttpFailure(0, "UNREACHABLE", `sequencer ${this.baseUrl} is unreachable (${why})`, {
        retryable: true,
        hint: "check sequencerUrl (stateset-sync config show) and that the sequencer is running",
        cause: e,
      });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new HttpFailure(0, "UNREACHABLE", `connection to ${this.baseUrl} broke: ${(e as Error).message}`, {
        retryable: true,
        cause: e,
      });
    }
    let parsed: ExactJsonValue | undefined;
    try {
      parsed = parseJsonExact(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined || typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new HttpFailure(res.status, "BAD_RESPONSE", `${method} ${route}: the sequencer's answer is not JSON`);
      }
      return parsed as JsonObject;
    }
    const err =
      parsed !== undefined && typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? ((parsed as JsonObject).error as JsonObject | undefined)
        : undefined;
    const code = typeof err?.code === "string" ? err.code : `HTTP_${res.status}`;
    const message = typeof err?.message === "string" ? err.message : text.slice(0, 200);
    const what = `${method} ${route.split("?")[0]}: ${res.status} ${code}: ${message}`;
    if (res.status === 401) {
      throw new HttpFailure(401, "UNAUTHORIZED", what, {
        hint: "check STATESET_API_KEY or the API key file named in the config",
      });
    }
    if (res.status === 403) {
      throw new HttpFailure(403, "FORBIDDEN", what, { hint: "the API key lacks a permission on this tenant/store" });
    }
    if (res.status === 404) throw new HttpFailure(404, "NOT_FOUND", what);
    if (res.status === 429) {
      const wait = retryAfterMs(res.headers.get("retry-after"));
      throw new HttpFailure(429, "RATE_LIMITED", what, {
        retryable: true,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      });
    }
    if (res.status >= 500) throw new HttpFailure(res.status, "SEQUENCER_ERROR", what, { retryable: true });
    throw new HttpFailure(res.status, "INVALID_INPUT", what);
  }
}
