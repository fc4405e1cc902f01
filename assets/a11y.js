/* Optiscape for the keyboard and for screen readers (with assets/animation.js, which speaks
 * the frames):
 *   - the skip link focuses the figures;
 *   - Plotly's mode bar buttons (download, zoom in and out, reset) take the focus and answer
 *     Enter and space; the plots' SVG, described in words instead, is hidden from readers;
 *   - with the focus on a plot that shows the start point ([data-start-keys]), the arrow keys
 *     move the start by a fortieth of the domain (Shift: a tenth), through the start fields,
 *     so the page recomputes exactly as when the start is typed;
 *   - a run's log-scale slider says its value, not its position on the scale;
 *   - the preset's claim and its verdict are spoken whenever they change.
 * Nothing here talks to the server except through the start fields. */
(function () {
  "use strict";

  const STEPS = 40;  // arrow: a fortieth of the domain's side
  const BIG_STEPS = 10;  // shift + arrow: a tenth
  const COMMIT_EVERY = 200;  // ms between recomputations while an arrow key is held
  const START = {
    x: { type: "field", name: "start_x" },
    y: { type: "field", name: "start_y" },
  };
  const domId = (id) => JSON.stringify(id, Object.keys(id).sort());
  const optiscape = () => window.optiscape || {};
  const announce = (text) => optiscape().announce && optiscape().announce(text);

  /* ------------------------------------------------------------------ the skip link */

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".skip-link");
    if (!link) return;
    const target = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!target) return;
    event.preventDefault();  // the address bar stays the figure's link
    target.focus();
    target.scrollIntoView({ block: "start" });
  });

  /* ------------------------------------------------------------------ "Copy link" as a button */

  /* The whole "Copy link" label copies (the clipboard icon alone did), by click, Enter or space. */
  function copyLink(event) {
    const label = event.target.closest && event.target.closest(".copy-link");
    if (!label || event.target.closest("#copy-link")) return;
    if (event.type === "keydown") {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      event.stopPropagation();
    }
    const icon = document.getElementById("copy-link");
    if (icon) icon.click();
  }
  document.addEventListener("click", copyLink);
  document.addEventListener("keydown", copyLink, true);

  /* ------------------------------------------------------------------ the start, by keyboard */

  const start = { x: null, y: null, timer: 0, last: 0 };

  function fieldValue(axis) {
    const input = document.getElementById(domId(START[axis]));
    const v = input ? parseFloat(input.value) : NaN;
    if (isFinite(v)) return v;
    const data = optiscape().state && optiscape().state.data;
    return data && data.start ? data.start[axis === "x" ? 0 : 1] : NaN;
  }
  function decimals(step) { return Math.max(0, Math.ceil(-Math.log10(step)) + 1); }
  function commitStart() {
    start.timer = 0;
    start.last = performance.now();
    const set = window.dash_clientside && window.dash_clientside.set_props;
    if (!set || start.x === null) return;
    set(START.x, { value: String(start.x) });
    set(START.y, { value: String(start.y) });
  }
  function moveStart(dx, dy, big) {
    const data = optiscape().state && optiscape().state.data;
    if (!data || !data.domain) return false;
    const [[x0, x1], [y0, y1]] = data.domain;
    const n = big ? BIG_STEPS : STEPS;
    const sx = (x1 - x0) / n, sy = (y1 - y0) / n;
    const fromX = start.timer ? start.x : fieldValue("x");
    const fromY = start.timer ? start.y : fieldValue("y");
    if (!isFinite(fromX) || !isFinite(fromY)) return false;
    start.x = +Math.min(x1, Math.max(x0, fromX + dx * sx)).toFixed(decimals(sx));
    start.y = +Math.min(y1, Math.max(y0, fromY + dy * sy)).toFixed(decimals(sy));
    // the first press recomputes at once, a held key at most every COMMIT_EVERY ms
    const wait = Math.max(0, COMMIT_EVERY - (performance.now() - start.last));
    if (!start.timer) start.timer = window.setTimeout(commitStart, wait);
    const minus = (v) => String(v).replace("-", "−");
    announce("Start (" + minus(start.x) + ", " + minus(start.y) + ")");
    return true;
  }
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  document.addEventListener("keydown", (event) => {
    const move = ARROWS[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey) return;
    const t = event.target;
    if (!(t && t.matches && t.matches("[data-start-keys]"))) return;  // the plot itself, not its buttons
    if (moveStart(move[0], move[1], event.shiftKey)) event.preventDefault();
  }, true);

  /* ------------------------------------------------------------------ Plotly's mode bar */

  function modebar(root) {
    root.querySelectorAll(".modebar-btn:not([data-keys])").forEach((button) => {
      button.dataset.keys = "1";
      button.setAttribute("tabindex", "0");
      button.setAttribute("role", "button");
      const title = button.getAttribute("data-title");
      if (title) button.setAttribute("aria-label", title);
      button.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        event.stopPropagation();
        button.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
      });
    });
    root.querySelectorAll(".js-plotly-plot svg.main-svg:not([aria-hidden])").forEach((svg) => {
      svg.setAttribute("aria-hidden", "true");  // the figure's description says it in words
    });
  }

  /* ------------------------------------------------------------------ sliders say values */

  /* A slider's id names its scale: value = 10^s ("log") or 1 − 10^−s ("one_minus"). */
  function sliderText(thumb) {
    const root = thumb.closest("[id]");
    let scale = null;
    try { scale = JSON.parse(root.id).scale; } catch (e) { return; }
    const s = parseFloat(thumb.getAttribute("aria-valuenow"));
    if (!scale || !isFinite(s)) return;
    const v = scale === "log" ? Math.pow(10, s) : 1 - Math.pow(10, -s);
    const text = String(+v.toPrecision(3));
    if (thumb.getAttribute("aria-valuetext") !== text) thumb.setAttribute("aria-valuetext", text);
  }
  function sliders(root) {
    root.querySelectorAll(".run-slider [role=slider]").forEach(sliderText);
  }

  /* ------------------------------------------------------------------ the claim, spoken */

  const claim = { text: "", timer: 0 };
  function speakClaim() {
    claim.timer = 0;
    const el = document.querySelector("#preset-caption .claim");
    const text = el ? el.textContent.trim() : "";
    if (!text || text === claim.text) return;
    claim.text = text;
    announce(text);
  }

  /* ------------------------------------------------------------------ wiring */

  let queued = false;
  function scan() {
    queued = false;
    modebar(document);
    sliders(document);
  }
  new MutationObserver((records) => {
    let caption = false;
    records.forEach((r) => {
      if (r.type === "attributes" && r.attributeName === "aria-valuenow") sliderText(r.target);
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (node && node.closest && node.closest("#preset-caption")) caption = true;
    });
    if (!queued) { queued = true; window.requestAnimationFrame(scan); }
    if (caption) {
      window.clearTimeout(claim.timer);
      claim.timer = window.setTimeout(speakClaim, 800);  // once the computation has settled
    }
  }).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["aria-valuenow"],
  });

  window.optiscapeA11y = { moveStart };
})();
