"""The versioned query-string form of an `AppState` (the grammar: docs/url-grammar.md).

    ?v=1&surface=canyon(kappa=50)&start=-1.8,0.6&steps=500
        &run=sgd(lr=0.001,batch=1)&run=adam(lr=0.05,schedule=cosine,T_0=100,color=D55E00)
        &batch=16&sigma=1&seed=0&tol=1e-6&view=contour&classroom=1

`to_query` writes the canonical form: `v`, `surface` and every `run` always, anything else
only when it differs from the base state (`default_state()`), numbers in the shortest form
that reads back to the same float. `parse_query` never raises: whatever is invalid is
dropped or replaced by its default, with a `Notice` saying so. `parse_query_strict` raises
`ConfigError` on the first problem instead (for the JSON API).

The values are checked by `engine.validate` and the registries' `Param.check` only: the
parser builds a raw `Simulation` from the text, and on `ConfigError` repairs the field it
names and validates again. `name(key=value,...)` is split by hand: the grammar is tiny, no
library parses it, and a regular expression per piece keeps every error local to one key.
Nothing is evaluated; the caps below bound the work before any parsing starts.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from engine import FULL_BATCH, ConfigError, Noise, Run, Simulation, validate
from engine.config import MAX_RUNS
from landscapes import SURFACES
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param
from urlstate.model import VERSION, VIEWS, AppState, default_state

MAX_QUERY_LENGTH = 8_192  # characters of query string, else the whole query is ignored
MAX_VALUE_LENGTH = 512  # characters of one value, else that key is ignored
MAX_ITEMS = 32  # key=value pairs inside one name(...), else the rest are ignored

# Run options: every other key inside run=NAME(...) is a hyperparameter or schedule parameter.
RUN_OPTIONS = ("schedule", "warmup", "clip_norm", "clip_value", "batch", "color")
TOLERANCE = Param("tol", 1e-6, 1e-15, 1e3, "tolerance for “steps to reach”", log=True)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"(?s)([A-Za-z_][A-Za-z0-9_]*)(?:\((.*?)(\)?))?")
_HEX = re.compile(r"[0-9A-Fa-f]{6}")
_RUN_FIELD = re.compile(r"runs\[(\d+)\]\.(\w+)")
_TRUE, _FALSE = ("true", "1"), ("false", "0")
_SINGLE = (
    "v",
    "preset",
    "surface",
    "start",
    "steps",
    "batch",
    "sigma",
    "seed",
    "tol",
    "view",
    "classroom",
)


@dataclass(frozen=True)
class Notice:
    """Something in a query that was ignored or replaced, and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


Report = Callable[[str, str, str], None]  # (field, problem, what was done instead)


def _collect(notices: list[Notice]) -> Report:
    def report(name: str, problem: str, action: str) -> None:
        notices.append(Notice(name, f"{problem} — {action}"))

    return report


def _raise(name: str, problem: str, action: str) -> None:
    raise ConfigError(name, problem)


def _clip(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, shortened (it comes from a stranger)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- numbers and values ---------------------------------------------------------------


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


def _batch(text: str) -> str:
    """A batch size as typed, with any spelling of `full` as `FULL_BATCH` (validate checks)."""
    return FULL_BATCH if text.strip().lower() == FULL_BATCH else text


def _boolean(text: str) -> bool | str:
    """true/false/1/0 as a bool; anything else unchanged (the check will reject it)."""
    lowered = text.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else text


def _value(param: Param | None, text: str) -> float | bool | str:
    """Text typed for `param`: booleans read here, numbers left to `Param.check`/validate."""
    return _boolean(text) if param is not None and param.kind == "bool" else text


def _params_text(params: Mapping[str, float | bool], schema: tuple[Param, ...]) -> list[str]:
    """`key=value` for each parameter that differs from its default, in registry order."""
    return [
        f"{p.name}={format_number(params[p.name])}"
        for p in schema
        if p.name in params and params[p.name] != p.default
    ]


def _call(name: str, items: list[str]) -> str:
    return f"{name}({','.join(items)})" if items else name


# --- state normal form and writing -------------------------------------------------------


def _color(text: str) -> str:
    """`#RRGGBB` (upper case) from `RRGGBB` or `#rrggbb`, or ValueError."""
    digits = text.removeprefix("#")
    if not _HEX.fullmatch(digits):
        raise ValueError("must be six hex digits RRGGBB")
    return "#" + digits.upper()


def _colors(colors: list[str]) -> tuple[str, ...]:
    """Colours without trailing empty entries (an empty entry means the palette's)."""
    while colors and not colors[-1]:
        colors.pop()
    return tuple(colors)


def normalize(state: AppState) -> AppState:
    """`state` complete and in normal form (what `parse_query` returns), or ConfigError."""
    sim = validate(state.simulation)
    colors = []
    for index, color in enumerate(state.colors[: len(sim.runs)]):
        try:
            colors.append(_color(color) if color else "")
        except ValueError as error:
            raise ConfigError(f"runs[{index}].color", str(error)) from None
    if state.view not in VIEWS:
        raise ConfigError("view", f"must be one of {', '.join(VIEWS)}")
    try:
        tolerance = float(TOLERANCE.check(state.tolerance))
    except ValueError as error:
        raise ConfigError("tol", str(error).removeprefix("tol ")) from None
    return AppState(sim, _colors(colors), state.view, bool(state.classroom), tolerance)


def _base() -> AppState:
    return normalize(default_state())


def _run_text(run: Run, color: str) -> str:
    items = _params_text(run.hyper, OPTIMIZERS[run.optimizer].hyper)
    if run.schedule != "constant":
        items.append(f"schedule={run.schedule}")
        items += _params_text(run.schedule_params, SCHEDULES[run.schedule].params)
    if run.warmup:
        items.append(f"warmup={run.warmup}")
    for name in ("clip_norm", "clip_value"):
        if getattr(run, name) is not None:
            items.append(f"{name}={format_number(getattr(run, name))}")
    if run.batch_size is not None:
        items.append(f"batch={run.batch_size}")
    if color:
        items.append(f"color={color.removeprefix('#')}")
    return _call(run.optimizer, items)


def _pairs(state: AppState, base: AppState) -> Iterator[tuple[str, str]]:
    sim, default = state.simulation, base.simulation
    yield "v", str(VERSION)
    surface = SURFACES[sim.surface]
    yield "surface", _call(sim.surface, _params_text(sim.surface_params, surface.params))
    if sim.start != tuple(surface.default_start):
        yield "start", ",".join(format_number(v) for v in sim.start)
    if sim.steps != default.steps:
        yield "steps", str(sim.steps)
    for index, run in enumerate(sim.runs):
        yield "run", _run_text(run, state.colors[index] if index < len(state.colors) else "")
    noise, default_noise = sim.noise, default.noise
    if noise.batch_size != default_noise.batch_size:
        yield "batch", "full" if noise.batch_size is None else str(noise.batch_size)
    if noise.sigma != default_noise.sigma:
        yield "sigma", format_number(noise.sigma)
    if noise.seed != default_noise.seed:
        yield "seed", str(noise.seed)
    if state.tolerance != base.tolerance:
        yield "tol", format_number(state.tolerance)
    if state.view != base.view:
        yield "view", state.view
    if state.classroom != base.classroom:
        yield "classroom", "1" if state.classroom else "0"


def to_query(state: AppState) -> str:
    """The canonical query string of `state` (no leading "?"); ConfigError if it is invalid."""
    pairs = _pairs(normalize(state), _base())
    return "&".join(f"{key}={urllib.parse.quote(value, safe='(),=')}" for key, value in pairs)


# --- reading ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """A simulation under repair: raw values from the text, one entry per kept run."""

    base: AppState
    surface: str
    surface_params: dict
    start: tuple | None
    steps: object
    runs: list[Run]
    colors: list[str]
    origin: list[int]  # the index each run had in the query (for messages)
    noise: dict = field(default_factory=dict)

    def simulation(self) -> Simulation:
        return Simulation(
            surface=self.surface,
            runs=tuple(self.runs),
            start=self.start,
            steps=self.steps,
            surface_params=self.surface_params,
            noise=Noise(**self.noise),
        )


def _split_call(text: str, where: str, report: Report) -> tuple[str, dict[str, str]] | None:
    """`name` or `name(k=v,...)` as (name, {k: v}); None when there is no name."""
    match = _CALL.fullmatch(text.strip())
    if match is None or re.search(r"[()]", match.group(2) or ""):
        report(
            where, f"cannot read {_clip(text)} (expected name or name(key=value,...))", "ignored"
        )
        return None
    name, inner, closing = match.groups()
    if inner is not None and not closing:
        report(where, "missing ')'", "read up to the end")
    items: dict[str, str] = {}
    pieces = [p for p in (inner or "").split(",") if p.strip()]
    if len(pieces) > MAX_ITEMS:
        report(where, f"more than {MAX_ITEMS} settings", f"ignored {len(pieces) - MAX_ITEMS}")
    for piece in pieces[:MAX_ITEMS]:
        key, equals, value = (s.strip() for s in piece.partition("="))
        if not equals or not _NAME.fullmatch(key):
            report(where, f"cannot read {_clip(piece)} (expected key=value)", "ignored")
        elif key in items:
            report(f"{where}.{key}", "given twice", "used the last value")
            items[key] = value
        else:
            items[key] = value
    return name, items


def _read_run(index: int, text: str, report: Report) -> tuple[Run, str] | None:
    """One `run=` value as a raw Run (values unchecked) and its colour."""
    where = f"runs[{index}]"
    parsed = _split_call(text, where, report)
    if parsed is None:
        return None
    name, items = parsed
    if name not in OPTIMIZERS:
        report(f"{where}.optimizer", f"unknown optimizer {_clip(name)}", "run dropped")
        return None
    hyper_schema = {p.name: p for p in OPTIMIZERS[name].hyper}
    schedule = items.pop("schedule", "constant")
    schedule_schema = {p.name: p for p in getattr(SCHEDULES.get(schedule), "params", ())}
    color = ""
    if "color" in items:
        try:
            color = _color(items.pop("color"))
        except ValueError as error:
            report(f"{where}.color", str(error), "used the palette colour")
    options = {k: items.pop(k) for k in ("warmup", "clip_norm", "clip_value") if k in items}
    if "batch" in items:
        options["batch_size"] = _batch(items.pop("batch"))
    hyper, schedule_params = {}, {}
    for key, value in items.items():
        # Unknown keys go with the hyperparameters, where validate names the known ones;
        # with an unknown schedule, with its parameters (dropped together with it).
        known_schedule = schedule in SCHEDULES
        in_schedule = key in schedule_schema or (not known_schedule and key not in hyper_schema)
        target = schedule_params if in_schedule else hyper
        target[key] = _value(hyper_schema.get(key), value)
    run = Run(name, hyper, schedule, schedule_params, **options)
    return run, color


def _single(pairs: list[tuple[str, str]], report: Report) -> dict[str, str]:
    """The single-valued keys (the last of duplicates), with notices for the rest."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key == "run":
            continue
        if key not in _SINGLE:
            report(key[:40] or "(empty key)", "unknown key", "ignored")
            continue
        if key in values:
            report(key, "given more than once", "used the last value")
        values[key] = value
    return values


def _split(query: str, report: Report, reserved: frozenset[str]) -> list[tuple[str, str]]:
    """The query's (key, value) pairs in order, without over-long values or `reserved` keys."""
    # "+" is kept literally (exponents such as 1e+16); nothing in the grammar is a space.
    # Text that is not UTF-8 (a lone surrogate from a JSON "\ud800") becomes "?", so no
    # notice that quotes it can break the response's encoding.
    query = query.encode("utf-8", "replace").decode("utf-8")
    raw = urllib.parse.parse_qsl(
        query.removeprefix("?").replace("+", "%2B"), keep_blank_values=True, errors="replace"
    )
    pairs = []
    for key, value in raw:
        if key in reserved:
            continue
        if len(value) > MAX_VALUE_LENGTH:
            report(key[:40], f"value longer than {MAX_VALUE_LENGTH} characters", "ignored")
            continue
        pairs.append((key, value))
    return pairs


def _resolve_base(
    values: dict[str, str], presets: Mapping[str, AppState] | None, report: Report
) -> AppState:
    """The state the keys apply to: the named preset's, else the default."""
    if "preset" not in values:
        return _base()
    name = values["preset"]
    if name not in (presets or {}):
        report("preset", f"unknown preset {_clip(name)}", "used the default page")
        return _base()
    try:
        return normalize(presets[name])
    except ConfigError as error:
        report("preset", f"preset {name!r} is invalid ({error})", "used the default page")
        return _base()


def _draft(values: dict[str, str], runs: list[str], base: AppState, report: Report) -> _Draft:
    """The raw simulation the keys describe over `base` (values unchecked)."""
    sim = base.simulation
    draft = _Draft(
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
    )
    if "surface" in values:
        parsed = _split_call(values["surface"], "surface", report)
        if parsed is not None:
            name, items = parsed
            schema = {p.name: p for p in getattr(SURFACES.get(name), "params", ())}
            draft.surface = name
            draft.surface_params = {k: _value(schema.get(k), v) for k, v in items.items()}
            draft.start = None  # a new surface starts at its own default start
    if "start" in values:
        draft.start = tuple(values["start"].split(","))
    if "steps" in values:
        draft.steps = values["steps"]
    if runs:
        if len(runs) > MAX_RUNS:
            report(
                "runs",
                f"at most {MAX_RUNS} runs at once",
                f"ignored the last {len(runs) - MAX_RUNS}",
            )
        read = [(i, _read_run(i, text, report)) for i, text in enumerate(runs[:MAX_RUNS])]
        kept = [(i, r) for i, r in read if r is not None]
        draft.runs = [run for _, (run, _) in kept]
        draft.colors = [color for _, (_, color) in kept]
        draft.origin = [i for i, _ in kept]
    if "batch" in values:
        batch = _batch(values["batch"])
        draft.noise["batch_size"] = None if batch == FULL_BATCH else batch
    for key in ("sigma", "seed"):
        if key in values:
            draft.noise[key] = values[key]
    return draft


def _repair(draft: _Draft, error: ConfigError, report: Report) -> None:
    """Replace the field `error` names by its default (or drop it), with a notice."""
    name, problem = error.field, error.message
    base = draft.base.simulation
    match = _RUN_FIELD.fullmatch(name)
    if name == "surface":
        ignored = ", ".join(draft.surface_params)
        draft.surface, draft.surface_params = base.surface, dict(base.surface_params)
        report(name, problem, f"used {base.surface}" + (f" (ignored {ignored})" if ignored else ""))
    elif name.startswith("surface_params."):
        key = name.removeprefix("surface_params.")
        draft.surface_params.pop(key, None)
        report(name, problem, _default_action(SURFACES[draft.surface].params, key))
    elif name.startswith("start"):
        draft.start = None
        start = _pair_text(SURFACES[draft.surface].default_start)
        report(name, problem, f"used the surface's default start {start}")
    elif name == "steps":
        draft.steps = base.steps
        report(name, problem, f"used {base.steps}")
    elif name == "runs":
        draft.runs, draft.colors = list(base.runs), list(draft.base.colors)
        draft.origin = list(range(len(base.runs)))
        report(name, problem, "used the default runs")
    elif name.startswith("noise."):
        key = name.removeprefix("noise.")
        default = getattr(base.noise, key)
        draft.noise[key] = default
        shown = "full batch (exact gradient)" if default is None else format_number(default)
        report(name, problem, f"used {shown}")
    elif match:
        _repair_run(draft, int(match.group(1)), match.group(2), problem, report)
    else:  # a field this parser does not know how to repair: start over from the base
        raise error


def _pair_text(point: tuple[float, float]) -> str:
    """`(x, y)` with both numbers in their shortest exact form."""
    return f"({format_number(float(point[0]))}, {format_number(float(point[1]))})"


def _default_action(schema: tuple[Param, ...], key: str) -> str:
    for p in schema:
        if p.name == key:
            return f"used the default {format_number(p.check(p.default))}"
    return "ignored"


def _repair_run(draft: _Draft, index: int, key: str, problem: str, report: Report) -> None:
    run = draft.runs[index]
    where = f"runs[{draft.origin[index]}].{key}"
    if key == "optimizer":
        del draft.runs[index], draft.origin[index]
        if index < len(draft.colors):
            del draft.colors[index]
        report(where, problem, "run dropped")
    elif key == "schedule":
        dropped = ", ".join(run.schedule_params)
        draft.runs[index] = replace(run, schedule="constant", schedule_params={})
        report(where, problem, "used constant" + (f" (ignored {dropped})" if dropped else ""))
    elif key == "warmup":
        draft.runs[index] = replace(run, warmup=0)
        report(where, problem, "used 0")
    elif key in ("clip_norm", "clip_value"):
        draft.runs[index] = replace(run, **{key: None})
        report(where, problem, "no clipping")
    elif key == "batch_size":
        draft.runs[index] = replace(run, batch_size=None)
        report(where, problem, "used the page's batch size")
    elif key in run.hyper:
        draft.runs[index] = replace(run, hyper={k: v for k, v in run.hyper.items() if k != key})
        report(where, problem, _default_action(OPTIMIZERS[run.optimizer].hyper, key))
    else:
        params = {k: v for k, v in run.schedule_params.items() if k != key}
        draft.runs[index] = replace(run, schedule_params=params)
        report(where, problem, _default_action(SCHEDULES[run.schedule].params, key))


def _validated(draft: _Draft, report: Report) -> Simulation:
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
            _repair(draft, error, report)
    raise ConfigError("query", "too many problems")


def _presentation(values: dict[str, str], base: AppState, report: Report) -> dict:
    """`tol`, `view` and `classroom` over the base's."""
    result = {"tolerance": base.tolerance, "view": base.view, "classroom": base.classroom}
    if "tol" in values:
        try:
            result["tolerance"] = float(TOLERANCE.check(values["tol"]))
        except ValueError as error:
            problem = str(error).removeprefix("tol ")
            report("tol", problem, f"used {format_number(base.tolerance)}")
    if "view" in values:
        if values["view"] in VIEWS:
            result["view"] = values["view"]
        else:
            report(
                "view",
                f"unknown view {_clip(values['view'])} (one of {', '.join(VIEWS)})",
                f"used {base.view}",
            )
    if "classroom" in values:
        flag = _boolean(values["classroom"])
        if isinstance(flag, bool):
            result["classroom"] = flag
        else:
            report("classroom", "must be 1 or 0", "used " + ("1" if base.classroom else "0"))
    return result


def _version(values: dict[str, str], report: Report) -> None:
    if "v" not in values:
        report("v", "missing", f"read as version {VERSION}")
    elif values["v"].strip() != str(VERSION):
        report("v", f"unknown version {_clip(values['v'])}", f"read as version {VERSION}")


def _parse(
    query: str, presets: Mapping[str, AppState] | None, report: Report, reserved: frozenset[str]
) -> AppState:
    if not isinstance(query, str):
        report("query", "not text", "used the default page")
        return _base()
    if len(query) > MAX_QUERY_LENGTH:
        report("query", f"longer than {MAX_QUERY_LENGTH:,} characters", "used the default page")
        return _base()
    pairs = _split(query, report, reserved)
    if not pairs:
        return _base()
    values = _single(pairs, report)
    _version(values, report)
    base = _resolve_base(values, presets, report)
    draft = _draft(values, [value for key, value in pairs if key == "run"], base, report)
    try:
        sim = _validated(draft, report)
    except ConfigError as error:  # a repair that cannot be made: the base state
        report(error.field, error.message, "used the default page")
        return base
    colors = _colors(draft.colors[: len(sim.runs)])
    return AppState(sim, colors, **_presentation(values, base, report))


def parse_query(
    query: str,
    presets: Mapping[str, AppState] | None = None,
    *,
    reserved: frozenset[str] = frozenset(),
) -> tuple[AppState, tuple[Notice, ...]]:
    """The state a query string describes, and what in it was ignored; never raises.

    `presets` maps the names `preset=NAME` may use to their states; `reserved` keys belong
    to the caller (e.g. the API's `format`) and are skipped silently.
    """
    notices: list[Notice] = []
    try:
        state = _parse(query, presets, _collect(notices), reserved)
    except Exception as error:  # noqa: BLE001 - the page must open whatever the link says
        notices.append(
            Notice("query", f"could not be read ({type(error).__name__}) — used the default page")
        )
        state = _base()
    return state, tuple(notices)


def parse_query_strict(
    query: str,
    presets: Mapping[str, AppState] | None = None,
    *,
    reserved: frozenset[str] = frozenset(),
) -> AppState:
    """The state a query string describes; ConfigError(field, message) on the first problem."""
    return _parse(query, presets, _raise, reserved)


__all__ = [
    "MAX_ITEMS",
    "MAX_QUERY_LENGTH",
    "MAX_VALUE_LENGTH",
    "RUN_OPTIONS",
    "TOLERANCE",
    "Notice",
    "format_number",
    "normalize",
    "parse_query",
    "parse_query_strict",
    "to_query",
]
