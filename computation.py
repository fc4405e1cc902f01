"""What the page and the API show for a page state, computed by pure functions.

`compute(state)` runs the engine; its `Result` derives, when first read, everything the views
need from the trajectories: the browser's payload, the internals, the summary rows, the
preset's claim evaluated on the current runs. `figures_for(figure_key(state))` builds the static figures of every view
(surface, minima, empty run traces), cached: a class opens the same links, and what the key
leaves out (labels, colours, start, paths) the browser patches in. The page's callbacks
and the JSON API call these; nothing here knows about Dash.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from engine import ConfigError, Trajectory, simulate
from engine.config import formula_text, surface_of, surface_record
from figures import placeholder_styles, run_styles
from figures.payload import internals_payload, trajectory_payload
from figures.registry import CONTOUR_RESOLUTION, GRAPHS, VIEWS, Scene, build_figures
from figures.scaling import height_offset, log_floor
from figures.summary import RunSummary, summarize
from figures.views import Figure, RunStyle
from landscapes import Surface
from landscapes.grid import surface_grid
from mapping import COARSE, cached_map, computed_map, fan_payload, grid_payload
from urlstate import PRESET_STATES, PRESETS, AppState
from urlstate.claims import Verdict
from urlstate.maps import resolved_axes
from urlstate.presets import evaluate
from urlstate.reader import normalize


@functools.cache
def _preset_state(name: str) -> AppState:
    return normalize(PRESET_STATES[name])


def edited(state: AppState) -> bool:
    """Whether `state` computes something other than its preset (presentation aside)."""
    if state.preset not in PRESET_STATES:
        return False
    preset = _preset_state(state.preset)
    return (state.simulation, state.colors) != (preset.simulation, preset.colors)


@functools.lru_cache(maxsize=256)
def colour_scale(surface: Surface, params: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    """The log-scale offset and floor of a surface's contour grid, as the browser draws paths
    over it (cached: the grid costs more than a computation's trajectories)."""
    zs = surface_grid(surface, dict(params), CONTOUR_RESOLUTION)[2]
    offset = height_offset(zs, surface.min_value)
    return offset, log_floor(zs, offset)


@dataclass(frozen=True)
class Result:
    """One computation of a validated page state. Everything but the trajectories is derived
    when first read: the API reads only the trajectories, the page the rest."""

    state: AppState
    trajectories: tuple[Trajectory, ...]

    @functools.cached_property
    def styles(self) -> tuple[RunStyle, ...]:
        sim = self.state.simulation
        return run_styles(sim.runs, [self.state.color(i) for i in range(len(sim.runs))])

    @functools.cached_property
    def payload(self) -> dict:
        """What assets/animation.js draws and animates."""
        sim = self.state.simulation
        scale = colour_scale(surface_of(sim), tuple(sim.surface_params.items()))
        return trajectory_payload(sim, self.trajectories, self.styles, scale, self.state.tolerance)

    @functools.cached_property
    def internals(self) -> list:
        """Per run and step: gradient, step, the optimizer's state (the internals view)."""
        return internals_payload(self.trajectories)

    @functools.cached_property
    def summary(self) -> tuple[RunSummary, ...]:
        return tuple(summarize(self.state.simulation, self.trajectories, self.state.tolerance))

    @functools.cached_property
    def verdict(self) -> Verdict | None:
        """The preset's claim on these runs (None without a preset)."""
        preset = PRESETS.get(self.state.preset)
        if preset is None:
            return None
        field = None
        if preset.claim.about_map:  # on the map of the preset's view, for the current runs
            try:
                field = cached_map(replace(self.state, view=preset.state.view))
            except ConfigError as error:
                return Verdict(None, f"Can't be checked: {error.message}.")
        return evaluate(preset, self.state.simulation, self.trajectories, field)

    @functools.cached_property
    def edited(self) -> bool:
        """Whether the runs or surface differ from the preset's."""
        return edited(self.state)


def compute(state: AppState) -> Result:
    """The trajectories of a validated `state`, and what every view derives from them."""
    return Result(state, tuple(simulate(state.simulation)))


def is_map(state: AppState) -> bool:
    """Whether the state's view is a map (its figures are drawn from the configuration)."""
    return "map" in VIEWS[state.view].needs


def figure_key(state: AppState) -> str:
    """What the figures' static part depends on (the paths are filled in the browser); a
    map's figures depend on the whole configuration."""
    sim = state.simulation
    key = [sim.surface, sim.surface_params, len(sim.runs), state.classroom, formula_text(sim)]
    if is_map(state):
        key.append(repr((state.view, sim, state.maps, state.tolerance, state.colors)))
    return json.dumps(key, sort_keys=True)


def figures_of(state: AppState, styles: tuple[RunStyle, ...]) -> list[Figure]:
    """Every graph's figure for `state`: the cached static ones, and the map's graphs drawn
    from the configuration when its view is a map."""
    figures = list(figures_for(figure_key(state)))
    if not is_map(state):
        return figures
    sim = state.simulation
    axes = tuple(
        (a.name, a.low, a.high, a.log) for a in resolved_axes(state.maps, sim)
    )
    scene = Scene(
        surface_of(sim), dict(sim.surface_params), styles, sim.start, state.classroom,
        simulation=sim, axes=axes, tolerance=state.tolerance,
    )
    mine = {graph.id: graph.build(scene) for graph in VIEWS[state.view].graphs}
    return [mine.get(graph.id, figure) for graph, figure in zip(GRAPHS, figures)]


def map_payload(state: AppState, query: str, labels: Sequence[str] = ()) -> dict | None:
    """The map the browser draws for a map view (the whole grid if it is computed already,
    else a coarse grid first, see mapping.py), else None. `query`: the state's canonical
    query, which names the blocks of the full grid."""
    if not is_map(state):
        return None
    if state.view == "fan":
        return fan_payload(state, cached_map(state), query)
    whole = computed_map(state)  # e.g. for the preset's claim: sent whole, nothing to refine
    data = whole if whole is not None else cached_map(state, grid=min(COARSE, state.maps.grid))
    return grid_payload(state, data, query, state.maps.grid, labels)


@functools.lru_cache(maxsize=64)
def figures_for(key: str) -> tuple[Figure, ...]:
    """Every graph's static figure for a `figure_key`, in the order of `GRAPHS`."""
    name, params, count, classroom, formula = json.loads(key)[:5]
    surface = surface_record(name, params, formula)
    scene = Scene(surface, params, placeholder_styles(count), surface.default_start, classroom)
    return build_figures(scene)


__all__ = [
    "GRAPHS",
    "Result",
    "colour_scale",
    "compute",
    "edited",
    "figure_key",
    "figures_for",
    "figures_of",
    "is_map",
    "map_payload",
]
