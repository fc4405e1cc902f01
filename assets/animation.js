/* Optiscape in the browser: fills the figures' run traces from the trajectory store and
 * animates every view frame by frame. Nothing here talks to the server: after one
 * computation the animation (play, pause, step, scrub, speed, loop, keyboard) runs entirely
 * on this page.
 *
 * The page declares its graphs once, in `#views[data-graphs]` ([{id, kind, view}, ...]); the
 * `draw` clientside callback receives the figures in that order. A graph's `kind` says how
 * its run traces are filled (figures/views.py tags them with meta.role and meta.run):
 *   plane     – x/y paths over a contour;      loss    – loss gap against step;
 *   surface3d – paths lying on the 3D surface; panels  – one plane per run;
 *   arrows    – a plane with gradient and step arrows at each run's point.
 * Playback waits on Plotly itself (its `plotly_afterplot` event and the promises of
 * Plotly.restyle / relayout), never on fixed delays. */
(function () {
  "use strict";

  const SPEEDS = [5, 15, 30, 60, 120, 240];
  const DEFAULT_SPEED = 30;
  const PLANE = { plane: true, panels: true, arrows: true };
  const state = {
    data: null, internals: null, frame: 0, last: 0, playing: false, speed: DEFAULT_SPEED,
    loop: false, t0: 0, f0: 0, raf: 0, busy: 0, query: null, playbackApplied: false,
    graphs: null, pending: null,
  };

  /* ------------------------------------------------------------------ the page's graphs */

  function graphs() {
    if (state.graphs) return state.graphs;
    const root = document.getElementById("views");
    if (!root || !root.dataset.graphs) return [];
    try { state.graphs = JSON.parse(root.dataset.graphs); } catch (e) { return []; }
    return state.graphs;
  }
  function graphDiv(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    return el.classList && el.classList.contains("js-plotly-plot") ? el : el.querySelector(".js-plotly-plot");
  }
  const visible = (gd) => !!(gd && gd.data && gd.offsetParent !== null);
  const classroom = () => {
    const shell = document.getElementById("shell");
    return !!(shell && shell.classList.contains("classroom"));
  };

  /* ------------------------------------------------------------------ what each frame shows */

  const lengthOf = (run) => run.x.length;
  const steps = (n) => Array.from({ length: n }, (_, i) => i);

  /* The loss as drawn: f − f* (at least 1e-16) on a log axis, else f; a diverging tail is
   * held a little above the top edge (the plot clips it there). */
  function lossShown(run, n) {
    const d = state.data;
    const [lo, hi] = d.loss_range;
    const span = Math.max(hi - lo, 1e-9);
    const min = d.min_value;
    const out = new Array(n);
    if (d.loss_log) {
      const top = Math.pow(10, hi + 0.5 * span);
      for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(run.loss[i] - min, 1e-16), top);
    } else {
      const top = hi + 0.5 * span, bottom = lo - 0.5 * span;
      for (let i = 0; i < n; i++) out[i] = Math.max(Math.min(run.loss[i], top), bottom);
    }
    return out;
  }
  function height(v) {
    const d = state.data;
    return d.log ? Math.log10(Math.max(v - d.offset, d.floor)) : v;
  }
  /* How many points of a run's plane path are drawn at frame k: its positions up to the
   * last one inside the domain, then the point where it leaves the domain for good. */
  function planeCount(run, k) {
    const n = Math.min(k, run.end) + 1;
    return k > run.end && run.edge ? n + 1 : n;
  }
  function planePath(run, k) {
    const n = Math.min(k, run.end) + 1;
    const x = run.x.slice(0, n), y = run.y.slice(0, n);
    if (k > run.end && run.edge) { x.push(run.edge[0]); y.push(run.edge[1]); }
    return { x: x, y: y };
  }
  /* A run's name beside its point, two spaces on the side facing the point, so that the names
   * of runs at one point never run together ("Adam AdaGrad", not "AdamAdaGrad"). Runs 3, 4,
   * 7, 8, … are named to the left of their points (figures/views.py: LABEL_POSITIONS). */
  function headText(kind, r, name) {
    if (kind === "arrows") return "";  // the internals cards name the runs there
    const left = kind !== "loss" && kind !== "surface3d" && r % 4 >= 2;
    return left ? name + "\u00a0\u00a0" : (kind === "surface3d" ? name : "\u00a0\u00a0" + name);
  }
  /* The traces' new data for run `r` at frame `k`, by role. */
  function parts(kind, r, k) {
    const run = state.data.runs[r];
    let path;
    if (kind === "loss") {
      const n = Math.min(k + 1, lengthOf(run));
      path = { x: steps(n), y: lossShown(run, n) };
    } else {
      path = planePath(run, k);
      if (kind === "surface3d") {
        const n = path.x.length, m = Math.min(n, run.end + 1);
        path.z = run.loss.slice(0, m).map(height);
        if (n > m) path.z.push(path.z[m - 1]);
      }
    }
    const last = path.x.length - 1;
    // names beside the points, except where the arrows' own labels sit (the cards name runs)
    const head = { x: path.x.slice(last), y: path.y.slice(last), text: [headText(kind, r, run.name)] };
    if (path.z) head.z = path.z.slice(last);
    let mark = { x: [], y: [], text: [] };
    if (kind === "loss") {
      if (run.diverged_at !== null && run.diverged_at !== undefined && k >= run.diverged_at) {
        const [lo, hi] = state.data.loss_range;
        const y = hi - 0.045 * (hi - lo);
        mark = { x: [run.diverged_at], y: [state.data.loss_log ? Math.pow(10, y) : y],
                 text: ["↑ diverged at step " + run.diverged_at] };
      }
    } else if (kind !== "surface3d" && run.mark && k >= run.mark_step) {
      // the mark names the run (its name would sit on the mark's text otherwise)
      mark = { x: [run.mark[0]], y: [run.mark[1]], text: [run.name + " " + run.mark_text] };
      head.text = [""];
    }
    return { path: path, halo: path, head: head, diverged: mark };
  }

  /* ------------------------------------------------------------------ draw (new data) */

  function stylePatch(patch, t, role, run, kind) {
    patch.assign(["data", t, "name"], run.label);
    if (role === "halo") patch.assign(["data", t, "line", "color"], run.halo);
    if (role === "path") {
      patch.assign(["data", t, "line", "color"], run.color);
      patch.assign(["data", t, "line", "dash"], run.dash);
      patch.assign(["data", t, "hoverlabel", "bordercolor"], run.color);
      patch.assign(["data", t, "hovertemplate"], kind === "loss" ? run.name + ": %{y:.4g}<extra></extra>"
        : run.name + "<br>step %{pointNumber}<br>x=%{x:.4g}, y=%{y:.4g}<extra></extra>");
      if (kind !== "loss" && kind !== "surface3d") patch.assign(["data", t, "marker", "color"], run.color);
    }
    if (role === "head") {
      patch.assign(["data", t, "marker", "color"], run.color);  // its symbol: by place, in the figure
      if (kind !== "surface3d") {
        patch.assign(["data", t, "marker", "line", "color"], run.halo);
        patch.assign(["data", t, "textfont", "color"], run.text_color);
      }
    }
    if (role === "diverged") {
      patch.assign(["data", t, "marker", "color"], run.color);
      patch.assign(["data", t, "hovertemplate"], "%{text}<extra>" + run.name + "</extra>");
    }
  }

  function figurePatch(fig, graph, data) {
    const Patch = window.dash_clientside.Patch;
    const kind = graph.kind;
    const patch = new Patch();
    fig.data.forEach((trace, t) => {
      const meta = trace.meta || {};
      if (meta.role === "start" && data.start) {
        patch.assign(["data", t, "x"], [data.start[0]]);
        patch.assign(["data", t, "y"], [data.start[1]]);
      }
      if (meta.run === undefined || meta.run >= data.runs.length || !meta.role) return;
      const part = parts(kind, meta.run, state.last)[meta.role];
      if (!part) return;
      Object.keys(part).forEach((key) => patch.assign(["data", t, key], part[key]));
      stylePatch(patch, t, meta.role, data.runs[meta.run], kind);
    });
    const shapes = (fig.layout && fig.layout.shapes) || [];
    if (shapes[0] && shapes[0].name === "start" && data.start && data.domain) {
      const [[x0, x1], [y0, y1]] = data.domain;
      const r = 0.022 * Math.max(x1 - x0, y1 - y0);
      patch.assign(["layout", "shapes", 0, "x0"], data.start[0] - r);
      patch.assign(["layout", "shapes", 0, "x1"], data.start[0] + r);
      patch.assign(["layout", "shapes", 0, "y0"], data.start[1] - r);
      patch.assign(["layout", "shapes", 0, "y1"], data.start[1] + r);
    }
    if (kind === "loss") {
      patch.assign(["layout", "xaxis", "range"], [0, Math.max(state.last, 1)]);
      patch.assign(["layout", "yaxis", "range"], data.loss_range);
      if (shapes[0] && shapes[0].name === "tolerance") {
        const show = !!data.loss_log && data.tolerance > 0;
        patch.assign(["layout", "shapes", 0, "visible"], show);
        if (show) {
          patch.assign(["layout", "shapes", 0, "y0"], data.tolerance);
          patch.assign(["layout", "shapes", 0, "y1"], data.tolerance);
        }
      }
    }
    if (kind === "arrows") patch.assign(["layout", "annotations"], arrows(state.last));
    if (kind === "panels") {  // subplot titles: the runs' labels (short names on a projector)
      data.runs.forEach((run, r) => {
        patch.assign(["layout", "annotations", r, "text"], classroom() ? run.name : run.label);
        patch.assign(["layout", "annotations", r, "font", "color"], run.text_color);
      });
    }
    return patch.build();
  }

  /* Whether two payloads draw the same paths (only labels, colours or internals differ). */
  function samePaths(a, b) {
    if (!a || !b || a.runs.length !== b.runs.length || a.steps !== b.steps) return false;
    return a.runs.every((r, i) => {
      const q = b.runs[i], n = r.x.length;
      return n === q.x.length && r.x[n - 1] === q.x[n - 1] && r.y[n - 1] === q.y[n - 1]
        && r.x[0] === q.x[0] && r.y[0] === q.y[0];
    });
  }

  /* The last frame: every run's final position, or the step where it was marked. */
  function lastFrame(data) {
    let last = 0;
    data.runs.forEach((run) => {
      last = Math.max(last, lengthOf(run) - 1);
      if (run.diverged_at !== null && run.diverged_at !== undefined) last = Math.max(last, run.diverged_at);
    });
    return last;
  }

  /* Called by the `draw` clientside callback: new data → a Patch per figure (in the order
   * of `#views[data-graphs]`) that fills the run traces with whole paths and leaves the
   * surface untouched. */
  function draw(data, internals, figures) {
    const noUpdate = window.dash_clientside.no_update;
    figures = figures || [];
    if (!data || !data.runs) return figures.map(() => noUpdate);
    const same = samePaths(state.data, data);
    state.data = data;
    state.internals = internals || null;
    state.last = lastFrame(data);
    let action = null;
    if (!state.playbackApplied) {
      state.playbackApplied = true;
      const p = data.playback || {};
      if (p.speed && +p.speed > 0) state.speed = +p.speed;
      if (bar.speed) bar.speed.value = String(state.speed);
      if (p.play && !reducedMotion()) { state.frame = Number.isInteger(p.step) ? clamp(p.step) : 0; action = "play"; }
      else if (p.play) { state.frame = Number.isInteger(p.step) ? clamp(p.step) : 0; action = "frame"; }
      else if (Number.isInteger(p.step)) { state.frame = clamp(p.step); action = "frame"; }
      else state.frame = state.last;
    } else if (state.playing) {
      state.frame = Math.min(state.frame, state.last);  // new data while playing: keep playing
      state.f0 = state.frame; state.t0 = performance.now();
      action = "play";
      stopFast();
    } else if (!same) {
      state.frame = state.last;  // new paths: show them whole
    } else {
      state.frame = Math.min(state.frame, state.last);  // the same paths (internals added)
      action = "frame";
    }
    updateBar();
    const list = graphs();
    const patches = figures.map((fig, i) => {
      const graph = list[i];
      if (!graph || !fig || !fig.data) return noUpdate;
      return figurePatch(fig, graph, data);
    });
    afterPlot(action);
    return patches;
  }

  /* Once Plotly has drawn the patched figures: show the current frame, start playing. */
  function afterPlot(action) {
    state.pending = { action: action, token: {} };
    const token = state.pending.token;
    const done = () => {
      if (!state.pending || state.pending.token !== token) return;
      state.pending = null;
      if (action === "play") { play(); return; }
      const shown = action === "frame" ? render(state.frame) : Promise.resolve();
      shown.then(() => renderInternals(state.frame));
    };
    whenDrawn(done);
  }
  /* Call `done` once the visible graphs show the current data (on their plotly_afterplot). */
  function whenDrawn(done) {
    const ready = () => graphs().every((g) => {
      const gd = graphDiv(g.id);
      if (!visible(gd)) return true;
      const t = gd.data.findIndex((tr) => tr.meta && tr.meta.role === "path" && tr.meta.run === 0);
      if (t < 0 || !state.data.runs[0]) return true;
      const expected = g.kind === "loss" ? Math.min(state.last + 1, lengthOf(state.data.runs[0]))
        : planeCount(state.data.runs[0], state.last);
      return gd.data[t].x && gd.data[t].x.length === expected && gd._fullLayout && !gd._transitioning;
    });
    let finished = false;
    const check = () => {
      if (finished || !ready()) return;
      finished = true;
      listeners.delete(check);
      done();
    };
    listeners.add(check);
  }
  const listeners = new Set();
  function onAfterPlot(gd) {
    listeners.forEach((check) => check());
    if (gd && gd.dataset) fitColorbar(gd);
  }
  function hook(gd) {
    if (!gd || gd.__optiscapeHooked || typeof gd.on !== "function") return;
    gd.__optiscapeHooked = true;
    gd.on("plotly_afterplot", () => onAfterPlot(gd));
  }

  /* The colour bar beside the plot at its height: when the square constraint narrows or
   * shortens the plot, move the bar to the plot's right edge and match its height. */
  function fitColorbar(gd) {
    const fl = gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !gd.data) return;
    const t = gd.data.findIndex((tr) => tr.type === "contour" && tr.showscale !== false && !tr.xaxis);
    if (t < 0) return;
    const xd = fl.xaxis.domain, yd = fl.yaxis.domain;
    const want = { x: Math.min(xd[1] + 0.012, 1.01), len: yd[1] - yd[0], y: (yd[0] + yd[1]) / 2 };
    const bar = gd.data[t].colorbar || {};
    const off = ["x", "len", "y"].some((k) => Math.abs((bar[k] === undefined ? -1 : bar[k]) - want[k]) > 0.004);
    if (!off) return;
    window.Plotly.restyle(gd, { "colorbar.x": want.x, "colorbar.len": want.len, "colorbar.y": want.y }, [t]);
  }

  /* ------------------------------------------------------------------ internals arrows */

  /* At each run's point: −g (grey, a fixed length) and the step actually taken (the run's
   * colour; a step too small to see is drawn longer and labelled with its magnification). */
  function arrows(k) {
    if (!state.internals || !state.data) return [];
    const [[x0, x1], [y0, y1]] = state.data.domain;
    const side = Math.max(x1 - x0, y1 - y0);
    const big = classroom();
    const notes = [];
    const arrow = (x, y, tx, ty, color, width) => ({
      x: tx, y: ty, ax: x, ay: y, xref: "x", yref: "y", axref: "x", ayref: "y",
      showarrow: true, arrowhead: 2, arrowsize: big ? 1.3 : 1.1, arrowwidth: width,
      arrowcolor: color, text: "", standoff: 0, startstandoff: big ? 9 : 6,
    });
    const label = (x, y, dx, dy, text, color) => {
      const norm = Math.hypot(dx, dy) || 1;
      return {
        x: x, y: y, xref: "x", yref: "y", showarrow: false, text: text,
        font: { size: big ? 20 : 13, color: color }, bgcolor: "#ffffff",  // text on white, whatever is beneath
        xshift: 14 * dx / norm, yshift: 14 * dy / norm, borderpad: 1,
      };
    };
    state.data.runs.forEach((run, r) => {
      const inner = state.internals[r];
      if (!inner) return;
      const i = Math.min(k, lengthOf(run) - 1);
      if (i > run.end) return;  // left the plot
      const [x, y] = [run.x[i], run.y[i]];
      const [gx, gy] = inner.grad[Math.min(i, inner.grad.length - 1)];
      const norm = Math.hypot(gx, gy);
      if (norm > state.data.tiny_gradient) {  // a noise-level gradient has no direction to show
        const s = 0.12 * side / norm;
        notes.push(arrow(x, y, x - gx * s, y - gy * s, "#4b5563", big ? 3 : 2));
        notes.push(label(x - gx * s, y - gy * s, -gx, -gy, "−g", "#374151"));
      }
      if (i < inner.update.length) {
        const [dx, dy] = inner.update[i];
        const length = Math.hypot(dx, dy);
        if (length > 0) {
          const minimum = 0.06 * side;
          const times = length < minimum ? Math.ceil(minimum / length) : 1;
          const tx = x + dx * times, ty = y + dy * times;
          notes.push(arrow(x, y, tx, ty, run.color, big ? 4.5 : 3));
          notes.push(label(tx, ty, dx, dy, times > 1 ? "Δθ ×" + fmtTimes(times) : "Δθ", run.text_color));
        }
      }
    });
    return notes;
  }
  function fmtTimes(n) { return n >= 1000 ? n.toExponential(0).replace("e+", "e") : String(n); }

  /* ------------------------------------------------------------------ exact frames */

  /* Restyle one plot's run traces to frame `k` (a promise; null if hidden). */
  function restyleGraph(graph, k) {
    const gd = graphDiv(graph.id);
    if (!visible(gd)) return null;
    hook(gd);
    const idx = [], update = { x: [], y: [], z: [], text: [] };
    let withZ = true;
    gd.data.forEach((trace, t) => {
      const meta = trace.meta || {};
      if (meta.run === undefined || meta.run >= state.data.runs.length || !meta.role) return;
      const part = parts(graph.kind, meta.run, k)[meta.role];
      if (!part) return;
      idx.push(t);
      update.x.push(part.x); update.y.push(part.y);
      update.text.push(part.text || trace.text || []);
      if (part.z) update.z.push(part.z); else withZ = false;
    });
    if (!idx.length) return null;
    if (!withZ) delete update.z;
    const done = window.Plotly.restyle(gd, update, idx);
    if (graph.kind === "arrows" && state.internals) {
      return done.then(() => window.Plotly.relayout(gd, { annotations: arrows(k) }));
    }
    return done;
  }
  /* Move every visible view to frame `k`, exactly (Plotly.restyle). */
  function render(k) {
    if (!state.data || !window.Plotly) return Promise.resolve();
    const done = graphs().map((g) => restyleGraph(g, k)).filter(Boolean);
    renderInternals(k);
    return Promise.all(done);
  }

  /* ------------------------------------------------------------------ fast frames */

  /* While playing, frames move the SVG Plotly already drew (a path's `d`, markers shown or
   * hidden, the head and its name moved, marks shown) instead of restyling: a restyle
   * redraws the whole plot, contour included (~100 ms), this takes a few ms. Plotly.restyle
   * makes the figures exact again when playback stops. The 3D view (WebGL) is restyled. */
  const fast = { graphs: [], ready: false };

  function pixels(axis, values) { return values.map((v) => axis.c2p(axis.d2c(v))); }
  function stopFast() { fast.graphs = []; fast.ready = false; }
  function prepareFast() {
    stopFast();
    if (!state.data) return;
    graphs().forEach((graph) => {
      const gd = graphDiv(graph.id);
      if (!visible(gd) || !gd._fullLayout) return;
      if (graph.kind === "surface3d") { fast.graphs.push({ graph: graph, items: null }); return; }
      const items = [];
      gd.querySelectorAll("g.trace.scatter").forEach((g) => {
        const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
        const meta = trace && trace.meta;
        if (!meta || meta.run === undefined || meta.run >= state.data.runs.length) return;
        const run = state.data.runs[meta.run];
        const item = { role: meta.role, run: run, g: g };
        if (meta.role === "diverged") { items.push(item); return; }
        const layout = gd._fullLayout;
        const path = parts(graph.kind, meta.run, state.last).path;
        const px = pixels(layout["xaxis" + trace.xaxis.slice(1)], path.x);
        const py = pixels(layout["yaxis" + trace.yaxis.slice(1)], path.y);
        item.px = px; item.py = py;
        if (meta.role === "head") {
          item.point = g.querySelector("path.point");
          item.text = g.querySelector("g.textpoint");
          items.push(item);
          return;
        }
        const joined = px.map((x, i) => x.toFixed(1) + "," + py[i].toFixed(1));
        const offsets = [];
        joined.reduce((at, part, i) => (offsets[i] = at + (i ? 1 : 0) + part.length), 0);
        const points = Array.from(g.querySelectorAll("path.point"));
        Object.assign(item, {
          line: g.querySelector("path.js-line"), points: points,
          // the step each marker stands for (plotly may draw only some: marker.maxdisplayed)
          steps: points.map((p, j) => (p.__data__ && p.__data__.i !== undefined ? p.__data__.i : j)),
          joined: joined.join("L"), offsets: offsets, shown: px.length - 1,
        });
        items.push(item);
      });
      fast.graphs.push({ graph: graph, items: items });
    });
    fast.ready = true;
  }
  function fastIndex(kind, run, k, count) {
    const n = kind === "loss" ? Math.min(k + 1, lengthOf(run)) : planeCount(run, k);
    return Math.min(n, count) - 1;
  }
  function fastFrame(k) {
    fast.graphs.forEach(({ graph, items }) => {
      if (!items) { restyleGraph(graph, k); return; }
      items.forEach((it) => {
        if (it.role === "diverged") {
          const step = graph.kind === "loss" ? it.run.diverged_at : it.run.mark_step;
          it.g.style.display = step !== null && step !== undefined && k >= step ? "" : "none";
          return;
        }
        const i = fastIndex(graph.kind, it.run, k, it.px.length);
        if (i < 0) return;
        if (it.role === "head") {
          if (it.point) it.point.setAttribute("transform", "translate(" + it.px[i] + "," + it.py[i] + ")");
          if (it.text) {
            const j = it.px.length - 1;
            it.text.setAttribute("transform", "translate(" + (it.px[i] - it.px[j]) + "," + (it.py[i] - it.py[j]) + ")");
          }
          return;
        }
        if (it.line) it.line.setAttribute("d", "M" + it.joined.slice(0, it.offsets[i]));
        if (it.role === "path") {
          const lo = Math.min(it.shown, i), hi = Math.max(it.shown, i);
          it.steps.forEach((step, j) => {
            if (step > lo && step <= hi) it.points[j].style.display = step <= i ? "" : "none";
          });
        }
        it.shown = i;
      });
    });
    renderInternals(k);
  }

  /* ------------------------------------------------------------------ playback */

  function clamp(k) { return Math.max(0, Math.min(state.last, Math.round(k))); }
  function setFrame(k) {
    state.frame = clamp(k);
    if (state.playing && fast.ready) fastFrame(state.frame);
    else if (!state.playing) render(state.frame);
    updateBar();
    announceFrame();
    speakFrame();
  }
  /* Other scripts (assets/maps.js) follow the frame through this event: {step}. */
  function announceFrame() {
    document.dispatchEvent(new CustomEvent("optiscape:frame", { detail: { step: state.frame, playing: state.playing } }));
  }
  /* With `prefers-reduced-motion`, a link never starts playing, and Play steps: the frame
   * jumps once a second (by the speed's steps) instead of moving continuously. */
  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }
  function tick(now) {
    if (!state.playing) return;
    const seconds = (now - state.t0) / 1000;
    let k = state.f0 + (reducedMotion() ? Math.floor(seconds) : seconds) * state.speed;
    if (k >= state.last) {
      if (state.loop) { state.t0 = now; state.f0 = 0; k = 0; }
      else { state.frame = state.last; pause(); return; }
    }
    if (Math.floor(k) !== state.frame) setFrame(Math.floor(k));
    state.raf = window.requestAnimationFrame(tick);
  }
  /* Whole paths in every visible plot, then (once Plotly has drawn them) the fast path. */
  function startFast() {
    stopFast();
    return render(state.last).then(() => {
      if (!state.playing) return;
      prepareFast();
      fastFrame(state.frame);
    });
  }
  function play() {
    if (!state.data) return;
    if (state.frame >= state.last) state.frame = 0;
    state.playing = true;
    state.f0 = state.frame;
    startFast().then(() => {  // the clock starts when the figures are ready
      if (!state.playing) return;
      state.t0 = performance.now(); state.f0 = state.frame;
      if (state.raf) window.cancelAnimationFrame(state.raf);
      state.raf = window.requestAnimationFrame(tick);
    });
    updateBar();
    writeUrl();
  }
  function pause() {
    const was = state.playing;
    state.playing = false;
    if (state.raf) window.cancelAnimationFrame(state.raf);
    state.raf = 0;
    stopFast();
    if (was) { render(state.frame); speakFrame(); }  // exact figures again
    updateBar();
    writeUrl();
  }
  function toggle() { return state.playing ? pause() : play(); }
  function stepTo(k) { pause(); setFrame(k); writeUrl(); }

  /* ------------------------------------------------------------------ spoken frames */

  /* The polite live region (#live-status) says the step and each run's loss: while playing
   * at most every LIVE_EVERY ms, after a pause or a step once the frame has settled
   * (holding an arrow key speaks once, at the end). Other scripts speak through `announce`. */
  const LIVE_EVERY = 2500;
  const SETTLE = 350;
  const live = { last: 0, timer: 0, text: "" };
  function announce(text) {
    const region = document.getElementById("live-status");
    if (!region || !text) return;
    // the same words twice are not a change: a space makes them one
    region.textContent = text === live.text ? text + "\u00a0" : text;
    live.text = text;
    live.last = performance.now();
  }
  function lossText(v) {
    if (v === undefined || v === null || !isFinite(v)) return "—";
    return fmt(v).replace("-", "−");
  }
  /* "Step 40 of 250: SGD loss 0.532, Momentum loss 1.2×10⁻⁵, Adam diverged at step 30." */
  function frameSentence(k) {
    const d = state.data;
    if (!d) return "";
    const runs = d.runs.map((run) => {
      if (run.diverged_at !== null && run.diverged_at !== undefined && k >= run.diverged_at) {
        return run.name + " diverged at step " + run.diverged_at;
      }
      if (run.mark_step !== null && run.mark_step !== undefined && k >= run.mark_step) {
        return run.name + " " + run.mark_text;
      }
      return run.name + " loss " + lossText(run.loss[Math.min(k, run.loss.length - 1)]);
    });
    return "Step " + k + " of " + state.last + ": " + runs.join(", ") + ".";
  }
  function speakFrame() {
    window.clearTimeout(live.timer);
    if (state.playing) {
      if (performance.now() - live.last >= LIVE_EVERY) announce(frameSentence(state.frame));
      return;
    }
    live.timer = window.setTimeout(() => announce(frameSentence(state.frame)), SETTLE);
  }

  /* ------------------------------------------------------------------ internals cards */

  function fmt(v) {
    if (v === undefined || v === null) return "—";
    if (Array.isArray(v)) return "(" + v.map(fmt).join(", ") + ")";
    const a = Math.abs(v);
    if (!isFinite(v)) return "—";
    if (a === 0 || (a >= 1e-3 && a < 1e4)) return String(+v.toPrecision(3));
    const [m, e] = v.toExponential(2).split("e");
    return m + "×10" + String(+e).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]);
  }
  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const NAMES = {
    velocity: "velocity v", first_moment: "1st moment m", second_moment: "2nd moment s",
    max_second_moment: "max 2nd moment", accumulator: "accumulator s",
    infinity_norm: "∞-norm u", squared_step: "mean sq. step d", momentum: "momentum m",
    effective_lr: "effective step −Δθ/g",
  };
  function renderInternals(k) {
    const box = document.getElementById("internals-table");
    if (!box || box.offsetParent === null) return;
    if (!state.internals || !state.data) {
      box.textContent = "Computing the optimizers' internal state…";
      return;
    }
    const cards = state.data.runs.map((run, r) => {
      const inner = state.internals[r];
      const card = document.createElement("section");
      card.className = "internals-card";
      card.style.borderLeftColor = run.color;
      const title = document.createElement("h4");
      const swatch = document.createElement("span");
      swatch.className = "swatch"; swatch.style.background = run.color;
      title.append(swatch, run.name);
      title.title = run.label;
      card.appendChild(title);
      if (!inner) return card;
      const i = Math.min(k, inner.update.length - 1);
      const g = Math.min(k, inner.grad.length - 1);
      const rows = [["gradient g", fmt(inner.grad[g])],
                    ["update Δθ", i >= 0 && k < lengthOf(run) - 1 ? fmt(inner.update[i]) : "—"],
                    ["learning rate η", i >= 0 ? fmt(inner.lr[i]) : "—"]];
      const names = Object.keys(inner.state).filter((n) => n !== "effective_lr");
      if (inner.state.effective_lr) names.push("effective_lr");
      names.forEach((n) => rows.push([NAMES[n] || n.replace(/_/g, " "), i >= 0 ? fmt(inner.state[n][i]) : "—"]));
      const list = document.createElement("dl");
      rows.forEach(([name, value]) => {
        const dt = document.createElement("dt"); dt.textContent = name;
        const dd = document.createElement("dd"); dd.textContent = value;
        list.append(dt, dd);
      });
      card.appendChild(list);
      return card;
    });
    const note = document.createElement("p");
    note.className = "internals-step";
    note.textContent = "At step " + k + " (values as (x, y)):";
    box.replaceChildren(note, ...cards);
  }

  /* ------------------------------------------------------------------ the bar */

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
    root.classList.add("animation-bar");
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", "Animation");
    bar.root = root;
    bar.first = button("⇤", "First step (Home)", () => stepTo(0));
    bar.back = button("◀", "Step back (←)", () => stepTo(state.frame - 1));
    bar.play = button("▶", "Play (space)", toggle);
    bar.play.id = "anim-play";
    bar.fwd = button("▶|", "Step forward (→)", () => stepTo(state.frame + 1));
    bar.lastBtn = button("⇥", "Last step (End)", () => stepTo(state.last));
    bar.range = document.createElement("input");
    Object.assign(bar.range, { type: "range", min: 0, max: 0, value: 0, id: "anim-range" });
    bar.range.setAttribute("aria-label", "Step");
    bar.range.addEventListener("input", () => { pause(); setFrame(+bar.range.value); });
    bar.range.addEventListener("change", writeUrl);
    bar.label = document.createElement("span");
    bar.label.id = "anim-step"; bar.label.className = "anim-step";  // spoken through #live-status, calmly
    bar.speed = document.createElement("select");
    bar.speed.setAttribute("aria-label", "Speed");
    const speeds = SPEEDS.includes(state.speed) ? SPEEDS : [...SPEEDS, state.speed].sort((a, b) => a - b);
    speeds.forEach((s) => {
      const o = document.createElement("option");
      o.value = s; o.textContent = s + " steps/s"; o.selected = s === state.speed;
      bar.speed.appendChild(o);
    });
    bar.speed.addEventListener("change", () => {
      state.speed = +bar.speed.value; state.f0 = state.frame; state.t0 = performance.now();
      writeUrl();
    });
    const loop = document.createElement("label");
    loop.className = "anim-loop";
    bar.loop = document.createElement("input");
    bar.loop.type = "checkbox";
    bar.loop.addEventListener("change", () => { state.loop = bar.loop.checked; });
    loop.append(bar.loop, " loop");
    const buttons = document.createElement("span");
    buttons.className = "anim-buttons";
    buttons.append(bar.first, bar.back, bar.play, bar.fwd, bar.lastBtn);
    root.append(buttons, bar.range, bar.label, bar.speed, loop);
    bar.controls = [bar.first, bar.back, bar.play, bar.fwd, bar.lastBtn, bar.range, bar.speed, bar.loop];
    updateBar();
  }
  function updateBar() {
    if (!bar.range) return;
    const waiting = state.busy > 0 || !state.data;
    bar.root.setAttribute("aria-busy", waiting ? "true" : "false");
    bar.controls.forEach((c) => { c.disabled = waiting; });
    if (waiting) {
      bar.label.textContent = "computing…";
      bar.label.setAttribute("aria-label", "Computing the trajectories");
      return;
    }
    bar.label.removeAttribute("aria-label");
    bar.range.max = state.last;
    bar.range.value = state.frame;
    bar.label.textContent = "step " + state.frame + " / " + state.last;
    bar.play.textContent = state.playing ? "❚❚" : "▶";
    bar.play.title = state.playing ? "Pause (space)" : "Play (space)";
    bar.play.setAttribute("aria-label", state.playing ? "Pause" : "Play");
  }
  function setBusy(on) {
    state.busy = Math.max(0, state.busy + (on ? 1 : -1));
    updateBar();
  }

  /* ------------------------------------------------------------------ the address bar */

  const PLAYBACK_KEYS = /^(step|play|speed)=/;
  function playbackQuery() {
    const keys = [];
    if (!state.data) {  // not applied yet: keep what the link asked for
      return window.location.search.slice(1).split("&").filter((p) => PLAYBACK_KEYS.test(p));
    }
    if (state.playing) keys.push("play=1");
    else if (state.frame !== state.last) keys.push("step=" + state.frame);
    if (state.speed !== DEFAULT_SPEED) keys.push("speed=" + state.speed);
    return keys;
  }
  function writeUrl() {
    let query = state.query;
    if (query === null) query = window.location.search.slice(1).split("&").filter((p) => p && !PLAYBACK_KEYS.test(p)).join("&");
    const full = [query, ...playbackQuery()].filter(Boolean).join("&");
    if (window.location.search.slice(1) !== full) {
      window.history.replaceState(window.history.state, "", (full ? "?" + full : window.location.pathname) + window.location.hash);
    }
  }
  /* Keep the address bar equal to the state (plus the playback keys this page owns),
   * without adding history entries. */
  function syncUrl(query) {
    if (typeof query === "string") {
      state.query = query.split("&").filter((p) => p && !PLAYBACK_KEYS.test(p)).join("&");
      writeUrl();
      const link = document.getElementById("classroom-link");
      if (link) link.href = "?" + state.query.replace(/(^|&)classroom=[^&]*/g, "") + "&classroom=1";
    }
    return window.dash_clientside ? window.dash_clientside.no_update : null;
  }

  /* ------------------------------------------------------------------ loading */

  /* A computation is in flight while Dash's request for the trajectories is: wrap fetch. */
  const fetch0 = window.fetch;
  if (fetch0 && !fetch0.__optiscape) {
    const wrapped = function (input, init) {
      const url = typeof input === "string" ? input : (input && input.url) || "";
      const body = init && typeof init.body === "string" ? init.body : "";
      const computing = url.indexOf("_dash-update-component") >= 0 && body.indexOf("trajectories.data") >= 0;
      if (!computing) return fetch0.apply(this, arguments);
      setBusy(true);
      const result = fetch0.apply(this, arguments);
      result.then(() => setBusy(false), () => setBusy(false));
      return result;
    };
    wrapped.__optiscape = true;
    window.fetch = wrapped;
  }

  /* ------------------------------------------------------------------ keyboard */

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || !state.data || state.busy) return;
    const t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (t && t.closest && t.closest("[role=slider],[role=combobox],[role=listbox],[role=tab],[role=tablist],[role=menu],[role=dialog]")) return;
    // on a plot that shows the start, the arrows move the start (assets/a11y.js)
    if (t && t.closest && t.closest("[data-start-keys]") && /^Arrow/.test(event.key)) return;
    const keys = {
      " ": toggle, ArrowLeft: () => stepTo(state.frame - 1), ArrowRight: () => stepTo(state.frame + 1),
      Home: () => stepTo(0), End: () => stepTo(state.last),
    };
    const act = keys[event.key];
    if (!act) return;
    // a button's or a link's own key (the play button is the one that plays)
    if (event.key === " " && t && t.closest && t.closest("button,[role=button],a[href]") && t !== bar.play) return;
    event.preventDefault();
    act();
  });

  /* ------------------------------------------------------------------ wiring */

  /* The bar is rendered by Dash: build it once it exists; hook every plot as it appears. */
  const observer = new MutationObserver(() => {
    const root = document.getElementById("animation");
    if (root && !root.dataset.ready) { root.dataset.ready = "1"; buildBar(root); }
    graphs().forEach((g) => hook(graphDiv(g.id)));
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  /* A tab shown: once its plot is laid out (next animation frames), draw the current frame. */
  document.addEventListener("click", (event) => {
    if (!(event.target.closest && event.target.closest("[role=tab]"))) return;
    let tries = 0;
    const shown = () => {
      const some = graphs().some((g) => {
        const gd = graphDiv(g.id);
        return visible(gd) && !fast.graphs.some((f) => f.graph.id === g.id);
      });
      if (!some && tries++ < 120) { window.requestAnimationFrame(shown); return; }
      graphs().forEach((g) => hook(graphDiv(g.id)));
      if (state.playing) startFast(); else render(state.frame);
    };
    window.requestAnimationFrame(shown);
  });

  window.optiscape = {
    draw, syncUrl, play, pause, setFrame, state, render, toggle, graphs, arrows, announce,
    frameSentence, reducedMotion, stepTo,
  };
})();
