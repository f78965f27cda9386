/**
 * Authentication (ves-protocol.md §10): finds the request's credential and resolves it to a `Principal`. Two kinds:
 * an API key — `Authorization: ApiKey <key>`, a bare `Authorization: ss_…`, or `X-API-Key` — checked against the
 * bootstrap admin key and the stored key hashes; and a JWT — `Authorization: Bearer <token>`, HS256 under the
 * configured secret (auth/jwt.ts), refused when no secret is configured. As in the reference, whatever follows
 * `Bearer` is read as a JWT, never as an API key.
 */
import { createHash, timingSafeEqual } from "node:crypto";

import { bytesToHex } from "../../ves";
import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import { API_KEY_PREFIX_LENGTH, type SequencerStore } from "../store";
import { JwtError, verifyJwt, type JwtVerifier } from "./jwt";
import { bootstrapPrincipal, type Principal } from "./principal";

/** How often a key's last use is written (per process). */
const KEY_USE_RESOLUTION_MS = 60_000;

/** Request headers as node gives them. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** A request's credential, by kind. */
export type Credential =
  { readonly kind: "api-key"; readonly key: string } | { readonly kind: "jwt"; readonly token: string };

/** SHA-256 of a key as bytes. */
export const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());

/**
 * The credential a request presents.
 * @throws SequencerError 401 `missing_auth` / `invalid_api_key` / `invalid_jwt`.
 */
export function credentialOf(headers: RequestHeaders): Credential {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const authz = header("authorization");
  let key: string | undefined;
  if (authz !== undefined) {
    const m = /^ApiKey\s+(\S+)$/i.exec(authz.trim());
    const bearer = /^Bearer(?:\s+(.*))?$/i.exec(authz.trim());
    if (bearer) {
      const token = (bearer[1] ?? "").trim();
      if (token === "") throw new SequencerError(401, "invalid_jwt", "Authorization: Bearer needs a token");
      return { kind: "jwt", token };
    }
    if (m) key = m[1];
    else if (/^ss_\S+$/.test(authz.trim())) key = authz.trim();
    else throw new SequencerError(401, "invalid_api_key", "Authorization must be `ApiKey <key>` or `Bearer <JWT>`");
  } else {
    key = header("x-api-key");
  }
  if (key === undefined || key === "") throw new SequencerError(401, "missing_auth", "an API key is required");
  return { kind: "api-key", key };
}

/** Resolves credentials to principals. */
export class Authenticator {
  private readonly adminKeyHash: Uint8Array;
  /** When each API key's use was last recorded by this process. */
  private readonly keyUse = new Map<string, number>();

  /**
   * @param jwt the JWT settings; absent: bearer tokens are refused (401 `invalid_jwt`).
   */
  constructor(
    private readonly store: Pick<SequencerStore, "getApiKey" | "touchApiKey">,
    adminApiKey: string,
    private readonly jwt?: JwtVerifier,
  ) {
    this.adminKeyHash = sha256(adminApiKey);
  }

  /**
   * Resolves the credential of a request (see `credentialOf`).
   * @throws SequencerError 401 `missing_auth` / `invalid_api_key` / `invalid_jwt` / `token_expired`.
   */
  async authenticate(headers: RequestHeaders): Promise<Principal> {
    const credential = credentialOf(headers);
    switch (credential.kind) {
      case "api-key":
        return this.apiKeyPrincipal(credential.key);
      case "jwt":
        return this.jwtPrincipal(credential.token);
    }
  }

  /** The principal of a JWT: its tenant (`sub`), stores, agent and permissions; never a prover or the bootstrap. */
  private jwtPrincipal(token: string): Principal {
    if (this.jwt === undefined) {
      throw new SequencerError(401, "invalid_jwt", "JWT authentication is not enabled on this sequencer");
    }
    let grant;
    try {
      grant = verifyJwt(token, this.jwt, Math.floor(Date.now() / 1000));
    } catch (e) {
      if (e instanceof JwtError) throw new SequencerError(401, e.code, e.message);
      throw e;
    }
    const who = grant.agentId === null ? grant.tenantId : `${grant.tenantId}/${grant.agentId}`;
    return {
      actor: `jwt:${who}`,
      keyPrefix: null,
      rateBucket: `jwt:${grant.tenantId}:${grant.agentId ?? "-"}`,
      rateLimit: null,
      tenantId: grant.tenantId,
      storeIds: grant.storeIds,
      read: grant.read,
      write: grant.write,
      admin: grant.admin,
      prover: false,
      agentId: grant.agentId,
      bootstrap: false,
    };
  }

  /** The principal of an API key: the bootstrap admin's, or a stored active key's. */
  private async apiKeyPrincipal(key: string): Promise<Principal> {
    const hash = sha256(key);
    if (timingSafeEqual(hash, this.adminKeyHash)) {
      return bootstrapPrincipal("bootstrap-admin");
    }
    const record = await this.store.getApiKey(hash);
    if (record === null || !record.active)
      throw new SequencerError(401, "invalid_api_key", "unknown or revoked API key");
    const prefix = bytesToHex(hash).slice(0, API_KEY_PREFIX_LENGTH);
    await this.noteKeyUse(prefix, hash);
    return {
      actor: `api-key:${prefix}`,
      keyPrefix: prefix,
      rateBucket: `key:${prefix}`,
      rateLimit: record.rateLimit ?? null,
      tenantId: record.tenantId,
      storeIds: record.storeIds,
      read: record.canRead || record.canWrite || record.canAdmin,
      write: record.canWrite || record.canAdmin,
      admin: record.canAdmin,
      prover: record.canProve === true,
      agentId: record.agentId,
      bootstrap: false,
    };
  }

  /** Records a key's use at most once a minute per process (the list shows the last use, to the minute). */
  private async noteKeyUse(prefix: string, hash: Uint8Array): Promise<void> {
    const now = Date.now();
    const last = this.keyUse.get(prefix);
    if (last !== undefined && now - last < KEY_USE_RESOLUTION_MS) return;
    if (this.keyUse.size > 10_000) this.keyUse.clear();
    this.keyUse.set(prefix, now);
    await this.store.touchApiKey(hash, nowRfc3339());
  }
}
