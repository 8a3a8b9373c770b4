// The query page's editor: CodeMirror 6 with a SPARQL mode, prefix completion and automatic
// PREFIX lines, Ctrl-Enter to run, the answer as a sortable, paged table with downloads.
// The page works without this script (a plain form); everything here talks to this server only.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { EditorState, EditorSelection } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

const PAGE_SIZE = 50;

function readJSON(element, name, fallback) {
  try { return JSON.parse(element.dataset[name] || ""); } catch (e) { return fallback; }
}

// --- prefixes -------------------------------------------------------------------------------

// Declared prefixes of a query text: `PREFIX name: <iri>` (case-insensitive keyword).
export function declaredPrefixes(text) {
  const found = new Set();
  const re = /(?:^|\s)PREFIX\s+([A-Za-z][\w.-]*)?:\s*</gi;
  let m;
  while ((m = re.exec(text)) !== null) found.add(m[1] || "");
  return found;
}

// Where a new PREFIX line goes: after the last BASE/PREFIX line of the prologue, else at the top.
function prologueEnd(doc) {
  let end = 0;
  for (let i = 1; i <= doc.lines; i++) {
    const line = doc.line(i);
    const text = line.text.trim();
    if (text === "" || text.startsWith("#")) continue;
    if (/^(PREFIX|BASE)\b/i.test(text)) { end = line.to + 1; continue; }
    break;
  }
  return Math.min(end, doc.length);
}

function prefixLine(name, iri) { return `PREFIX ${name}: <${iri}>\n`; }

// When the user types the colon of a known prefix that the query does not declare, add its line.
function autoDeclare(prefixes) {
  return EditorView.updateListener.of((update) => {
    if (!update.docChanged || !update.transactions.some((tr) => tr.isUserEvent("input.type") || tr.isUserEvent("input.complete"))) return;
    const state = update.state;
    const head = state.selection.main.head;
    const before = state.doc.sliceString(Math.max(0, head - 40), head);
    const m = /(?:^|[^\w.:<?$"'-])([A-Za-z][\w-]*):$/.exec(before) || /(?:^|[^\w.:<?$"'-])([A-Za-z][\w-]*):[\w-]*$/.exec(before);
    if (!m) return;
    const name = m[1];
    if (!(name in prefixes)) return;
    const line = state.doc.lineAt(head);
    if (/^\s*(PREFIX|BASE)\b/i.test(line.text)) return;
    if (insideStringOrIri(line.text.slice(0, head - line.from))) return;
    if (declaredPrefixes(state.doc.toString()).has(name)) return;
    const at = prologueEnd(state.doc);
    update.view.dispatch({ changes: { from: at, insert: prefixLine(name, prefixes[name]) }, userEvent: "prefix.declare" });
  });
}

function insideStringOrIri(textBefore) {
  // IRIs and closed strings before the cursor are dropped first: `<http://x#>` is no comment.
  const rest = textBefore.replace(/<[^<>\s]*>/g, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "");
  return /["']/.test(rest) || /<[^\s>]*$/.test(rest) || rest.includes("#");
}

// Completion of prefix names (`rd` → `rdfs:`) and of the ontology's terms after `kgo:`.
function completions(prefixes, terms) {
  const names = Object.keys(prefixes).sort();
  return (context) => {
    const word = context.matchBefore(/[A-Za-z][\w-]*:?[\w-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const charBefore = word.from > 0 ? context.state.sliceDoc(word.from - 1, word.from) : "";
    if (/[?$<"'\w]/.test(charBefore)) return null;
    const colon = word.text.indexOf(":");
    if (colon >= 0) {
      const prefix = word.text.slice(0, colon);
      const locals = terms[prefix] || [];
      if (!locals.length) return null;
      return {
        from: word.from + colon + 1,
        options: locals.map(([local, label]) => ({ label: local, detail: label || "", type: "property" })),
        validFor: /^[\w-]*$/,
      };
    }
    return {
      from: word.from,
      options: names.map((name) => ({ label: name + ":", detail: prefixes[name], type: "namespace" })),
      validFor: /^[A-Za-z][\w-]*:?$/,
    };
  };
}

// --- terms and links ------------------------------------------------------------------------

function compact(iri, prefixes) {
  let best = null;
  for (const [name, ns] of Object.entries(prefixes)) {
    if (iri.startsWith(ns) && iri.length > ns.length && (!best || ns.length > best[1].length)) best = [name, ns];
  }
  if (!best) return iri;
  const local = iri.slice(best[1].length);
  return /^[\w\-./#]+$/.test(local) ? `${best[0]}:${local}` : iri;
}

function hrefFor(iri, base, root) {
  if (base && iri.startsWith(base)) return root + "/" + iri.slice(base.length);
  return /^https?:\/\//i.test(iri) ? iri : null;
}

function cell(term, config) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri") {
    const href = hrefFor(term.value, config.base, config.root);
    const text = compact(term.value, config.prefixes);
    const node = href ? document.createElement("a") : document.createElement("span");
    if (href) {
      node.href = href;
      if (!(config.base && term.value.startsWith(config.base))) {
        node.className = "external";
        node.rel = "nofollow noopener noreferrer";
      }
    }
    node.textContent = text;
    node.title = term.value;
    td.appendChild(node);
  } else if (term.type === "bnode") {
    td.textContent = "_:" + term.value;
    td.className = "bnode";
  } else {
    const span = document.createElement("span");
    span.className = "literal";
    span.textContent = term.value;
    td.appendChild(span);
    const extra = term["xml:lang"] ? "@" + term["xml:lang"]
      : term.datatype && !term.datatype.endsWith("#string") ? compact(term.datatype, config.prefixes) : "";
    if (extra) {
      const small = document.createElement("span");
      small.className = term["xml:lang"] ? "lang" : "datatype";
      small.textContent = " " + extra;
      td.appendChild(small);
    }
    if (term.datatype && /#(integer|decimal|double|float|long|int)$/.test(term.datatype)) td.className = "num";
  }
  return td;
}

// --- N-Triples (the answer of CONSTRUCT and DESCRIBE) -----------------------------------------

const NT_TERM = /\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[\w-]+|\^\^<[^>]*>)?)/y;

function unescapeNT(s) {
  return s.replace(/\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)/g, (all, u4, u8, c) =>
    u4 || u8 ? String.fromCodePoint(parseInt(u4 || u8, 16)) : ({ t: "\t", n: "\n", r: "\r", b: "\b", f: "\f" }[c] ?? c));
}

function ntTerm(token) {
  if (token.startsWith("<")) return { type: "uri", value: unescapeNT(token.slice(1, -1)) };
  if (token.startsWith("_:")) return { type: "bnode", value: token.slice(2) };
  const m = /^"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?$/.exec(token);
  const term = { type: "literal", value: unescapeNT(m[1]) };
  if (m[2]) term["xml:lang"] = m[2];
  if (m[3]) term.datatype = m[3];
  return term;
}

export function parseNTriples(text) {
  const rows = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const terms = [];
    NT_TERM.lastIndex = 0;
    for (let i = 0; i < 3; i++) {
      const m = NT_TERM.exec(line);
      if (!m) break;
      terms.push(ntTerm(m[1]));
    }
    if (terms.length === 3) rows.push(terms);
  }
  return { vars: ["subject", "predicate", "object"], rows };
}

// --- the results table ------------------------------------------------------------------------

function sortKey(term) {
  if (!term) return [0, ""];
  if (term.type === "literal" && term.datatype && /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger)$/.test(term.datatype)) {
    return [1, Number(term.value)];
  }
  return [2, term.value.toLowerCase()];
}

function compareTerms(a, b) {
  const [ka, va] = sortKey(a), [kb, vb] = sortKey(b);
  if (ka !== kb) return ka - kb;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

class ResultsTable {
  constructor(container, config) {
    this.container = container;
    this.config = config;
  }

  show(vars, rows, note) {
    this.vars = vars;
    this.rows = rows;
    this.original = rows.slice();
    this.page = 0;
    this.sortColumn = -1;
    this.sortDirection = 1;
    this.note = note;
    this.render();
  }

  sortBy(index) {
    if (this.sortColumn === index) this.sortDirection = -this.sortDirection;
    else { this.sortColumn = index; this.sortDirection = 1; }
    const dir = this.sortDirection;
    this.rows = this.original.slice().sort((a, b) => dir * compareTerms(a[index], b[index]));
    this.page = 0;
    this.render();
  }

  render() {
    const { vars, rows } = this;
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.page = Math.min(this.page, pages - 1);
    const start = this.page * PAGE_SIZE;
    const shown = rows.slice(start, start + PAGE_SIZE);
    const box = this.container;
    box.replaceChildren();
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.id = "results-count";
    meta.textContent = `${rows.length} row${rows.length === 1 ? "" : "s"}` +
      (rows.length > PAGE_SIZE ? `; rows ${start + 1}–${start + shown.length} shown` : "") + (this.note || "");
    box.appendChild(meta);
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    const table = document.createElement("table");
    table.className = "results sortable";
    const head = table.createTHead().insertRow();
    vars.forEach((name, index) => {
      const th = document.createElement("th");
      th.scope = "col";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = name;
      const sorted = this.sortColumn === index;
      th.setAttribute("aria-sort", sorted ? (this.sortDirection > 0 ? "ascending" : "descending") : "none");
      button.title = "Sort by " + name;
      button.addEventListener("click", () => this.sortBy(index));
      th.appendChild(button);
      head.appendChild(th);
    });
    const body = table.createTBody();
    for (const row of shown) {
      const tr = body.insertRow();
      vars.forEach((_, i) => tr.appendChild(cell(row[i], this.config)));
    }
    wrap.appendChild(table);
    box.appendChild(wrap);
    if (pages > 1) box.appendChild(this.pager(pages));
  }

  pager(pages) {
    const nav = document.createElement("nav");
    nav.className = "pager";
    nav.setAttribute("aria-label", "Result pages");
    const add = (label, page, disabled) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.disabled = disabled;
      b.addEventListener("click", () => { this.page = page; this.render(); });
      nav.appendChild(b);
    };
    add("‹ Previous", this.page - 1, this.page === 0);
    const where = document.createElement("span");
    where.className = "page-number";
    where.textContent = ` page ${this.page + 1} of ${pages} `;
    nav.appendChild(where);
    add("Next ›", this.page + 1, this.page >= pages - 1);
    return nav;
  }
}

// --- running a query --------------------------------------------------------------------------

const RESULTS_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";

function queryKind(text) {
  // The form keyword after the prologue; comments, IRIs and strings are skipped so a PREFIX
  // IRI containing "select" does not count.
  const stripped = text.replace(/#[^\n]*/g, " ").replace(/<[^>\s]*>/g, " ").replace(/"(?:[^"\\]|\\.)*"/g, " ");
  const m = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(stripped);
  return m ? m[1].toUpperCase() : null;
}

function downloads(container, config, query) {
  container.replaceChildren();
  const kind = queryKind(query);
  const wanted = kind === "CONSTRUCT" || kind === "DESCRIBE" ? "graph" : "results";
  const formats = config.formats.filter((f) => f.kind === wanted);
  if (!formats.length) return;
  container.append("Download this answer: ");
  formats.forEach((f, i) => {
    const a = document.createElement("a");
    a.href = `${config.endpoint}?${new URLSearchParams({ query, format: f.key })}`;
    a.textContent = f.label;
    a.setAttribute("download", "");
    a.dataset.format = f.key;
    container.appendChild(a);
    if (i < formats.length - 1) container.append(" · ");
  });
}

// The line and column of the server's error message ("… at 3:7 (line:column) …"), as a position.
function errorPosition(doc, message) {
  const m = /\bat (\d+):(\d+)\b/.exec(message);
  if (!m) return null;
  const line = Number(m[1]);
  if (line < 1 || line > doc.lines) return null;
  const at = doc.line(line);
  return Math.min(at.from + Number(m[2]) - 1, at.to);
}

// Inside the shadow root the page's style sheet does not apply: the editor's look is set here.
const theme = EditorView.theme({
  "&": { border: "1px solid #d9dee5", borderRadius: ".3rem", backgroundColor: "#fff", fontSize: "14px" },
  "&.cm-focused": { outline: "2px solid #1f4e79" },
  ".cm-content": { minHeight: "14rem" },
  ".cm-gutters": { minHeight: "14rem" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace', lineHeight: "1.5" },
});

function setUp(form) {
  const textarea = form.querySelector("textarea[name=query]");
  if (!textarea) return;
  const config = {
    endpoint: form.getAttribute("action"),
    prefixes: readJSON(form, "prefixes", {}),
    terms: readJSON(form, "terms", {}),
    formats: readJSON(form, "formats", []),
    base: form.dataset.base || "",
    root: form.dataset.root || "",
  };
  const errorBox = document.getElementById("editor-error");
  const status = document.getElementById("editor-status");
  const results = document.getElementById("editor-results");
  const table = new ResultsTable(results.querySelector(".answer"), config);
  const downloadBox = results.querySelector(".downloads");

  const run = () => {
    const query = view.state.doc.toString();
    textarea.value = query;
    execute(query);
    return true;
  };

  // The editor lives in a shadow root: there CodeMirror's styles go into a constructed style
  // sheet instead of a <style> element, which the page's `style-src 'self'` would refuse.
  const host = document.createElement("div");
  host.className = "editor-host";
  const shadow = host.attachShadow({ mode: "open" });
  const view = new EditorView({
    root: shadow,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(), closeBrackets(),
        StreamLanguage.define(sparql), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [completions(config.prefixes, config.terms)], activateOnTyping: true }),
        keymap.of([{ key: "Mod-Enter", run, preventDefault: true }, ...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        autoDeclare(config.prefixes),
        EditorView.lineWrapping,
        theme,
        EditorView.contentAttributes.of({ "aria-label": "SPARQL query", spellcheck: "false" }),
      ],
    }),
  });
  shadow.appendChild(view.dom);
  textarea.hidden = true;
  textarea.after(host);
  form.classList.add("enhanced");
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });

  async function execute(query) {
    errorBox.hidden = true;
    document.getElementById("results")?.remove(); // the server's table of an earlier run
    status.textContent = "Running…";
    results.hidden = true;
    let response;
    try {
      response = await fetch(config.endpoint, {
        method: "POST",
        headers: { Accept: RESULTS_ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query }),
      });
    } catch (e) {
      status.textContent = "";
      return showError("The server could not be reached: " + e.message);
    }
    const text = await response.text();
    status.textContent = "";
    if (!response.ok) return showError(text);
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    const truncated = response.headers.get("X-Result-Truncated") === "true"
      ? `; cut at the server's limit of ${response.headers.get("X-Result-Limit")} rows` : "";
    if (type === "application/sparql-results+json") {
      const data = JSON.parse(text);
      if ("boolean" in data) {
        table.container.replaceChildren();
        const p = document.createElement("p");
        p.className = "boolean";
        p.id = "results-count";
        p.append("ASK: ");
        const strong = document.createElement("strong");
        strong.textContent = String(data.boolean);
        p.appendChild(strong);
        table.container.appendChild(p);
      } else {
        const vars = data.head.vars;
        table.show(vars, data.results.bindings.map((b) => vars.map((v) => b[v] || null)), truncated);
      }
    } else {
      const { vars, rows } = parseNTriples(text);
      table.show(vars, rows, truncated);
    }
    downloads(downloadBox, config, query);
    results.hidden = false;
    history_replace(query);
  }

  function showError(message) {
    errorBox.querySelector("pre").textContent = message;
    errorBox.hidden = false;
    const at = errorPosition(view.state.doc, message);
    if (at !== null) {
      view.dispatch({ selection: EditorSelection.cursor(at), scrollIntoView: true });
      view.focus();
    }
  }

  function history_replace(query) {
    if (query.length > 4000) return;
    const url = `${window.location.pathname}?${new URLSearchParams({ query })}`;
    window.history.replaceState(null, "", url);
  }

  window.karabakhEditor = view; // for the browser tests and the console
}

document.querySelectorAll("form.query[data-editor]").forEach(setUp);
