"""A run card (Dash's All-in-One pattern): one optimizer run's controls, the ids they carry,
and the callbacks that edit the list of runs. Nothing here imports the app.

A card holds the rule's formula, its hyperparameters as text inputs (what the user typed is
kept, even when invalid), log-scale sliders for the learning rate and the rule's main
coefficient, and, folded, the schedule, warmup, clipping, batch size and colour. The
classroom strip (components/views.py) shows the same sliders for each run.
"""

from __future__ import annotations

import math as _math

import dash_mantine_components as dmc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html
from dash.exceptions import PreventUpdate

from components.controls import math, param_input, text_input
from components.forms import RUN_OPTION_FIELDS, RunForm
from engine.config import MAX_RUNS
from figures.theme import PALETTE
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param

# The rule's main coefficient, shown as a slider beside the learning rate.
MAIN_COEFFICIENT = {
    "momentum": "momentum", "nesterov": "momentum", "rmsprop": "alpha", "adam": "beta1",
    "adamw": "beta1", "amsgrad": "beta1", "nadam": "beta1", "adamax": "beta1",
    "adadelta": "rho", "lion": "beta1",
}


# --- ids (owned here; the page's update callback reads and marks them) -----------------------


def field(run: int, optimizer: str, name: str) -> dict:
    """A text input for one setting of run `run` (a hyperparameter, schedule parameter, …)."""
    return {"type": "run-field", "run": run, "optimizer": optimizer, "name": name}


def flag(run: int, optimizer: str, name: str) -> dict:
    """A switch for one boolean hyperparameter of run `run`."""
    return {"type": "run-field-flag", "run": run, "optimizer": optimizer, "name": name}


def choice(run: int, name: str) -> dict:
    """A select that changes which inputs a run card has (optimizer, schedule)."""
    return {"type": "run-choice", "run": run, "name": name}


def action(run: int, name: str) -> dict:
    """A button acting on run `run`: duplicate, remove, up, down."""
    return {"type": "run-action", "run": run, "action": name}


def slider(run: int, optimizer: str, name: str, place: str = "card", scale: str = "log") -> dict:
    """A slider for `name` of run `run`, on its card or on the classroom strip; `scale` says
    how its position maps to the value (see `slider_scale`)."""
    return {
        "type": "run-slider", "run": run, "optimizer": optimizer, "name": name, "place": place,
        "scale": scale,
    }


ALL_FIELDS = field(ALL, ALL, ALL)
ALL_FLAGS = flag(ALL, ALL, ALL)
ALL_CHOICES = choice(ALL, ALL)
ALL_ACTIONS = action(ALL, ALL)
ALL_SLIDERS = slider(ALL, ALL, ALL, ALL, ALL)


# --- sliders --------------------------------------------------------------------------------


def slider_scale(param: Param) -> tuple[str, float, float]:
    """How a slider maps to `param`: ("log", lo, hi) for value = 10^s, or ("one_minus", lo, hi)
    for value = 1 − 10^−s (momentum-like coefficients: 0, 0.9, 0.99, 0.999 equally spaced)."""
    if param.name == "lr" or param.log:
        return "log", _math.log10(max(param.low, 1e-6)), _math.log10(param.high)
    return "one_minus", 0.0, -_math.log10(max(1.0 - param.high, 1e-4))


def slider_position(param: Param, value: object) -> float | None:
    """Where `value` sits on `param`'s slider (None when it is not a usable number)."""
    kind, low, high = slider_scale(param)
    try:
        number = float(value)
        position = _math.log10(number) if kind == "log" else -_math.log10(1.0 - number)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return min(max(position, low), high) if _math.isfinite(position) else None


def slider_params(optimizer: str) -> list[Param]:
    """The parameters of `optimizer` shown as sliders: learning rate and main coefficient."""
    spec = OPTIMIZERS[optimizer]
    wanted = ("lr", MAIN_COEFFICIENT.get(optimizer))
    return [p for name in wanted for p in spec.hyper if p.name == name]


def run_slider(index: int, optimizer: str, param: Param, value: object, place: str, label: str):
    """A slider for one parameter; its marks read in the parameter's own units."""
    kind, low, high = slider_scale(param)
    if kind == "log":  # a mark every other decade, ending at the top
        top = int(_math.floor(high))
        marks = [{"value": v, "label": f"{10.0**v:g}"} for v in range(top, _math.ceil(low) - 1, -2)]
    else:
        marks = [{"value": v, "label": f"{1 - 10.0**-v:g}"} for v in range(0, int(high) + 1)]
    position = slider_position(param, value)
    # On a card the text input below names the value; the strip has no input: it shows the label.
    shown = [html.Label(label, className="slider-label")] if place == "strip" else []
    return html.Div(
        [
            *shown,
            dmc.Slider(
                id=slider(index, optimizer, param.name, place, kind),
                min=low, max=high, step=0.01, value=low if position is None else position,
                marks=marks, label=None, size="sm", updatemode="drag",
                thumbLabel=f"{label} (log scale)",  # the thumb is what takes the focus
                **{"aria-label": f"{label} (slider, log scale)"},
            ),
        ],
        className="run-slider",
    )


# --- layout ---------------------------------------------------------------------------------


def _choice(run: int, name: str, label: str, options, value) -> dmc.Select:
    return dmc.Select(
        id=choice(run, name), label=label, data=options, value=value,
        allowDeselect=False, size="xs",
    )


def _action(run: int, name: str, icon: str, tip: str, disabled: bool = False):
    return dmc.Tooltip(
        dmc.ActionIcon(
            icon, id=action(run, name), variant="subtle", size="md",
            disabled=disabled, **{"aria-label": tip},
        ),
        label=tip, withinPortal=True,
    )


def _input(index: int, optimizer: str, param: Param, value: object):
    return param_input(field(index, optimizer, param.name), param, value)


def run_card(index: int, count: int, run: RunForm) -> dmc.Paper:
    """One run: optimizer, its rule and hyperparameters, schedule, clipping, batch size, colour."""
    spec = OPTIMIZERS[run.optimizer]
    schedule = SCHEDULES[run.schedule]
    values = run.values
    own = lambda name: field(index, run.optimizer, name)  # noqa: E731
    color = str(values.get("color") or PALETTE[index % len(PALETTE)])
    hyper = [_input(index, run.optimizer, p, values.get(p.name, p.default)) for p in spec.hyper]
    sliders = [
        run_slider(index, run.optimizer, p, values.get(p.name, p.default), "card", p.label or p.name)
        for p in slider_params(run.optimizer)
    ]
    schedule_inputs = [
        _input(index, run.optimizer, p, values.get(p.name, p.default)) for p in schedule.params
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
            *sliders,
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
                                        text_input(own("warmup"), "warmup steps", values.get("warmup", 0)),
                                        text_input(own("clip_norm"), "clip ‖g‖ at", values.get("clip_norm", ""), "empty: off"),
                                        text_input(own("clip_value"), "clip |gᵢ| at", values.get("clip_value", ""), "empty: off"),
                                        text_input(
                                            own("batch"), "batch size", values.get("batch", ""),
                                            "empty: the page's; or full", mode="text",
                                        ),
                                        dmc.ColorInput(
                                            id=own("color"), label="colour", value=color, size="xs",
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


# --- editing the list of runs ----------------------------------------------------------------


def read_runs(values_by_id: dict, flags_by_id: dict, schedules: dict[int, str]) -> list[RunForm]:
    """Run cards' current raw values from pattern-matched (run, optimizer, name) ids."""
    runs: dict[int, RunForm] = {}
    for source in (values_by_id, flags_by_id):
        for (run, optimizer, name), value in source.items():
            schedule = schedules.get(run)
            schedule = schedule if isinstance(schedule, str) and schedule in SCHEDULES else "constant"
            runs.setdefault(run, RunForm(optimizer, schedule)).values[name] = value
    return [runs[i] for i in sorted(runs)]


def by_id(entries: list, keys: tuple[str, ...]) -> dict:
    """Pattern-matched values (`ctx.args_grouping` entries) by the id keys `keys`."""
    return {tuple(e["id"][k] for k in keys): e["value"] for e in entries}


def runs_from(values: list, flags: list, choices: list) -> list[RunForm]:
    """The run cards' raw values from the `args_grouping` entries of their fields, switches
    and selects."""
    selected = by_id(choices, ("run", "name"))
    schedules = {run: value for (run, name), value in selected.items() if name == "schedule"}
    keys = ("run", "optimizer", "name")
    return read_runs(by_id(values, keys), by_id(flags, keys), schedules)


def restructure(runs: list[RunForm], verb: str, index: int) -> list[RunForm]:
    """The run list after a duplicate, remove, up, down or add."""
    runs = list(runs)
    if verb != "add" and not (isinstance(index, int) and 0 <= index < len(runs)):
        return runs
    if verb == "add" and len(runs) < MAX_RUNS:
        runs.append(RunForm("adam", values={}))
    elif verb == "duplicate" and len(runs) < MAX_RUNS:
        copy = RunForm(runs[index].optimizer, runs[index].schedule, dict(runs[index].values))
        copy.values.pop("color", None)
        runs.insert(index + 1, copy)
    elif verb == "remove" and len(runs) > 1:
        runs.pop(index)
    elif verb == "up" and index > 0:
        runs[index - 1], runs[index] = runs[index], runs[index - 1]
    elif verb == "down" and index < len(runs) - 1:
        runs[index + 1], runs[index] = runs[index], runs[index + 1]
    return runs


def switch_choice(run: RunForm, name: str, value: str) -> RunForm:
    """A run with a new optimizer (its defaults) or schedule, keeping colour and the rest."""
    if not isinstance(value, str):
        return run
    if name == "optimizer" and value in OPTIMIZERS:
        shared = {*RUN_OPTION_FIELDS, "color"}
        shared |= {p.name for p in SCHEDULES[run.schedule].params}
        kept = {k: v for k, v in run.values.items() if k in shared}
        return RunForm(value, run.schedule, {**OPTIMIZERS[value].defaults(), **kept})
    if name == "schedule" and value in SCHEDULES:
        return RunForm(run.optimizer, value, {**SCHEDULES[value].defaults(), **run.values})
    return run


def recolor(runs: list[RunForm]) -> list[RunForm]:
    """Give a new run the first palette colour no other run uses."""
    used = {str(r.values.get("color", "")).upper() for r in runs}
    free = [c for c in PALETTE if c.upper() not in used]
    if free and not runs[-1].values.get("color"):
        runs[-1].values["color"] = free[0]
    return runs


RUNS = "runs"  # the container of the cards
ADD_RUN = "add-run"


@callback(
    Output(RUNS, "children", allow_duplicate=True),
    inputs=dict(
        add=Input(ADD_RUN, "n_clicks"),
        actions=Input(ALL_ACTIONS, "n_clicks"),
        choices=Input(ALL_CHOICES, "value"),
    ),
    state=dict(values=State(ALL_FIELDS, "value"), flags=State(ALL_FLAGS, "checked")),
    prevent_initial_call=True,
)
def edit_runs(add, actions, choices, values, flags):
    """Add, duplicate, remove, reorder runs, or switch a run's optimizer or schedule."""
    trigger = ctx.triggered_id
    if trigger is None:
        raise PreventUpdate
    grouped = ctx.args_grouping
    runs = runs_from(grouped["values"], grouped["flags"], grouped["choices"])
    if trigger == ADD_RUN:
        if not add:
            raise PreventUpdate
        return run_cards(recolor(restructure(runs, "add", len(runs))))
    if trigger.get("type") == "run-action":
        clicked = by_id(grouped["actions"], ("run", "action"))
        if not clicked.get((trigger["run"], trigger["action"])):
            raise PreventUpdate
        return run_cards(restructure(runs, trigger["action"], trigger["run"]))
    run, name = trigger["run"], trigger["name"]
    value = by_id(grouped["choices"], ("run", "name")).get((run, name))
    if not 0 <= run < len(runs) or (name == "optimizer" and value == runs[run].optimizer):
        raise PreventUpdate
    runs[run] = switch_choice(runs[run], name, value)
    return run_cards(runs)


# Slider ⇄ text input, in the browser (assets/controls.js): dragging a slider writes the
# value into the run's text input (throttled), which the page's update reads; typing a value
# moves the slider.
clientside_callback(
    ClientsideFunction("optiscape_controls", "sliderToText"),
    Output(ALL_FIELDS, "value", allow_duplicate=True),
    Input(ALL_SLIDERS, "value"),
    State(ALL_FIELDS, "value"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("optiscape_controls", "textToSlider"),
    Output(ALL_SLIDERS, "value", allow_duplicate=True),
    Input(ALL_FIELDS, "value"),
    State(ALL_SLIDERS, "value"),
    prevent_initial_call=True,
)
