/**
 * offchain/sequencer/tenants: tenants, stores, API keys (with the key-scope rule) and the audit log.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { agentApiKeyCreateRoutes, agentApiKeyRoutes, apiKeyRoutes } from "./api-key-routes";
export { ApiKeyService, apiKeyWithinScope, type ApiKeyInfo, type ApiKeyScope } from "./api-keys";
export { AuditLog } from "./audit";
export { apiKeyJson } from "./json";
export { auditRoutes, tenantRoutes } from "./routes";
export { TenantService } from "./service";
