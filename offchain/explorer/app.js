/**
 * The VES explorer page: a read-only view of one tenant's shared state over the sequencer's API. Hash routes:
 * `#/streams` (streams with head and latest state root), `#/charts` (events per minute, commit-to-anchor latency),
 * `#/stream/{store}` (events, updating live), `#/stream/{store}/commitments`, `#/stream/{store}/proofs`,
 * `#/stream/{store}/entity` (lookup), `#/entity/{store}/{type}/{id}` (an entity's history) and `#/event/{id}` (one
 * event with its receipt, its inclusion proof drawn as the path up the tree, and in-browser verification).
 * Every view has loading, empty and error states; all data is rendered as text.
 */
import { ApiError, apiGet, explorerConfig, session } from "./api.js";
import { facts, h, link, notice, replace, route, shortHash, table } from "./dom.js";
import { anchorLatencies, eventsChart, eventsPerMinute, formatSeconds, latencyChart } from "./charts.js";
import {
  bytesToHex,
  eventSigningHash,
  foldProof,
  hexToBytes,
  leafHash,
  readOnChainCommitment,
  receiptHash,
  verifyInclusion,
} from "./ves-browser.js";

/** How often the live event view asks for new events. */
const POLL_MS = 2000;
/** Events shown per page of a stream. */
const PAGE = 50;

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const sessionBox = document.getElementById("session");
const sessionLabel = document.getElementById("session-label");

/** The tenant the key reads (from the session, or learned from the stream list). */
let tenantCache = "";
/** Cleanup of the current view (timers, charts). */
let disposers = [];
/** Bumped on every navigation: a view's late answers check it and drop themselves. */
let generation = 0;

// Formatting ---------------------------------------------------------------------------------------------------------

/** An RFC 3339 time as `YYYY-MM-DD HH:MM:SS UTC` in a <time> element. */
function time(value) {
  if (value === null || value === undefined) return h("span", { class: "muted", text: "—" });
  const d = new Date(String(value));
  const text = Number.isNaN(d.getTime())
    ? String(value)
    : d
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC");
  return h("time", { datetime: String(value) }, text);
}

/** A short text of a payload: its JSON, or `encrypted for N recipients`. */
function payloadSummary(envelope) {
  if (Number(envelope.payload_kind) === 1 || envelope.payload_encrypted !== undefined) {
    const n = envelope.payload_encrypted?.recipients?.length ?? 0;
    return h("span", { class: "badge badge-enc" }, `encrypted for ${n} recipient${n === 1 ? "" : "s"}`);
  }
  const text = stringify(envelope.payload);
  return h("code", { class: "payload", title: text }, text.length > 160 ? `${text.slice(0, 159)}…` : text);
}

/** JSON text of a value (bigint as integers). */
function stringify(value, indent) {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v), indent) ?? "null";
}

/** The badge of an anchor status. */
function anchorBadge(status) {
  const text = { anchored: "anchored", committed: "committed, not anchored", uncommitted: "not committed" }[status];
  return h("span", { class: `badge badge-${status}`, "data-anchor": status }, text ?? String(status));
}

/** An ApiError as a sentence with its reason code. */
function describeError(e) {
  if (e instanceof ApiError) {
    if (e.status === 401) return `The sequencer refused the API key: ${e.message} (${e.code}, HTTP 401).`;
    if (e.status === 403) return `This API key may not read that: ${e.message} (${e.code}, HTTP 403).`;
    if (e.status === 0) return e.message;
    return `${e.message} (${e.code}, HTTP ${e.status}).`;
  }
  return `Unexpected error: ${e?.message ?? String(e)}`;
}

/** True for the sequencer's answer to a route it does not have (as opposed to a missing record). */
function isMissingRoute(e) {
  return e instanceof ApiError && e.status === 404 && /^no route /.test(e.message);
}

// Layout -------------------------------------------------------------------------------------------------------------

/** Replaces the view with a titled section; focuses the title on navigation (keyboard and screen-reader users). */
function page(title, ...content) {
  const heading = h("h2", { tabindex: "-1", id: "view-title" }, title);
  replace(view, heading, ...content);
  heading.focus({ preventScroll: true });
  return heading;
}

/** The tabs of a stream's views. */
function streamTabs(store, current) {
  const tabs = [
    ["events", "Events", route("stream", store)],
    ["commitments", "Commitments", route("stream", store, "commitments")],
    ["proofs", "Proofs", route("stream", store, "proofs")],
    ["entity", "Find an entity", route("stream", store, "entity")],
  ];
  return h(
    "nav",
    { class: "tabs", "aria-label": "Stream views" },
    tabs.map(([key, text, href]) => h("a", { href, "aria-current": key === current ? "page" : undefined }, text)),
  );
}

/** Marks the top navigation's current entry. */
function markNav(key) {
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.nav === key) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** The tenant id the API calls use. */
async function tenant() {
  if (session.tenantId) return session.tenantId;
  if (!tenantCache) tenantCache = (await apiGet("/api/v1/ves/streams", { limit: 1 })).tenant_id;
  sessionLabel.textContent = `Tenant ${tenantCache}`;
  return tenantCache;
}

/** Runs a view's loader with loading and error states; late answers of a left view are dropped. */
async function load(title, loader) {
  const mine = generation;
  page(title, notice("loading", "Loading…"));
  try {
    await loader(() => mine === generation);
  } catch (e) {
    if (mine !== generation) return;
    if (e instanceof ApiError && e.status === 401) {
      showSignIn(describeError(e));
      return;
    }
    page(
      title,
      notice("error", describeError(e), h("p", {}, h("a", { href: route("streams") }, "Back to the streams"))),
    );
  }
}

// Sign-in ------------------------------------------------------------------------------------------------------------

/** The sign-in form; `error` is shown above it (e.g. a refused key). */
function showSignIn(error) {
  session.clear();
  tenantCache = "";
  nav.hidden = true;
  sessionBox.hidden = true;
  const keyInput = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "ss_…",
  });
  const tenantInput = h("input", {
    id: "tenant-id",
    name: "tenant-id",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "defaults to the key's tenant",
  });
  const form = h(
    "form",
    { class: "signin", "aria-label": "Sign in" },
    h("label", { for: "api-key" }, "API key (read permission)"),
    keyInput,
    h("label", { for: "tenant-id" }, "Tenant id (optional)"),
    tenantInput,
    h("button", { type: "submit" }, "Open the explorer"),
    h("p", {
      class: "muted",
      text: "The key is kept in this tab's session storage only and sent to this sequencer alone.",
    }),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = keyInput.value.trim();
    if (key === "") return;
    session.save(key, tenantInput.value.trim());
    if (location.hash === "#/streams") void render();
    else location.hash = "#/streams";
  });
  page("Sign in", error ? notice("error", error) : null, form);
  keyInput.focus();
}

// Views --------------------------------------------------------------------------------------------------------------

/** `#/streams`: the tenant's streams with head, latest state root and anchor status. */
function streamsView() {
  markNav("streams");
  return load("Streams", async (current) => {
    const body = await apiGet("/api/v1/ves/streams", { tenant_id: session.tenantId || undefined });
    if (!current()) return;
    tenantCache = body.tenant_id;
    sessionLabel.textContent = `Tenant ${body.tenant_id}`;
    if (body.streams.length === 0) {
      page("Streams", notice("empty", "This tenant has no events yet: no stream to show."));
      return;
    }
    const rows = body.streams.map((s) => [
      link(s.store_id, "stream", s.store_id),
      h("span", { class: "num", "data-field": "head" }, String(s.head_sequence)),
      h("span", { class: "num", "data-field": "committed" }, String(s.committed_sequence)),
      h("span", { class: "num", "data-field": "uncommitted" }, String(s.uncommitted_events)),
      shortHash(s.latest_state_root),
      anchorBadge(s.anchor_status),
      h("span", {}, link("commitments", "stream", s.store_id, "commitments")),
    ]);
    page(
      "Streams",
      h("p", { class: "muted" }, `Tenant ${body.tenant_id} · ${body.count} stream${body.count === 1 ? "" : "s"}`),
      table(
        "Streams with events",
        ["Store", "Head", "Committed to", "Not committed", "Latest state root", "Anchor", ""],
        rows,
        { id: "streams-table" },
      ),
    );
    for (const [i, tr] of [...view.querySelectorAll("#streams-table tbody tr")].entries()) {
      tr.dataset.store = body.streams[i].store_id;
    }
  });
}

/** The events table rows of a stream (newest first). */
function eventRow(e, store, fresh) {
  const env = e.envelope;
  const tr = h(
    "tr",
    { "data-seq": String(e.sequence_number), class: fresh ? "fresh" : undefined },
    h("td", { "data-label": "Seq" }, link(String(e.sequence_number), "event", e.event_id)),
    h("td", { "data-label": "Sequenced at" }, time(e.receipt?.sequencedAt)),
    h("td", { "data-label": "Type" }, h("span", { class: "etype" }, env.event_type)),
    h(
      "td",
      { "data-label": "Entity" },
      link(`${env.entity_type}/${env.entity_id}`, "entity", store, env.entity_type, env.entity_id),
    ),
    h("td", { "data-label": "Agent" }, shortHash(env.source_agent_id)),
    h("td", { "data-label": "Payload" }, payloadSummary(env)),
    h(
      "td",
      { "data-label": "Commitment" },
      e.batch_id ? shortHash(e.batch_id) : h("span", { class: "muted", text: "pending" }),
    ),
  );
  return tr;
}

/** `#/stream/{store}`: a stream's events, newest first, polling for new ones every two seconds. */
function eventsView(store) {
  markNav("streams");
  return load(`Stream ${store}`, async (current) => {
    const tenantId = await tenant();
    const first = await apiGet("/api/v1/ves/events", { tenant_id: tenantId, store_id: store, from: 1, limit: 1 });
    const head = BigInt(first.head_sequence);
    const from = head > BigInt(PAGE) ? head - BigInt(PAGE) + 1n : 1n;
    const initial =
      head === 0n
        ? { events: [] }
        : await apiGet("/api/v1/ves/events", {
            tenant_id: tenantId,
            store_id: store,
            from,
            limit: PAGE,
          });
    if (!current()) return;

    let newest = head;
    let oldest = from;
    const headOut = h("span", { class: "num", id: "head-sequence" }, String(head));
    const shownOut = h("span", { class: "num", id: "shown-count" }, String(initial.events.length));
    const liveStatus = h("p", { class: "live-status", role: "status", "aria-live": "polite", id: "live-status" });
    const tbody = h("tbody", { id: "events-body" });
    for (const e of [...initial.events].reverse()) tbody.appendChild(eventRow(e, store, false));
    const empty = notice("empty", "No events in this stream yet. New events appear here as they arrive.");
    empty.hidden = initial.events.length > 0;
    const older = h("button", { type: "button", id: "load-older", hidden: oldest <= 1n }, "Load older events");
    const liveButton = h("button", { type: "button", id: "live-toggle", "aria-pressed": "true" }, "Live updates: on");
    const tableEl = h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": "Events", tabindex: "0" },
      h(
        "table",
        { id: "events-table" },
        h("caption", { text: "Events, newest first" }),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Seq", "Sequenced at", "Type", "Entity", "Agent", "Payload", "Commitment"].map((t) =>
              h("th", { scope: "col", text: t }),
            ),
          ),
        ),
        tbody,
      ),
    );
    page(
      `Stream ${store}`,
      streamTabs(store, "events"),
      facts([
        ["Tenant", h("code", {}, tenantId)],
        ["Head sequence", headOut],
        ["Events shown", shownOut],
      ]),
      h("div", { class: "toolbar" }, liveButton, liveStatus),
      empty,
      tableEl,
      older,
    );

    older.addEventListener("click", async () => {
      older.disabled = true;
      try {
        const start = oldest > BigInt(PAGE) ? oldest - BigInt(PAGE) : 1n;
        const r = await apiGet("/api/v1/ves/events", {
          tenant_id: tenantId,
          store_id: store,
          from: start,
          limit: Number(oldest - start),
        });
        for (const e of [...r.events].reverse()) tbody.appendChild(eventRow(e, store, false));
        oldest = start;
        shownOut.textContent = String(tbody.children.length);
        older.hidden = oldest <= 1n;
      } catch (e) {
        liveStatus.textContent = describeError(e);
      } finally {
        older.disabled = false;
      }
    });

    // Live updates: poll for events after the newest shown; a failed poll says so and tries again.
    let live = true;
    let timer;
    const poll = async () => {
      if (!current() || !live) return;
      try {
        const r = await apiGet("/api/v1/ves/events", {
          tenant_id: tenantId,
          store_id: store,
          from: newest + 1n,
          limit: 100,
        });
        if (!current()) return;
        for (const e of r.events) tbody.insertBefore(eventRow(e, store, true), tbody.firstChild);
        if (r.events.length > 0) newest = BigInt(r.events.at(-1).sequence_number);
        headOut.textContent = String(r.head_sequence);
        shownOut.textContent = String(tbody.children.length);
        empty.hidden = tbody.children.length > 0;
        const at = new Date().toISOString().slice(11, 19);
        liveStatus.textContent =
          r.events.length > 0
            ? `Live: ${r.events.length} new event${r.events.length === 1 ? "" : "s"} at ${at} UTC`
            : `Live: up to date at ${at} UTC`;
      } catch (e) {
        if (current()) liveStatus.textContent = `Live update failed: ${describeError(e)} Retrying…`;
      }
      if (current() && live) timer = setTimeout(poll, POLL_MS);
    };
    liveButton.addEventListener("click", () => {
      live = !live;
      liveButton.setAttribute("aria-pressed", String(live));
      liveButton.textContent = `Live updates: ${live ? "on" : "off"}`;
      clearTimeout(timer);
      if (live) void poll();
      else liveStatus.textContent = "Live updates paused";
    });
    disposers.push(() => clearTimeout(timer));
    void poll();
  });
}

/** Every commitment of a stream (pages of 1000, at most 10 pages). */
async function allCommitments(tenantId, store) {
  const out = [];
  let after;
  for (let i = 0; i < 10; i++) {
    const r = await apiGet("/api/v1/ves/commitments", {
      tenant_id: tenantId,
      store_id: store,
      anchored: "all",
      after,
      limit: 1000,
    });
    out.push(...r.commitments);
    if (!r.has_more || r.next_after === null) break;
    after = r.next_after;
  }
  return out;
}

/** `#/stream/{store}/commitments`: range, roots, anchor status, transaction and block. */
function commitmentsView(store) {
  markNav("streams");
  return load(`Commitments of ${store}`, async (current) => {
    const tenantId = await tenant();
    const list = await allCommitments(tenantId, store);
    if (!current()) return;
    const title = `Commitments of ${store}`;
    if (list.length === 0) {
      page(title, streamTabs(store, "commitments"), notice("empty", "No commitments for this stream yet."));
      return;
    }
    const anchored = list.filter((c) => c.is_anchored).length;
    const rows = [...list]
      .reverse()
      .map((c) => [
        shortHash(c.batch_id),
        h("span", { class: "num", "data-field": "range" }, `${c.sequence_start}–${c.sequence_end}`),
        h("span", { class: "num" }, String(c.leaf_count)),
        shortHash(c.merkle_root),
        shortHash(c.new_state_root),
        anchorBadge(c.is_anchored ? "anchored" : "committed"),
        shortHash(c.chain_tx_hash),
        h(
          "span",
          { class: "num", "data-field": "block" },
          c.chain_block_number === null ? "—" : String(c.chain_block_number),
        ),
        time(c.committed_at),
        time(c.anchored_at),
      ]);
    page(
      title,
      streamTabs(store, "commitments"),
      facts([
        ["Commitments", h("span", { class: "num", id: "commitment-count" }, String(list.length))],
        ["Anchored", h("span", { class: "num", id: "anchored-count" }, String(anchored))],
      ]),
      table(
        "Commitments, newest first",
        [
          "Batch",
          "Range",
          "Events",
          "Merkle root",
          "State root",
          "Anchor",
          "Transaction",
          "Block",
          "Committed",
          "Anchored",
        ],
        rows,
        { id: "commitments-table" },
      ),
    );
  });
}

/** `#/stream/{store}/proofs`: validity proofs of the stream's commitments, where the sequencer offers them. */
function proofsView(store) {
  markNav("streams");
  const title = `Proofs of ${store}`;
  return load(title, async (current) => {
    const tenantId = await tenant();
    const list = await allCommitments(tenantId, store);
    if (!current()) return;
    if (list.length === 0) {
      page(
        title,
        streamTabs(store, "proofs"),
        notice("empty", "No proofs yet: this stream has no commitment to prove."),
      );
      return;
    }
    const rows = [];
    for (const c of [...list].reverse().slice(0, 50)) {
      let proofs;
      try {
        const r = await apiGet(`/api/v1/ves/validity/${encodeURIComponent(c.batch_id)}/proofs`, {
          tenant_id: tenantId,
          store_id: store,
        });
        proofs = Array.isArray(r) ? r : (r.proofs ?? []);
      } catch (e) {
        if (isMissingRoute(e)) {
          if (!current()) return;
          page(
            title,
            streamTabs(store, "proofs"),
            notice("empty", "Proofs are not available on this sequencer: it has no validity-proof routes."),
          );
          return;
        }
        if (e instanceof ApiError && e.status === 404) proofs = [];
        else throw e;
      }
      for (const p of proofs) {
        // The sequencer stores a proof only after verifying it; a record may say more.
        const verified =
          p.verified ?? p.verification_status ?? p.status ?? (p.proofId ? "verified on submission" : undefined);
        rows.push([
          shortHash(c.batch_id),
          h("span", {}, String(p.policy_id ?? p.policyId ?? p.proof_type ?? "—")),
          h("span", {}, String(p.all_compliant ?? p.allCompliant ?? "—")),
          h("span", { class: "num" }, String(p.proof_size ?? p.size ?? p.proofSize ?? "—")),
          h("span", { class: "badge" }, verified === undefined ? "unknown" : String(verified)),
        ]);
      }
    }
    if (!current()) return;
    page(
      title,
      streamTabs(store, "proofs"),
      rows.length === 0
        ? notice("empty", "No proofs yet for this stream's commitments.")
        : table("Validity proofs", ["Batch", "Policy", "All compliant", "Size (bytes)", "Verification"], rows, {
            id: "proofs-table",
          }),
    );
  });
}

/** `#/stream/{store}/entity`: a form to open an entity's history. */
function entityLookupView(store) {
  markNav("streams");
  const type = h("input", {
    id: "entity-type",
    name: "entity-type",
    type: "text",
    required: true,
    placeholder: "order",
  });
  const id = h("input", { id: "entity-id", name: "entity-id", type: "text", required: true, placeholder: "ORD-1" });
  const form = h(
    "form",
    { class: "signin", "aria-label": "Find an entity" },
    h("label", { for: "entity-type" }, "Entity type"),
    type,
    h("label", { for: "entity-id" }, "Entity id"),
    id,
    h("button", { type: "submit" }, "Show its history"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = route("entity", store, type.value.trim(), id.value.trim());
  });
  page(`Find an entity in ${store}`, streamTabs(store, "entity"), form);
}

/** `#/entity/{store}/{type}/{id}`: one entity's events in order with its current version. */
function entityView(store, type, id) {
  markNav("streams");
  const title = `Entity ${type}/${id}`;
  return load(title, async (current) => {
    const tenantId = await tenant();
    let body;
    try {
      body = await apiGet(`/api/v1/ves/entities/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, {
        tenant_id: tenantId,
        store_id: store,
        limit: 100,
      });
    } catch (e) {
      if (!isMissingRoute(e)) throw e;
      if (current())
        page(title, streamTabs(store, "entity"), notice("empty", "Entity history is not available on this sequencer."));
      return;
    }
    if (!current()) return;
    const summary = facts([
      ["Stream", link(store, "stream", store)],
      ["Events", h("span", { class: "num", id: "entity-total" }, String(body.total))],
      ["Current version", h("span", { class: "num", id: "entity-version" }, String(body.current_version))],
    ]);
    if (body.events.length === 0) {
      page(title, streamTabs(store, "entity"), summary, notice("empty", "No events for this entity."));
      return;
    }
    page(
      title,
      streamTabs(store, "entity"),
      summary,
      table(
        "The entity's events in order",
        ["Seq", "Sequenced at", "Type", "Agent", "Payload"],
        body.events.map((e) => [
          link(String(e.sequence_number), "event", e.event_id),
          time(e.receipt?.sequencedAt),
          h("span", { class: "etype" }, e.envelope.event_type),
          shortHash(e.envelope.source_agent_id),
          payloadSummary(e.envelope),
        ]),
        { id: "entity-table" },
      ),
      body.has_more ? h("p", { class: "muted", text: "Showing the first 100 events." }) : null,
    );
  });
}

/** Draws an inclusion proof as the path from the leaf up to the root. */
function proofTree(steps, leafHex, rootHex) {
  const levels = [];
  levels.push(h("li", { class: "tree-root" }, h("span", { class: "tree-label", text: "root" }), shortHash(rootHex)));
  for (const s of [...steps].reverse()) {
    const onPath = (side) => (s.siblingOnRight ? side === "left" : side === "right");
    const node = (side, hex) =>
      h(
        "span",
        { class: onPath(side) ? "node node-path" : "node node-sibling" },
        h("span", { class: "tree-label", text: onPath(side) ? "path" : "sibling" }),
        shortHash(hex),
      );
    levels.push(
      h(
        "li",
        { class: "tree-level", "data-depth": String(s.depth) },
        h("span", { class: "tree-label", text: `level ${s.depth}` }),
        h("span", { class: "pair" }, node("left", s.left), node("right", s.right)),
      ),
    );
  }
  levels.push(h("li", { class: "tree-leaf" }, h("span", { class: "tree-label", text: "leaf" }), shortHash(leafHex)));
  return h("ol", { class: "tree", "aria-label": "Inclusion proof, from the root down to the leaf" }, levels);
}

/** Runs every in-browser check of an event and returns `[{ name, ok, detail }]` and the recomputed values. */
async function verifyEvent(event, commitment, proof, config) {
  const env = event.envelope;
  const checks = [];
  const signing = await eventSigningHash(env);
  const seq = BigInt(event.sequence_number);
  const receipt = await receiptHash({
    tenantId: env.tenant_id,
    storeId: env.store_id,
    eventId: env.event_id,
    sequenceNumber: seq,
    eventSigningHash: signing,
  });
  checks.push({
    name: "Receipt hash",
    ok: bytesToHex(receipt) === String(event.receipt.receiptHash).toLowerCase(),
    detail: bytesToHex(receipt),
  });
  const leaf = await leafHash({
    tenantId: env.tenant_id,
    storeId: env.store_id,
    sequenceNumber: seq,
    eventSigningHash: signing,
    agentSignature: hexToBytes(env.agent_signature, 64),
  });
  checks.push({
    name: "Leaf hash",
    ok: bytesToHex(leaf) === String(proof.leaf_hash).toLowerCase(),
    detail: bytesToHex(leaf),
  });
  const index = Number(seq - BigInt(commitment.sequence_start));
  checks.push({
    name: "Leaf index",
    ok: Number(proof.leaf_index) === index,
    detail: `${proof.leaf_index} (sequence ${seq} − start ${commitment.sequence_start})`,
  });
  const inclusion = await verifyInclusion({
    leafHash: leaf,
    leafIndex: Number(proof.leaf_index),
    proofPath: proof.proof_path.map((p) => hexToBytes(p, 32)),
    directions: proof.directions,
    merkleRoot: hexToBytes(commitment.merkle_root, 32),
    leafCount: Number(commitment.leaf_count),
  });
  checks.push({
    name: "Path to the commitment's Merkle root",
    ok: inclusion.ok,
    detail: inclusion.ok ? bytesToHex(inclusion.root) : `${inclusion.reason}: ${inclusion.message}`,
  });
  if (config.chainRpcUrl && config.registryAddress && commitment.is_anchored) {
    try {
      const chain = await readOnChainCommitment(config.chainRpcUrl, config.registryAddress, commitment.batch_id);
      checks.push({
        name: "On-chain roots (SetRegistry)",
        ok:
          chain.exists &&
          chain.eventsRoot === commitment.merkle_root &&
          chain.newStateRoot === commitment.new_state_root,
        detail: chain.exists
          ? `events root ${chain.eventsRoot}, state root ${chain.newStateRoot}`
          : "batch not on chain",
      });
    } catch (e) {
      checks.push({ name: "On-chain roots (SetRegistry)", ok: false, detail: e.message });
    }
  } else {
    checks.push({
      name: "On-chain roots (SetRegistry)",
      ok: null,
      detail: commitment.is_anchored ? "no chain RPC configured for this page" : "the commitment is not anchored yet",
    });
  }
  return { checks, leaf: bytesToHex(leaf), root: inclusion.root ? bytesToHex(inclusion.root) : null };
}

/** `#/event/{id}`: one event, its receipt, commitment, inclusion proof and in-browser verification. */
function eventView(eventId) {
  markNav("streams");
  const title = `Event ${eventId}`;
  return load(title, async (current) => {
    const event = await apiGet(`/api/v1/ves/events/${encodeURIComponent(eventId)}`);
    const env = event.envelope;
    const stream = { tenant_id: env.tenant_id, store_id: env.store_id };
    let commitment = null;
    let proof = null;
    if (event.batch_id) {
      [commitment, proof] = await Promise.all([
        apiGet(`/api/v1/ves/commitments/${encodeURIComponent(event.batch_id)}`),
        apiGet(`/api/v1/ves/proofs/${event.sequence_number}`, { ...stream, batch_id: event.batch_id }),
      ]);
    }
    const config = await explorerConfig();
    if (!current()) return;
    sessionLabel.textContent = `Tenant ${env.tenant_id}`;

    const r = event.receipt;
    const sections = [
      h("p", {}, link(`← stream ${env.store_id}`, "stream", env.store_id)),
      h("h3", { text: "Event" }),
      facts([
        ["Sequence", h("span", { class: "num", id: "event-seq" }, String(event.sequence_number))],
        ["Type", h("span", { id: "event-type" }, env.event_type)],
        ["Entity", link(`${env.entity_type}/${env.entity_id}`, "entity", env.store_id, env.entity_type, env.entity_id)],
        ["Agent", h("code", {}, env.source_agent_id)],
        ["Created at (agent)", time(env.created_at)],
        ["Agent signature", shortHash(env.agent_signature)],
      ]),
      h("h3", { text: "Payload" }),
      Number(env.payload_kind) === 1
        ? h("p", { id: "event-payload" }, payloadSummary(env))
        : h("pre", { class: "payload-full", id: "event-payload", tabindex: "0" }, stringify(env.payload, 2)),
      h("h3", { text: "Receipt" }),
      facts([
        ["Sequencer", h("code", {}, r.sequencerId)],
        ["Sequenced at", time(r.sequencedAt)],
        ["Receipt hash", shortHash(r.receiptHash)],
        ["Signature", r.signatureAlg === "none" ? "none" : shortHash(r.sequencerSignature)],
        ["Key version", String(r.sequencerKeyVersion)],
      ]),
    ];
    if (commitment === null || proof === null) {
      sections.push(
        h("h3", { text: "Inclusion proof" }),
        notice("empty", "Not committed yet: the inclusion proof appears once a commitment covers this event."),
      );
      page(title, ...sections);
      return;
    }
    const drawn = await foldProof(
      hexToBytes(proof.leaf_hash, 32),
      Number(proof.leaf_index),
      proof.proof_path.map((p) => hexToBytes(p, 32)),
    );
    if (!current()) return;
    const result = h("div", { id: "verify-result", "aria-live": "polite" });
    const button = h("button", { type: "button", id: "verify" }, "Verify in the browser");
    button.addEventListener("click", async () => {
      button.disabled = true;
      replace(result, notice("loading", "Recomputing with WebCrypto…"));
      try {
        const v = await verifyEvent(event, commitment, proof, config);
        const ok = v.checks.every((c) => c.ok !== false);
        result.dataset.verdict = ok ? "pass" : "fail";
        result.dataset.leaf = v.leaf;
        result.dataset.root = v.root ?? "";
        replace(
          result,
          notice(
            ok ? "ok" : "error",
            ok
              ? "Verified: the event is in the commitment's Merkle tree."
              : "Verification failed: the proof does not match.",
          ),
          h(
            "ul",
            { class: "checks" },
            v.checks.map((c) =>
              h(
                "li",
                { class: c.ok === null ? "check-skip" : c.ok ? "check-ok" : "check-fail", "data-check": c.name },
                h("span", { class: "mark", "aria-hidden": "true", text: c.ok === null ? "–" : c.ok ? "✓" : "✗" }),
                h("strong", {}, `${c.name}: `),
                c.ok === null ? "skipped " : c.ok ? "matches " : "MISMATCH ",
                h("code", { class: "hash-long" }, c.detail),
              ),
            ),
          ),
        );
      } catch (e) {
        result.dataset.verdict = "fail";
        replace(result, notice("error", `Verification failed: ${e.message}`));
      } finally {
        button.disabled = false;
      }
    });
    sections.push(
      h("h3", { text: "Commitment" }),
      facts([
        ["Batch", h("code", {}, commitment.batch_id)],
        ["Range", `${commitment.sequence_start}–${commitment.sequence_end} (${commitment.leaf_count} events)`],
        ["Merkle root", shortHash(commitment.merkle_root)],
        ["New state root", shortHash(commitment.new_state_root)],
        ["Anchor", anchorBadge(commitment.is_anchored ? "anchored" : "committed")],
        ["Transaction", shortHash(commitment.chain_tx_hash)],
        ["Block", commitment.chain_block_number === null ? "—" : String(commitment.chain_block_number)],
      ]),
      h("h3", { text: "Inclusion proof" }),
      h(
        "p",
        { class: "muted" },
        `Leaf ${proof.leaf_index} of ${commitment.leaf_count}; ${proof.proof_path.length} sibling${proof.proof_path.length === 1 ? "" : "s"} up to the root.`,
      ),
      proofTree(drawn.steps, proof.leaf_hash, bytesToHex(drawn.root)),
      h("div", { class: "toolbar" }, button),
      result,
    );
    page(title, ...sections);
  });
}

/** `#/charts`: events per minute per stream and commit-to-anchor latency, each with its table. */
function chartsView() {
  markNav("charts");
  return load("Charts", async (current) => {
    const body = await apiGet("/api/v1/ves/streams", { tenant_id: session.tenantId || undefined });
    const streams = body.streams.slice(0, 8);
    sessionLabel.textContent = `Tenant ${body.tenant_id}`;
    const series = [];
    const commitments = [];
    for (const s of streams) {
      const head = BigInt(s.head_sequence);
      const from = head > 1000n ? head - 999n : 1n;
      const r = await apiGet("/api/v1/ves/events", {
        tenant_id: body.tenant_id,
        store_id: s.store_id,
        from,
        limit: 1000,
      });
      series.push({
        label: s.store_id.slice(0, 8),
        store: s.store_id,
        times: r.events.map((e) => e.receipt.sequencedAt),
      });
      commitments.push(...(await allCommitments(body.tenant_id, s.store_id)));
    }
    if (!current()) return;
    if (streams.length === 0) {
      page("Charts", notice("empty", "No events yet: nothing to chart."));
      return;
    }
    const buckets = eventsPerMinute(series);
    const latencies = anchorLatencies(commitments);
    const eventsBox = h("div", { class: "chart", id: "events-chart" });
    const latencyBox = h("div", { class: "chart", id: "latency-chart" });
    const perStream = series.map((s, i) => {
      const counts = buckets.counts[i];
      return [
        link(s.store, "stream", s.store),
        h("span", { class: "num", "data-field": "events" }, String(s.times.length)),
        h("span", { class: "num", "data-field": "peak" }, String(Math.max(0, ...counts))),
        h("span", { class: "num" }, String(counts.filter((c) => c > 0).length)),
      ];
    });
    const sorted = latencies.map((l) => l.seconds).sort((a, b) => a - b);
    const median = sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)];
    page(
      "Charts",
      h("h3", { text: "Events per minute per stream" }),
      eventsBox,
      table(
        "Events per stream (latest 1000 each)",
        ["Stream", "Events", "Peak per minute", "Active minutes"],
        perStream,
        {
          id: "rate-table",
        },
      ),
      h("h3", { text: "Commit-to-anchor latency" }),
      latencies.length === 0
        ? notice("empty", "No anchored commitments yet: no latency to show.")
        : [
            latencyBox,
            facts([
              ["Anchored commitments", h("span", { class: "num", id: "latency-count" }, String(latencies.length))],
              [
                "Median",
                h(
                  "span",
                  { class: "num", id: "latency-median", "data-seconds": String(median) },
                  formatSeconds(median),
                ),
              ],
              [
                "Max",
                h(
                  "span",
                  { class: "num", id: "latency-max", "data-seconds": String(sorted.at(-1)) },
                  formatSeconds(sorted.at(-1)),
                ),
              ],
            ]),
          ],
    );
    disposers.push(
      eventsChart(
        eventsBox,
        series.map((s) => s.label),
        buckets,
      ),
    );
    if (latencies.length > 0) disposers.push(latencyChart(latencyBox, latencies));
  });
}

// Router -------------------------------------------------------------------------------------------------------------

/** Renders the view of the current hash. */
async function render() {
  for (const d of disposers.splice(0)) d();
  generation++;
  if (!session.apiKey) {
    showSignIn();
    return;
  }
  nav.hidden = false;
  sessionBox.hidden = false;
  if (!sessionLabel.textContent)
    sessionLabel.textContent = session.tenantId ? `Tenant ${session.tenantId}` : "Signed in";
  const parts = location.hash.startsWith("#/")
    ? location.hash
        .slice(2)
        .split("/")
        .filter((p) => p !== "")
        .map(decodeURIComponent)
    : [];
  const [head, a, b, c] = parts;
  if (head === undefined || head === "streams") return streamsView();
  if (head === "charts") return chartsView();
  if (head === "stream" && a !== undefined && b === undefined) return eventsView(a);
  if (head === "stream" && a !== undefined && b === "commitments") return commitmentsView(a);
  if (head === "stream" && a !== undefined && b === "proofs") return proofsView(a);
  if (head === "stream" && a !== undefined && b === "entity") return entityLookupView(a);
  if (head === "entity" && a !== undefined && b !== undefined && c !== undefined) return entityView(a, b, c);
  if (head === "event" && a !== undefined) return eventView(a);
  page("Not found", notice("error", "There is no such view."), h("p", {}, link("Back to the streams", "streams")));
}

window.addEventListener("hashchange", (ev) => {
  // The skip link's `#view` is not a route: it only moves the focus.
  if (!location.hash.startsWith("#/")) {
    view.focus();
    history.replaceState(null, "", ev.oldURL.includes("#") ? ev.oldURL.slice(ev.oldURL.indexOf("#")) : "#/streams");
    return;
  }
  void render();
});
document.getElementById("sign-out").addEventListener("click", () => {
  session.clear();
  sessionLabel.textContent = "";
  void render();
});
void render();
