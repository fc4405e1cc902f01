"""The one reader of page states: a raw `Draft` (from a link or from the controls) becomes a
valid `AppState` plus a `Notice` for every value it had to replace.

A link's text is split into a draft by `urlstate.codec`; the controls fill a draft with the
values as typed (components/). Both are read here, by `engine.validate` and the registries'
`Param.check`: on a `ConfigError` the field its path names is repaired, from the `fallback`
state (for a link: the preset or default page; for the controls: the state shown before
the edit, so an invalid edit keeps the previous valid value) or from the registry default,
and the draft is validated again.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from engine import FULL_BATCH, ConfigError, Noise, Run, Simulation, validate
from engine.config import Path, formula_text, path_text, surface_record
from landscapes import SURFACES
from landscapes.user import DOMAIN_PARAMS, FORMULA
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param
from urlstate.maps import check_maps, read_maps
from urlstate.model import HIDEABLE, SPEEDS, VIEWS, AppState, Playback, default_state

TOLERANCE = Param("tol", 1e-6, 1e-15, 1e3, "tolerance for “steps to reach”", log=True)
_TRUE, _FALSE = ("true", "1"), ("false", "0")

# How a form names the settings of a run card that are not registry parameters.
RUN_OPTION_LABELS = {
    "optimizer": "optimizer",
    "schedule": "learning-rate schedule",
    "warmup": "warmup steps",
    "clip_norm": "clip ‖g‖ at",
    "clip_value": "clip |gᵢ| at",
    "batch_size": "batch size",
    "color": "colour",
}
PAGE_LABELS = {
    ("surface",): "Loss surface",
    ("f",): "Your own f(x, y)",
    ("start", "x"): "start x",
    ("start", "y"): "start y",
    ("start",): "start",
    ("steps",): "steps",
    ("runs",): "Optimizers",
    ("noise", "batch_size"): "batch size B",
    ("noise", "sigma"): "noise σ",
    ("noise", "seed"): "seed",
    ("tol",): "tolerance",
    ("view",): "view",
    ("classroom",): "classroom",
    ("preset",): "preset",
    ("grid",): "map grid",
    ("seeds",): "seeds",
    ("hx",): "map x axis",
    ("hy",): "map y axis",
}


@dataclass(frozen=True)
class Notice:
    """Something that was ignored or replaced, where (`path`), and why."""

    path: Path
    message: str
    label: str = ""  # the path in the words of the page's controls ("Run 1 · learning rate η")

    @property
    def field(self) -> str:
        """The path as a link names it (`runs[0].lr`)."""
        return path_text(self.path)

    def __str__(self) -> str:
        return f"{self.label or self.field}: {self.message}"


Report = Callable[[Path, str, str], None]  # (path, problem, what was done instead)


def collect(notices: list[Notice]) -> Report:
    """A `Report` that appends notices."""

    def report(path: Path, problem: str, action: str) -> None:
        path = (path,) if isinstance(path, str) else tuple(path)
        notices.append(Notice(path, f"{problem} — {action}"))

    return report


def labelled(notices: Sequence[Notice], draft: Draft) -> tuple[Notice, ...]:
    """`notices` with their paths in the words of the controls, as `draft` ended up."""
    return tuple(replace(n, label=describe(n.path, draft)) for n in notices)


def raise_first(path: Path, problem: str, action: str) -> None:
    """A `Report` that raises on the first problem (for the JSON API)."""
    raise ConfigError(path, problem)


def _param_label(schema: tuple[Param, ...], name: object) -> str:
    for p in schema:
        if p.name == name:
            return p.label or p.name
    return str(name)


def describe(path: Path, draft: Draft) -> str:
    """`path` in the words of the controls: "Run 1 · learning rate η", "Surface · κ".

    A run's index in a path is the position it had where it came from (`Draft.origin`).
    """
    if len(path) >= 2 and path[0] == "runs" and isinstance(path[1], int):
        where = f"Run {path[1] + 1}"
        if len(path) < 3:
            return where
        key = path[2]
        if key in RUN_OPTION_LABELS:
            return f"{where} · {RUN_OPTION_LABELS[key]}"
        kept = [run for run, origin in zip(draft.runs, draft.origin) if origin == path[1]]
        spec = OPTIMIZERS.get(kept[0].optimizer) if kept else None
        schedule = SCHEDULES.get(kept[0].schedule) if kept else None
        schema = (*(spec.hyper if spec else ()), *(schedule.params if schedule else ()))
        return f"{where} · {_param_label(schema, key)}"
    if len(path) == 2 and path[0] == "surface_params":
        return f"Surface · {_param_label(_surface_params(draft.surface), path[1])}"
    return PAGE_LABELS.get(tuple(path), path_text(path))


def format_number(value: float | bool) -> str:
    """The shortest text that reads back as exactly `value` (1, 0.001, 1e-6, -0, true)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value == 0.0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    mantissa, _, exponent = repr(value).partition("e")
    return mantissa if not exponent else f"{mantissa}e{int(exponent)}"


def boolean(value: object) -> bool | object:
    """true/false/1/0 (text or bool) as a bool; anything else unchanged (checks reject it)."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else value


@dataclass
class Draft:
    """A page state under repair: raw values, as typed or as they came in a link.

    `origin[i]` is the position run i had where it came from (a dropped run shifts the
    rest); `presentation` holds raw `tol`, `view`, `classroom`, `hide`, `step`, `play`,
    `speed` and the maps' `grid`, `seeds`, `hx`, `hy` where given (the base's apply otherwise).
    """

    base: AppState
    surface: object
    surface_params: dict
    start: tuple | None
    steps: object
    runs: list[Run]
    colors: list[str]
    origin: list[int]
    noise: dict = field(default_factory=dict)
    presentation: dict = field(default_factory=dict)
    preset: str | None = None
    formula: object = None  # the text of a formula surface (`f`)

    @classmethod
    def over(cls, base: AppState, preset: str | None = None) -> Draft:
        """A draft that changes nothing of `base` yet."""
        sim = base.simulation
        return cls(
            base=base,
            surface=sim.surface,
            surface_params=dict(sim.surface_params),
            start=sim.start,
            steps=sim.steps,
            runs=list(sim.runs),
            colors=list(base.colors),
            origin=list(range(len(sim.runs))),
            noise={
                "batch_size": sim.noise.batch_size,
                "sigma": sim.noise.sigma,
                "seed": sim.noise.seed,
            },
            preset=preset,
            formula=formula_text(sim),
        )

    def simulation(self) -> Simulation:
        return Simulation(
            surface=self.surface,
            runs=tuple(self.runs),
            start=self.start,
            steps=self.steps,
            surface_params=self.surface_params,
            noise=Noise(**self.noise),
            formula=self.formula if self.surface == FORMULA else None,
        )


# --- repairs ---------------------------------------------------------------------------------


def _surface_params(name: object) -> tuple[Param, ...]:
    """The parameters of the surface `name` (a formula's: its domain); () if unknown."""
    if name == FORMULA:
        return DOMAIN_PARAMS
    surface = SURFACES.get(name) if isinstance(name, str) else None
    return surface.params if surface else ()


def _pair_text(point: tuple[float, float]) -> str:
    return f"({format_number(float(point[0]))}, {format_number(float(point[1]))})"


def _default_action(schema: tuple[Param, ...], key: str) -> str:
    for p in schema:
        if p.name == key:
            return f"used the default {format_number(p.check(p.default))}"
    return "ignored"


def _restore(
    values: Mapping, shown: Mapping, key: str, schema: tuple[Param, ...]
) -> tuple[dict, str]:
    """`values` with `key` back at the value shown before the edit (kept) or, without one,
    left to its registry default (dropped), and what was done."""
    restored = {k: v for k, v in values.items() if k != key}
    if key in shown:
        restored[key] = shown[key]
        return restored, f"kept {format_number(shown[key])}"
    return restored, _default_action(schema, key)


def _previous_run(draft: Draft, fallback: AppState | None, index: int) -> Run | None:
    """The fallback's run at the position run `index` came from, if it has the same rule."""
    if fallback is None:
        return None
    runs = fallback.simulation.runs
    origin = draft.origin[index]
    run = draft.runs[index]
    if origin < len(runs) and runs[origin].optimizer == run.optimizer:
        return runs[origin]
    return None


def _repair(
    draft: Draft, fallback: AppState | None, error: ConfigError, report: Report
) -> None:
    """Replace the field `error` names by its fallback value (the value shown before an
    edit: "kept"), or else the base's or the registry's default ("used"), with a notice."""
    path, problem = error.path, error.message
    base = draft.base.simulation
    previous = (fallback or draft.base).simulation
    verb = "kept" if fallback is not None else "used"
    head = path[0] if path else ""
    if head == "f":  # an edit keeps the surface shown (its formula); a link gets the base's
        if fallback is not None:
            draft.surface, draft.formula = previous.surface, formula_text(previous)
            draft.surface_params = dict(previous.surface_params)
            report(path, problem, f"kept {draft.formula or previous.surface}")
        else:
            draft.surface, draft.surface_params = base.surface, dict(base.surface_params)
            draft.formula = formula_text(base)
            report(path, problem, f"used {base.surface}")
    elif head == "surface":
        ignored = ", ".join(draft.surface_params)
        draft.surface, draft.surface_params = base.surface, dict(base.surface_params)
        draft.formula = formula_text(base)
        report(path, problem, f"used {base.surface}" + (f" (ignored {ignored})" if ignored else ""))
    elif head == "surface_params" and len(path) == 2:
        same = fallback is not None and previous.surface == draft.surface
        shown = previous.surface_params if same else {}
        draft.surface_params, action = _restore(
            draft.surface_params, shown, path[1], _surface_params(draft.surface)
        )
        report(path, problem, action)
    elif head == "start":
        if fallback is not None and previous.surface == draft.surface and previous.start:
            draft.start = previous.start
            report(path, problem, f"kept the start {_pair_text(previous.start)}")
        else:
            draft.start = None
            surface = surface_record(draft.surface, draft.surface_params, draft.formula)
            start = _pair_text(surface.default_start)
            report(path, problem, f"used the surface's default start {start}")
    elif head == "steps":
        draft.steps = previous.steps
        report(path, problem, f"{verb} {previous.steps}")
    elif head == "runs" and len(path) == 1:
        draft.runs, draft.colors = list(base.runs), list(draft.base.colors)
        draft.origin = list(range(len(base.runs)))
        report(path, problem, "used the default runs")
    elif head == "noise" and len(path) == 2:
        key = path[1]
        value = getattr(previous.noise, key)
        draft.noise[key] = value
        shown = "full batch (exact gradient)" if value is None else format_number(value)
        report(path, problem, f"{verb} {shown}")
    elif head == "runs" and len(path) == 3 and isinstance(path[1], int):
        _repair_run(draft, fallback, path[1], str(path[2]), problem, report)
    else:  # a field this reader does not know how to repair: start over from the base
        raise error


def _repair_run(
    draft: Draft, fallback: AppState | None, index: int, key: str, problem: str, report: Report
) -> None:
    run = draft.runs[index]
    path = ("runs", draft.origin[index], key)
    previous = _previous_run(draft, fallback, index)
    if key == "optimizer":
        report(path, problem, "run dropped")
        del draft.runs[index], draft.origin[index]
        if index < len(draft.colors):
            del draft.colors[index]
    elif key == "schedule":
        dropped = ", ".join(run.schedule_params)
        draft.runs[index] = replace(run, schedule="constant", schedule_params={})
        report(path, problem, "used constant" + (f" (ignored {dropped})" if dropped else ""))
    elif key in _OPTION_DEFAULTS:
        kept = getattr(previous, key) if previous is not None else _OPTION_DEFAULTS[key]
        draft.runs[index] = replace(run, **{key: kept})
        if kept is not None:
            verb = "kept" if previous is not None else "used"
            action = f"{verb} {format_number(kept) if not isinstance(kept, str) else kept}"
        else:
            action = "no clipping" if key.startswith("clip") else "used the page's batch size"
        report(path, problem, action)
    elif key in run.hyper or key in OPTIMIZERS[run.optimizer].defaults():
        shown = previous.hyper if previous is not None else {}
        hyper, action = _restore(run.hyper, shown, key, OPTIMIZERS[run.optimizer].hyper)
        draft.runs[index] = replace(run, hyper=hyper)
        report(path, problem, action)
    else:
        same = previous is not None and previous.schedule == run.schedule
        shown = previous.schedule_params if same else {}
        schema = SCHEDULES[run.schedule].params
        params, action = _restore(run.schedule_params, shown, key, schema)
        draft.runs[index] = replace(run, schedule_params=params)
        report(path, problem, action)


_OPTION_DEFAULTS = {"warmup": 0, "clip_norm": None, "clip_value": None, "batch_size": None}


def _validated(draft: Draft, fallback: AppState | None, report: Report) -> Simulation:
    """`validate` of the draft, repairing one named field per failure (bounded)."""
    budget = (
        8
        + len(draft.surface_params)
        + sum(6 + len(r.hyper) + len(r.schedule_params) for r in draft.runs)
    )
    for _ in range(budget):
        try:
            return validate(draft.simulation())
        except ConfigError as error:
            _repair(draft, fallback, error, report)
    raise ConfigError("query", "too many problems")


# --- presentation ------------------------------------------------------------------------------


def _whole(value: object, low: int, high: int) -> int:
    number = float(str(value).strip())
    if not (math.isfinite(number) and number == int(number) and low <= number <= high):
        raise ValueError
    return int(number)


def _playback(raw: dict, base: Playback, report: Report) -> Playback:
    step, play, speed = base.step, base.play, base.speed
    if "step" in raw:
        try:
            step = _whole(raw["step"], 0, 10**6)
        except (TypeError, ValueError):
            report(("step",), "must be a whole number ≥ 0", "opened on the last step")
    if "play" in raw:
        flag = boolean(raw["play"])
        if isinstance(flag, bool):
            play = flag
        else:
            report(("play",), "must be 1 or 0", "opened paused")
    if "speed" in raw:
        try:
            speed = _whole(raw["speed"], 1, max(SPEEDS))
            if speed not in SPEEDS:
                raise ValueError
        except (TypeError, ValueError):
            choices = ", ".join(map(str, SPEEDS))
            report(("speed",), f"must be one of {choices} steps/s", f"used {base.speed}")
    return Playback(step, play, speed)


def _hide(raw: object, report: Report) -> tuple[str, ...]:
    parts = [p.strip() for p in str(raw).split(",") if p.strip()] if raw else []
    unknown = [p for p in parts if p not in HIDEABLE]
    if unknown:
        report(("hide",), f"unknown part {unknown[0][:40]!r} (one of {', '.join(HIDEABLE)})", "ignored")
    return tuple(p for p in HIDEABLE if p in parts)


def _presentation(draft: Draft, report: Report) -> dict:
    """`tol`, `view`, `classroom`, `hide` and the playback over the base's."""
    base, raw = draft.base, draft.presentation
    result = {
        "tolerance": base.tolerance, "view": base.view, "classroom": base.classroom,
        "hide": base.hide,
    }
    if "tol" in raw:
        try:
            result["tolerance"] = float(TOLERANCE.check(raw["tol"]))
        except ValueError as error:
            problem = str(error).removeprefix("tol ")
            report(("tol",), problem, f"used {format_number(base.tolerance)}")
    if "view" in raw:
        if raw["view"] in VIEWS:
            result["view"] = raw["view"]
        else:
            shown = str(raw["view"])[:40]
            report(("view",), f"unknown view {shown!r} (one of {', '.join(VIEWS)})", f"used {base.view}")
    if "classroom" in raw:
        flag = boolean(raw["classroom"])
        if isinstance(flag, bool):
            result["classroom"] = flag
        else:
            report(("classroom",), "must be 1 or 0", "used " + ("1" if base.classroom else "0"))
    if "hide" in raw:
        result["hide"] = _hide(raw["hide"], report)
    result["playback"] = _playback(raw, base.playback, report)
    return result


def color(text: str) -> str:
    """`#RRGGBB` (upper case) from `RRGGBB` or `#rrggbb`, or ValueError."""
    digits = str(text).removeprefix("#")
    if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError("must be six hex digits RRGGBB")
    return "#" + digits.upper()


def trim_colors(colors: list[str]) -> tuple[str, ...]:
    """Colours without trailing empty entries (an empty entry means the palette's)."""
    colors = list(colors)
    while colors and not colors[-1]:
        colors.pop()
    return tuple(colors)


def read(draft: Draft, report: Report, fallback: AppState | None = None) -> AppState:
    """The valid state `draft` describes; every replaced value goes to `report`.

    `fallback` is the state shown before an edit: its values replace invalid ones (kept);
    without one (a link), a registry default or the base's value replaces them.
    """
    try:
        sim = _validated(draft, fallback, report)
    except ConfigError as error:  # a repair that cannot be made: the base state
        report(error.path, error.message, "used the default page")
        return draft.base
    colors = trim_colors(draft.colors[: len(sim.runs)])
    shown = _presentation(draft, report)
    maps = read_maps(draft.presentation, draft.base.maps, sim, shown["view"], report)
    return AppState(sim, colors, preset=draft.preset, maps=maps, **shown)


@functools.cache
def default_page() -> AppState:
    """The default page in normal form (read by every link and edit: normalized once)."""
    return normalize(default_state())


def base_state(
    name: str | None, presets: Mapping[str, AppState] | None, report: Report
) -> tuple[AppState, str | None]:
    """The state a draft applies to and its preset's name: the named preset, else the default."""
    if name is None:
        return default_page(), None
    if name not in (presets or {}):
        report(("preset",), f"unknown preset {str(name)[:40]!r}", "used the default page")
        return default_page(), None
    try:
        return replace(normalize(presets[name]), preset=name), name
    except ConfigError as error:
        report(("preset",), f"preset {name!r} is invalid ({error})", "used the default page")
        return default_page(), None


def normalize(state: AppState) -> AppState:
    """`state` complete and in normal form (what reading a link returns), or ConfigError."""
    sim = validate(state.simulation)
    colors = []
    for index, value in enumerate(state.colors[: len(sim.runs)]):
        try:
            colors.append(color(value) if value else "")
        except ValueError as error:
            raise ConfigError(("runs", index, "color"), str(error)) from None
    if state.view not in VIEWS:
        raise ConfigError("view", f"must be one of {', '.join(VIEWS)}")
    try:
        tolerance = float(TOLERANCE.check(state.tolerance))
    except ValueError as error:
        raise ConfigError("tol", str(error).removeprefix("tol ")) from None
    return replace(
        state, simulation=sim, colors=trim_colors(colors), classroom=bool(state.classroom),
        tolerance=tolerance, maps=check_maps(state.maps, sim, state.view),
    )


def batch_text(text: object) -> object:
    """A batch size as typed, with any spelling of `full` as `FULL_BATCH` (validate checks)."""
    return FULL_BATCH if str(text).strip().lower() == FULL_BATCH else text


__all__ = [
    "RUN_OPTION_LABELS",
    "TOLERANCE",
    "Draft",
    "Notice",
    "Report",
    "base_state",
    "batch_text",
    "boolean",
    "collect",
    "labelled",
    "color",
    "default_page",
    "describe",
    "format_number",
    "normalize",
    "raise_first",
    "read",
    "trim_colors",
]
