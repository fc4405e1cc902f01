"""The versioned query-string form of an `AppState` (the grammar: docs/url-grammar.md).

    ?v=1&surface=canyon(kappa=50)&start=-1.8,0.6&steps=500
        &run=sgd(lr=0.001,batch=1)&run=adam(lr=0.05,schedule=cosine,T_0=100,color=D55E00)
        &batch=16&sigma=1&seed=0&tol=1e-6&view=contour&classroom=1
    ?preset=ravine&run=sgd(lr=0.004)&run=momentum(lr=0.0035,momentum=0.83)&step=120

`to_query` writes the canonical form: `v`, then either `preset=NAME` and only what differs
from that preset, or `surface` and every `run` and what differs from the default page;
numbers in the shortest form that reads back to the same float. `parse_query` never raises:
the text is split into a `Draft` here and read by `urlstate.reader.read` (the reader the
controls use too), which replaces every invalid value with a `Notice`. `parse_query_strict`
raises `ConfigError` on the first problem instead (for the JSON API).

`name(key=value,...)` is split by hand: the grammar is tiny, no library parses it, and a
regular expression per piece keeps every error local to one key. Nothing is evaluated; the
caps below bound the work before any parsing starts.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import replace

from engine import FULL_BATCH, Run
from engine.config import MAX_RUNS, Path, formula_text, surface_of
from landscapes import SURFACES
from landscapes.user import DOMAIN_PARAMS, FORMULA
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param
from urlstate.maps import MAP_KEYS, axis_text
from urlstate.model import DEFAULT_SPEED, VERSION, AppState
from urlstate.reader import (
    TOLERANCE,
    Draft,
    Notice,
    Report,
    base_state,
    batch_text,
    boolean,
    collect,
    labelled,
    color,
    default_page,
    format_number,
    normalize,
    raise_first,
    read,
)

MAX_QUERY_LENGTH = 8_192  # characters of query string, else the whole query is ignored
MAX_VALUE_LENGTH = 512  # characters of one value, else that key is ignored
MAX_ITEMS = 32  # key=value pairs inside one name(...), else the rest are ignored

# Run options: every other key inside run=NAME(...) is a hyperparameter or schedule parameter.
RUN_OPTIONS = ("schedule", "warmup", "clip_norm", "clip_value", "batch", "color")
# Keys that shape the page, not the computation (read by the reader's presentation step).
PRESENTATION = ("tol", "view", "classroom", "hide", "step", "play", "speed", *MAP_KEYS)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"(?s)([A-Za-z_][A-Za-z0-9_]*)(?:\((.*?)(\)?))?")
_SINGLE = ("v", "preset", "surface", "f", "start", "steps", "batch", "sigma", "seed", *PRESENTATION)


def _clip(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, shortened (it comes from a stranger)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _value(param: Param | None, text: str) -> float | bool | str:
    """Text typed for `param`: booleans read here, numbers left to `Param.check`/validate."""
    return boolean(text) if param is not None and param.kind == "bool" else text


# --- writing ---------------------------------------------------------------------------------


def _params_text(params: Mapping[str, float | bool], schema: tuple[Param, ...]) -> list[str]:
    """`key=value` for each parameter that differs from its default, in registry order."""
    return [
        f"{p.name}={format_number(params[p.name])}"
        for p in schema
        if p.name in params and params[p.name] != p.default
    ]


def _call(name: str, items: list[str]) -> str:
    return f"{name}({','.join(items)})" if items else name


def run_text(run: Run, colour: str) -> str:
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
    if colour:
        items.append(f"color={colour.removeprefix('#')}")
    return _call(run.optimizer, items)


def _pairs(state: AppState, base: AppState) -> Iterator[tuple[str, str]]:
    """The keys of `state`: everything when `base` is the default page, else only what
    differs from the preset `base` (whose name `state.preset` is)."""
    sim, default = state.simulation, base.simulation
    relative = state.preset is not None
    yield "v", str(VERSION)
    if relative:
        yield "preset", state.preset
    surface = surface_of(sim)
    schema = DOMAIN_PARAMS if sim.surface == FORMULA else surface.params
    new_surface = (sim.surface, sim.surface_params, sim.formula) != (
        default.surface, default.surface_params, default.formula
    )
    if new_surface or not relative:
        yield "surface", _call(sim.surface, _params_text(sim.surface_params, schema))
        if sim.surface == FORMULA:
            yield "f", formula_link_text(sim)
    base_start = surface.default_start if new_surface or not relative else default.start
    if sim.start != tuple(base_start):
        yield "start", ",".join(format_number(v) for v in sim.start)
    if sim.steps != default.steps:
        yield "steps", str(sim.steps)
    if not relative or (sim.runs, state.colors) != (default.runs, base.colors):
        for index, run in enumerate(sim.runs):
            yield "run", run_text(run, state.colors[index] if index < len(state.colors) else "")
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
    maps, base_maps = state.maps, base.maps
    for key in ("grid", "seeds"):
        if getattr(maps, key) != getattr(base_maps, key):
            yield key, str(getattr(maps, key))
    for key in ("hx", "hy"):
        if getattr(maps, key) != getattr(base_maps, key):
            axis = getattr(maps, key)
            yield key, axis_text(axis) if axis else ""
    if state.classroom != base.classroom:
        yield "classroom", "1" if state.classroom else "0"
    if state.hide:
        yield "hide", ",".join(state.hide)
    playback = state.playback
    if playback.step is not None:
        yield "step", str(playback.step)
    if playback.play:
        yield "play", "1"
    if playback.speed != DEFAULT_SPEED:
        yield "speed", str(playback.speed)


def formula_link_text(sim) -> str:
    """A formula surface's text as a link writes it: canonical, without spaces."""
    return formula_text(sim).replace(" ", "")


def quoted(key: str, value: str) -> str:
    """`value` percent-encoded for `key` (a formula keeps its operators readable; a literal
    `+` reads as plus)."""
    return urllib.parse.quote(value, safe="(),=*/+" if key == "f" else "(),=")


def to_query(state: AppState, presets: Mapping[str, AppState] | None = None) -> str:
    """The canonical query string of `state` (no leading "?"); ConfigError if it is invalid.

    With `state.preset` named in `presets` (default: the lecture presets), the link is the
    preset plus what differs from it.
    """
    if presets is None:
        from urlstate.presets import PRESET_STATES as presets
    state = normalize(state)
    if state.preset is not None and state.preset in presets:
        base = normalize(presets[state.preset])
    else:
        base, state = default_page(), replace(state, preset=None)
    pairs = _pairs(state, base)
    return "&".join(f"{key}={quoted(key, value)}" for key, value in pairs)


# --- reading ---------------------------------------------------------------------------------


def _split_call(text: str, where: Path, report: Report) -> tuple[str, dict[str, str]] | None:
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
            report((*where, key), "given twice", "used the last value")
            items[key] = value
        else:
            items[key] = value
    return name, items


def read_run(index: int, text: str, report: Report) -> tuple[Run, str] | None:
    """One `run=` value as a raw Run (values unchecked) and its colour."""
    where: Path = ("runs", index)
    parsed = _split_call(text, where, report)
    if parsed is None:
        return None
    name, items = parsed
    if name not in OPTIMIZERS:
        report((*where, "optimizer"), f"unknown optimizer {_clip(name)}", "run dropped")
        return None
    hyper_schema = {p.name: p for p in OPTIMIZERS[name].hyper}
    schedule = items.pop("schedule", "constant")
    schedule_schema = {p.name: p for p in getattr(SCHEDULES.get(schedule), "params", ())}
    colour = ""
    if "color" in items:
        try:
            colour = color(items.pop("color"))
        except ValueError as error:
            report((*where, "color"), str(error), "used the palette colour")
    options = {k: items.pop(k) for k in ("warmup", "clip_norm", "clip_value") if k in items}
    if "batch" in items:
        options["batch_size"] = batch_text(items.pop("batch"))
    hyper, schedule_params = {}, {}
    for key, value in items.items():
        # Unknown keys go with the hyperparameters, where validate names the known ones;
        # with an unknown schedule, with its parameters (dropped together with it).
        known_schedule = schedule in SCHEDULES
        in_schedule = key in schedule_schema or (not known_schedule and key not in hyper_schema)
        target = schedule_params if in_schedule else hyper
        target[key] = _value(hyper_schema.get(key), value)
    return Run(name, hyper, schedule, schedule_params, **options), colour


def _single(pairs: list[tuple[str, str]], report: Report) -> dict[str, str]:
    """The single-valued keys (the last of duplicates), with notices for the rest."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key == "run":
            continue
        if key not in _SINGLE:
            report((key[:40] or "(empty key)",), "unknown key", "ignored")
            continue
        if key in values:
            report((key,), "given more than once", "used the last value")
        values[key] = value
    return values


def split(query: str, report: Report, reserved: frozenset[str]) -> list[tuple[str, str]]:
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
            report((key[:40],), f"value longer than {MAX_VALUE_LENGTH} characters", "ignored")
            continue
        pairs.append((key, value))
    return pairs


def _fill(draft: Draft, values: dict[str, str], runs: list[str], report: Report) -> Draft:
    """`draft` with what the keys say (values unchecked)."""
    if "surface" in values:
        parsed = _split_call(values["surface"], ("surface",), report)
        if parsed is not None:
            name, items = parsed
            schema = {p.name: p for p in getattr(SURFACES.get(name), "params", ())}
            if draft.surface != name:
                draft.formula = None
            draft.surface = name
            draft.surface_params = {k: _value(schema.get(k), v) for k, v in items.items()}
            draft.start = None  # a new surface starts at its own default start
    if "f" in values:
        if draft.surface == FORMULA:
            draft.formula = values["f"]
            draft.start = None if "surface" in values else draft.start
        else:
            report(("f",), "a formula is read only with surface=formula", "ignored")
    if "start" in values:
        draft.start = tuple(values["start"].split(","))
    if "steps" in values:
        draft.steps = values["steps"]
    if runs:
        if len(runs) > MAX_RUNS:
            report(
                ("runs",),
                f"at most {MAX_RUNS} runs at once",
                f"ignored the last {len(runs) - MAX_RUNS}",
            )
        read_runs = [(i, read_run(i, text, report)) for i, text in enumerate(runs[:MAX_RUNS])]
        kept = [(i, r) for i, r in read_runs if r is not None]
        draft.runs = [run for _, (run, _) in kept]
        draft.colors = [colour for _, (_, colour) in kept]
        draft.origin = [i for i, _ in kept]
    if "batch" in values:
        batch = batch_text(values["batch"])
        draft.noise["batch_size"] = None if batch == FULL_BATCH else batch
    for key in ("sigma", "seed"):
        if key in values:
            draft.noise[key] = values[key]
    draft.presentation = {k: values[k] for k in PRESENTATION if k in values}
    return draft


def _version(values: dict[str, str], report: Report) -> None:
    """A link without `v` is read as the current version, silently; another version is named."""
    if "v" in values and values["v"].strip() != str(VERSION):
        report(("v",), f"unknown version {_clip(values['v'])}", f"read as version {VERSION}")


def _parse(
    query: str, presets: Mapping[str, AppState] | None, report: Report, reserved: frozenset[str]
) -> tuple[AppState, Draft]:
    """The state `query` describes and the draft it was read from."""
    if presets is None:
        from urlstate.presets import PRESET_STATES as presets
    default = default_page()
    if not isinstance(query, str):
        report(("query",), "not text", "used the default page")
        return default, Draft.over(default)
    if len(query) > MAX_QUERY_LENGTH:
        report(("query",), f"longer than {MAX_QUERY_LENGTH:,} characters", "used the default page")
        return default, Draft.over(default)
    pairs = split(query, report, reserved)
    values = _single(pairs, report)
    _version(values, report)
    base, name = base_state(values.get("preset"), presets, report)
    draft = _fill(
        Draft.over(base, name), values, [v for k, v in pairs if k == "run"], report
    )
    return read(draft, report), draft


def parse_query(
    query: str,
    presets: Mapping[str, AppState] | None = None,
    *,
    reserved: frozenset[str] = frozenset(),
) -> tuple[AppState, tuple[Notice, ...]]:
    """The state a query string describes, and what in it was ignored; never raises.

    `presets` maps the names `preset=NAME` may use to their states (default: the lecture
    presets); `reserved` keys belong
    to the caller (e.g. the API's `format`) and are skipped silently.
    """
    notices: list[Notice] = []
    try:
        state, draft = _parse(query, presets, collect(notices), reserved)
    except Exception as error:  # noqa: BLE001 - the page must open whatever the link says
        notices.append(
            Notice(
                ("query",), f"could not be read ({type(error).__name__}) — used the default page"
            )
        )
        state = default_page()
        draft = Draft.over(state)
    return state, labelled(notices, draft)


def parse_query_strict(
    query: str,
    presets: Mapping[str, AppState] | None = None,
    *,
    reserved: frozenset[str] = frozenset(),
) -> AppState:
    """The state a query string describes; ConfigError(path, message) on the first problem."""
    return _parse(query, presets, raise_first, reserved)[0]


__all__ = [
    "MAX_ITEMS",
    "quoted",
    "read_run",
    "run_text",
    "split",
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
