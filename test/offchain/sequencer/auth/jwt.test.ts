/**
 * JWT verification as a pure function (ves-protocol.md §10): HS256 only, issuer and audience checked, `exp`/`nbf`/`iat`
 * with at most 60 s of skew, and the grant read from `sub`, `stores`, `agent` and `perms`. The HTTP behaviour (401/403,
 * rate-limit buckets) is in jwt-auth.test.ts.
 */
import { createHmac, randomUUID } from "node:crypto";

import { expect } from "chai";

import { JwtError, signJwt, verifyJwt, type JwtClaims, type JwtVerifier } from "../../../../offchain/sequencer";

const SECRET = new TextEncoder().encode("a-test-secret-of-at-least-32-characters!");
const VERIFIER: JwtVerifier = { secret: SECRET, issuer: "stateset-sequencer", audience: "stateset-api" };
const NOW = 1_800_000_000;
const TENANT = randomUUID();
const STORE = randomUUID();
const AGENT = randomUUID();

const claims = (over: Record<string, unknown> = {}): JwtClaims => ({
  iss: "stateset-sequencer",
  aud: "stateset-api",
  sub: TENANT,
  exp: NOW + 600,
  iat: NOW,
  perms: "read,write",
  ...over,
});

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** Expects `fn` to throw a JwtError with `code` and a message matching `message`. */
function refused(fn: () => unknown, code: JwtError["code"], message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(JwtError);
    expect((e as JwtError).code).to.equal(code);
    expect((e as JwtError).message).to.match(message);
    return;
  }
  expect.fail("the token was accepted");
}

describe("JWT verification", function () {
  it("grants the tenant, stores, agent and permissions a valid token names", function () {
    const token = signJwt(claims({ stores: `${STORE}`, agent: AGENT, perms: "read,write", jti: "t-1" }), SECRET);
    expect(verifyJwt(token, VERIFIER, NOW)).to.deep.equal({
      tenantId: TENANT,
      storeIds: [STORE],
      agentId: AGENT,
      read: true,
      write: true,
      admin: false,
      expiresAt: NOW + 600,
      tokenId: "t-1",
    });
  });

  it("treats missing or empty stores as every store, and admin as implying read and write", function () {
    const grant = verifyJwt(signJwt(claims({ stores: "", perms: "admin" }), SECRET), VERIFIER, NOW);
    expect(grant.storeIds).to.deep.equal([]);
    expect([grant.read, grant.write, grant.admin]).to.deep.equal([true, true, true]);
    expect(verifyJwt(signJwt(claims({ perms: undefined }), SECRET), VERIFIER, NOW).read).to.equal(false);
  });

  it("accepts an audience array that names the configured audience", function () {
    const token = signJwt(claims({ aud: ["other", "stateset-api"] }), SECRET);
    expect(verifyJwt(token, VERIFIER, NOW).tenantId).to.equal(TENANT);
  });

  it("refuses an expired token, allowing 60 s of skew and no more", function () {
    const token = signJwt(claims({ exp: NOW - 60 }), SECRET);
    expect(verifyJwt(token, VERIFIER, NOW).tenantId).to.equal(TENANT);
    refused(() => verifyJwt(token, VERIFIER, NOW + 1), "token_expired", /expired/);
    refused(() => verifyJwt(token, { ...VERIFIER, clockSkewSeconds: 3600 }, NOW + 1), "token_expired", /expired/);
  });

  it("refuses a token that is not valid yet or issued in the future", function () {
    expect(verifyJwt(signJwt(claims({ nbf: NOW + 60 }), SECRET), VERIFIER, NOW).tenantId).to.equal(TENANT);
    refused(() => verifyJwt(signJwt(claims({ nbf: NOW + 61 }), SECRET), VERIFIER, NOW), "invalid_jwt", /not valid yet/);
    refused(() => verifyJwt(signJwt(claims({ iat: NOW + 61 }), SECRET), VERIFIER, NOW), "invalid_jwt", /future/);
  });

  it("refuses a token without exp", function () {
    refused(() => verifyJwt(signJwt(claims({ exp: undefined }), SECRET), VERIFIER, NOW), "invalid_jwt", /exp/);
  });

  it("refuses the wrong issuer or audience", function () {
    refused(() => verifyJwt(signJwt(claims({ iss: "someone" }), SECRET), VERIFIER, NOW), "invalid_jwt", /issuer/);
    refused(() => verifyJwt(signJwt(claims({ iss: undefined }), SECRET), VERIFIER, NOW), "invalid_jwt", /issuer/);
    refused(() => verifyJwt(signJwt(claims({ aud: "other" }), SECRET), VERIFIER, NOW), "invalid_jwt", /audience/);
  });

  it("refuses alg none, whatever follows", function () {
    for (const sig of ["", b64("x")]) {
      const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.${sig}`;
      refused(() => verifyJwt(token, VERIFIER, NOW), "invalid_jwt", /only HS256/);
    }
    const noneCase = `${b64({ alg: "NONE" })}.${b64(claims())}.`;
    refused(() => verifyJwt(noneCase, VERIFIER, NOW), "invalid_jwt", /only HS256/);
  });

  it("refuses every other algorithm, even with an HMAC that would verify", function () {
    for (const alg of ["HS384", "HS512", "RS256", "ES256", "EdDSA", "hs256"]) {
      const input = `${b64({ alg, typ: "JWT" })}.${b64(claims())}`;
      const sig = createHmac("sha256", SECRET).update(input).digest("base64url");
      refused(() => verifyJwt(`${input}.${sig}`, VERIFIER, NOW), "invalid_jwt", /only HS256/);
    }
    refused(() => verifyJwt(signJwt(claims(), SECRET, { typ: "JWT" }), VERIFIER, NOW), "invalid_jwt", /only HS256/);
  });

  it("refuses a bad signature: another secret, an edited payload, a truncated signature", function () {
    const other = new TextEncoder().encode("another-secret-of-at-least-32-characters");
    refused(() => verifyJwt(signJwt(claims(), other), VERIFIER, NOW), "invalid_jwt", /signature/);
    const [h, , s] = signJwt(claims(), SECRET).split(".");
    const edited = `${h}.${b64(claims({ perms: "admin" }))}.${s}`;
    refused(() => verifyJwt(edited, VERIFIER, NOW), "invalid_jwt", /signature/);
    refused(() => verifyJwt(`${h}.${b64(claims())}.${s!.slice(0, 20)}`, VERIFIER, NOW), "invalid_jwt", /signature/);
  });

  it("refuses malformed tokens with a specific reason", function () {
    const good = signJwt(claims(), SECRET);
    const [h, p, s] = good.split(".") as [string, string, string];
    refused(() => verifyJwt("", VERIFIER, NOW), "invalid_jwt", /three/);
    refused(() => verifyJwt(`${h}.${p}`, VERIFIER, NOW), "invalid_jwt", /three/);
    refused(() => verifyJwt(`${good}.x`, VERIFIER, NOW), "invalid_jwt", /three/);
    refused(() => verifyJwt(`${h}=.${p}.${s}`, VERIFIER, NOW), "invalid_jwt", /base64url/);
    refused(() => verifyJwt(`${h}.${p}.${s}+`, VERIFIER, NOW), "invalid_jwt", /base64url/);
    refused(() => verifyJwt(`${b64("not json")}.${p}.${s}`, VERIFIER, NOW), "invalid_jwt", /header is not JSON/);
    refused(() => verifyJwt(`${b64([1])}.${p}.${s}`, VERIFIER, NOW), "invalid_jwt", /not a JSON object/);
    refused(() => verifyJwt("a".repeat(9000), VERIFIER, NOW), "invalid_jwt", /longer/);
    const payloadNotJson = `${h}.${b64("{")}`;
    const sig = createHmac("sha256", SECRET).update(payloadNotJson).digest("base64url");
    refused(() => verifyJwt(`${payloadNotJson}.${sig}`, VERIFIER, NOW), "invalid_jwt", /payload is not JSON/);
  });

  it("refuses a token whose header demands critical extensions or another type", function () {
    const crit = signJwt(claims(), SECRET, { alg: "HS256", crit: ["exp"] });
    refused(() => verifyJwt(crit, VERIFIER, NOW), "invalid_jwt", /crit/);
    const typ = signJwt(claims(), SECRET, { alg: "HS256", typ: "at+jwt" });
    refused(() => verifyJwt(typ, VERIFIER, NOW), "invalid_jwt", /typ/);
  });

  it("refuses bad claims: sub not a UUID, a bad store or agent UUID, an unknown permission", function () {
    refused(() => verifyJwt(signJwt(claims({ sub: "tenant" }), SECRET), VERIFIER, NOW), "invalid_jwt", /sub/);
    const badStore = claims({ stores: `${STORE},nope` });
    refused(() => verifyJwt(signJwt(badStore, SECRET), VERIFIER, NOW), "invalid_jwt", /stores/);
    refused(() => verifyJwt(signJwt(claims({ agent: "x" }), SECRET), VERIFIER, NOW), "invalid_jwt", /agent/);
    refused(() => verifyJwt(signJwt(claims({ perms: "read,prove" }), SECRET), VERIFIER, NOW), "invalid_jwt", /prove/);
    refused(() => verifyJwt(signJwt(claims({ perms: 7 }), SECRET), VERIFIER, NOW), "invalid_jwt", /perms/);
    refused(() => verifyJwt(signJwt(claims({ exp: "soon" }), SECRET), VERIFIER, NOW), "invalid_jwt", /exp/);
  });
});
