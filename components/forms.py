"""Form values ⇄ page state, through the URL grammar (one validation path for both).

The controls hold raw text (what the user typed, kept even when invalid); a form is turned
into a query string and read back by `urlstate.parse_query`, which fills defaults and
names every field it had to ignore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from optimizers import OPTIMIZERS, SCHEDULES
from urlstate import PALETTE, AppState

_UNSAFE = re.compile(r"[,()=&\s]")
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


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _UNSAFE.sub("", str(value))[:MAX_TEXT]


def _call(name: str, values: dict[str, object]) -> str:
    inner = ",".join(f"{k}={_text(v)}" for k, v in values.items() if _text(v) != "")
    return f"{name}({inner})" if inner else name


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


def state_to_form(state: AppState) -> PageForm:
    """The form showing `state` (validated)."""
    sim = state.simulation
    batch = sim.noise.batch_size
    return PageForm(
        surface=sim.surface,
        surface_params=dict(sim.surface_params),
        values={
            "start_x": sim.start[0],
            "start_y": sim.start[1],
            "steps": sim.steps,
            "minibatch": batch is not None,
            "batch": batch if batch is not None else 16,
            "sigma": sim.noise.sigma,
            "seed": sim.noise.seed,
            "tol": state.tolerance,
            "view": state.view,
        },
        runs=[
            RunForm(run.optimizer, run.schedule, run_values(run, state.color(i)))
            for i, run in enumerate(sim.runs)
        ],
    )


def _run_query(index: int, run: RunForm) -> str:
    spec = OPTIMIZERS.get(run.optimizer)
    schedule = SCHEDULES.get(run.schedule)
    keep = {p.name for p in spec.hyper} if spec else set()
    keep |= {p.name for p in schedule.params} if schedule else set()
    keep |= set(RUN_OPTION_FIELDS)
    values = {k: v for k, v in run.values.items() if k in keep}
    if run.schedule != "constant":
        values = {"schedule": run.schedule, **values}
    color = str(run.values.get("color") or "").lstrip("#")
    if color and color.upper() != PALETTE[index % len(PALETTE)].lstrip("#").upper():
        values["color"] = color
    return _call(run.optimizer, values)


def form_to_query(form: PageForm) -> str:
    """The query string the form describes (not yet validated)."""
    v = form.values
    pairs = [
        ("v", "1"),
        ("surface", _call(form.surface, form.surface_params)),
        ("start", f"{_text(v.get('start_x', ''))},{_text(v.get('start_y', ''))}"),
        ("steps", _text(v.get("steps", ""))),
    ]
    pairs += [("run", _run_query(i, run)) for i, run in enumerate(form.runs)]
    if v.get("minibatch"):
        pairs.append(("batch", _text(v.get("batch", ""))))
    # σ and seed always: a run with its own batch size is noisy even on a full-batch page.
    pairs += [("sigma", _text(v.get("sigma", ""))), ("seed", _text(v.get("seed", "")))]
    pairs += [("tol", _text(v.get("tol", ""))), ("view", _text(v.get("view", "")))]
    if v.get("classroom"):
        pairs.append(("classroom", "1"))
    return urlencode([(k, val) for k, val in pairs if val != ""], safe="(),=")
