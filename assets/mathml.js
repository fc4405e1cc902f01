/* Formulas: the server sends MathML (converted from the registries' LaTeX) in a
 * `data-mathml` attribute; this puts it in place, and again whenever Dash changes it. */
(function () {
  "use strict";
  function typeset(el) {
    if (el.dataset.mathmlShown === el.dataset.mathml) return;
    el.innerHTML = el.dataset.mathml;
    el.dataset.mathmlShown = el.dataset.mathml;
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
