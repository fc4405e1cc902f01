/* Optiscape's maps in the browser: fills the basins, hyperparameter-map and seed-fan figures
 * from the map the server computed (the `map-data` store: base64 typed arrays), refines a
 * coarse map to the full grid in blocks of rows (GET /api/maps/block, binary; a new map
 * abandons the blocks still to come), reads out the cell under the pointer, and moves the
 * fan's cloud of seeds with the animation (the `optiscape:frame` event of animation.js).
 *
 * The figures (figures/maps.py) tag what is filled here with meta.map: "cells" and
 * "status" (heatmaps), "best" (the best cell), "band_low"/"band_high"/"median" (the fan's
 * loss bands), "cloud" (the seeds' positions), each with meta.panel (the run). A cell's
 * outcome is the index of the minimum it ended in, -1 (not reached) or -2 (diverged); its
 * step, the step it reached the tolerance or diverged at (-1: neither), as mapping.py says. */
(function () {
  "use strict";

  const NOT_REACHED = -1, DIVERGED = -2;
  const m = { data: null, full: null, generation: 0, controller: null, frame: 0, playing: false };

  function decode(text, Type) {
    const bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }
  function graphDiv(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    return el.classList && el.classList.contains("js-plotly-plot") ? el : el.querySelector(".js-plotly-plot");
  }
  function mapGraphs() {
    const root = document.getElementById("views");
    if (!root || !root.dataset.graphs) return [];
    try {
      return JSON.parse(root.dataset.graphs).filter((g) => ["basins", "hypermap", "fan"].includes(g.view));
    } catch (e) { return []; }
  }
  const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toPrecision(4)));

  /* ------------------------------------------------------------------ grids */

  /* The map at the resolution shown: the full grid where its blocks have arrived, the coarse
   * grid's nearest cell elsewhere. */
  function cells(p) {
    const d = m.data, f = m.full;
    if (!f) return { x: d.x, y: d.y, outcome: p.outcome, step: p.step, nx: d.x.length };
    const n = f.x.length, c = d.x.length, out = new Int8Array(n * n), st = new Int16Array(n * n);
    const fp = f.panels[p.index];
    for (let i = 0; i < n; i++) {
      const done = f.done[i], ci = Math.min(c - 1, Math.floor((i * c) / n));
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        if (done) { out[k] = fp.outcome[k]; st[k] = fp.step[k]; }
        else { const q = ci * c + Math.min(c - 1, Math.floor((j * c) / n)); out[k] = p.outcome[q]; st[k] = p.step[q]; }
      }
    }
    return { x: f.x, y: f.y, outcome: out, step: st, nx: n };
  }
  function rows(values, nx) {
    const out = [];
    for (let i = 0; i < values.length; i += nx) out.push(Array.from(values.subarray(i, i + nx)));
    return out;
  }
  /* Basins: category c (a minimum, then "not reached", then "diverged") plus a shade. */
  function basinZ(g, minima, steps) {
    const z = new Float32Array(g.outcome.length), top = Math.log1p(steps);
    for (let k = 0; k < z.length; k++) {
      const o = g.outcome[k], s = g.step[k];
      const c = o >= 0 ? o : o === NOT_REACHED ? minima : minima + 1;
      const shade = o >= 0 ? (s >= 0 ? Math.log1p(s) / top : 1) : 0.5;
      z[k] = c + 0.999 * shade;
    }
    return rows(z, g.nx);
  }
  /* Hyperparameter map: log₁₀ steps where the tolerance was reached; the rest by status. */
  function hyperZ(g) {
    const z = [], status = [], n = g.nx;
    let best = null;
    for (let i = 0; i < g.y.length; i++) {
      const zr = [], sr = [];
      for (let j = 0; j < n; j++) {
        const k = i * n + j, o = g.outcome[k], s = g.step[k];
        const reached = o !== DIVERGED && s >= 0;
        zr.push(reached ? Math.log10(Math.max(s, 1)) : null);
        sr.push(reached ? null : o === DIVERGED ? 1 : 0);
        if (reached && (best === null || s < best.s)) best = { s: s, x: g.x[j], y: g.y[i] };
      }
      z.push(zr); status.push(sr);
    }
    return { z: z, status: status, best: best };
  }

  /* Panels side by side where they fit (at least MIN_PANEL px wide each), else stacked: the
   * figure is laid out for a wide screen; a phone gets one panel per row. A Patch of the
   * figure (so that the page's later patches keep it), from the graph's width. */
  const MIN_PANEL = 280;
  function panelPatch(id, count, fig) {
    const Patch = window.dash_clientside.Patch, patch = new Patch();
    const outer = document.getElementById(id), width = outer ? outer.clientWidth : 0;
    const cols = Math.max(1, Math.min(count, 3, Math.floor((width || 1200) / MIN_PANEL)));
    const rows = Math.ceil(count / cols);
    const gapX = cols > 1 ? 0.04 : 0, gapY = rows > 1 ? 0.12 / rows : 0;
    const annotations = (fig && fig.layout && fig.layout.annotations) || [];
    for (let i = 0; i < count; i++) {
      const col = i % cols, row = Math.floor(i / cols), key = i ? String(i + 1) : "";
      const x0 = col / cols + (col ? gapX / 2 : 0), x1 = (col + 1) / cols - (col < cols - 1 ? gapX / 2 : 0);
      const y1 = 1 - row / rows - (row ? gapY / 2 : 0), y0 = 1 - (row + 1) / rows + (row < rows - 1 ? gapY / 2 : 0);
      patch.assign(["layout", "xaxis" + key, "domain"], [x0, x1]);
      patch.assign(["layout", "yaxis" + key, "domain"], [y0, y1]);
      if (annotations[i]) {
        patch.assign(["layout", "annotations", i, "x"], (x0 + x1) / 2);
        patch.assign(["layout", "annotations", i, "y"], y1);
      }
    }
    return patch.build();
  }
  /* The basins graph's height: the page's for one row of panels, more for stacked ones
   * (dcc.Graph sizes the plot to its element). */
  function panelsHeight(id, count) {
    const outer = document.getElementById(id), width = outer ? outer.clientWidth : 0;
    const cols = Math.max(1, Math.min(count, 3, Math.floor((width || 1200) / MIN_PANEL)));
    const rows = Math.ceil(count / cols);
    const wide = { height: "min(70vh, 760px)" };
    if (rows < 2) return wide;
    // a custom property: the phone layout's own height rule (style.css) gives way to it (maps.css)
    return Object.assign(wide, { "--map-height": Math.round(rows * (width / cols + 40) + 190) + "px" });
  }

  function fillGrid(gd, fig) {
    const d = m.data, panels = d.panels.map((p, index) => Object.assign({ index: index }, p));
    const update = { x: [], y: [], z: [] }, idx = [];
    const extra = [];
    fig.data.forEach((trace, t) => {
      const meta = trace.meta || {};
      if (meta.map === "cells" || meta.map === "status") {
        const p = panels[meta.panel];
        if (!p) return;
        const g = cells(p);
        let z;
        if (d.kind === "basins") z = basinZ(g, d.minima.length, d.steps);
        else { const h = hyperZ(g); z = meta.map === "cells" ? h.z : h.status; if (meta.map === "cells") extra.push(h.best); }
        update.x.push(g.x); update.y.push(g.y); update.z.push(z); idx.push(t);
      }
    });
    fig.data.forEach((trace, t) => {
      if ((trace.meta || {}).map === "best" && extra[0]) {
        update.x.push([extra[0].x]); update.y.push([extra[0].y]); update.z.push(null); idx.push(t);
      }
    });
    if (!idx.length) return Promise.resolve();
    return window.Plotly.restyle(gd, update, idx);
  }

  /* ------------------------------------------------------------------ the fan */

  function fillFan(gd, fig) {
    const d = m.data, update = { x: [], y: [] }, idx = [];
    fig.data.forEach((trace, t) => {
      const meta = trace.meta || {}, run = d.runs[meta.panel];
      if (!run) return;
      const q = run.quantiles, band = meta.band === "10–90 %" ? [0, 4] : [1, 3];
      let y = null;
      if (meta.map === "band_low") y = q[band[0]];
      else if (meta.map === "band_high") y = q[band[1]];
      else if (meta.map === "median") y = q[2];
      if (!y) return;
      update.x.push(y.map((_, i) => i)); update.y.push(y); idx.push(t);
    });
    return idx.length ? window.Plotly.restyle(gd, update, idx) : Promise.resolve();
  }
  function cloudAt(run, step) {
    const d = m.data, f = d.frames;
    let i = 0;
    while (i + 1 < f.length && f[i + 1] <= step) i++;
    if (!run._codes) run._codes = decode(run.cloud, Uint16Array);
    const n = run.shown, codes = run._codes, [[x0, x1], [y0, y1]] = d.domain;
    const x = new Array(n), y = new Array(n);
    for (let s = 0; s < n; s++) {
      const a = codes[(i * n + s) * 2], b = codes[(i * n + s) * 2 + 1];
      const off = a === 65535 || b === 65535;
      x[s] = off ? null : x0 + (a / 65534) * (x1 - x0);
      y[s] = off ? null : y0 + (b / 65534) * (y1 - y0);
    }
    return { x: x, y: y };
  }
  /* Exact: restyle the cloud traces (their points then answer clicks with their seed). */
  function cloudRestyle(gd, step) {
    const d = m.data, update = { x: [], y: [], customdata: [] }, idx = [];
    (gd.data || []).forEach((trace, t) => {
      const meta = trace.meta || {};
      if (meta.map !== "cloud" || !d.runs[meta.panel]) return;
      const c = cloudAt(d.runs[meta.panel], step);
      update.x.push(c.x); update.y.push(c.y); update.customdata.push(c.x.map((_, s) => s)); idx.push(t);
    });
    return idx.length ? window.Plotly.restyle(gd, update, idx) : Promise.resolve();
  }
  /* Fast, while playing: move the points Plotly drew (as animation.js moves the heads). */
  function cloudFast(gd, step) {
    const layout = gd._fullLayout;
    if (!layout) return false;
    let moved = false;
    gd.querySelectorAll("g.trace.scatter").forEach((g) => {
      const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
      const meta = trace && trace.meta;
      if (!meta || meta.map !== "cloud" || !m.data.runs[meta.panel]) return;
      const c = cloudAt(m.data.runs[meta.panel], step), xa = layout.xaxis, ya = layout.yaxis;
      g.querySelectorAll("path.point").forEach((p, s) => {
        if (s >= c.x.length || c.x[s] === null) { p.style.display = "none"; return; }
        p.style.display = "";
        p.setAttribute("transform", "translate(" + xa.c2p(c.x[s]) + "," + ya.c2p(c.y[s]) + ")");
      });
      moved = true;
    });
    return moved;
  }
  function onFrame(event) {
    const detail = event.detail || {};
    m.frame = detail.step || 0;
    m.playing = !!detail.playing;
    if (!m.data || m.data.kind !== "fan") return;
    mapGraphs().filter((g) => g.kind === "plane").forEach((g) => {
      const gd = graphDiv(g.id);
      if (!gd || !gd.data) return;
      if (!(m.playing && cloudFast(gd, m.frame))) cloudRestyle(gd, m.frame);
    });
  }

  /* ------------------------------------------------------------------ status and readout */

  function statusOf(id) {
    const gd = document.getElementById(id);
    if (!gd) return null;
    let el = document.getElementById(id + "-status");
    if (!el) {
      el = document.createElement("p");
      el.id = id + "-status";
      el.className = "map-status";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      gd.insertAdjacentElement("afterend", el);
    }
    return el;
  }
  function setStatus(text) {
    mapGraphs().forEach((g) => {
      if (g.kind === "basins" || g.kind === "hypermap") {
        const el = statusOf(g.id);
        if (el) el.textContent = text;
      }
    });
  }
  function sizeText() {
    const d = m.data, n = m.full ? m.full.x.length : d.x.length;
    return n + " × " + n;
  }
  function describeCell(meta, i, j) {
    const d = m.data, p = d.panels[meta.panel];
    if (!p) return "";
    const g = cells(Object.assign({ index: meta.panel }, p)), k = i * g.nx + j;
    const o = g.outcome[k], s = g.step[k];
    let where;
    if (d.kind === "basins") where = "start (" + fmt(g.x[j]) + ", " + fmt(g.y[i]) + ")";
    else where = d.axes[0] + " = " + fmt(g.x[j]) + ", " + d.axes[1] + " = " + fmt(g.y[i]);
    let what;
    if (o === DIVERGED) what = "diverges at step " + s;
    else if (s >= 0) what = "reaches f − f* ≤ " + d.tolerance + " at step " + s;
    else what = "does not reach the tolerance in " + d.steps + " steps";
    if (d.kind === "basins" && o >= 0) {
      const min = d.minima[o];
      what += ", ends in the " + (min[2] ? "global" : "local") + " minimum (" + fmt(min[0]) + ", " + fmt(min[1]) + ")";
    } else if (d.kind === "basins" && o === NOT_REACHED) what += ", ends in no listed minimum";
    const label = d.labels && d.labels[meta.panel] ? d.labels[meta.panel] + ": " : "";
    return label + where + " " + what + " (click to open it)";
  }
  function hook(gd, id) {
    if (gd._mapsHooked || !gd.on) return;
    gd._mapsHooked = true;
    gd.on("plotly_hover", (ev) => {
      const pt = ev && ev.points && ev.points[0];
      const meta = pt && pt.data && pt.data.meta;
      if (!meta || (meta.map !== "cells" && meta.map !== "status") || !m.data || !m.data.panels) return;
      const index = pt.pointIndex || pt.pointNumber;
      if (!index) return;
      const el = statusOf(id);
      if (el) el.textContent = describeCell(meta, index[0], index[1]);
    });
    gd.on("plotly_afterplot", () => {
      if (m.data && m.data.kind === "fan" && !m.playing) cloudFast(gd, currentFrame());
    });
  }

  /* ------------------------------------------------------------------ refining */

  function refine(generation) {
    const d = m.data, r = d.refine;
    if (!r) return;
    const n = r.grid, count = d.panels.length;
    m.full = {
      x: r.x, y: r.y, done: new Array(n).fill(false),
      panels: d.panels.map(() => ({ outcome: new Int8Array(n * n), step: new Int16Array(n * n) })),
    };
    m.controller = new AbortController();
    const signal = m.controller.signal;
    let done = 0;
    setStatus("Computing the " + n + " × " + n + " map: 0 of " + r.blocks.length + " blocks…");
    const next = (b) => {
      if (generation !== m.generation || b >= r.blocks.length) return Promise.resolve();
      const [a, z] = r.blocks[b];
      return fetch("/api/maps/block?" + d.key + "&rows=" + a + "," + z, { signal: signal })
        .then((res) => { if (!res.ok) throw new Error("HTTP " + res.status); return res.arrayBuffer(); })
        .then((buffer) => {
          if (generation !== m.generation) return;
          const cellsIn = (z - a) * n;
          for (let p = 0; p < count; p++) {
            const step = new Int16Array(buffer, p * cellsIn * 2, cellsIn);
            const outcome = new Int8Array(buffer, count * cellsIn * 2 + p * cellsIn, cellsIn);
            m.full.panels[p].step.set(step, a * n);
            m.full.panels[p].outcome.set(outcome, a * n);
          }
          for (let i = a; i < z; i++) m.full.done[i] = true;
          done += 1;
          setStatus(done < r.blocks.length
            ? "Computing the " + n + " × " + n + " map: " + done + " of " + r.blocks.length + " blocks…"
            : "Map " + n + " × " + n + ": hover a cell for its numbers, click it to open that run.");
          return fillAll().then(() => next(b + 1));
        });
    };
    next(0).catch((error) => {
      if (error && error.name === "AbortError") return;
      if (generation === m.generation) setStatus("The full map could not be computed (" + error.message + "); showing " + d.x.length + " × " + d.x.length + ".");
    });
  }
  function currentFrame() {
    const o = window.optiscape;
    return o && o.state && Number.isInteger(o.state.frame) ? o.state.frame : m.frame;
  }
  function fillAll() {
    const done = mapGraphs().map((g) => {
      const gd = graphDiv(g.id);
      if (!gd || !gd.data) return null;
      hook(gd, g.id);
      if (m.data.kind === "fan") return g.kind === "plane" ? cloudRestyle(gd, currentFrame()) : fillFan(gd, gd);
      return g.kind === m.data.kind ? fillGrid(gd, gd) : null;
    }).filter(Boolean);
    return Promise.all(done);
  }

  /* Called by the page's clientside callback when a new map arrives. The figures come in
   * the same response: wait until Plotly has drawn them, then fill. */
  function show(data, figures) {
    m.generation += 1;
    if (m.controller) m.controller.abort();
    m.controller = null;
    m.full = null;
    m.data = data || null;
    const bar = document.getElementById("animation");  // nothing moves in a basins or hypermap
    if (bar) bar.classList.toggle("static-view", !!data && data.kind !== "fan");
    const graphs = mapGraphs(), noUpdate = window.dash_clientside.no_update;
    const patches = graphs.map((g, i) => (data && g.kind === "basins" && data.kind === "basins"
      ? panelPatch(g.id, data.panels.length, (figures || [])[i]) : noUpdate));
    const basins = graphs.find((g) => g.kind === "basins");
    const style = data && data.kind === "basins" && basins
      ? panelsHeight(basins.id, data.panels.length) : noUpdate;
    patches.push(style);
    if (!data) return patches;
    (data.panels || []).forEach((p) => {
      p.outcome = decode(p.outcome, Int8Array);
      p.step = decode(p.step, Int16Array);
    });
    const generation = m.generation;
    const start = () => {
      if (generation !== m.generation) return;
      const ready = mapGraphs().filter((g) => g.view === data.kind).every((g) => {
        const gd = graphDiv(g.id);
        return gd && gd._fullLayout && (gd.data || []).some((t) => t.meta && t.meta.map);
      });
      if (!ready) { window.setTimeout(start, 50); return; }
      if (data.kind !== "fan") setStatus("Map " + sizeText() + ": hover a cell for its numbers, click it to open that run.");
      fillAll().then(() => refine(generation));
    };
    window.requestAnimationFrame(start);
    return patches;
  }

  document.addEventListener("optiscape:frame", onFrame);
  window.optiscapeMaps = { show: show, state: m, decode: decode };
})();
