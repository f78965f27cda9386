/**
 * offchain/sequencer/http: the fastify application: shared route helpers, JSON schemas, error mapping and the auth hook.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { createApp, type AppOptions } from "./app";
export { authHook, type RouteContext, type RoutePlugin, type SequencerApp } from "./context";
export { fail, sendJson, streamOf, u64 } from "./json";
export { errorSchema, security, streamQuery, u64String, uuidSchema } from "./route-schemas";
