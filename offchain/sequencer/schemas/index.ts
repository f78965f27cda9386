/**
 * offchain/sequencer/schemas: payload schemas: the registry that validates ingest, admin service and routes.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { describeProblems, SchemaRegistry, type SchemaCheck, type SchemaMode } from "./registry";
export { schemaRoutes } from "./routes";
export { SchemaService } from "./service";
