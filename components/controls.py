"""Layout builders for the control panel: surface, start, steps, noise, and run cards."""

from __future__ import annotations

import functools

import latex2mathml.converter

import dash_mantine_components as dmc
from dash import html

from components import ids
from components.forms import PageForm, RunForm
from landscapes import SURFACES
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param
from urlstate import PALETTE


@functools.lru_cache(maxsize=512)
def _mathml(latex: str) -> str:
    return latex2mathml.converter.convert(latex, display="block")


def math(latex: str, size: str = "sm") -> html.Div:
    """A formula as MathML, which browsers typeset natively (MathJax would add ~0.7 MB gzipped
    to the first load). assets/mathml.js puts the markup in place; only the registries' own
    LaTeX is ever converted, never user text."""
    return html.Div(
        className=f"formula formula-{size}", title=latex, **{"data-mathml": _mathml(latex)}
    )


def _text_input(
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
    return _text_input(id_, label, value, f"{param.low:g} … {param.high:g}")


def surface_params(surface_name: str, values: dict) -> list:
    """Inputs for the parameters of `surface_name`, and its formula."""
    surface = SURFACES[surface_name]
    inputs = [
        param_input(ids.surface_param(surface_name, p.name), p, values.get(p.name, p.default))
        for p in surface.params
    ]
    return [
        math(surface.latex),
        html.P(surface.description, className="hint"),
        dmc.SimpleGrid(inputs, cols=2, spacing="xs") if inputs else None,
    ]


def surface_section(form: PageForm) -> list:
    """Surface picker with its parameters, start point, steps."""
    v = form.values
    options = [{"value": s.name, "label": s.title} for s in SURFACES.values()]
    return [
        dmc.Select(
            id=ids.field("surface"), label="Loss surface", data=options, value=form.surface,
            allowDeselect=False, searchable=True, size="sm",
        ),
        html.Div(surface_params(form.surface, form.surface_params), id=ids.SURFACE_PARAMS),
        dmc.SimpleGrid(
            [
                _text_input(ids.field("start_x"), "start x", v["start_x"]),
                _text_input(ids.field("start_y"), "start y", v["start_y"]),
                _text_input(ids.field("steps"), "steps", v["steps"], "1 … 10,000"),
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
                _text_input(ids.field("batch"), "batch size B", v["batch"]),
                _text_input(ids.field("sigma"), "noise σ", v["sigma"]),
                _text_input(ids.field("seed"), "seed", v["seed"]),
            ],
            cols=3, spacing="xs",
        ),
        html.P(
            "Noise per step ~ N(0, σ²/B): smaller batches, noisier paths. A run's own batch "
            "size (under its card's settings) replaces B for that run; all runs share the draws.",
            className="hint",
        ),
        _text_input(ids.field("tol"), "tolerance for “steps to reach”", v["tol"]),
    ]


def _choice(run: int, name: str, label: str, options, value) -> dmc.Select:
    return dmc.Select(
        id=ids.run_choice(run, name), label=label, data=options, value=value,
        allowDeselect=False, size="xs",
    )


def _action(run: int, action: str, icon: str, tip: str, disabled: bool = False):
    return dmc.Tooltip(
        dmc.ActionIcon(
            icon, id=ids.run_action(run, action), variant="subtle", size="md",
            disabled=disabled, **{"aria-label": tip},
        ),
        label=tip, withinPortal=True,
    )


def run_card(index: int, count: int, run: RunForm) -> dmc.Paper:
    """One run: optimizer, its rule and hyperparameters, schedule, clipping, batch size, colour."""
    spec = OPTIMIZERS[run.optimizer]
    schedule = SCHEDULES[run.schedule]
    values = run.values
    field = lambda name: ids.run_field(index, run.optimizer, name)  # noqa: E731
    color = str(values.get("color") or PALETTE[index % len(PALETTE)])
    hyper = [param_input(field(p.name), p, values.get(p.name, p.default)) for p in spec.hyper]
    schedule_inputs = [
        param_input(field(p.name), p, values.get(p.name, p.default)) for p in schedule.params
    ]
    return dmc.Paper(
        [
            dmc.Group(
                [
                    html.Span(className="swatch", style={"background": color}),
                    html.Strong(f"Run {index + 1}", className="run-title"),
                    dmc.Group(
                        [
                            _action(index, "up", "↑", "Move up", disabled=index == 0),
                            _action(index, "down", "↓", "Move down", disabled=index == count - 1),
                            _action(index, "duplicate", "❐", "Duplicate"),
                            _action(index, "remove", "✕", "Remove", disabled=count == 1),
                        ],
                        gap=0,
                    ),
                ],
                justify="space-between",
            ),
            _choice(
                index, "optimizer", "Optimizer",
                [{"value": o.name, "label": o.title} for o in OPTIMIZERS.values()], run.optimizer,
            ),
            math(spec.latex),
            html.P(spec.summary, className="hint"),
            dmc.SimpleGrid(hyper, cols=2, spacing="xs"),
            dmc.Accordion(
                dmc.AccordionItem(
                    [
                        dmc.AccordionControl("Schedule, warmup, clipping, batch size, colour"),
                        dmc.AccordionPanel(
                            [
                                _choice(
                                    index, "schedule", "Learning-rate schedule",
                                    [{"value": s.name, "label": s.title} for s in SCHEDULES.values()],
                                    run.schedule,
                                ),
                                math(schedule.latex),
                                dmc.SimpleGrid(
                                    schedule_inputs
                                    + [
                                        _text_input(field("warmup"), "warmup steps", values.get("warmup", 0)),
                                        _text_input(field("clip_norm"), "clip ‖g‖ at", values.get("clip_norm", ""), "empty: off"),
                                        _text_input(field("clip_value"), "clip |gᵢ| at", values.get("clip_value", ""), "empty: off"),
                                        _text_input(
                                            field("batch"), "batch size", values.get("batch", ""),
                                            "empty: the page's; or full", mode="text",
                                        ),
                                        dmc.ColorInput(
                                            id=field("color"), label="colour", value=color, size="xs",
                                            swatches=list(PALETTE), format="hex", withPicker=False,
                                        ),
                                    ],
                                    cols=2, spacing="xs",
                                ),
                            ]
                        ),
                    ],
                    value="more",
                ),
                variant="contained", chevronPosition="left",
            ),
        ],
        className="run-card", withBorder=True, p="xs", radius="md",
        style={"borderLeft": f"5px solid {color}"},
    )


def run_cards(runs: list[RunForm]) -> list:
    """Every run card, in order."""
    return [run_card(i, len(runs), run) for i, run in enumerate(runs)]
