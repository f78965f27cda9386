/**
 * The demo's commerce events: four agents of one store (orders, inventory, payments, returns) with realistic typed
 * payloads (amounts in minor units of USD). Payments and every third order are encrypted for the auditor (and the
 * prover when it runs); the store's first order, 12,500.00 dollars, is over the AML threshold of 10,000.00.
 */

/** The agents' roles, in the order they take turns. */
export const ROLES = ["orders", "inventory", "payments", "returns"] as const;
export type Role = (typeof ROLES)[number];

/** The AML threshold the prover proves: 1,000,000 minor units of USD (10,000.00 dollars). */
export const AML_THRESHOLD = 1_000_000n;
/** The over-threshold order's total. */
export const LARGE_ORDER_TOTAL = 1_250_000;

/** One planned event. */
export interface PlannedEvent {
  readonly role: Role;
  readonly entityId: string;
  readonly eventType: string;
  readonly payload: Record<string, unknown>;
  /** Encrypted for the auditor (and the prover, when present). */
  readonly encrypted: boolean;
}

const SKUS = ["SKU-TEE-BLK-M", "SKU-MUG-12OZ", "SKU-CAP-NVY", "SKU-HOODIE-L", "SKU-SOCKS-3PK"];
const PRICES = [2_499, 1_450, 1_999, 5_900, 1_200];

/** `n` events (at least 4), agents taking turns; deterministic for a given n. */
export function planEvents(n: number): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  let order = 0;
  let payment = 0;
  let ret = 0;
  for (let i = 0; out.length < n; i++) {
    const role = ROLES[i % ROLES.length]!;
    const k = Math.floor(i / ROLES.length);
    const orderId = `ORD-${1001 + k}`;
    if (role === "orders") {
      const large = order === 0;
      const sku = SKUS[k % SKUS.length]!;
      const quantity = large ? 500 : 1 + (k % 3);
      const unitPrice = large ? LARGE_ORDER_TOTAL / 500 : PRICES[k % PRICES.length]!;
      out.push({
        role,
        entityId: orderId,
        eventType: "order.created",
        payload: {
          customerId: `CUS-${7000 + k}`,
          items: [{ sku, quantity, unitPrice }],
          total: quantity * unitPrice,
          currency: "USD",
          ...(large ? { notes: "wholesale order" } : {}),
        },
        encrypted: !large && order % 3 === 2,
      });
      order++;
    } else if (role === "inventory") {
      const sku = SKUS[k % SKUS.length]!;
      out.push(
        k % 2 === 0
          ? {
              role,
              entityId: sku,
              eventType: "inventory.reserved",
              payload: { sku, quantity: 1 + (k % 3), orderId, location: "WH-EAST" },
              encrypted: false,
            }
          : {
              role,
              entityId: sku,
              eventType: "inventory.adjusted",
              payload: { sku, delta: -(1 + (k % 3)), location: "WH-EAST", reason: "sale" },
              encrypted: false,
            },
      );
    } else if (role === "payments") {
      const amount = k === 0 ? LARGE_ORDER_TOTAL : (1 + (k % 3)) * PRICES[k % PRICES.length]!;
      out.push({
        role,
        entityId: `PAY-${5001 + payment}`,
        eventType: "payment.completed",
        payload: {
          orderId,
          amount,
          currency: "USD",
          method: k % 2 === 0 ? "card" : "ach",
          reference: `ch_${9100 + k}`,
        },
        encrypted: true,
      });
      payment++;
    } else {
      const refund = PRICES[k % PRICES.length]!;
      out.push(
        ret % 2 === 0
          ? {
              role,
              entityId: `RET-${301 + ret}`,
              eventType: "return.requested",
              payload: {
                orderId,
                items: [{ sku: SKUS[k % SKUS.length], quantity: 1 }],
                reason: "damaged in transit",
                refundAmount: refund,
                currency: "USD",
              },
              encrypted: false,
            }
          : {
              role,
              entityId: `RET-${300 + ret}`,
              eventType: "return.approved",
              payload: { refundAmount: refund, currency: "USD", approvedBy: "returns-desk" },
              encrypted: true,
            },
      );
      ret++;
    }
  }
  return out;
}
