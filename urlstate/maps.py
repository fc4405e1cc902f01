"""The maps' settings in a page state: `grid`, `seeds`, `hx`, `hy`, read and checked.

    &view=basins&grid=128
    &view=hypermap&hx=lr(0.001,1,log)&hy=momentum(0,0.99)&grid=64
    &view=fan&seeds=256

An axis is `NAME(low,high[,log])`: a numeric setting of the first run (a hyperparameter, a
schedule parameter, or a surface parameter such as the canyon's `kappa`), its range, and `log`
for a logarithmic axis; an empty or absent axis is the first run's default
(`default_axes`). Numbers are data: any range computes without a compilation. The number of
runs a map computes is bounded (engine.maps): a link over the bounds opens with a smaller
grid and a notice; the API answers 400 naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from engine import ConfigError, Simulation
from engine.config import Path
from engine.maps import MAX_MAP_RUNS, MAX_RUN_STEPS, check_size, settings
from schema import Param
from urlstate.model import AppState, Axis, MapSettings, Playback

GRID = Param("grid", 64, 8, 256, "starts (or settings) per axis", kind="int")
SEEDS = Param("seeds", 128, 2, 1024, "seeds", kind="int")
MAP_KEYS = ("grid", "seeds", "hx", "hy")
# The first run's main coefficient, in the order a map's y axis prefers it.
MAIN_COEFFICIENTS = ("momentum", "beta1", "alpha", "rho", "damping", "lr_decay")
_AXIS = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*")

Report = Callable[[Path, str, str], None]


def map_runs(view: str, sim: Simulation, maps: MapSettings) -> tuple[int, str]:
    """How many runs the map `view` computes, and the setting that sizes it (0 for a view
    that is not a map)."""
    if view == "basins":
        return len(sim.runs) * maps.grid**2, "grid"
    if view == "hypermap":
        return maps.grid**2, "grid"
    if view == "fan":
        return len(sim.runs) * maps.seeds, "seeds"
    return 0, "grid"


def default_axes(sim: Simulation) -> tuple[Axis, Axis]:
    """The hyperparameter map's axes for a validated simulation's first run: its learning
    rate over the two decades either side of its own (log), and its main coefficient over its
    whole range (else the surface's first parameter, else its weight decay)."""
    found = settings(sim, 0)
    lr, p = sim.runs[0].hyper["lr"], found["lr"][2]
    decade = math.floor(math.log10(lr))
    hx = Axis("lr", max(p.low, 10.0 ** (decade - 2)), min(p.high, 10.0 ** (decade + 2)), True)
    surface = [name for name, (where, _, _) in found.items() if where == "slots"]
    name = next((n for n in MAIN_COEFFICIENTS if n in found), None)
    name = name or (surface[0] if surface else "weight_decay")
    q = found[name][2]
    return hx, Axis(name, float(q.low), float(q.high), bool(q.log and q.low > 0))


def axis_text(axis: Axis) -> str:
    """`name(low,high)` or `name(low,high,log)`."""
    from urlstate.reader import format_number

    parts = [format_number(axis.low), format_number(axis.high), *(["log"] if axis.log else [])]
    return f"{axis.name}({','.join(parts)})"


def parse_axis(text: object, sim: Simulation, field: str) -> Axis | None:
    """An axis as typed (`NAME`, `NAME(low,high)`, `NAME(low,high,log)`) checked against the
    first run's settings; None for an empty text (the default). ConfigError names `field`."""
    text = "" if text is None else str(text)
    if not text.strip():
        return None
    match = _AXIS.fullmatch(text)
    if match is None:
        raise ConfigError(field, f"cannot read {text[:40]!r} (expected NAME(low,high[,log]))")
    name, inner = match.groups()
    found = settings(sim, 0)
    numeric = [n for n, (_, _, p) in found.items() if p.kind == "float"]
    if name not in numeric:
        raise ConfigError(
            field, f"{name!r} is not a numeric setting of run 1 (one of {', '.join(numeric)})"
        )
    p = found[name][2]
    items = [s.strip() for s in inner.split(",")] if inner is not None else []
    log = bool(p.log and p.low > 0) if len(items) < 3 else None
    if len(items) == 3:
        if items[2] not in ("log", "lin"):
            raise ConfigError(field, f"the third item must be log or lin, not {items[2][:20]!r}")
        log = items[2] == "log"
    if len(items) not in (0, 2, 3):
        raise ConfigError(field, "give the range as (low,high) or (low,high,log)")
    try:
        low, high = (float(v) for v in items[:2]) if items else (p.low, p.high)
    except ValueError:
        raise ConfigError(field, "the range must be two numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ConfigError(field, "the range needs low < high, both finite")
    if low < p.low or high > p.high:
        raise ConfigError(field, f"{name} must stay between {p.low:g} and {p.high:g}")
    if log and low <= 0:
        raise ConfigError(field, "a log axis needs low > 0")
    return Axis(name, low, high, log)


def _whole(param: Param, value: object) -> int:
    try:
        return int(param.check(str(value).strip() if isinstance(value, str) else value))
    except ValueError as error:
        raise ConfigError(param.name, str(error).removeprefix(f"{param.name} ")) from None


def _fit(view: str, sim: Simulation, maps: MapSettings, report: Report) -> MapSettings:
    """`maps` within the caps for `view`: the grid or seeds lowered to fit, with a notice."""
    runs, key = map_runs(view, sim, maps)
    try:
        check_size(runs, sim.steps, key)
        return maps
    except ConfigError as error:
        per_unit = runs / (maps.grid**2 if key == "grid" else maps.seeds)
        budget = min(MAX_MAP_RUNS, MAX_RUN_STEPS // sim.steps) / per_unit
        fitted = int(math.isqrt(int(budget))) if key == "grid" else int(budget)
        low = GRID.low if key == "grid" else SEEDS.low
        if fitted < low:
            report(("steps",), error.message, "the map cannot be computed: fewer steps needed")
            return maps
        report((key,), error.message, f"used {key}={fitted}")
        return replace(maps, **{key: fitted})


def read_maps(
    raw: Mapping[str, object], base: MapSettings, sim: Simulation, view: str, report: Report
) -> MapSettings:
    """The map settings `raw` gives (text from a link or the controls) over `base`; an
    invalid value goes to `report` and the base's is used."""
    values = {"grid": base.grid, "seeds": base.seeds, "hx": base.hx, "hy": base.hy}
    for key, param in (("grid", GRID), ("seeds", SEEDS)):
        if key in raw:
            try:
                values[key] = _whole(param, raw[key])
            except ConfigError as error:
                report((key,), error.message, f"used {values[key]}")
    defaults = default_axes(sim)
    for key, default in zip(("hx", "hy"), defaults):
        if key in raw:
            try:
                values[key] = parse_axis(raw[key], sim, key)
            except ConfigError as error:
                report((key,), error.message, f"used {axis_text(default)}")
                values[key] = None
        elif values[key] is not None:  # the base's axis may not fit these runs
            try:
                values[key] = parse_axis(axis_text(values[key]), sim, key)
            except ConfigError:
                values[key] = None
    hx, hy = (values[k] or d for k, d in zip(("hx", "hy"), defaults))
    if hx.name == hy.name:
        report(("hy",), f"the same setting as hx ({hx.name})", "used the default axes")
        values["hx"] = values["hy"] = None
    for key, default in zip(("hx", "hy"), defaults):
        if values[key] == default:  # the canonical form of a default axis is none
            values[key] = None
    return _fit(view, sim, MapSettings(**values), report)


def check_maps(maps: MapSettings, sim: Simulation, view: str) -> MapSettings:
    """`maps` in normal form for a validated simulation, or ConfigError."""
    raw = {
        "grid": maps.grid, "seeds": maps.seeds,
        "hx": axis_text(maps.hx) if maps.hx else "", "hy": axis_text(maps.hy) if maps.hy else "",
    }

    def strict(path: Path, problem: str, action: str) -> None:
        raise ConfigError(path, problem)

    return read_maps(raw, MapSettings(), sim, view, strict)


def opened_cell(state: AppState, x: float, y: float, view: str = "contour") -> AppState:
    """The page state of one cell of `state`'s map, shown in the trajectory `view`: the start
    (x, y) of a basins map, or the first run with the hyperparameter map's settings x, y."""
    sim = state.simulation
    if state.view == "hypermap":
        for axis, value in zip(resolved_axes(state.maps, sim), (x, y)):
            where, _, _ = settings(sim, 0)[axis.name]
            if where == "slots":
                sim = replace(sim, surface_params={**sim.surface_params, axis.name: value})
            else:
                run = sim.runs[0]
                target = "hyper" if axis.name in run.hyper else "schedule_params"
                changed = replace(run, **{target: {**getattr(run, target), axis.name: value}})
                sim = replace(sim, runs=(changed, *sim.runs[1:]))
    else:
        sim = replace(sim, start=(x, y))
    return replace(state, simulation=sim, view=view, playback=Playback())


def opened_seed(state: AppState, index: int) -> AppState:
    """The page state of seed `index` of a fan (the state's seed + index), in the contour view."""
    noise = replace(state.simulation.noise, seed=state.simulation.noise.seed + int(index))
    return replace(
        state, simulation=replace(state.simulation, noise=noise), view="contour",
        playback=Playback(),
    )


def resolved_axes(maps: MapSettings, sim: Simulation) -> tuple[Axis, Axis]:
    """The hyperparameter map's axes: those given, else the first run's defaults."""
    defaults = default_axes(sim)
    return maps.hx or defaults[0], maps.hy or defaults[1]


__all__ = [
    "GRID",
    "MAP_KEYS",
    "SEEDS",
    "axis_text",
    "check_maps",
    "default_axes",
    "map_runs",
    "opened_cell",
    "opened_seed",
    "parse_axis",
    "read_maps",
    "resolved_axes",
]
