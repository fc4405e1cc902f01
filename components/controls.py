"""Layout builders for the control panel: surface, start, steps and noise (run cards:
components/run_card.py), and the inputs they share."""

from __future__ import annotations

import functools

import latex2mathml.converter

import dash_mantine_components as dmc
from dash import html

from components import formula_card, ids
from components.forms import PageForm
from landscapes import SURFACES
from schema import Param


@functools.lru_cache(maxsize=512)
def _mathml(latex: str) -> str:
    return latex2mathml.converter.convert(latex, display="block")


def math(latex: str, size: str = "sm") -> html.Div:
    """A formula as MathML, which browsers typeset natively (MathJax would add ~0.7 MB gzipped
    to the first load), one block per line (the registries write one assignment per line,
    separated by `\\`), so that each line wraps alone on a narrow card. assets/mathml.js
    puts the markup in place; only the registries' own LaTeX is ever converted, never user
    text."""
    lines = [line.strip() for line in latex.split(r"\\") if line.strip()]
    return html.Div(
        [html.Div(className="formula-line", **{"data-mathml": _mathml(line)}) for line in lines],
        className=f"formula formula-{size}",
    )


def text_input(
    id_: dict, label: str, value: object, hint: str = "", mode: str = "decimal"
) -> dmc.TextInput:
    """A debounced text input; `mode` is the on-screen keyboard ("text" when words are valid)."""
    return dmc.TextInput(
        id=id_, label=label, value="" if value is None else str(value), size="xs",
        debounce=400, description=hint or None, className="number-input",
        inputProps={"inputMode": mode, "autoComplete": "off", "spellCheck": False},
    )


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "on")


def param_input(id_: dict, param: Param, value: object) -> dmc.Switch | dmc.TextInput:
    """The input for one `Param` (a switch for booleans, text that accepts 1e-3 otherwise)."""
    label = param.label or param.name
    if param.kind == "bool":
        flag = {**id_, "type": f"{id_['type']}-flag"}
        return dmc.Switch(id=flag, label=label, checked=_truthy(value), size="sm", className="switch")
    return text_input(id_, label, value, f"{param.low:g} … {param.high:g}")


def surface_params(surface_name: str, values: dict, formula: str = "") -> list:
    """Inputs for the parameters of `surface_name`, and its formula (a user's own formula:
    its field and domain, components/formula_card.py)."""
    if surface_name == formula_card.FORMULA:
        return formula_card.formula_params(formula, values)
    surface = SURFACES[surface_name]
    inputs = [
        param_input(ids.surface_param(surface_name, p.name), p, values.get(p.name, p.default))
        for p in surface.params
    ]
    return [
        math(surface.latex),
        html.P(surface.description, className="hint"),
        dmc.SimpleGrid(inputs, cols=2, spacing="xs") if inputs else None,
        formula_card.builtin_formula(surface_name),
    ]


def surface_section(form: PageForm) -> list:
    """Surface picker with its parameters, start point, steps."""
    v = form.values
    options = [{"value": s.name, "label": s.title} for s in SURFACES.values()]
    options.append(formula_card.OPTION)
    return [
        dmc.Select(
            id=ids.field("surface"), label="Loss surface", data=options, value=form.surface,
            allowDeselect=False, searchable=True, size="sm",
        ),
        html.Div(
            surface_params(form.surface, form.surface_params, form.values.get("f", "")),
            id=ids.SURFACE_PARAMS,
        ),
        dmc.SimpleGrid(
            [
                text_input(ids.field("start_x"), "start x", v["start_x"]),
                text_input(ids.field("start_y"), "start y", v["start_y"]),
                text_input(ids.field("steps"), "steps", v["steps"], "1 … 10,000"),
            ],
            cols=3, spacing="xs",
        ),
        html.P("Tip: click the contour plot to move the start.", className="hint"),
    ]


def noise_section(form: PageForm) -> list:
    """Mini-batch gradient noise and the tolerance used by the summary."""
    v = form.values
    return [
        dmc.Switch(
            id=ids.field_flag("minibatch"), label="Mini-batch gradient noise",
            checked=bool(v["minibatch"]), size="sm",
        ),
        dmc.SimpleGrid(
            [
                text_input(ids.field("batch"), "batch size B", v["batch"]),
                text_input(ids.field("sigma"), "noise σ", v["sigma"]),
                text_input(ids.field("seed"), "seed", v["seed"]),
            ],
            cols=3, spacing="xs",
        ),
        html.P(
            "Noise per step ~ N(0, σ²/B): smaller batches, noisier paths. A run's own batch "
            "size (under its card's settings) replaces B for that run; all runs share the draws.",
            className="hint",
        ),
        text_input(ids.field("tol"), "tolerance for “steps to reach”", v["tol"]),
    ]
