/**
 * DOM building for the explorer without innerHTML: every text, trusted or not, goes in through text nodes, and
 * attributes through an allow-list, so data from the sequencer (payloads, entity ids, event types) can never become
 * markup or script.
 */

/** Attributes `h` sets; anything else is refused (no `on*`, no `style`, no `srcdoc`). */
const ATTRIBUTES = new Set([
  "id",
  "class",
  "href",
  "role",
  "tabindex",
  "type",
  "name",
  "value",
  "placeholder",
  "autocomplete",
  "for",
  "title",
  "scope",
  "colspan",
  "datetime",
  "disabled",
  "required",
  "hidden",
  "lang",
  "spellcheck",
]);

/**
 * Creates an element: `props` holds attributes (allow-listed and `aria-*` / `data-*`), `on` event listeners, and
 * `text` a text content; children are nodes or strings (as text), null and false are skipped, arrays flattened.
 * @throws TypeError for an attribute outside the allow-list or an `href` that is not a page-local `#/` link.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === "text") {
      el.textContent = String(value);
    } else if (ATTRIBUTES.has(name) || name.startsWith("aria-") || name.startsWith("data-")) {
      if (name === "href" && !String(value).startsWith("#/")) throw new TypeError(`unsafe href ${String(value)}`);
      el.setAttribute(name, value === true ? "" : String(value));
    } else {
      throw new TypeError(`attribute ${name} is not allowed`);
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings as text, arrays flattened, null/false skipped). */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces an element's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A page-local link to a route: `#/` followed by the URI-encoded segments. */
export function link(text, ...segments) {
  return h("a", { href: route(...segments) }, text);
}

/** The hash of a route from its segments. */
export function route(...segments) {
  return "#/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
}

/** A hash shortened for a table cell, the whole value in its title and for screen readers. */
export function shortHash(hex) {
  if (hex === null || hex === undefined || hex === "") return h("span", { class: "muted", text: "—" });
  const s = String(hex);
  const short = s.length > 18 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s;
  return h("code", { class: "hash", title: s, "aria-label": s, "data-full": s }, short);
}

/** A table with a caption, column headers and rows of cells (nodes or text). */
export function table(caption, headers, rows, props = {}) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      props,
      h("caption", { text: caption }),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headers.map((t) => h("th", { scope: "col", text: t })),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((cells) =>
          h(
            "tr",
            {},
            cells.map((c, i) => h("td", { "data-label": headers[i] }, c)),
          ),
        ),
      ),
    ),
  );
}

/** A status message: kind is `loading`, `empty`, `error` or `ok`. */
export function notice(kind, text, ...extra) {
  return h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status", "data-state": kind },
    h("p", { text }),
    ...extra,
  );
}

/** A definition list of [term, value] pairs. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]),
  );
}
