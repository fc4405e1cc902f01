/* The network view's computation in the browser (components/network_view.py).
 *
 * `network-query` changes → run(query): the previous stream is aborted (its connection
 * closed, so the server abandons that computation), GET /api/network/stream?query is read
 * line by line (NDJSON: {"progress": {stage, done, text}} … then {"done": {query}} or
 * {"error": {field, message}}), the progress bar and status line follow it, and on `done`
 * `network-ready` is set to the query (the server's callback then draws from its cache).
 */
(function () {
  "use strict";

  const state = { query: null, controller: null, controllers: [], finished: false };

  function $(id) { return document.getElementById(id); }

  function setProgress(fraction, text, kind) {
    const bar = $("network-progress");
    const fill = $("network-progress-fill");
    const status = $("network-status");
    const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    if (bar) {
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", text || percent + " %");
      bar.dataset.state = kind || "running";
    }
    if (fill) fill.style.width = percent + "%";
    if (status && typeof text === "string") {
      status.textContent = text;
      status.dataset.state = kind || "running";
    }
  }

  function errorText(error) {
    if (!error) return "The computation failed.";
    return (error.field ? error.field + ": " : "") + (error.message || "failed");
  }

  function ready(query) {
    const set = window.dash_clientside && window.dash_clientside.set_props;
    if (set) set("network-ready", { data: query });
  }

  /* One line of the stream; true once the stream has said its last word. */
  function handle(query, line) {
    let message;
    try { message = JSON.parse(line); } catch (e) { return false; }
    if (message.progress) {
      const p = message.progress;
      setProgress(p.done || 0, p.text || p.stage || "", "running");
      return false;
    }
    if (message.done) {
      setProgress(1, "Done: trained, mapped and measured.", "done");
      state.finished = true;
      ready(query);
      return true;
    }
    if (message.error) {
      setProgress(0, errorText(message.error), "error");
      state.finished = true;
      return true;
    }
    return false;
  }

  async function stream(query, controller) {
    let response;
    try {
      response = await fetch("/api/network/stream?" + query, { signal: controller.signal });
    } catch (e) {
      if (!controller.signal.aborted) setProgress(0, "The server could not be reached.", "error");
      return;
    }
    if (!response.ok || !response.body) {
      let text = "The server answered " + response.status + ".";
      try { text = errorText((await response.json()).error); } catch (e) { /* keep the status */ }
      if (!controller.signal.aborted) setProgress(0, text, "error");
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (controller.signal.aborted) return;
        buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, end).trim();
          buffer = buffer.slice(end + 1);
          if (line && handle(query, line)) return;
        }
        if (done) break;
      }
      if (buffer.trim() && handle(query, buffer.trim())) return;
      if (!state.finished) setProgress(0, "The computation stopped before it finished.", "error");
    } catch (e) {
      if (!controller.signal.aborted) setProgress(0, "The connection was lost.", "error");
    }
  }

  /* Compute `query` (the canonical network link), abandoning any computation still
   * streaming. The same query while it streams is left alone. */
  function run(query) {
    const none = window.dash_clientside ? window.dash_clientside.no_update : null;
    if (query === state.query && state.controller && !state.finished) return none;
    if (state.controller) state.controller.abort();
    state.query = query || null;
    state.controller = null;
    state.finished = false;
    if (!query) return none;
    const controller = new AbortController();
    state.controller = controller;
    state.controllers.push(controller);  // read by the tests: were the earlier ones aborted?
    setProgress(0, "Starting…", "running");
    stream(query, controller);
    return none;
  }

  /* ------------------------------------------------------------ fitting the drawn figures
   * After Plotly draws a network figure (`plotly_afterplot`), what it drew is measured and
   * the layout moved so that nothing overlaps: the legend gets the top margin it needs; under
   * the plot come the x-axis title, then (on a narrow screen) the colour bar laid flat, then
   * the plane's Play/Pause buttons with the step slider to their right (under them on a
   * phone). On a screen ≤ NARROW px the margins shrink, the axes take the room their labels
   * need and the plane is as tall as its equal-scale data range needs. Each pass only relayouts what is off by more than SLACK px, so it settles. */
  const NARROW = 600;
  const SLACK = 3;
  const MAX_PASSES = 20;
  const passes = new WeakMap();  // graph → { count, since }: the fits of the last moments

  function box(el) { return el ? el.getBoundingClientRect() : null; }

  function lowestBelow(gd, selector) {
    let bottom = -Infinity;
    gd.querySelectorAll(selector).forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.height > 0) bottom = Math.max(bottom, r.bottom);
    });
    return bottom;
  }

  function off(a, b) { return typeof a !== "number" || Math.abs(a - b) > SLACK; }

  function fit(gd) {
    const L = gd._fullLayout;
    const outer = gd.closest(".network-graph");
    if (!L || !L._size || !outer || !window.Plotly || !gd.layout) return;
    if (!outer.offsetParent) return;  // a hidden tab: fitted when shown
    const now = Date.now();  // at most MAX_PASSES fits in a row: whatever happens, it stops
    const seen = passes.get(gd) || { count: 0, since: now };
    if (now - seen.since > 2000) { seen.count = 0; seen.since = now; }
    seen.count += 1;
    passes.set(gd, seen);
    if (seen.count > MAX_PASSES) return;
    const name = outer.id.replace("network-graph-", "");
    const narrow = window.innerWidth <= NARROW;
    const sz = L._size;
    const top = box(gd).top;
    const left = box(gd).left;
    const paperBottom = top + sz.t + sz.h;
    const u = {};
    const style = {};

    // the legend above the plot, in a margin of its own height
    const legend = gd.querySelector(".legend");
    if (legend && L.showlegend !== false) {
      const need = Math.ceil(box(legend).height + 0.01 * sz.h + 6);
      if (off(L.margin.t, need)) u["margin.t"] = need;
    }
    if (narrow) {
      if (off(L.margin.r, 8)) u["margin.r"] = 8;
      if (name !== "surface3d" && off(L.margin.l, 6)) {
        u["margin.l"] = 6;
        Object.keys(L).filter((k) => /^yaxis\d*$/.test(k)).forEach((k) => { u[k + ".automargin"] = true; });
      }
    }
    // under the plot, from the x-axis title down
    let below = Math.max(0, lowestBelow(gd, ".g-xtitle, [class^='g-x'][class$='title'], .xtick") - paperBottom);
    below = Math.ceil(below) + (name === "surface3d" ? 2 : 10);
    // Plotly can leave the upright bar's group behind when it is laid flat: the last one counts
    const bars = [...gd.querySelectorAll(".colorbar")];
    const colorbar = bars[bars.length - 1];
    const flat = narrow && colorbar && name === "plane";
    if (flat && bars.length > 1) bars.slice(0, -1).forEach((el) => el.remove());
    if (flat && (gd._fullData.find((t) => t.colorbar && t.showscale !== false) || {}).colorbar.orientation === "h") {
      // and the upright bar's ticks and title (its y axis) inside the flat one's group
      colorbar.querySelectorAll("[class*='ycb']").forEach((el) => el.remove());
    }
    if (flat) {  // in the figure's own coordinates (paper ones would move with the margins)
      const y = 0;  // the paper's bottom, then `below` px further down (its pad)
      const bar = { orientation: "h", x: 0.5, xanchor: "center", yanchor: "top",
                    len: 1, thickness: 10, ypad: below, "title.side": "top" };
      const current = name === "panels" ? L.coloraxis.colorbar
        : (gd._fullData.find((t) => t.colorbar && t.showscale !== false) || {}).colorbar;
      if (current && (current.orientation !== "h" || off(current.ypad, below))) {
        if (name === "panels") {
          Object.keys(bar).forEach((k) => { u["coloraxis.colorbar." + k] = bar[k]; });
          u["coloraxis.colorbar.y"] = y;
          u["coloraxis.colorbar.ypad"] = below;
        } else {
          const index = gd.data.findIndex((t) => t.colorbar && t.showscale !== false);
          const restyle = { "colorbar.y": y };
          Object.keys(bar).forEach((k) => { restyle["colorbar." + k] = bar[k]; });
          window.Plotly.restyle(gd, restyle, [index]);
          return;  // the next pass goes on from what this one drew
        }
      }
      let drawn = -Infinity;  // its bar, tick labels and title (its group holds more)
      colorbar.querySelectorAll(".cbfill, .cbaxis text, .cbtitle text").forEach((el) => {
        const r = el.getBoundingClientRect();
        if (r.height > 0) drawn = Math.max(drawn, r.bottom);
      });
      below = current && current.orientation === "h" && drawn > paperBottom
        ? Math.ceil(drawn - paperBottom) + 10 : below + 70;
    }
    if (name === "surface3d" && L.annotations && L.annotations[0]) {
      const y = -below / sz.h;
      if (off(L.annotations[0].y * sz.h, y * sz.h)) u["annotations[0].y"] = y;
      below += Math.ceil(box(gd.querySelector(".annotation")).height) + 6;
    }
    if (name === "plane" && L.updatemenus && L.updatemenus[0] && L.sliders && L.sliders[0]) {
      const buttons = box(gd.querySelector(".updatemenu-container"));
      const slider = box(gd.querySelector(".slider-container"));
      if (buttons && slider) {
        const menu = L.updatemenus[0], bar = L.sliders[0];
        if (off(menu.pad.t, below)) u["updatemenus[0].pad.t"] = below;
        let x, len, padT;
        if (narrow) {
          x = 0; len = 1; padT = below + Math.ceil(buttons.height) + 8;
          below = padT + Math.ceil(slider.height);
        } else {
          x = Math.min(0.6, (buttons.right - left - sz.l + 18) / sz.w); len = 1 - x; padT = below;
          below += Math.ceil(Math.max(buttons.height, slider.height));
        }
        if (off(bar.pad.t, padT)) u["sliders[0].pad.t"] = padT;
        if (off(1000 * bar.x, 1000 * x)) { u["sliders[0].x"] = x; u["sliders[0].len"] = len; }
      }
    }
    const b = below + 8;
    if (name !== "loss" && name !== "accuracy" && name !== "distance" && off(L.margin.b, b)) u["margin.b"] = b;
    if (narrow && name === "plane") {
      const xr = L.xaxis.range, yr = L.yaxis.range;
      const data = sz.w * Math.abs((yr[1] - yr[0]) / (xr[1] - xr[0]));
      style.height = L.margin.t + Math.min(data, 0.7 * window.innerHeight) + (u["margin.b"] || L.margin.b);
    }
    if (style.height) {  // the container and the figure together (the graph is responsive)
      const height = Math.round(style.height);
      if (off(outer.getBoundingClientRect().height, height)) {
        outer.style.setProperty("height", height + "px", "important");  // the graph follows it
      }
    }
    if (Object.keys(u).length) window.Plotly.relayout(gd, u);
  }

  function watch(gd) {
    if (gd.__networkFit || !gd.on) return;
    gd.__networkFit = true;
    gd.on("plotly_afterplot", () => window.requestAnimationFrame(() => fit(gd)));
    fit(gd);
  }

  function watchAll() {
    document.querySelectorAll(".network-graph .js-plotly-plot").forEach(watch);
  }

  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(() => { queued = false; watchAll(); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  // a tab shown: its figure is fitted now that it has a size
  document.addEventListener("click", (event) => {
    if (!event.target.closest || !event.target.closest("#network-tabs [role=tab]")) return;
    window.setTimeout(() => document.querySelectorAll(".network-graph .js-plotly-plot").forEach((gd) => {
      passes.delete(gd); fit(gd);
    }), 50);
  });
  window.addEventListener("resize", () => document.querySelectorAll(".network-graph .js-plotly-plot")
    .forEach((gd) => passes.delete(gd)));

  /* The tab shown, kept in the address bar as `view=NAME` (the plane: no key), in place:
   * nothing is recomputed, and "Copy link" copies the tab too. */
  function showTab(tab) {
    const noUpdate = window.dash_clientside.no_update;
    const parts = window.location.search.replace(/^\?/, "").split("&").filter(Boolean);
    if (!parts.includes("surface=network")) return noUpdate;
    const kept = parts.filter((p) => !p.startsWith("view="));
    if (tab && tab !== "plane") kept.push("view=" + encodeURIComponent(tab));
    const search = "?" + kept.join("&");
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, "", window.location.pathname + search);
    }
    return noUpdate;
  }

  window.optiscapeNetwork = { run, state, fit, showTab };
})();
