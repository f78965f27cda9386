/**
 * The stored form of an ingested envelope (`canonicalEnvelope`): printed from the envelope's known key order for
 * speed, it must equal, byte for byte, the generic form it replaced — `jcsExact` of every field but the payload, with
 * the payload's JCS appended — and its hash and payload JCS must follow from that text. Checked on envelopes built
 * with every optional field, encrypted payloads, u64 extremes and strings that need escaping.
 */
import { randomBytes } from "node:crypto";

import { expect } from "chai";

import { canonicalEnvelope, normalizeEnvelope } from "../../../../offchain/sequencer";
import * as ves from "../../../../offchain/ves";

/** The generic stored form (what the sequencer printed before the fast path). */
function reference(env: ves.VesEventEnvelope): string {
  const { payload, ...rest } = env;
  const fields = ves.jcsExact(rest as unknown as ves.ExactJsonValue);
  return payload === undefined ? fields : `${fields.slice(0, -1)},"payload":${ves.jcs(payload)}}`;
}

const sha256hex = (text: string) => ves.bytesToHex(ves.sha256(new TextEncoder().encode(text)));

const STRINGS = [
  "ORD-1",
  "é",
  "日本語",
  "😀 emoji",
  'quote " and \\ backslash',
  "line\u2028sep",
  "tab\tnl\n",
  "\u0001ctl",
];

describe("stored envelope form", function () {
  this.timeout(60_000);
  const agent = ves.ed25519Keygen();
  const recipient = ves.x25519Keygen();

  it("equals the generic JCS form for varied envelopes, and its hash and payload JCS follow from it", async function () {
    let n = 0;
    for (const entityId of STRINGS) {
      for (const variant of ["plain", "command", "base-max", "base-big", "encrypted", "nested"] as const) {
        const payload =
          variant === "nested"
            ? { a: [1, 2.5, -0, 1e21, { z: null, é: true }], note: entityId, big: 2 ** 53 }
            : { n: ++n, total: "19.99", note: entityId };
        const built = await ves.buildEnvelope({
          tenantId: "3f0e9a8c-1d2b-4c5d-8e6f-7a8b9c0d1e2f",
          storeId: "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
          sourceAgentId: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
          agentKeyId: 1,
          entityType: "order",
          entityId,
          eventType: "order.created",
          payload,
          signingKey: agent.secretKey,
          ...(variant === "command" ? { commandId: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" } : {}),
          ...(variant === "base-max" ? { baseVersion: (1n << 64n) - 1n } : {}),
          ...(variant === "base-big" ? { baseVersion: BigInt(2 ** 53) + 1n } : {}),
          ...(variant === "encrypted" ? { recipients: [{ kid: 1, publicKey: recipient.publicKey }] } : {}),
        });
        const parsed = ves.parseEnvelope(ves.parseJsonExact(ves.stringifyJsonExact(built.envelope as never)));
        expect(parsed.ok, `${variant} ${entityId}`).to.equal(true);
        if (!parsed.ok) continue;
        const env = normalizeEnvelope(parsed.event);
        const c = canonicalEnvelope(env);
        const expected = reference(env);
        expect(c.json, `${variant} ${JSON.stringify(entityId)}`).to.equal(expected);
        expect(ves.bytesToHex(c.hash)).to.equal(sha256hex(expected));
        if (env.payload !== undefined) expect(c.payloadJcs).to.equal(ves.jcs(env.payload));
        else expect(c.payloadJcs).to.equal(undefined);
      }
    }
  });

  it("falls back to the generic printer for fields it does not know, with the same text", function () {
    const base = { ves_version: 1, event_id: randomBytes(4).toString("hex"), agent_key_id: 1 } as const;
    const odd = { ...base, zzz_extra: "x", aaa_extra: [1, "two"] } as unknown as ves.VesEventEnvelope;
    expect(canonicalEnvelope(odd).json).to.equal(reference(odd));
  });
});
