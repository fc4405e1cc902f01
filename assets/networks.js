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

  window.optiscapeNetwork = { run, state };
})();
