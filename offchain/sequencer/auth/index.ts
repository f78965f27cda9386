/**
 * offchain/sequencer/auth: authentication (API keys, JWT bearer tokens), principals and permission checks, rate limits.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { Authenticator, sha256, type RequestHeaders } from "./authenticate";
export {
  JwtError,
  MAX_CLOCK_SKEW_SECONDS,
  signJwt,
  verifyJwt,
  type JwtClaims,
  type JwtGrant,
  type JwtVerifier,
} from "./jwt";
export {
  can,
  NIL_UUID,
  operatorPrincipal,
  permissionRank,
  requireBootstrap,
  requirePermission,
  requireTenantWideAdmin,
  type Permission,
  type Principal,
} from "./principal";
export { RateLimiter, rateLimitVerdict, type RateLimitOptions } from "./rate-limit";
