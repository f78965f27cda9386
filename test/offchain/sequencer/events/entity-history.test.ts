/**
 * `GET /api/v1/ves/entities/{entity_type}/{entity_id}` over HTTP on both backends: one entity's events in sequence
 * order (the event shape of `GET /api/v1/ves/events`), paged by offset, with the entity's total and its version as the
 * sequencer's optimistic concurrency tracks it; read permission scoped like the other read routes; bad parameters are
 * 400 with a reason code.
 */
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Sequencer } from "../../../../offchain/sequencer";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type Agent,
  type BackendSetup,
  type Client,
} from "../../../support/sequencer";

interface EventJson {
  readonly sequence_number: bigint;
  readonly event_id: string;
  readonly envelope: { readonly entity_type: string; readonly entity_id: string };
  readonly receipt: Record<string, unknown>;
  readonly batch_id: string | null;
}

describe("sequencer entity history", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    describe(backend.name, function () {
      let setup: BackendSetup;
      let sequencer: Sequencer;
      let url: string;
      let admin: Client;
      let agent: Agent;
      /** Sequence numbers of order A's events, in order. */
      const orderA: bigint[] = [];
      const A = `ORD-${randomUUID()}`;
      const B = `ORD-${randomUUID()}`;

      const history = (entityType: string, entityId: string, query = "", c: Client = admin) =>
        c.get(
          `/api/v1/ves/entities/${encodeURIComponent(entityType)}/${encodeURIComponent(entityId)}` +
            `?tenant_id=${agent.tenantId}&store_id=${agent.storeId}${query}`,
        );

      before(async function () {
        setup = await backend.setup();
        ({ seq: sequencer, url } = await startSequencer(setup));
        admin = client(url, ADMIN_KEY);
        agent = await newAgent(admin);
        // Order A gets 5 events (with base versions 0..4), order B gets 2, interleaved; one stale write is rejected.
        for (let i = 0; i < 5; i++) {
          const a = await agent.event({ entityId: A, baseVersion: BigInt(i) });
          const batch = i < 2 ? [a, await agent.event({ entityId: B })] : [a];
          const r = await ingest(admin, agent, batch);
          expect(r.status, r.text).to.equal(200);
          expect(r.json.eventsAccepted, r.text).to.equal(batch.length);
          orderA.push((r.json.receipts as unknown as { sequenceNumber: bigint }[])[0]!.sequenceNumber);
        }
        const stale = await ingest(admin, agent, [await agent.event({ entityId: A, baseVersion: 2n })]);
        expect(stale.json.eventsRejected, stale.text).to.equal(1);
      });

      after(async function () {
        await sequencer?.stop();
        await setup?.cleanup();
      });

      it("answers an entity's events in sequence order with its total and current version", async function () {
        const r = await history("order", A);
        expect(r.status, r.text).to.equal(200);
        const events = r.json.events as unknown as EventJson[];
        expect(events.map((e) => e.sequence_number)).to.deep.equal(orderA);
        for (const e of events) expect(e.envelope).to.include({ entity_type: "order", entity_id: A });
        expect(r.json).to.deep.include({
          entity_type: "order",
          entity_id: A,
          count: 5,
          total: 5,
          current_version: 5,
          has_more: false,
        });
        // The same event shape as the stream route.
        const stream = await admin.get(
          `/api/v1/ves/events?tenant_id=${agent.tenantId}&store_id=${agent.storeId}&from=${orderA[0]}&limit=1`,
        );
        expect(events[0]).to.deep.equal((stream.json.events as unknown as EventJson[])[0]);
        const b = await history("order", B);
        expect(b.json).to.deep.include({ count: 2, total: 2, current_version: 2 });
      });

      it("pages by offset", async function () {
        const first = await history("order", A, "&limit=2");
        expect((first.json.events as unknown as EventJson[]).map((e) => e.sequence_number)).to.deep.equal(
          orderA.slice(0, 2),
        );
        expect(first.json).to.deep.include({ count: 2, total: 5, has_more: true });
        const last = await history("order", A, "&from=4&limit=2");
        expect((last.json.events as unknown as EventJson[]).map((e) => e.sequence_number)).to.deep.equal([orderA[4]]);
        expect(last.json).to.deep.include({ count: 1, total: 5, current_version: 5, has_more: false });
        const past = await history("order", A, "&from=9");
        expect(past.json).to.deep.include({ events: [], count: 0, total: 5, current_version: 5, has_more: false });
      });

      it("answers an entity without events with an empty history at version 0", async function () {
        for (const [type, id] of [
          ["order", "ORD-none"],
          ["invoice", A],
          ["ordér / ü", "x y"],
          ["order", "é".repeat(256)],
        ]) {
          const r = await history(type!, id!);
          expect(r.status, r.text).to.equal(200);
          expect(r.json).to.deep.equal({
            entity_type: type,
            entity_id: id,
            events: [],
            count: 0,
            total: 0,
            current_version: 0,
            has_more: false,
          });
        }
      });

      it("needs read permission on the stream", async function () {
        const mint = async (body: Record<string, unknown>) => {
          const r = await admin.post("/api/v1/admin/api-keys", { tenant_id: agent.tenantId, ...body });
          expect(r.status, r.text).to.equal(201);
          return client(url, r.json.api_key as unknown as string);
        };
        const reader = await mint({ permissions: "read", store_ids: [agent.storeId] });
        expect((await history("order", A, "", reader)).status).to.equal(200);
        const otherStore = await mint({ permissions: "admin", store_ids: [randomUUID()] });
        const otherTenant = client(
          url,
          (await admin.post("/api/v1/admin/api-keys", { tenant_id: randomUUID(), permissions: "admin" })).json
            .api_key as unknown as string,
        );
        for (const c of [otherStore, otherTenant]) {
          const r = await history("order", A, "", c);
          expect(r.status, r.text).to.equal(403);
          expect((r.json.error as unknown as { code: string }).code).to.equal("INSUFFICIENT_PERMISSIONS");
        }
        expect((await history("order", A, "", client(url))).status).to.equal(401);
      });

      it("answers bad parameters with 400 and a reason", async function () {
        const base = `/api/v1/ves/entities/order/${A}`;
        const q = `tenant_id=${agent.tenantId}&store_id=${agent.storeId}`;
        for (const path of [
          `${base}?${q}&limit=0`,
          `${base}?${q}&limit=101`,
          `${base}?${q}&limit=x`,
          `${base}?${q}&from=-1`,
          `${base}?${q}&from=1.5`,
          `${base}?${q}&from=99999999999999999999`,
          `${base}?tenant_id=${agent.tenantId}`,
          `${base}?tenant_id=nope&store_id=${agent.storeId}`,
          `/api/v1/ves/entities/order/${"x".repeat(513)}?${q}`,
          `/api/v1/ves/entities/${"x".repeat(129)}/${A}?${q}`,
        ]) {
          const r = await admin.get(path);
          expect(r.status, `${path}: ${r.text}`).to.equal(400);
          expect((r.json.error as unknown as { code: string }).code, path).to.equal("INVALID_REQUEST");
        }
        const tooLong = await admin.get(`/api/v1/ves/entities/order/${"x".repeat(3000)}?${q}`);
        expect(tooLong.status).to.equal(414);
        expect((tooLong.json.error as unknown as { code: string }).code).to.equal("PATH_PARAMETER_TOO_LONG");
      });

      it("is documented in the OpenAPI document with its response schema", async function () {
        const docs = await admin.get("/docs/json");
        const route = (docs.json.paths as unknown as Record<string, Record<string, unknown>>)[
          "/api/v1/ves/entities/{entity_type}/{entity_id}"
        ];
        expect(route, "route in /docs/json").to.be.an("object");
        const get = route!.get as { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
        const schema = get.responses["200"]!.content["application/json"]!.schema as { required: string[] };
        expect(schema.required).to.have.members([
          "entity_type",
          "entity_id",
          "events",
          "count",
          "total",
          "current_version",
          "has_more",
        ]);
      });
    });
  }
});
