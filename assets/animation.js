/* Optiscape in the browser: fills the figures' paths from the trajectory store and animates
 * every view frame by frame. Nothing here talks to the server: after one computation the
 * animation (play, pause, step, scrub, speed, loop) runs entirely on this page. */
(function () {
  "use strict";

  const GRAPHS = ["graph-contour", "graph-3d", "graph-loss", "graph-panels", "graph-internals"];
  const ARROWS = "graph-internals";
  const SPEEDS = [5, 15, 30, 60, 120, 240];
  const state = { data: null, internals: null, frame: 0, last: 0, playing: false,
                  speed: 30, loop: false, t0: 0, f0: 0, raf: 0 };

  const gap = (loss) => {
    const min = state.data.min_value;
    return min === null ? loss : loss.map((v) => Math.max(v - min, 1e-16));
  };
  const height = (loss) => {
    const d = state.data;
    if (!d.log) return loss;
    return loss.map((v) => Math.log10(Math.max(v - d.offset, d.floor)));
  };
  const lengthOf = (run) => run.x.length;
  const steps = (n) => Array.from({ length: n }, (_, i) => i);

  /* The slice of run `r` visible at frame `k`, for the figure `kind`. */
  function slice(kind, r, k) {
    const run = state.data.runs[r];
    const n = Math.min(k + 1, lengthOf(run));
    if (kind === "graph-loss") return { x: steps(n), y: gap(run.loss.slice(0, n)) };
    const part = { x: run.x.slice(0, n), y: run.y.slice(0, n) };
    if (kind === "graph-3d") part.z = height(run.loss.slice(0, n));
    return part;
  }
  function head(path) {
    const h = { x: path.x.slice(-1), y: path.y.slice(-1) };
    if (path.z) h.z = path.z.slice(-1);
    return h;
  }

  /* Called by the `draw` clientside callback: new data → a Patch per figure that fills the
   * path and head traces (whole paths) and leaves the surface untouched. */
  function draw(data, internals, figures) {
    const noUpdate = window.dash_clientside.no_update;
    if (!data || !figures) return figures.map(() => noUpdate);
    state.data = data;
    state.internals = internals || null;
    state.last = Math.max(...data.runs.map(lengthOf)) - 1;
    // New data while playing keeps playing from the same step; otherwise show whole paths.
    state.frame = state.playing ? Math.min(state.frame, state.last) : state.last;
    if (state.playing) {
      state.f0 = state.frame; state.t0 = performance.now();
      window.setTimeout(startFast, 300);  // after Dash has drawn the new figures
    }
    updateBar();
    window.setTimeout(() => renderInternals(state.frame), 50);
    return figures.map((fig, i) => {
      if (!fig || !fig.data) return noUpdate;
      const kind = GRAPHS[i];
      const patch = new window.dash_clientside.Patch();
      fig.data.forEach((trace, t) => {
        const meta = trace.meta || {};
        if (meta.role === "start" && data.start) {
          patch.assign(["data", t, "x"], [data.start[0]]);
          patch.assign(["data", t, "y"], [data.start[1]]);
        }
        if (meta.run === undefined || meta.run >= data.runs.length) return;
        const run = data.runs[meta.run];
        const path = slice(kind, meta.run, state.last);
        const part = meta.role === "head" ? head(path) : path;
        Object.keys(part).forEach((axis) => patch.assign(["data", t, axis], part[axis]));
        patch.assign(["data", t, "name"], run.label);
        patch.assign(["data", t, "marker", "color"], run.color);
        if (meta.role === "path") patch.assign(["data", t, "line", "color"], run.color);
      });
      if (kind === ARROWS) patch.assign(["layout", "annotations"], arrows(state.last));
      if (kind === "graph-panels") {  // subplot titles are the runs' labels, in order
        data.runs.forEach((run, r) => patch.assign(["layout", "annotations", r, "text"], run.label));
      }
      return patch.build();
    });
  }

  /* Gradient (dashed, −g direction) and actual step arrows at each run's point. */
  function arrows(k) {
    if (!state.internals || !state.data) return [];
    const notes = [];
    state.data.runs.forEach((run, r) => {
      const inner = state.internals[r];
      if (!inner) return;
      const i = Math.min(k, lengthOf(run) - 1);
      const [x, y] = [run.x[i], run.y[i]];
      const [gx, gy] = inner.grad[Math.min(i, inner.grad.length - 1)];
      const norm = Math.hypot(gx, gy) || 1;
      const [[x0, x1], [y0, y1]] = state.data.domain;
      const scale = 0.1 * Math.max(x1 - x0, y1 - y0) / norm;  // −g at a fixed, visible length
      const arrow = (tx, ty, faint, color) => ({
        x: tx, y: ty, ax: x, ay: y, xref: "x", yref: "y", axref: "x", ayref: "y",
        showarrow: true, arrowhead: 2, arrowwidth: 2, arrowcolor: color, text: "",
        opacity: faint ? 0.55 : 1,
      });
      notes.push(arrow(x - gx * scale, y - gy * scale, true, "#333"));
      if (i < inner.update.length) {
        const [dx, dy] = inner.update[i];
        notes.push(arrow(x + dx, y + dy, false, run.color));
      }
    });
    return notes;
  }

  function graphDiv(id) {
    const el = document.getElementById(id);
    return el ? el.querySelector(".js-plotly-plot") : null;
  }

  /* Restyle one plot's path and head traces to frame `k` (a promise; null if hidden). */
  function restyleGraph(id, k) {
    const gd = graphDiv(id);
    if (!gd || !gd.data || gd.offsetParent === null) return null;
    const idx = [], xs = [], ys = [], zs = [];
    gd.data.forEach((trace, t) => {
      const meta = trace.meta || {};
      if (meta.run === undefined || meta.run >= state.data.runs.length) return;
      const path = slice(id, meta.run, k);
      const part = meta.role === "head" ? head(path) : path;
      idx.push(t); xs.push(part.x); ys.push(part.y);
      if (part.z) zs.push(part.z);
    });
    if (!idx.length) return null;
    const update = { x: xs, y: ys };
    if (zs.length === idx.length) update.z = zs;
    const done = window.Plotly.restyle(gd, update, idx);
    if (id === ARROWS && state.internals) {
      return Promise.all([done, window.Plotly.relayout(gd, { annotations: arrows(k) })]);
    }
    return done;
  }

  /* Move every visible view to frame `k`, exactly (Plotly.restyle). */
  function render(k) {
    if (!state.data || !window.Plotly) return Promise.resolve();
    const done = GRAPHS.map((id) => restyleGraph(id, k)).filter(Boolean);
    renderInternals(k);
    return Promise.all(done);
  }

  function fmt(v) {
    if (v === undefined || v === null) return "—";
    if (Array.isArray(v)) return "(" + v.map(fmt).join(", ") + ")";
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : String(+v.toPrecision(3));
  }

  function renderInternals(k) {
    const box = document.getElementById("internals-table");
    if (!box || box.offsetParent === null) return;
    if (!state.internals || !state.data) {
      box.textContent = "Computing the optimizers' internal state…";
      return;
    }
    const names = new Set();
    state.internals.forEach((inner) => Object.keys(inner.state).forEach((n) => names.add(n)));
    const cols = ["run", "g", "Δθ", "lr", ...names];
    const rows = state.data.runs.map((run, r) => {
      const inner = state.internals[r];
      const i = Math.min(k, inner.update.length - 1);
      const cells = [run.label, fmt(inner.grad[Math.min(k, inner.grad.length - 1)]),
                     i >= 0 ? fmt(inner.update[i]) : "—", i >= 0 ? fmt(inner.lr[i]) : "—"];
      names.forEach((n) => cells.push(i >= 0 && inner.state[n] ? fmt(inner.state[n][i]) : "—"));
      return { color: run.color, cells: cells };
    });
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    cols.forEach((c) => { const th = document.createElement("th"); th.textContent = c.replace(/_/g, " "); head.appendChild(th); });
    const body = table.createTBody();
    rows.forEach((row) => {
      const tr = body.insertRow();
      row.cells.forEach((c, j) => {
        const td = tr.insertCell();
        td.textContent = c;
        if (j === 0) td.style.borderLeft = "5px solid " + row.color;
      });
    });
    box.replaceChildren(table);
  }

  /* ---------------------------------------------------------------- animation bar */

  /* While playing, frames move the SVG Plotly already drew (a path's `d`, markers shown or
   * hidden, the head's position) instead of restyling: a restyle redraws the whole plot,
   * contour included (~100 ms), this takes a few ms. Plotly.restyle makes the figures exact
   * again when playback stops. The 3D view (WebGL) is restyled each frame. */
  const fast = { graphs: [] };

  function pixels(axis, values) {
    return values.map((v) => axis.c2p(axis.d2c(v)));
  }
  function prepareFast() {
    fast.graphs = [];
    if (!state.data) return;
    GRAPHS.forEach((id) => {
      const gd = graphDiv(id);
      if (!gd || !gd._fullLayout || gd.offsetParent === null) return;
      if (id === "graph-3d") { fast.graphs.push({ id: id, items: null }); return; }
      const items = [];
      gd.querySelectorAll("g.trace.scatter").forEach((g) => {
        const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
        const meta = trace && trace.meta;
        if (!meta || meta.run === undefined || meta.run >= state.data.runs.length) return;
        const layout = gd._fullLayout;
        const path = slice(id, meta.run, state.last);
        const px = pixels(layout["xaxis" + trace.xaxis.slice(1)], path.x);
        const py = pixels(layout["yaxis" + trace.yaxis.slice(1)], path.y);
        const parts = px.map((x, i) => x.toFixed(1) + "," + py[i].toFixed(1));
        const offsets = [];
        parts.reduce((at, part, i) => (offsets[i] = at + (i ? 1 : 0) + part.length), 0);
        const points = Array.from(g.querySelectorAll("path.point"));
        items.push({
          role: meta.role, line: g.querySelector("path.js-line"), points: points,
          // the step each marker stands for (plotly may draw only some: marker.maxdisplayed)
          steps: points.map((p, j) => (p.__data__ && p.__data__.i !== undefined ? p.__data__.i : j)),
          joined: parts.join("L"), offsets: offsets, px: px, py: py, shown: px.length - 1,
        });
      });
      fast.graphs.push({ id: id, items: items });
    });
  }
  function fastFrame(k) {
    fast.graphs.forEach((graph) => {
      if (!graph.items) { restyleGraph(graph.id, k); return; }
      graph.items.forEach((it) => {
        const i = Math.min(k, it.px.length - 1);
        if (i < 0) return;
        if (it.role === "head") {
          if (it.points[0]) it.points[0].setAttribute("transform", "translate(" + it.px[i] + "," + it.py[i] + ")");
          return;
        }
        if (it.line) it.line.setAttribute("d", "M" + it.joined.slice(0, it.offsets[i]));
        const lo = Math.min(it.shown, i), hi = Math.max(it.shown, i);
        it.steps.forEach((step, j) => {
          if (step > lo && step <= hi) it.points[j].style.display = step <= i ? "" : "none";
        });
        it.shown = i;
      });
    });
    renderInternals(k);
  }

  function setFrame(k) {
    state.frame = Math.max(0, Math.min(state.last, Math.round(k)));
    if (state.playing) fastFrame(state.frame);
    else render(state.frame);
    updateBar();
  }
  function tick(now) {
    if (!state.playing) return;
    let k = state.f0 + ((now - state.t0) / 1000) * state.speed;
    if (k >= state.last) {
      if (state.loop) { state.t0 = now; state.f0 = 0; k = 0; }
      else { setFrame(state.last); pause(); return; }
    }
    if (Math.floor(k) !== state.frame) setFrame(Math.floor(k));
    state.raf = window.requestAnimationFrame(tick);
  }
  /* Whole paths in every visible plot, then the fast path takes over. */
  function startFast() {
    fast.graphs = [];
    render(state.last).then(() => {
      if (!state.playing) return;
      prepareFast();
      fastFrame(state.frame);
    });
  }
  function play() {
    if (!state.data) return;
    if (state.frame >= state.last) state.frame = 0;
    state.playing = true;
    startFast();
    state.t0 = performance.now();
    state.f0 = state.frame;
    state.raf = window.requestAnimationFrame(tick);
    updateBar();
  }
  function pause() {
    const was = state.playing;
    state.playing = false;
    if (state.raf) window.cancelAnimationFrame(state.raf);
    if (was) render(state.frame);  // exact figures again
    updateBar();
  }

  const bar = {};
  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }
  function buildBar(root) {
    root.replaceChildren();
    bar.first = button("⇤", "First step", () => { pause(); setFrame(0); });
    bar.back = button("◀", "Step back", () => { pause(); setFrame(state.frame - 1); });
    bar.play = button("▶", "Play", () => (state.playing ? pause() : play()));
    bar.play.id = "anim-play";
    bar.fwd = button("▶|", "Step forward", () => { pause(); setFrame(state.frame + 1); });
    bar.lastBtn = button("⇥", "Last step", () => { pause(); setFrame(state.last); });
    bar.range = document.createElement("input");
    Object.assign(bar.range, { type: "range", min: 0, max: 0, value: 0, id: "anim-range" });
    bar.range.setAttribute("aria-label", "Step");
    bar.range.addEventListener("input", () => { pause(); setFrame(+bar.range.value); });
    bar.label = document.createElement("span");
    bar.label.id = "anim-step"; bar.label.className = "anim-step";
    bar.speed = document.createElement("select");
    bar.speed.setAttribute("aria-label", "Speed");
    SPEEDS.forEach((s) => {
      const o = document.createElement("option");
      o.value = s; o.textContent = s + " steps/s"; o.selected = s === state.speed;
      bar.speed.appendChild(o);
    });
    bar.speed.addEventListener("change", () => {
      state.speed = +bar.speed.value; state.f0 = state.frame; state.t0 = performance.now();
    });
    const loop = document.createElement("label");
    bar.loop = document.createElement("input");
    bar.loop.type = "checkbox";
    bar.loop.addEventListener("change", () => { state.loop = bar.loop.checked; });
    loop.append(bar.loop, " loop");
    root.append(bar.first, bar.back, bar.play, bar.fwd, bar.lastBtn, bar.range, bar.label, bar.speed, loop);
    updateBar();
  }
  function updateBar() {
    if (!bar.range) return;
    bar.range.max = state.last;
    bar.range.value = state.frame;
    bar.label.textContent = "step " + state.frame + " / " + state.last;
    bar.play.textContent = state.playing ? "❚❚" : "▶";
    bar.play.title = state.playing ? "Pause" : "Play";
  }

  /* Keep the address bar equal to the state without adding history entries. */
  function syncUrl(query) {
    if (typeof query === "string" && query) {
      window.history.replaceState(null, "", "?" + query);
      const classroom = document.getElementById("classroom-link");
      if (classroom) classroom.href = "?" + query.replace(/(^|&)classroom=[^&]*/g, "") + "&classroom=1";
    }
    return window.dash_clientside.no_update;
  }

  /* The bar is rendered by Dash; build it once it exists, and redraw when a tab shows. */
  const observer = new MutationObserver(() => {
    const root = document.getElementById("animation");
    if (root && !root.dataset.ready) { root.dataset.ready = "1"; buildBar(root); }
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[role=tab]")) {
      window.setTimeout(() => (state.playing ? startFast() : render(state.frame)), 60);
    }
  });

  window.optiscape = { draw, syncUrl, play, pause, setFrame, state };
})();
