/**
 * Payload schemas against both backends: the `/api/v1/schemas` routes of the reference (register, list, read, delete,
 * status, validate, per event type and latest), versions, and ingest in the four modes — `enforce` rejects a failing
 * plaintext event with reason exactly `schema_validation`, `required` also rejects plaintext events whose type has no
 * active schema, `warn` accepts and logs it, `disabled` skips validation.
 */
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";

import { expect } from "chai";

import * as ves from "../../../../offchain/ves";
import { createLogger } from "../../../../offchain/common";
import { createSequencer, resolveSequencerConfig, type Sequencer } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  sequencerEnv,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

const ORDER_SCHEMA = {
  type: "object",
  required: ["n", "total"],
  properties: {
    n: { type: "integer", minimum: 0 },
    total: { type: "string", pattern: "^[0-9]+\\.[0-9]{2}$" },
  },
};

describe("sequencer payload schemas", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      let sequencer: Sequencer;
      let url: string;
      let admin: Client;

      before(async function () {
        setup = await backend.setup();
        ({ seq: sequencer, url } = await startSequencer(setup, { keyCacheMs: 0 }));
        admin = client(url, ADMIN_KEY);
      });

      after(async function () {
        await sequencer?.stop();
        await setup?.cleanup();
      });

      const register = async (tenantId: string, eventType: string, schema: unknown, extra = {}) => {
        const r = await admin.post("/api/v1/schemas", { tenantId, eventType, schema, ...extra });
        expect(r.status, r.text).to.equal(201);
        return r.json as unknown as { id: string; version: number; status: string };
      };

      it("registers versions and serves them by id, event type and latest", async function () {
        const tenant = randomUUID();
        const v1 = await register(tenant, "order.created", ORDER_SCHEMA, { description: "first" });
        expect(v1).to.include({ version: 1, status: "active" });
        const v2 = await register(tenant, "order.created", { ...ORDER_SCHEMA, required: ["n"] });
        expect(v2.version).to.equal(2);
        await register(tenant, "order.paid", { type: "object" });

        const one = await admin.get(`/api/v1/schemas/${v1.id}`);
        expect(one.json).to.deep.include({ id: v1.id, tenantId: tenant, eventType: "order.created", version: 1 });
        expect(one.json.schema).to.deep.equal(ORDER_SCHEMA);
        const all = await admin.get(`/api/v1/schemas?tenant_id=${tenant}`);
        expect(all.json.count).to.equal(3);
        const byType = await admin.get(`/api/v1/schemas/event-type/order.created?tenant_id=${tenant}`);
        expect((byType.json.schemas as unknown as { version: number }[]).map((s) => s.version)).to.deep.equal([1, 2]);
        const latest = await admin.get(`/api/v1/schemas/event-type/order.created/latest?tenant_id=${tenant}`);
        expect(latest.json.id).to.equal(v2.id);

        const status = await admin.put(`/api/v1/schemas/${v2.id}/status`, { status: "deprecated" });
        expect(status.status, status.text).to.equal(200);
        expect(status.json.status).to.equal("deprecated");
        expect(
          (await admin.get(`/api/v1/schemas/event-type/order.created/latest?tenant_id=${tenant}`)).json.id,
        ).to.equal(v1.id);
        const del = await admin.delete(`/api/v1/schemas/${v1.id}`);
        expect(del.status).to.equal(200);
        expect((await admin.get(`/api/v1/schemas/${v1.id}`)).status).to.equal(404);
        expect(
          (await admin.get(`/api/v1/schemas/event-type/order.created/latest?tenant_id=${tenant}`)).status,
        ).to.equal(404);
        expect((await register(tenant, "order.created", ORDER_SCHEMA)).version).to.equal(3);

        const audit = await admin.get(`/api/v1/admin/audit?tenant_id=${tenant}`);
        expect((audit.json.entries as unknown as { action: string }[]).map((e) => e.action)).to.deep.equal([
          "schema.create",
          "schema.delete",
          "schema.status",
          "schema.create",
          "schema.create",
          "schema.create",
        ]);
      });

      it("validates payloads on request", async function () {
        const tenant = randomUUID();
        const s = await register(tenant, "order.created", ORDER_SCHEMA);
        const ok = await admin.post("/api/v1/schemas/validate", {
          tenantId: tenant,
          eventType: "order.created",
          payload: { n: 1, total: "1.00" },
        });
        expect(ok.json).to.deep.include({ valid: true, schemaId: s.id, version: 1, errors: [] });
        const bad = await admin.post("/api/v1/schemas/validate", {
          tenantId: tenant,
          eventType: "order.created",
          payload: { n: -1, total: 3 },
          schemaId: s.id,
        });
        expect(bad.json.valid).to.equal(false);
        expect((bad.json.errors as unknown as { path: string }[]).map((e) => e.path).sort()).to.deep.equal([
          "/n",
          "/total",
        ]);
        const none = await admin.post("/api/v1/schemas/validate", {
          tenantId: tenant,
          eventType: "nothing.registered",
          payload: 5,
        });
        expect(none.json).to.include({ valid: true, schemaId: null });
      });

      it("rejects a failing plaintext event with reason schema_validation and accepts the rest", async function () {
        const agent = await newAgent(admin);
        await register(agent.tenantId, "order.created", ORDER_SCHEMA);
        const good = await agent.event();
        const bad = await agent.event({ payload: { n: 1, total: "free" } });
        const otherType = await agent.event({ eventType: "order.note", payload: { anything: true } });
        const recipient = ves.x25519Keygen();
        const encrypted = await agent.event({
          payload: { n: "not checked", total: 0 },
          recipients: [{ kid: 1, publicKey: recipient.publicKey }],
        });
        const r = await ingest(admin, agent, [good, bad, otherType, encrypted]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.eventsAccepted).to.equal(3n);
        const rejections = r.json.rejections as unknown as { event_id: string; reason: string; message: string }[];
        expect(rejections.map((x) => [x.event_id, x.reason])).to.deep.equal([[bad.event_id, "schema_validation"]]);
        expect(rejections[0]!.message).to.include("/total");
        expect(rejections[0]!.message).not.to.include("free");
        expect([r.json.sequenceStart, r.json.sequenceEnd]).to.deep.equal([1n, 3n]);
        // A disabled schema validates nothing.
        const latest = await admin.get(`/api/v1/schemas/event-type/order.created/latest?tenant_id=${agent.tenantId}`);
        await admin.put(`/api/v1/schemas/${latest.json.id}/status`, { status: "disabled" });
        const later = await ingest(admin, agent, [bad]);
        expect(later.json.eventsAccepted).to.equal(1n);
      });

      it("answers bad schema requests with specific 4xx JSON errors", async function () {
        const tenant = randomUUID();
        const s = await register(tenant, "t", { type: "object" });
        const other = await admin.post("/api/v1/admin/api-keys", { tenant_id: randomUUID(), permissions: "admin" });
        const stranger = client(url, other.json.api_key as unknown as string);
        const cases: [Promise<{ status: number; json: Record<string, unknown> }>, number][] = [
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: { type: "nonsense" } }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: { minimum: "x" } }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: [1] }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "", schema: {} }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "x".repeat(257), schema: {} }), 400],
          [admin.post("/api/v1/schemas", { tenantId: "x", eventType: "t", schema: {} }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: {}, status: "gone" }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t" }), 400],
          [admin.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: { pattern: "(" } }), 400],
          [admin.get(`/api/v1/schemas/${randomUUID()}`), 404],
          [admin.get("/api/v1/schemas/not-a-uuid"), 400],
          [admin.get("/api/v1/schemas"), 400],
          [admin.put(`/api/v1/schemas/${s.id}/status`, { status: "nope" }), 400],
          [admin.put(`/api/v1/schemas/${randomUUID()}/status`, { status: "active" }), 404],
          [admin.delete(`/api/v1/schemas/${randomUUID()}`), 404],
          [admin.post("/api/v1/schemas/validate", { tenantId: tenant, eventType: "t" }), 400],
          [
            admin.post("/api/v1/schemas/validate", {
              tenantId: tenant,
              eventType: "other",
              payload: {},
              schemaId: s.id,
            }),
            400,
          ],
          [stranger.get(`/api/v1/schemas/${s.id}`), 404],
          [stranger.delete(`/api/v1/schemas/${s.id}`), 404],
          [stranger.get(`/api/v1/schemas?tenant_id=${tenant}`), 403],
          [stranger.post("/api/v1/schemas", { tenantId: tenant, eventType: "t", schema: {} }), 403],
          [client(url).get(`/api/v1/schemas?tenant_id=${tenant}`), 401],
        ];
        for (const [pending, status] of cases) {
          const r = await pending;
          expect(r.status, JSON.stringify(r.json)).to.equal(status);
          expect(r.json.error, JSON.stringify(r.json)).to.have.property("code");
        }
        expect((await admin.get(`/api/v1/schemas/${s.id}`)).status).to.equal(200);
      });

      for (const mode of ["warn", "disabled"] as const) {
        it(`accepts a failing event in ${mode} mode${mode === "warn" ? " and logs it without the payload" : ""}`, async function () {
          const lines: string[] = [];
          const sink = new Writable({
            write(chunk: Buffer, _enc, done) {
              lines.push(chunk.toString());
              done();
            },
          });
          const config = resolveSequencerConfig(
            { port: 0, commitWorker: false, schemaValidation: mode },
            sequencerEnv(setup, { SEQUENCER__LOG_LEVEL: "info" }),
          );
          const other = await createSequencer(config, createLogger("sequencer", "info", sink));
          const otherUrl = await other.start();
          try {
            const c = client(otherUrl, ADMIN_KEY);
            const agent = await newAgent(c);
            await register(agent.tenantId, "order.created", ORDER_SCHEMA);
            const bad = await agent.event({ payload: { n: 1, total: "secret-total-value" } });
            const r = await ingest(c, agent, [bad]);
            expect(r.json.eventsAccepted).to.equal(1n);
            const warnings = lines.filter((l) => l.includes("does not match its schema"));
            expect(warnings.length).to.equal(mode === "warn" ? 1 : 0);
            expect(lines.join("")).not.to.include("secret-total-value");
          } finally {
            await other.stop();
          }
        });
      }

      it("in required mode rejects plaintext events of a type without an active schema, validates the rest as enforce does and accepts encrypted ones", async function () {
        const { seq: other, url: otherUrl } = await startSequencer(setup, {
          schemaValidation: "required",
          keyCacheMs: 0,
        });
        try {
          const c = client(otherUrl, ADMIN_KEY);
          const agent = await newAgent(c);
          const registered = await register(agent.tenantId, "order.created", ORDER_SCHEMA);
          await register(agent.tenantId, "order.cancelled", ORDER_SCHEMA);
          const good = await agent.event();
          const bad = await agent.event({ payload: { n: 1, total: "free" } });
          const noSchema = await agent.event({ eventType: "order.note", payload: { anything: true } });
          const recipient = ves.x25519Keygen();
          const encrypted = await agent.event({
            eventType: "order.note",
            payload: { anything: "unchecked" },
            recipients: [{ kid: 1, publicKey: recipient.publicKey }],
          });
          const r = await ingest(c, agent, [good, bad, noSchema, encrypted]);
          expect(r.status, r.text).to.equal(200);
          expect(r.json.eventsAccepted).to.equal(2n);
          const rejections = r.json.rejections as unknown as { event_id: string; reason: string }[];
          expect(rejections.map((x) => [x.event_id, x.reason])).to.deep.equal([
            [bad.event_id, "schema_validation"],
            [noSchema.event_id, "schema_validation: no active schema for order.note"],
          ]);
          // A disabled schema is no active schema; another type with an active schema still passes.
          await c.put(`/api/v1/schemas/${registered.id}/status`, { status: "disabled" });
          const later = await ingest(c, agent, [await agent.event()]);
          const laterRejections = later.json.rejections as unknown as { reason: string }[];
          expect(laterRejections.map((x) => x.reason)).to.deep.equal([
            "schema_validation: no active schema for order.created",
          ]);
          const cancelled = await ingest(c, agent, [await agent.event({ eventType: "order.cancelled" })]);
          expect(cancelled.json.eventsAccepted).to.equal(1n);
        } finally {
          await other.stop();
        }
      });

      it("refuses an unknown mode at start-up", function () {
        expect(() => resolveSequencerConfig({ schemaValidation: "strict" }, sequencerEnv(setup))).to.throw(
          /schema-validation: must be enforce, required, warn or disabled/,
        );
      });
    });
  }
});
