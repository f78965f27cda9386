/**
 * Log hygiene, on both backends: a sequencer logging at `trace` goes through a run that touches every secret it
 * handles — the bootstrap admin key, created and rotated API keys, wrong keys, the receipt-signing seed, agent keys,
 * plaintext and encrypted payloads (a schema mismatch in `warn` mode, malformed bodies) — and its captured logs must
 * contain none of them.
 */
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";

import { expect } from "chai";

import * as ves from "../../../offchain/ves";
import { createLogger } from "../../../offchain/common";
import { createSequencer, resolveSequencerConfig } from "../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  SIGNING_KEY,
  client,
  ingest,
  newAgent,
  sequencerEnv,
  type BackendSetup,
} from "../../support/sequencer";

describe("sequencer log hygiene", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;

      before(async function () {
        setup = await backend.setup();
      });

      after(async function () {
        await setup?.cleanup();
      });

      it("never logs secrets, API keys, private keys or payloads", async function () {
        const lines: string[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString());
            done();
          },
        });
        const config = resolveSequencerConfig(
          { port: 0, commitWorker: true, commitMaxEvents: 2, commitIntervalMs: 50, schemaValidation: "warn" },
          sequencerEnv(setup, { SEQUENCER__LOG_LEVEL: "trace" }),
        );
        const seq = await createSequencer(config, createLogger("sequencer", "trace", sink));
        const url = await seq.start();
        const secrets: Record<string, string> = {
          "bootstrap admin key": ADMIN_KEY,
          "receipt-signing seed": SIGNING_KEY,
        };
        const marker = (name: string) => {
          const m = `${name}-${randomUUID()}`;
          secrets[name] = m;
          return m;
        };
        try {
          const admin = client(url, ADMIN_KEY);
          const tenant = (await admin.post("/api/v1/admin/tenants", { name: "Hygiene" })).json
            .tenant_id as unknown as string;
          const created = await admin.post("/api/v1/admin/api-keys", { tenant_id: tenant, permissions: "admin" });
          secrets["created API key"] = created.json.api_key as unknown as string;
          const rotated = await admin.post(`/api/v1/admin/api-keys/${created.json.key_hash_prefix}/rotate`);
          secrets["rotated API key"] = rotated.json.api_key as unknown as string;
          const tenantAdmin = client(url, secrets["rotated API key"]);
          expect((await client(url, secrets["created API key"]).get("/api/v1/admin/tenants")).status).to.equal(401);
          const wrong = `ss_${marker("wrong-key").replace(/-/g, "")}`;
          secrets["wrong key"] = wrong;
          expect((await client(url, wrong).get("/api/v1/admin/tenants")).status).to.equal(401);
          const viaHeader = await fetch(`${url}/api/v1/admin/tenants`, { headers: { "x-api-key": ADMIN_KEY } });
          expect(viaHeader.status).to.equal(200);

          const agent = await newAgent(tenantAdmin, tenant);
          secrets["agent secret key"] = ves.bytesToHex(agent.key.secretKey);
          await tenantAdmin.post("/api/v1/schemas", {
            tenantId: tenant,
            eventType: "order.created",
            schema: { type: "object", required: ["n"] },
          });
          const recipient = ves.x25519Keygen();
          secrets["recipient secret key"] = ves.bytesToHex(recipient.secretKey);
          const events = [
            await agent.event({ payload: { n: 1, note: marker("plaintext payload") } }),
            await agent.event({ payload: { note: marker("schema-failing payload") } }),
            await agent.event({
              payload: { n: 2, note: marker("encrypted payload") },
              recipients: [{ kid: 1, publicKey: recipient.publicKey }],
            }),
          ];
          const r = await ingest(tenantAdmin, agent, events);
          expect(r.json.eventsAccepted, r.text).to.equal(3n);
          const bad = await tenantAdmin.post(
            "/api/v1/ves/events/ingest",
            `{"agentId":"${agent.agentId}","events":[{"note":"${marker("malformed body")}"`,
          );
          expect(bad.status).to.equal(400);
          const forged = { ...events[0]!, payload: { n: 3, note: marker("forged payload") } };
          const f = await ingest(tenantAdmin, agent, [forged]);
          expect((f.json.rejections as unknown as unknown[]).length).to.equal(1);
          await new Promise((resolve) => setTimeout(resolve, 300)); // the commit worker runs and logs
          expect((await admin.get(`/api/v1/ves/head?tenant_id=${tenant}&store_id=${agent.storeId}`)).status).to.equal(
            200,
          );
        } finally {
          await seq.stop();
        }
        const log = lines.join("");
        expect(lines.length, "the run produced logs to scan").to.be.above(20);
        expect(log).to.include("does not match its schema");
        for (const [what, secret] of Object.entries(secrets)) {
          expect(log.includes(secret), `${what} appears in the logs`).to.equal(false);
          const base64 = Buffer.from(secret, /^[0-9a-f]+$/.test(secret) ? "hex" : "utf8").toString("base64");
          expect(log.includes(base64), `${what} (base64) appears in the logs`).to.equal(false);
        }
      });
    });
  }
});
