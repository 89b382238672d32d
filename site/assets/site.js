// wagonyard's status site: table filters, "My Analyses" remembered in this browser, and the
// memory/CPU graphs of a metrics.json (embedded in a wagon's page, or opened on the
// Performance Graphs page). No network, no libraries; all text goes in as textContent.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";

  const F = window.wagonyardFormats; // formats.js, which every page loads before this script

  // a count with thousands separators, as the pages written in Python show it (2,304); any
  // other number (an uploaded file's) as it is
  function counted(n) {
    return Number.isSafeInteger(n) ? F.grouped(n) : String(n);
  }

  // ---------------------------------------------------------------- filters
  function setUpFilter(input) {
    const table = document.getElementById(input.dataset.filter);
    if (!table) return;
    const count = document.querySelector('[data-count="' + input.dataset.filter + '"]');
    const rows = Array.from(table.tBodies[0] ? table.tBodies[0].rows : []);
    let texts = null; // each row's text, read once, at the first filtering (big tables)
    const apply = function () {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length && texts === null) {
        texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
      }
      let shown = 0;
      rows.forEach(function (row, i) {
        const keep = words.every(function (w) { return texts[i].includes(w); });
        if (row.hidden === keep) row.hidden = !keep; // only rows that change
        if (keep) shown += 1;
      });
      if (count) {
        count.textContent = words.length
          ? counted(shown) + " of " + counted(rows.length) + " shown"
          : counted(rows.length) + " rows";
      }
    };
    input.addEventListener("input", apply);
    apply();
  }

  // ---------------------------------------------------------------- My Analyses
  function rememberMember() {
    const h = document.querySelector("[data-remember-member]");
    try {
      if (h) localStorage.setItem("wagonyard-member", h.dataset.rememberMember);
      const box = document.getElementById("remembered");
      const login = localStorage.getItem("wagonyard-member");
      if (!box || !login) return;
      const link = document.querySelector('a[data-member="' + CSS.escape(login) + '"]');
      if (!link) return;
      const target = box.querySelector("[data-member-link]");
      target.textContent = login;
      target.setAttribute("href", link.getAttribute("href"));
      box.hidden = false;
    } catch (e) {
      // storage refused (file:// in some browsers, private mode): the list still works
    }
  }

  // ---------------------------------------------------------------- graphs
  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function lineChart(title, yLabel, xs, series) {
    const W = 420, H = 260, L = 58, R = 12, T = 30, B = 40;
    const svg = el("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", class: "plot",
      "font-family": "system-ui, sans-serif", "font-size": "12"});
    svg.appendChild(el("title", {}, title));
    svg.appendChild(el("rect", {width: W, height: H, fill: "#fff"}));
    svg.appendChild(el("text", {x: L, y: 18, "font-size": "14", "font-weight": "600"}, title));
    const xMax = Math.max(1e-9, xs[xs.length - 1] || 0);
    let yTop = 0;
    for (const s of series) for (const v of s.values) if (v !== null && isFinite(v)) yTop = Math.max(yTop, v);
    yTop = niceMax(yTop * 1.05);
    const px = function (x) { return L + (x / xMax) * (W - L - R); };
    const py = function (y) { return H - B - (y / yTop) * (H - T - B); };
    for (let i = 0; i <= 4; i++) {
      const v = (yTop * i) / 4, y = py(v);
      svg.appendChild(el("path", {d: "M" + L + "," + y + "H" + (W - R), stroke: "#e5e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: y, dy: "0.32em", "text-anchor": "end"}, String(+v.toPrecision(3))));
    }
    const xStep = niceMax(xMax / 5);
    for (let v = 0; v <= xMax * 1.0001; v += xStep) {
      svg.appendChild(el("text", {x: px(v), y: H - B + 16, "text-anchor": "middle"}, String(+v.toPrecision(3))));
    }
    svg.appendChild(el("path", {d: "M" + L + "," + T + "V" + (H - B) + "H" + (W - R), fill: "none", stroke: "#333"}));
    svg.appendChild(el("text", {x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle"}, "time (s)"));
    svg.appendChild(el("text", {transform: "translate(14," + (T + H - B) / 2 + ") rotate(-90)", "text-anchor": "middle"}, yLabel));
    let ly = T + 4;
    for (const s of series) {
      const pts = [];
      s.values.forEach(function (v, i) { if (v !== null && isFinite(v)) pts.push(px(xs[i]).toFixed(1) + "," + py(v).toFixed(1)); });
      if (!pts.length) continue;
      svg.appendChild(el("polyline", {points: pts.join(" "), fill: "none", stroke: s.colour, "stroke-width": "1.6", class: "series"}));
      svg.appendChild(el("rect", {x: W - R - 90, y: ly, width: 10, height: 10, fill: s.colour}));
      svg.appendChild(el("text", {x: W - R - 76, y: ly + 9}, s.label));
      ly += 16;
    }
    return svg;
  }

  function samplesOf(doc) {
    if (!doc || typeof doc !== "object" || !Array.isArray(doc.samples)) {
      throw new Error("it has no \"samples\" list: a metrics.json holds {\"samples\": [{\"t\", \"rss_mb\", \"pss_mb\", \"cpu_s\", \"events\"}, ...]}");
    }
    const out = [];
    doc.samples.forEach(function (s, i) {
      if (!s || typeof s !== "object" || typeof s.t !== "number" || typeof s.rss_mb !== "number" || typeof s.cpu_s !== "number") {
        throw new Error("sample " + i + " lacks a number t, rss_mb or cpu_s");
      }
      out.push(s);
    });
    if (out.length < 2) throw new Error("it holds " + out.length + " sample(s); a graph needs two");
    out.sort(function (a, b) { return a.t - b.t; });
    return out;
  }

  function draw(box, doc) {
    box.textContent = "";
    let samples;
    try {
      samples = samplesOf(doc);
    } catch (e) {
      const p = document.createElement("p");
      p.className = "alert";
      p.textContent = "Cannot draw this file: " + e.message + ".";
      box.appendChild(p);
      return false;
    }
    const xs = samples.map(function (s) { return s.t; });
    const cpu = samples.map(function (s, i) {
      if (i === 0) return null;
      const dt = s.t - samples[i - 1].t;
      return dt > 0 ? (100 * (s.cpu_s - samples[i - 1].cpu_s)) / dt : null;
    });
    box.appendChild(lineChart("Memory", "MB", xs, [
      {label: "RSS", colour: "#1f5fa8", values: samples.map(function (s) { return s.rss_mb; })},
      {label: "PSS", colour: "#b45309", values: samples.map(function (s) { return typeof s.pss_mb === "number" ? s.pss_mb : null; })},
    ]));
    box.appendChild(lineChart("CPU", "% of one core", xs, [{label: "CPU", colour: "#15803d", values: cpu}]));
    const last = samples[samples.length - 1];
    const maxRss = Math.max.apply(null, samples.map(function (s) { return s.rss_mb; }));
    const facts = document.createElement("p");
    facts.className = "muted perf-facts";
    facts.textContent = counted(samples.length) + " samples over " + last.t.toFixed(2) + " s; max RSS " + maxRss.toFixed(1) +
      " MB; CPU " + last.cpu_s.toFixed(2) + " s" + (typeof last.events === "number" ? "; " + counted(last.events) + " events" : "");
    box.appendChild(facts);
    return true;
  }

  function embedded() {
    document.querySelectorAll(".perf-plot[data-metrics]").forEach(function (box) {
      const source = document.getElementById(box.dataset.metrics);
      if (!source) return;
      try {
        draw(box, JSON.parse(source.textContent));
      } catch (e) {
        box.textContent = "The test's samples cannot be read: " + e.message;
      }
    });
  }

  function upload() {
    const input = document.getElementById("metrics-file");
    const box = document.getElementById("uploaded");
    if (!input || !box) return;
    input.addEventListener("change", function () {
      const file = input.files && input.files[0];
      if (!file) return;
      const name = document.getElementById("uploaded-name");
      if (name) name.textContent = file.name;
      file.text().then(function (text) {
        let doc;
        try {
          doc = JSON.parse(text);
        } catch (e) {
          box.textContent = "";
          const p = document.createElement("p");
          p.className = "alert";
          p.textContent = "Cannot draw this file: it is not JSON (" + e.message + ").";
          box.appendChild(p);
          return;
        }
        draw(box, doc);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-filter]").forEach(setUpFilter);
    rememberMember();
    embedded();
    upload();
  });
})();
