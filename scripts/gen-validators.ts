/**
 * Rewrites offchain/agent/schemas/validators.js: the typed event types' payload validators compiled ahead of time
 * (ajv standalone code). Run after changing a schema in offchain/agent/schemas/ or upgrading ajv:
 *
 *   npm run gen:validators
 */
import { writeFileSync } from "node:fs";

import { PAYLOAD_VALIDATORS_FILE, payloadValidatorsSource } from "../offchain/agent";

writeFileSync(PAYLOAD_VALIDATORS_FILE, payloadValidatorsSource());
process.stdout.write(`wrote ${PAYLOAD_VALIDATORS_FILE}\n`);
