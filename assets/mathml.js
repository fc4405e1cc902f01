/* Formulas: the server sends MathML (converted from the registries' LaTeX, one block per
 * line) in a `data-mathml` attribute; this puts it in place, again whenever Dash changes it,
 * and shrinks any line still wider than its card (a narrow phone) until it fits: a formula
 * is never clipped and never scrolls. */
(function () {
  "use strict";
  const MIN_SCALE = 0.6;

  /* Each line at its natural size, then scaled down (font size) if it overflows. */
  function fit(el) {
    const width = el.clientWidth;
    if (!width) return;
    el.querySelectorAll("math").forEach((m) => {
      m.style.fontSize = "";
      const natural = m.scrollWidth;
      if (natural > width + 1) {
        m.style.fontSize = Math.max(MIN_SCALE, width / natural).toFixed(3) + "em";
      }
    });
  }
  const resize = typeof ResizeObserver === "function"
    ? new ResizeObserver((entries) => entries.forEach((e) => fit(e.target)))
    : null;

  function typeset(el) {
    if (el.dataset.mathmlShown === el.dataset.mathml) return;
    el.innerHTML = el.dataset.mathml;
    el.dataset.mathmlShown = el.dataset.mathml;
    if (resize) resize.observe(el);
    window.requestAnimationFrame(() => fit(el));
  }
  function scan(root) {
    if (root.nodeType !== 1) return;
    if (root.dataset && root.dataset.mathml !== undefined) typeset(root);
    root.querySelectorAll("[data-mathml]").forEach(typeset);
  }
  new MutationObserver((records) => {
    records.forEach((r) => {
      if (r.type === "attributes") scan(r.target);
      r.addedNodes.forEach(scan);
    });
  }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["data-mathml"],
  });
})();
