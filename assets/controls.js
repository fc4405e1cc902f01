/* Optiscape's slider ⇄ text-input link for run settings (components/run_card.py).
 *
 * A slider's id says how its position maps to the value: scale "log" (value = 10^s) or
 * "one_minus" (value = 1 − 10^−s, so momentum 0, 0.9, 0.99, 0.999 are equally spaced).
 * Dragging writes the value into the run's text input at most every THROTTLE ms (the last
 * position always arrives); the page's update callback reads the text input. Typing a value
 * moves the slider. Nothing here knows the page's layout beyond the ids' keys. */
(function () {
  "use strict";
  const THROTTLE = 120;  // ms between recomputations while dragging (the engine takes ~1 ms)
  const pending = {};

  const key = (id) => [id.run, id.optimizer, id.name].join("|");
  const toValue = (scale, s) => (scale === "log" ? Math.pow(10, s) : 1 - Math.pow(10, -s));
  const toPosition = (scale, v) => (scale === "log" ? Math.log10(v) : -Math.log10(1 - v));
  const text = (v) => String(+v.toPrecision(3));

  function sliderToText(positions, texts) {
    const cc = window.dash_clientside.callback_context;
    const noUpdate = window.dash_clientside.no_update;
    const fields = cc.outputs_list.map((o) => o.id);
    const out = fields.map(() => noUpdate);
    const trigger = cc.triggered_id || (cc.triggered[0] && JSON.parse(cc.triggered[0].prop_id.split(".")[0]));
    if (!trigger || trigger.type !== "run-slider") return out;
    const slot = cc.inputs_list[0].findIndex((i) => JSON.stringify(i.id) === JSON.stringify(trigger));
    if (slot < 0) return out;
    const value = text(toValue(trigger.scale, positions[slot]));
    const target = fields.findIndex((f) => key(f) === key(trigger));
    if (target < 0 || texts[target] === value) return out;
    const now = performance.now();
    const k = key(trigger);
    const last = pending[k] || { at: 0, timer: 0 };
    window.clearTimeout(last.timer);
    if (now - last.at >= THROTTLE) {
      pending[k] = { at: now, timer: 0 };
      out[target] = value;
      return out;
    }
    // Too soon: deliver this position when the interval is over (unless a newer one comes).
    const id = fields[target];
    pending[k] = {
      at: last.at,
      timer: window.setTimeout(() => {
        pending[k] = { at: performance.now(), timer: 0 };
        window.dash_clientside.set_props(id, { value: value });
      }, THROTTLE - (now - last.at)),
    };
    return out;
  }

  function textToSlider(texts, positions) {
    const cc = window.dash_clientside.callback_context;
    const noUpdate = window.dash_clientside.no_update;
    const sliders = cc.outputs_list.map((o) => o.id);
    const fields = cc.inputs_list[0].map((i) => i.id);
    return sliders.map((id, j) => {
      const f = fields.findIndex((field) => key(field) === key(id));
      const v = f < 0 ? NaN : parseFloat(texts[f]);
      if (!isFinite(v) || (id.scale === "log" ? v <= 0 : v >= 1)) return noUpdate;
      const s = toPosition(id.scale, v);
      // Within the slider's rounding of the value shown: leave it (breaks the loop).
      return Math.abs(s - positions[j]) < 0.01 ? noUpdate : s;
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    optiscape_controls: { sliderToText: sliderToText, textToSlider: textToSlider },
  });
})();
