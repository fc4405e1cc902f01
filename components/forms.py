"""Form values ⇄ page state.

The controls hold raw values (what the user typed, kept even when invalid). `state_to_form`
gives the values that show a state; `form_to_draft` turns what the controls hold into a
`urlstate.reader.Draft`, which the one reader of page states validates and repairs, exactly
as it reads a link (no text round trip through the URL grammar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import Run
from figures.theme import PALETTE
from engine.config import formula_text
from landscapes import SURFACES
from landscapes.user import DOMAIN_PARAMS, FORMULA
from optimizers import OPTIMIZERS, SCHEDULES
from urlstate import AppState
from engine.maps import settings
from urlstate.maps import MAP_KEYS, axis_text, default_axes
from urlstate.reader import Draft, batch_text, boolean, color

MAX_TEXT = 64  # no meaningful value is longer; a longer one stays invalid, and named, when cut
# A run card's settings besides its hyperparameters, schedule and colour (form key = URL key;
# `batch`, empty for the page's, is the run's batch size).
RUN_OPTION_FIELDS = ("warmup", "clip_norm", "clip_value", "batch")


@dataclass
class RunForm:
    """The raw settings of one run card."""

    optimizer: str
    schedule: str = "constant"
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class PageForm:
    """The raw settings of the whole page."""

    surface: str
    surface_params: dict[str, object]
    values: dict[str, object]
    runs: list[RunForm]


def _raw(value: object) -> object:
    """A control's value as the reader takes it: numbers and booleans as they are, text cut
    to `MAX_TEXT` characters (a longer one stays invalid, and is named)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value).strip()[:MAX_TEXT]


def _optional(value: object) -> object:
    """An optional setting: empty means off (None)."""
    value = _raw(value)
    return None if value in ("", None) else value


def _schema_values(schema, values: dict) -> dict:
    """`values` of the parameters in `schema`, switches read as booleans."""
    kinds = {p.name: p.kind for p in schema}
    return {
        name: boolean(_raw(value)) if kinds[name] == "bool" else _raw(value)
        for name, value in values.items()
        if name in kinds
    }


def _run(run: RunForm) -> tuple[Run, str]:
    """A run card's values as a raw run (unchecked) and its colour."""
    spec, schedule = OPTIMIZERS.get(run.optimizer), SCHEDULES.get(run.schedule)
    v = run.values
    batch = _optional(v.get("batch"))
    raw = Run(
        run.optimizer,
        _schema_values(spec.hyper if spec else (), v),
        run.schedule,
        _schema_values(schedule.params if schedule else (), v),
        warmup=_optional(v.get("warmup")) or 0,
        clip_norm=_optional(v.get("clip_norm")),
        clip_value=_optional(v.get("clip_value")),
        batch_size=None if batch is None else batch_text(batch),
    )
    try:
        colour = color(v.get("color") or "")
    except ValueError:
        colour = ""
    return raw, colour


def form_to_draft(form: PageForm, base: AppState, preset: str | None = None) -> Draft:
    """What the controls hold, over `base` (the preset's state or the default page)."""
    v = form.values
    draft = Draft.over(base, preset)
    name = form.surface if isinstance(form.surface, str) else str(_raw(form.surface))
    surface = SURFACES.get(name)
    draft.surface = name
    schema = DOMAIN_PARAMS if name == FORMULA else surface.params if surface else ()
    draft.surface_params = _schema_values(schema, form.surface_params)
    if name == FORMULA and v.get("f") is not None:  # checked by the reader (length first)
        draft.formula = str(v["f"])
    draft.start = (_raw(v.get("start_x")), _raw(v.get("start_y")))
    draft.steps = _raw(v.get("steps"))
    runs = [_run(run) for run in form.runs]
    draft.runs = [run for run, _ in runs]
    # A run's own colour only where it differs from the palette's for its place.
    draft.colors = [c if c != PALETTE[i % len(PALETTE)] else "" for i, (_, c) in enumerate(runs)]
    draft.origin = list(range(len(runs)))
    draft.noise = {
        "batch_size": _raw(v.get("batch")) if boolean(v.get("minibatch")) is True else None,
        "sigma": _raw(v.get("sigma")),
        "seed": _raw(v.get("seed")),
    }
    draft.presentation = {
        key: _raw(v[key]) if key in MAP_KEYS else v[key]
        for key in ("tol", "view", "classroom", "hide", *MAP_KEYS)
        if v.get(key) is not None
    }
    return draft


def run_values(run, color: str) -> dict[str, object]:
    """A validated run's settings as form values."""
    values: dict[str, object] = dict(run.hyper)
    values.update(run.schedule_params)
    values["warmup"] = run.warmup
    values["clip_norm"] = "" if run.clip_norm is None else run.clip_norm
    values["clip_value"] = "" if run.clip_value is None else run.clip_value
    values["batch"] = "" if run.batch_size is None else run.batch_size
    values["color"] = color
    return values


def map_values(state: AppState) -> dict[str, object]:
    """The Maps section's values: grid, seeds, the axes as typed (empty: the defaults), the
    default axes and run 1's settings (for its hints)."""
    sim, maps = state.simulation, state.maps
    defaults = default_axes(sim)
    names = [n for n, (_, _, p) in settings(sim, 0).items() if p.kind == "float"]
    return {
        "grid": maps.grid,
        "seeds": maps.seeds,
        "hx": axis_text(maps.hx) if maps.hx else "",
        "hy": axis_text(maps.hy) if maps.hy else "",
        "hx_default": axis_text(defaults[0]),
        "hy_default": axis_text(defaults[1]),
        "map_settings": ", ".join(names),
    }


def state_to_form(state: AppState) -> PageForm:
    """The form showing `state` (validated)."""
    sim = state.simulation
    batch = sim.noise.batch_size
    return PageForm(
        surface=sim.surface,
        surface_params=dict(sim.surface_params),
        values={
            "f": formula_text(sim) or "",
            "start_x": sim.start[0],
            "start_y": sim.start[1],
            "steps": sim.steps,
            "minibatch": batch is not None,
            "batch": batch if batch is not None else 16,
            "sigma": sim.noise.sigma,
            "seed": sim.noise.seed,
            "tol": state.tolerance,
            "view": state.view,
            **map_values(state),
        },
        runs=[
            RunForm(run.optimizer, run.schedule, run_values(run, state.color(i)))
            for i, run in enumerate(sim.runs)
        ],
    )
