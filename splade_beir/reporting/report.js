/* splade_beir report: builds the page from the JSON in #report-data (schema: html.py).
   Every piece of data text goes in as text: el() appends strings as text nodes, never as HTML. */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const DASH = "\u2013", DOT = " \u00b7 ", TIE = 1e-9;

  /* ---------- helpers ---------- */

  /* el("td", {class: "num", text: "1.0"}, child, ...): an element; strings and nested arrays are appended. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) if (c != null && c !== false) e.append(c);
    return e;
  }

  /* Run fn on a click, and on Enter for keyboard users. */
  function clickable(e, fn) {
    e.tabIndex = 0;
    e.addEventListener("click", fn);
    e.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || (ev.key === " " && e.tagName === "TH")) { ev.preventDefault(); fn(); }
    });
    return e;
  }

  /* A horizontal bar from `left` % to `left + width` % of its track (CSSOM: allowed by the page's CSP). */
  function bar(cls, left, width) {
    const b = el("span", {class: "bar " + cls});
    b.style.left = left + "%";
    b.style.width = width + "%";
    return el("span", {class: "track"}, b);
  }

  /* Python-style number formats: "d", ".Nf", ".Ng", ".Ne", with an optional leading "+" and "," */
  function fmt(v, spec) {
    if (v == null) return DASH;
    if (typeof v !== "number") return String(v);
    const m = /^(\+?)(,?)(?:\.(\d+))?([dfge])$/.exec(spec || ".6g");
    if (!m) return String(v);
    const p = m[3] == null ? 6 : Number(m[3]);
    let s;
    if (m[4] === "d") s = Math.round(v).toString();
    else if (m[4] === "f") s = v.toFixed(p);
    else if (m[4] === "e") s = v.toExponential(p);
    else s = general(v, Math.max(p, 1));
    s = s.replace(/e([+-])(\d)$/, "e$10$2");
    if (m[2]) s = s.replace(/^-?\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
    return m[1] && !s.startsWith("-") ? "+" + s : s;
  }
  function general(v, p) {
    if (v === 0) return "0";
    const e = v.toExponential(p - 1), x = Number(e.split("e")[1]);
    const s = x >= -4 && x < p ? v.toFixed(Math.max(0, p - 1 - x)) : e;
    return s.includes(".") ? s.replace(/\.?0+(?=e|$)/, "") : s;
  }
  const num = (v, d) => (v == null ? DASH : v.toFixed(d));
  const signed = (v, d) => (v > 0 ? "+" : v < 0 ? "\u2212" : "\u00b1") + Math.abs(v).toFixed(d);
  /* text with `code` spans, still inserted as text */
  const rich = (s) => String(s).split("`").map((part, i) => (i % 2 ? el("code", {text: part}) : part));

  /* ---------- tables ---------- */

  /* "row:col" of the cells holding each directed numeric column's best value, compared as printed */
  function bestCells(t) {
    const best = new Set();
    t.columns.forEach((c, j) => {
      if (c.type !== "number" || !c.higher_is_better) return;
      const values = t.rows.map((r) => r[j]).filter((v) => typeof v === "number");
      if (!values.length) return;
      const top = fmt(Math.max(...values), c.format);
      t.rows.forEach((r, i) => { if (typeof r[j] === "number" && fmt(r[j], c.format) === top) best.add(i + ":" + j); });
    });
    return best;
  }

  function renderTable(t) {
    const marks = new Map((t.marks || []).map(([i, key, m]) => [i + ":" + key, m]));
    const best = bestCells(t);
    const cell = (r, i, c, j) => {
      const v = r[j], isNum = c.type === "number", mark = marks.get(i + ":" + c.key);
      const cls = [isNum ? "num" : "text", best.has(i + ":" + j) ? "best" : "", v == null ? "missing" : ""];
      return el("td", {class: cls.join(" ").trim(), "data-value": isNum && v != null ? v : null},
        isNum ? fmt(v, c.format) : v == null ? DASH : String(v), mark ? el("sup", {class: "mark", text: mark}) : null);
    };
    const body = el("tbody", {}, t.rows.map((r, i) => el("tr", {"data-row": i}, t.columns.map((c, j) => cell(r, i, c, j)))));
    const heads = t.columns.map((c, j) => clickable(el("th", {
      class: (c.type === "number" ? "num" : "text") + " sortable", scope: "col", "aria-sort": "none", title: "Sort by " + c.label,
    }, c.label, el("span", {class: "arrow", "aria-hidden": "true"})), () => sortBy(j)));

    let sorted = {col: -1, dir: 0};
    /* numbers sort largest first on the first click, text A-Z; again reverses; missing values stay last */
    function sortBy(j) {
      const isNum = t.columns[j].type === "number";
      const dir = sorted.col === j ? -sorted.dir : isNum ? -1 : 1;
      sorted = {col: j, dir};
      const rows = Array.from(body.rows);
      rows.sort((x, y) => {
        const a = t.rows[x.dataset.row][j], b = t.rows[y.dataset.row][j];
        if (a == null || b == null) return (a == null) - (b == null);
        return dir * (isNum ? a - b : String(a).localeCompare(String(b), undefined, {numeric: true}));
      });
      body.append(...rows);
      heads.forEach((h, k) => h.setAttribute("aria-sort", k !== j ? "none" : dir > 0 ? "ascending" : "descending"));
    }

    const notes = [t.caption, t.legend].filter(Boolean).join(" ");
    return el("section", {class: "card table-card", id: "table-" + t.id, "data-table-id": t.id},
      el("h3", {text: t.title}),
      el("div", {class: "table-wrap"}, el("table", {class: "data"}, el("thead", {}, el("tr", {}, heads)), body)),
      notes ? el("p", {class: "caption"}, rich(notes)) : null);
  }

  /* ---------- plots: the SVG is shown as an image, so nothing in it can run or fetch ---------- */

  function renderPlot(p) {
    return el("figure", {class: "card plot"},
      el("h3", {text: p.title}),
      el("img", {src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(p.svg), alt: p.title}),
      p.caption ? el("figcaption", {class: "caption"}, rich(p.caption)) : null);
  }

  /* ---------- query-level comparison of rows A and B on one dataset ---------- */

  const rowOf = (cmp, label) => cmp.rows.find((r) => r.label === label);
  const rowName = (cmp, label) => label + DOT + rowOf(cmp, label).name;

  /* where `doc` sits in `label`'s run for query q: {rank, score} (rank null: beyond its top 1000), or null: unknown */
  function position(q, label, doc) {
    const top = (q.top[label] || []).findIndex(([d]) => d === doc);
    if (top >= 0) return {rank: top + 1, score: q.top[label][top][1]};
    const miss = (q.missed[label] || []).find(([d]) => d === doc);
    return miss ? {rank: miss[1], score: miss[2]} : null;
  }

  function renderComparison(cmp, a, b) {
    const sa = cmp.scores[a], sb = cmp.scores[b];
    const both = cmp.qids.map((qid, i) => ({qid, i, a: sa[i], b: sb[i]})).filter((x) => x.a != null && x.b != null);
    both.forEach((x) => { x.d = x.a - x.b; });
    const wins = both.filter((x) => x.d > TIE).length, losses = both.filter((x) => x.d < -TIE).length;
    const mean = (k) => (both.length ? both.reduce((s, x) => s + x[k], 0) / both.length : null);
    const shown = both.slice().sort((x, y) => Math.abs(y.d) - Math.abs(x.d) || x.i - y.i).slice(0, cmp.embedded)
      .sort((x, y) => y.d - x.d || x.i - y.i);
    const missing = shown.filter((x) => !cmp.queries[x.qid]).length;
    const maxAbs = Math.max(1e-9, ...shown.map((x) => Math.abs(x.d)));
    const detail = el("div", {class: "detail", "aria-live": "polite"}, el("p", {class: "placeholder",
      text: "Click a query to see both rankings, the relevant documents each missed, and why each scores a document."}));
    const outcome = (d) => (d > TIE ? "win" : d < -TIE ? "loss" : "tie");

    const rows = shown.map((x) => {
      const q = cmp.queries[x.qid], w = (50 * Math.abs(x.d)) / maxAbs;
      const tr = el("tr", {class: "q " + outcome(x.d) + (q ? "" : " nodetail"), "data-qid": x.qid, "data-delta": x.d,
        title: q ? null : "Not embedded: not among the queries with the largest differences of the default pairs"},
        el("td", {class: "delta num"}, bar(x.d >= 0 ? "pos" : "neg", x.d >= 0 ? 50 : 50 - w, w),
          el("span", {class: "dv", text: signed(x.d, 3)})),
        el("td", {class: "qid", text: x.qid}), el("td", {class: "qtext", text: q ? q.text : "(drill-down not embedded)"}),
        el("td", {class: "num", text: num(x.a, 3)}), el("td", {class: "num", text: num(x.b, 3)}));
      if (!q) return tr;
      return clickable(tr, () => {
        rows.forEach((r) => r.classList.toggle("selected", r === tr));
        detail.replaceChildren(renderDrill(cmp, a, b, x.qid, x));
      });
    });
    const filter = el("input", {type: "search", placeholder: "Filter queries by id or text", "aria-label": "Filter queries",
      oninput: () => {
        const f = filter.value.toLowerCase();
        shown.forEach((x, i) => {
          const text = (cmp.queries[x.qid] || {}).text || "";
          rows[i].hidden = !!f && !(x.qid + " " + text).toLowerCase().includes(f);
        });
      }});
    const head = ["\u0394 " + cmp.measure + " (" + a + " \u2212 " + b + ")", "qid", "query", a, b];
    const left = [];
    if (both.length > shown.length) {
      left.push("Listed: the " + shown.length + " queries with the largest |\u0394| of " + both.length + ".");
    }
    if (missing) left.push(missing + " of them have no embedded drill-down (picked for other pairs).");
    if (cmp.omitted) left.push(cmp.omitted);

    return el("div", {class: "comparison", "data-dataset": cmp.dataset, "data-a": a, "data-b": b},
      el("div", {class: "summary"},
        el("span", {class: "chip", text: both.length + " queries"}),
        el("span", {class: "chip win", "data-count": "wins", text: a + " better: " + wins}),
        el("span", {class: "chip tie", "data-count": "ties", text: "ties: " + (both.length - wins - losses)}),
        el("span", {class: "chip loss", "data-count": "losses", text: b + " better: " + losses}),
        el("span", {class: "chip", text: "mean " + cmp.measure + ": " + rowName(cmp, a) + " " + num(mean("a"), 3) +
          ", " + rowName(cmp, b) + " " + num(mean("b"), 3)})),
      left.length ? el("p", {class: "note omitted", text: left.join(" ")}) : null,
      el("div", {class: "cmp-body"},
        el("div", {class: "qlist card"}, filter, el("div", {class: "table-wrap tall"}, el("table", {class: "data queries"},
          el("thead", {}, el("tr", {}, head.map((h, i) => el("th", {class: i === 0 || i > 2 ? "num" : "", text: h})))),
          el("tbody", {}, rows)))),
        detail));
  }

  function renderDrill(cmp, a, b, qid, x) {
    const q = cmp.queries[qid], level = cmp.relevance_level == null ? 1 : cmp.relevance_level;
    const explainBox = el("div", {class: "explain card", id: "explain"});
    let selected = null;
    const pick = (doc) => {
      selected = doc;
      sides.querySelectorAll("tr.hit").forEach((r) => r.classList.toggle("picked", r.dataset.doc === doc));
      explainBox.replaceChildren(el("h4", {}, "Why each system scores ", el("span", {class: "docid", text: doc}),
          (cmp.docs[doc] || [])[0] ? el("span", {class: "doc-title", text: "\u201c" + cmp.docs[doc][0] + "\u201d"}) : null),
        el("div", {class: "explain-pair"}, renderExplain(cmp, q, qid, a, doc), renderExplain(cmp, q, qid, b, doc)));
    };

    const docCell = (id) => {
      const d = cmp.docs[id] || [];
      return el("td", {class: "doc"}, d[0] ? el("div", {class: "title", text: d[0]}) : null,
        el("div", {class: "snippet", text: d[1] || ""}));
    };
    const gradeCell = (g) => el("td", {class: "num"}, g == null
      ? el("span", {class: "grade none", title: "unjudged", text: DASH})
      : el("span", {class: "grade g" + Math.min(g, 3), text: String(g)}));
    /* one document row: judged relevant ones highlighted; a click explains its score under both systems */
    const docRow = (first, doc, score) => {
      const g = q.grades[doc];
      return clickable(el("tr", {class: "hit" + (g != null && g >= level ? " rel" : g === 0 ? " nonrel" : ""),
        "data-doc": doc, title: "Explain this document's scores"},
        first, el("td", {class: "docid", text: doc}), docCell(doc), el("td", {class: "num", text: num(score, 3)}),
        gradeCell(g)), () => pick(doc));
    };

    const side = (label, key) => {
      const hits = q.top[label] || [], missed = q.missed[label] || [];
      const rankCell = (m) => el("td", {class: "num rankcell", text: m[1] == null ? "not retrieved" : "rank " + m[1]});
      return el("div", {class: "side", "data-system": key, "data-label": label},
        el("h4", {}, rowName(cmp, label), el("span", {class: "kind", text: rowOf(cmp, label).kind}),
          el("span", {class: "score-big", text: cmp.measure + " " + num(x[key], 3)})),
        el("table", {class: "data top top-" + key},
          el("thead", {}, el("tr", {}, ["rank", "doc", "title / text", "score", "grade"].map((h, i) =>
            el("th", {class: i === 0 || i > 2 ? "num" : "", text: h})))),
          el("tbody", {}, hits.map(([doc, score], i) => docRow(el("td", {class: "num", text: String(i + 1)}), doc, score)))),
        el("div", {class: "missed"},
          el("h5", {text: "Judged relevant, not in " + label + "'s top 10 (" + ((q.missed_total || {})[label] != null
            ? q.missed_total[label] + "; the first " + missed.length + " listed" : missed.length) + ")"}),
          missed.length
            ? el("table", {class: "data missed-" + key}, el("tbody", {}, missed.map((m) => docRow(rankCell(m), m[0], m[2]))))
            : el("p", {class: "none", text: "None: every judged relevant document is in its top 10."})));
    };

    const sides = el("div", {class: "sides"}, side(a, "a"), side(b, "b"));
    const first = (q.top[a] || [])[0] || (q.top[b] || [])[0];
    if (first) pick(first[0]);
    else explainBox.append(el("p", {class: "placeholder", text: "Click a document to explain its scores."}));
    return el("div", {class: "drill", "data-qid": qid},
      el("h3", {}, el("span", {class: "qid", text: qid}), " ", el("q", {text: q.text})),
      el("p", {class: "delta-line", text: "\u0394 " + cmp.measure + " = " + signed(x.d, 3) + " (" + a + " " +
        num(x.a, 3) + " vs " + b + " " + num(x.b, 3) + "). Green rows are judged relevant (grade \u2265 " +
        level + "); click a row to see why each system scores it as it does."}),
      sides, explainBox);
  }

  function renderExplain(cmp, q, qid, label, doc) {
    const row = rowOf(cmp, label), qx = (q.explain || {})[label], x = qx && qx.docs[doc];
    const where = position(q, label, doc);
    const at = where == null ? "not in " + label + "'s top 10" : where.rank == null ? "not retrieved by " + label
      : "rank " + where.rank + " in " + label + ", run score " + num(where.score, 3);
    const box = (...children) => el("div", {class: "why", "data-label": label, "data-doc": doc},
      el("h5", {}, rowName(cmp, label), el("span", {class: "at", text: " (" + at + ")"})), children);
    if (!row.explain) return box(el("p", {class: "note", text: row.note || "No score explanation for this row."}));
    if (!x) {
      const lim = cmp.explained || {top: 3, missed: 5};
      return box(el("p", {class: "note"}, "Not embedded: the report explains the top " + lim.top + " of every list and " +
        "up to " + lim.missed + " missed relevant documents. In a terminal: ", el("code", {text: "python -m splade_beir.inspect --explain " + qid + " " + doc +
        " --result " + row.result})));
    }
    const [score, terms, restCount, restSum] = x;
    const share = (v) => el("td", {class: "share"}, bar("pos", 0, score ? Math.max(0, (100 * v) / score) : 0),
      el("span", {text: score ? ((100 * v) / score).toFixed(1) + "%" : DASH}));
    const contribution = (v) => el("td", {class: "num", "data-contrib": v, text: v.toFixed(3)});
    const rows = terms.map(([term, wq, wd, p]) => el("tr", {},
      el("td", {class: "term", text: term}), el("td", {class: "num", text: wq.toFixed(3)}),
      el("td", {class: "num", text: wd.toFixed(3)}), contribution(p), share(p)));
    if (restCount) {
      rows.push(el("tr", {class: "rest"}, el("td", {colspan: 3, text: "+ " + restCount + " other shared terms"}),
        contribution(restSum), share(restSum)));
    }
    const total = terms.reduce((s, t) => s + t[3], 0) + (restCount ? restSum : 0);
    const shared = new Set(terms.map((t) => t[0]));
    const chips = (list, hot) => el("div", {class: "chips"}, list.length
      ? list.map(([term, w]) => el("span", {class: "chip" + (hot && hot.has(term) ? " shared" : "")},
        el("b", {text: term}), " " + w.toFixed(2)))
      : el("span", {class: "none", text: "none"}));
    const differs = where && where.score != null && Math.abs(where.score - score) > 1e-4 * Math.max(1, Math.abs(score));
    return box(
      el("p", {class: "explain-score"}, "score = \u03a3 w_q \u00b7 w_d = ", el("b", {"data-score": score, text: score.toFixed(3)}),
        differs ? el("span", {class: "warn", text: " (run file: " + num(where.score, 3) + ")"}) : null),
      terms.length ? el("table", {class: "data contrib"},
        el("thead", {}, el("tr", {}, ["term", "w_q", "w_d", "w_q\u00b7w_d", "share"].map((h, i) =>
          el("th", {class: i && i < 4 ? "num" : "", text: h})))),
        el("tbody", {}, rows),
        el("tfoot", {}, el("tr", {}, el("td", {text: "sum"}), el("td"), el("td"),
          el("td", {class: "num", "data-total": total, text: total.toFixed(3)}), el("td"))))
        : el("p", {class: "none", text: "No shared term: the score is 0."}),
      el("h5", {text: "Query terms from its text"}), chips(qx.text || [], shared),
      el("h5", {text: "Query expansion terms (not in its text)"}), chips(qx.expansion || [], shared),
      el("h5", {text: "Document's top terms (highlighted: contributing above)"}),
      chips(((cmp.doc_terms || {})[label] || {})[doc] || [], shared));
  }

  /* the dataset tabs, the A / B pickers with the default pairs, and the comparison below them */
  function renderComparisons(comps) {
    const view = el("div", {class: "comparison-view"});
    let di = 0;
    const tabs = comps.map((c, i) => el("button", {type: "button", role: "tab", "data-index": i, text: c.dataset,
      onclick: () => showDataset(i)}));
    const pickers = el("div", {class: "pickers"});
    function showDataset(i) {
      di = i;
      tabs.forEach((t, k) => t.setAttribute("aria-selected", String(k === i)));
      const cmp = comps[i], first = cmp.pairs[0] || [cmp.rows[0].label, cmp.rows[Math.min(1, cmp.rows.length - 1)].label];
      const select = (name, value) => el("select", {name, "aria-label": "system " + name, onchange: () => show()},
        cmp.rows.map((r) => el("option", {value: r.label, selected: r.label === value, text: rowName(cmp, r.label)})));
      const sa = select("a", first[0]), sb = select("b", first[1]);
      const show = (pa, pb) => {
        if (pa) { sa.value = pa; sb.value = pb; }
        pickers.querySelectorAll("button.pair").forEach((btn) =>
          btn.setAttribute("aria-pressed", String(btn.dataset.a === sa.value && btn.dataset.b === sb.value)));
        view.replaceChildren(renderComparison(comps[di], sa.value, sb.value));
      };
      pickers.replaceChildren(...[el("label", {}, "A ", sa), el("button", {type: "button", class: "swap", title: "Swap A and B",
        text: "\u21c4", onclick: () => show(sb.value, sa.value)}), el("label", {}, "B ", sb),
        cmp.pairs.length ? el("span", {class: "defaults"}, "default pairs:", cmp.pairs.map(([pa, pb]) => el("button", {
          type: "button", class: "pair", "data-a": pa, "data-b": pb, text: pa + " vs " + pb, onclick: () => show(pa, pb)}))) : null]
        .filter(Boolean));
      show();
    }
    showDataset(0);
    return [comps.length > 1 ? el("div", {class: "tabs", role: "tablist"}, tabs) : null, pickers, view];
  }

  /* ---------- the page ---------- */

  const section = (id, title, ...children) => el("section", {class: "block", id}, el("h2", {text: title}), children);
  const gen = Object.entries(DATA.generated || {});
  const tables = DATA.tables || [], plots = DATA.plots || [], comps = DATA.comparisons || [], notes = DATA.notes || [];
  const nav = [["tables", "Tables", tables], ["plots", "Plot", plots], ["comparisons", "Query-level comparison", comps]]
    .filter(([, , list]) => list.length).map(([id, text]) => el("a", {href: "#" + id, text}));

  document.getElementById("app").replaceChildren(...[
    el("header", {class: "top"}, el("h1", {text: DATA.title || "Report"}), nav.length ? el("nav", {}, nav) : null,
      el("dl", {class: "gen"}, gen.map(([k, v]) => el("div", {}, el("dt", {text: k}), el("dd", {text: String(v)}))))),
    notes.length ? el("aside", {class: "note left-out"}, el("strong", {text: "Notes:"}),
      el("ul", {}, notes.map((n) => el("li", {}, rich(n))))) : null,
    tables.length ? section("tables", "Tables", tables.map(renderTable)) : null,
    plots.length ? section("plots", "Plot", plots.map(renderPlot)) : null,
    comps.length ? section("comparisons", "Query-level comparison",
      el("p", {class: "lede", text: "Pick two rows. Queries are listed by their difference in " + comps[0].measure +
        "; click one for both rankings, the relevant documents each missed, and SPLADE score explanations."}),
      renderComparisons(comps)) : null,
    el("footer", {}, "Generated " + gen.map(([k, v]) => k + ": " + v).join(DOT))].filter(Boolean));
})();
