/** JSON-schema pieces every concern's routes share: UUIDs, the stream query, decimal u64 strings, the error body. */

export const UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$";
export const uuidSchema = { type: "string", pattern: UUID } as const;
export const streamQuery = {
  type: "object",
  required: ["tenant_id", "store_id"],
  properties: { tenant_id: uuidSchema, store_id: uuidSchema },
} as const;
export const errorSchema = {
  type: "object",
  properties: { error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } },
} as const;
export const u64String = { type: "string", pattern: "^[0-9]{1,20}$" } as const;

/**
 * The OpenAPI security requirement of authenticated routes: an API key in `X-API-Key` or `Authorization`
 * (`ApiKey <key>`), or a JWT (`Authorization: Bearer <token>`, when the sequencer has a JWT secret).
 */
export const security: { [label: string]: string[] }[] = [{ apiKey: [] }, { authorization: [] }, { bearerJwt: [] }];
