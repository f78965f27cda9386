/**
 * JWT bearer credentials (ves-protocol.md §10): HS256 only, checked against the configured secret, issuer and
 * audience. A token names its tenant (`sub`), its stores (`stores`, comma-separated UUIDs, empty for all), an optional
 * agent (`agent`) and its permissions (`perms`, a comma-separated subset of `read,write,admin`). Every other algorithm,
 * `alg: none` included, is refused before the signature is looked at; times allow at most 60 s of clock skew.
 *
 * Pure functions over strings and bytes: `verifyJwt` for the server, `signJwt` for operators and tests.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** What the server checks a token against. */
export interface JwtVerifier {
  /** The HMAC key (the configured secret's UTF-8 bytes, at least 32). */
  readonly secret: Uint8Array;
  readonly issuer: string;
  readonly audience: string;
  /** Allowed clock skew for `exp`, `nbf` and `iat`, seconds (at most 60; default 60). */
  readonly clockSkewSeconds?: number;
}

/** The claims a valid token grants. */
export interface JwtGrant {
  readonly tenantId: string;
  /** Empty: every store of the tenant. */
  readonly storeIds: readonly string[];
  readonly agentId: string | null;
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
  /** The token's `jti`, if any. */
  readonly tokenId: string | null;
}

/** Why a token was refused: `token_expired`, or `invalid_jwt` with the specific reason in the message. */
export class JwtError extends Error {
  constructor(
    readonly code: "invalid_jwt" | "token_expired",
    message: string,
  ) {
    super(message);
    this.name = "JwtError";
  }
}

/** The most clock skew the server allows, seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 60;
/** Longest accepted token, characters (checked before any decoding). */
export const MAX_JWT_LENGTH = 8192;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const PERMS = new Set(["read", "write", "admin"]);

const invalid = (message: string) => new JwtError("invalid_jwt", message);

/** Decodes one unpadded base64url segment strictly (no padding, no other alphabet, canonical trailing bits). */
function segment(text: string, what: string): Uint8Array {
  if (!B64URL_RE.test(text) || text.length % 4 === 1) throw invalid(`the token's ${what} is not base64url`);
  const bytes = new Uint8Array(Buffer.from(text, "base64url"));
  if (Buffer.from(bytes).toString("base64url") !== text)
    throw invalid(`the token's ${what} is not canonical base64url`);
  return bytes;
}

/** Parses a segment as a JSON object. */
function jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalid(`the token's ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`the token's ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

const hmac = (secret: Uint8Array, input: string) => new Uint8Array(createHmac("sha256", secret).update(input).digest());

/** A NumericDate claim: absent (undefined) or a finite number. */
function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`\`${name}\` must be a number (seconds)`);
  return v;
}

/** A comma-separated list claim (a JSON array of strings is accepted too); empty entries are ignored. */
function listClaim(claims: Record<string, unknown>, name: string): string[] {
  const v = claims[name];
  if (v === undefined || v === null) return [];
  const items = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : null;
  if (items === null || items.some((i) => typeof i !== "string")) {
    throw invalid(`\`${name}\` must be a comma-separated string`);
  }
  return (items as string[]).map((i) => i.trim()).filter((i) => i !== "");
}

/** Checks the registered claims: issuer, audience and the validity window. */
function checkRegistered(claims: Record<string, unknown>, v: JwtVerifier, now: number): number {
  if (claims.iss !== v.issuer) throw invalid("wrong issuer (`iss`)");
  const aud = claims.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(v.audience)) throw invalid("wrong audience (`aud`)");
  const skew = Math.min(v.clockSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS);
  const exp = numericDate(claims, "exp");
  if (exp === undefined) throw invalid("`exp` is required");
  if (now > exp + skew) throw new JwtError("token_expired", "the token has expired");
  const nbf = numericDate(claims, "nbf");
  if (nbf !== undefined && now + skew < nbf) throw invalid("the token is not valid yet (`nbf`)");
  const iat = numericDate(claims, "iat");
  if (iat !== undefined && now + skew < iat) throw invalid("the token was issued in the future (`iat`)");
  return exp;
}

/** Reads the grant: tenant, stores, agent and permissions. */
function grantOf(claims: Record<string, unknown>, expiresAt: number): JwtGrant {
  const sub = claims.sub;
  if (typeof sub !== "string" || !UUID_RE.test(sub)) throw invalid("`sub` must be the tenant's UUID");
  const storeIds = listClaim(claims, "stores");
  if (storeIds.some((s) => !UUID_RE.test(s))) throw invalid("`stores` must list store UUIDs");
  const agent = claims.agent;
  if (agent !== undefined && agent !== null && (typeof agent !== "string" || !UUID_RE.test(agent))) {
    throw invalid("`agent` must be a UUID");
  }
  const perms = listClaim(claims, "perms");
  const unknown = perms.find((p) => !PERMS.has(p));
  if (unknown !== undefined) throw invalid(`\`perms\` names an unknown permission: ${JSON.stringify(unknown)}`);
  const has = (p: string) => perms.includes(p);
  const jti = claims.jti;
  return {
    tenantId: sub.toLowerCase(),
    storeIds: storeIds.map((s) => s.toLowerCase()),
    agentId: typeof agent === "string" ? agent.toLowerCase() : null,
    read: has("read") || has("write") || has("admin"),
    write: has("write") || has("admin"),
    admin: has("admin"),
    expiresAt,
    tokenId: typeof jti === "string" ? jti : null,
  };
}

/**
 * Verifies a compact JWS token and returns what it grants.
 * @param now seconds since the epoch
 * @throws JwtError `invalid_jwt` (malformed, not HS256, bad signature, wrong issuer/audience, not yet valid, bad
 *   claims) or `token_expired`.
 */
export function verifyJwt(token: string, verifier: JwtVerifier, now: number): JwtGrant {
  // 1. Shape: three base64url segments, bounded size.
  if (token.length > MAX_JWT_LENGTH) throw invalid(`the token is longer than ${MAX_JWT_LENGTH} characters`);
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("a JWT has three dot-separated parts");
  const [headerText, payloadText, signatureText] = parts as [string, string, string];
  // 2. Header: HS256 and nothing else (`none`, RS256, … are refused before any signature check).
  const header = jsonObject(segment(headerText, "header"), "header");
  if (header.alg !== "HS256") throw invalid(`only HS256 tokens are accepted (alg ${JSON.stringify(header.alg)})`);
  if (header.typ !== undefined && (typeof header.typ !== "string" || header.typ.toUpperCase() !== "JWT")) {
    throw invalid("the token's `typ` must be JWT");
  }
  if (header.crit !== undefined) throw invalid("the token's header has `crit` extensions, which are not supported");
  // 3. Signature over `header.payload`, compared in constant time.
  const signature = segment(signatureText, "signature");
  const expected = hmac(verifier.secret, `${headerText}.${payloadText}`);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw invalid("the token's signature does not verify");
  }
  // 4. Claims, only once the token is known to come from a holder of the secret.
  const claims = jsonObject(segment(payloadText, "payload"), "payload");
  const expiresAt = checkRegistered(claims, verifier, now);
  return grantOf(claims, expiresAt);
}

/** Claims an operator puts in a token (`signJwt` adds nothing: set `iss`, `aud`, `exp` yourself). */
export type JwtClaims = Readonly<Record<string, unknown>>;

/** Signs `claims` as an HS256 compact JWS (operators minting tokens; tests). */
export function signJwt(
  claims: JwtClaims,
  secret: Uint8Array,
  header: JwtClaims = { alg: "HS256", typ: "JWT" },
): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8").toString("base64url");
  const input = `${enc(header)}.${enc(claims)}`;
  return `${input}.${Buffer.from(hmac(secret, input)).toString("base64url")}`;
}
