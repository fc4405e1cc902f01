"""A page state's map, computed by engine.maps: basins of attraction, the hyperparameter map,
the seed fan. Shared by the page (a coarse map at once, the full grid in blocks of rows the
browser asks for) and the JSON API; nothing here knows about Dash.

A cell's outcome is one number: the index of the minimum it ended in (global minima first,
then local ones), `NOT_REACHED` or `DIVERGED`; its step is the step it reached the tolerance
(or diverged at), -1 otherwise. Results are cached by what determines them, and a class
asking for the same map at once computes it once (`SingleFlight`).
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, fields

import numpy as np

from engine import Simulation
from engine.config import surface_of
from engine.maps import Sweep, axis_values, base_cells, sweep, vary
from figures.payload import GAP_FLOOR, significant
from urlstate import AppState
from urlstate.maps import resolved_axes

MAP_VIEWS = ("basins", "hypermap", "fan")
NOT_REACHED, DIVERGED = -1, -2
COARSE = 32  # the grid shown at once; a finer one is computed in blocks of rows
BLOCK_RUNS = 16_384  # runs per block of rows (about 0.1 s of a 1,000-step Adam map)
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
CLOUD_SEEDS = 128  # seeds drawn in the fan's cloud (the quantiles use every seed)
CLOUD_FRAMES = 120  # steps at which the cloud is drawn (the animation shows the nearest)
BEYOND = 1e290  # a quantile at or above this is a diverged seed's (sent as null)


@dataclass(frozen=True)
class Panel:
    """One run's map: outcome and step per cell (rows = y), and the raw summaries."""

    run: int
    outcome: np.ndarray
    step: np.ndarray
    summary: Sweep


@dataclass(frozen=True)
class MapData:
    """A basins or hyperparameter map: axis values (cell centres) and one panel per run,
    for grid rows `rows[0]` to `rows[1]` of `y`."""

    kind: str
    x: np.ndarray
    y: np.ndarray
    rows: tuple[int, int]
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class FanRun:
    """One run over every seed: loss quantiles per step (`QUANTILES` × steps + 1, +inf where
    a diverged seed decides), and the first CLOUD_SEEDS seeds' positions at `frames`."""

    run: int
    quantiles: np.ndarray
    cloud: np.ndarray  # (frames, seeds, 2)
    diverged: int  # seeds that diverged


@dataclass(frozen=True)
class FanData:
    kind: str
    seeds: np.ndarray
    frames: np.ndarray
    runs: tuple[FanRun, ...]


def grid_axes(state: AppState, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """The x and y values of a basins or hyperparameter map of `grid` cells per axis."""
    sim = state.simulation
    if state.view == "basins":
        (x0, x1), (y0, y1) = surface_of(sim).domain
        return axis_values(x0, x1, grid), axis_values(y0, y1, grid)
    hx, hy = resolved_axes(state.maps, sim)
    return (
        axis_values(hx.low, hx.high, grid, hx.log),
        axis_values(hy.low, hy.high, grid, hy.log),
    )


def _panel(sim: Simulation, run: int, cells, shape, tolerance, progress) -> Panel:
    result = sweep(sim, run, cells, tolerance, progress=progress)
    diverged = result.diverged_at >= 0
    outcome = np.where(diverged, DIVERGED, np.where(result.minimum >= 0, result.minimum, NOT_REACHED))
    step = np.where(diverged, result.diverged_at, result.steps_to_tol)
    return Panel(run, outcome.astype(np.int8).reshape(shape), step.astype(np.int16).reshape(shape), result)


def compute_grid(
    state: AppState,
    grid: int | None = None,
    rows: tuple[int, int] | None = None,
    progress: Callable[[int, int], bool] | None = None,
) -> MapData:
    """The basins (`state.view == "basins"`: one panel per run) or hyperparameter map (the
    first run) of a validated state, `grid` cells per axis (default the state's), grid rows
    `rows` (default all)."""
    sim = state.simulation
    grid = grid or state.maps.grid
    xs, ys = grid_axes(state, grid)
    first, stop = rows or (0, grid)
    grid_x, grid_y = np.meshgrid(xs, ys[first:stop])
    shape, count = grid_x.shape, grid_x.size
    if state.view == "basins":
        starts = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
        panels = tuple(
            _panel(sim, i, base_cells(sim, i, count)._replace(start=starts), shape,
                   state.tolerance, progress)
            for i in range(len(sim.runs))
        )
    else:
        hx, hy = resolved_axes(state.maps, sim)
        cells = vary(base_cells(sim, 0, count), sim, 0, hx.name, grid_x.ravel())
        cells = vary(cells, sim, 0, hy.name, grid_y.ravel())
        panels = (_panel(sim, 0, cells, shape, state.tolerance, progress),)
    return MapData(state.view, xs, ys, (first, stop), panels)


def compute_fan(state: AppState, progress: Callable[[int, int], bool] | None = None) -> FanData:
    """Every run of a validated state over `state.maps.seeds` noise seeds (the state's seed
    first): loss quantiles per step and the cloud of positions."""
    sim = state.simulation
    seeds = sim.noise.seed + np.arange(state.maps.seeds, dtype=np.float64)
    frames = np.unique(np.linspace(0, sim.steps, min(CLOUD_FRAMES, sim.steps + 1)).round()).astype(int)
    runs = []
    min_value = surface_of(sim).min_value or 0.0
    for i in range(len(sim.runs)):
        cells = base_cells(sim, i, len(seeds))._replace(seed=seeds)
        result = sweep(sim, i, cells, state.tolerance, trace=True, progress=progress)
        losses = np.where(np.isfinite(result.losses), result.losses - min_value, np.inf)
        quantiles = np.quantile(np.minimum(losses, 1e300), QUANTILES, axis=0)
        cloud = result.path[:CLOUD_SEEDS, frames].swapaxes(0, 1)
        runs.append(FanRun(i, quantiles, cloud, int(np.sum(result.diverged_at >= 0))))
    return FanData("fan", seeds, frames, tuple(runs))


def compute_map(state: AppState, grid: int | None = None, rows=None, progress=None):
    """The map of a validated state's view (`MAP_VIEWS`)."""
    if state.view == "fan":
        return compute_fan(state, progress)
    return compute_grid(state, grid, rows, progress)


# --------------------------------------------------------------------------- caching


class SingleFlight:
    """Results by key, computed once: callers asking for a key being computed wait for that
    computation instead of starting their own (a class opening one link at once). Keeps the
    `size` most recently used results.

    Written here because the caches of the standard library and of cachetools compute a
    missing key in every caller that misses it at the same time."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, object] = OrderedDict()
        self._running: dict[Hashable, Future] = {}
        self.computed = 0  # how many computations ran (for tests and benchmarks)

    def get(self, key: Hashable, compute: Callable[[], object]) -> object:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            future = self._running.get(key)
            owner = future is None
            if owner:
                future = self._running[key] = Future()
        if not owner:
            return future.result()
        return self._compute(key, future, compute)

    def status(self, key: Hashable) -> str | None:
        """"done" when `key` is computed, "running" while it is being computed, else None
        (without waiting)."""
        with self._lock:
            if key in self._done:
                return "done"
            return "running" if key in self._running else None

    def peek(self, key: Hashable) -> object | None:
        """The result for `key` if it is computed (waiting for it if it is being computed),
        else None, without computing it."""
        with self._lock:
            if key in self._done:
                return self._done[key]
            future = self._running.get(key)
        return None if future is None else future.result()

    def _compute(self, key: Hashable, future: Future, compute: Callable[[], object]) -> object:
        try:
            value = compute()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(value)
            with self._lock:
                self.computed += 1
                self._done[key] = value
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._running.pop(key, None)


_CACHE = SingleFlight(48)
_LOG = logging.getLogger("gunicorn.error")  # the server's log under gunicorn, else silent


def map_key(state: AppState, grid: int | None = None, rows=None) -> tuple:
    """What a map depends on (the presentation of the page aside)."""
    if state.view == "fan":
        grid = rows = None
    else:
        grid = grid or state.maps.grid
        rows = None if rows is None or tuple(rows) == (0, grid) else tuple(rows)
    return (repr(state.simulation), repr(state.maps), state.view, state.tolerance, grid, rows)


def _rows_of(data: MapData, rows: tuple[int, int]) -> MapData:
    """Grid rows `rows` of a whole map."""
    first, stop = rows
    width = len(data.x)
    cut = slice(first * width, stop * width)
    panels = tuple(
        Panel(p.run, p.outcome[first:stop], p.step[first:stop], _cut(p.summary, cut))
        for p in data.panels
    )
    return MapData(data.kind, data.x, data.y, (first, stop), panels)


def _cut(summary: Sweep, cut: slice) -> Sweep:
    """Runs `cut` of a sweep's summaries."""
    values = {f.name: getattr(summary, f.name) for f in fields(Sweep)}
    return Sweep(**{name: None if a is None else a[cut] for name, a in values.items()})


def cached_map(state: AppState, grid: int | None = None, rows=None):
    """`compute_map`, computed once per process for the same map (each computation is
    logged to the server's log: benchmarks/maps.py counts them per worker). Rows of a map
    whose whole grid is computed (or being computed: the preset's claim asks for it) are
    cut from it."""
    key = map_key(state, grid, rows)
    if key[-1] is not None:
        whole = _CACHE.peek(map_key(state, grid))
        if whole is not None:
            return _rows_of(whole, key[-1])

    def computed():
        started = time.perf_counter()
        data = compute_map(state, grid, rows)
        _LOG.info(
            "map computed in %.0f ms (pid %d): %s grid %s rows %s", 1e3 * (time.perf_counter() - started),
            os.getpid(), state.view, grid or state.maps.grid, rows,
        )
        return data

    return _CACHE.get(key, computed)


def computed_map(state: AppState, grid: int | None = None):
    """The whole map if it is computed already (or being computed: then once it is), else
    None, without computing it."""
    return _CACHE.peek(map_key(state, grid))


def cache() -> SingleFlight:
    return _CACHE


# --------------------------------------------------------------------------- to the browser


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def blocks(grid: int, panels: int) -> list[tuple[int, int]]:
    """The blocks of grid rows the browser asks for, in order, each about BLOCK_RUNS runs."""
    per = max(1, BLOCK_RUNS // (grid * max(panels, 1)))
    return [(r, min(r + per, grid)) for r in range(0, grid, per)]


def block_bytes(data: MapData) -> bytes:
    """A block of a map as the browser reads it: every panel's steps (int16, little endian),
    then every panel's outcomes (int8), row by row."""
    steps = b"".join(np.ascontiguousarray(p.step, "<i2").tobytes() for p in data.panels)
    return steps + b"".join(np.ascontiguousarray(p.outcome, "i1").tobytes() for p in data.panels)


def grid_payload(
    state: AppState, data: MapData, key: str, full: int, labels: Sequence[str] = ()
) -> dict:
    """What assets/maps.js draws: axes, steps, each panel's outcomes and steps (base64
    typed arrays), and, when the state's grid is finer than `data`'s, the blocks of the full
    grid to ask for."""
    sim = state.simulation
    refine = None
    if full > len(data.x):
        xs, ys = grid_axes(state, full)
        refine = {"grid": full, "blocks": blocks(full, len(data.panels)), "x": xs.tolist(),
                  "y": ys.tolist()}
    surface = surface_of(sim)
    minima = [
        [*map(float, p), is_global]
        for points, is_global in ((surface.minima(sim.surface_params), True),
                                  (surface.local_minima(sim.surface_params), False))
        for p in points
    ]
    return {
        "kind": data.kind,
        "key": key,
        "x": data.x.tolist(),
        "y": data.y.tolist(),
        "steps": sim.steps,
        "tolerance": state.tolerance,
        "minima": minima,
        "axes": [a.name for a in resolved_axes(state.maps, sim)],
        "labels": list(labels),
        "panels": [
            {"run": p.run, "outcome": _b64(p.outcome, "i1"), "step": _b64(p.step, "<i2")}
            for p in data.panels
        ],
        "refine": refine,
    }


def _quantile_lists(values: np.ndarray) -> list:
    """Rows of quantiles, 4 significant digits, with a diverged seed's (≥ BEYOND) as None."""
    rounded = significant(np.maximum(values, GAP_FLOOR), 4)
    return [
        [None if v >= BEYOND else r for v, r in zip(row.tolist(), kept.tolist())]
        for row, kept in zip(values, rounded)
    ]


def cloud_codes(cloud: np.ndarray, domain) -> np.ndarray:
    """Positions as uint16 codes over the domain (65535: off the plot)."""
    (x0, x1), (y0, y1) = domain
    low, span = np.array([x0, y0]), np.array([x1 - x0, y1 - y0])
    unit = (cloud - low) / span
    codes = np.round(unit * 65534)
    off = ~np.all((unit >= 0) & (unit <= 1) & np.isfinite(unit), axis=-1, keepdims=True)
    return np.where(off, 65535, codes).astype("<u2")


def fan_payload(state: AppState, data: FanData, key: str) -> dict:
    """What assets/maps.js draws for the fan: quantile bands and the cloud per run."""
    domain = surface_of(state.simulation).domain
    return {
        "kind": "fan",
        "key": key,
        "frames": data.frames.tolist(),
        "domain": [list(domain[0]), list(domain[1])],
        "seeds": len(data.seeds),
        "runs": [
            {
                "run": r.run,
                "quantiles": _quantile_lists(r.quantiles),
                "cloud": _b64(cloud_codes(r.cloud, domain), "<u2"),
                "shown": int(r.cloud.shape[1]),
                "diverged": r.diverged,
            }
            for r in data.runs
        ],
    }


__all__ = [
    "COARSE",
    "DIVERGED",
    "MAP_VIEWS",
    "NOT_REACHED",
    "QUANTILES",
    "FanData",
    "MapData",
    "SingleFlight",
    "block_bytes",
    "blocks",
    "cached_map",
    "compute_fan",
    "compute_grid",
    "compute_map",
    "computed_map",
    "fan_payload",
    "grid_axes",
    "grid_payload",
    "map_key",
]
