"""What the page and the API show for a page state, computed by pure functions.

`compute(state)` runs the engine and derives everything the views need from its
trajectories: the browser's payload, the summary rows, the preset's claim evaluated on the
current runs. `figures_for(figure_key(state))` builds the static figures of every view
(surface, minima, empty run traces), cached: a class opens the same links, and what the key
leaves out (labels, colours, start, paths) the browser patches in. The page's callbacks
and the JSON API call these; nothing here knows about Dash.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace

from engine import Trajectory, simulate
from figures import placeholder_styles, run_styles
from figures.payload import internals_payload, trajectory_payload
from figures.registry import CONTOUR_RESOLUTION, GRAPHS, Scene, build_figures
from figures.scaling import height_offset, log_floor
from figures.summary import RunSummary, summarize
from figures.views import Figure, RunStyle
from landscapes import SURFACES
from landscapes.grid import surface_grid
from urlstate import AppState, PRESET_STATES, PRESETS
from urlstate.claims import Verdict
from urlstate.presets import evaluate
from urlstate.reader import normalize


@dataclass(frozen=True)
class Result:
    """One computation of a page state, ready for any view."""

    state: AppState
    trajectories: tuple[Trajectory, ...]
    styles: tuple[RunStyle, ...]
    payload: dict  # what assets/animation.js draws and animates
    internals: list | None  # per run and step: gradient, step, state (the internals view)
    summary: tuple[RunSummary, ...]
    verdict: Verdict | None  # the preset's claim on these runs (None without a preset)
    edited: bool  # the runs or surface differ from the preset's


def edited(state: AppState) -> bool:
    """Whether `state` computes something other than its preset (presentation aside)."""
    if state.preset not in PRESET_STATES:
        return False
    preset = normalize(PRESET_STATES[state.preset])
    return (state.simulation, state.colors) != (preset.simulation, preset.colors)


@functools.lru_cache(maxsize=256)
def colour_scale(surface: str, params: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    """The log-scale offset and floor of a surface's contour grid, as the browser draws paths
    over it (cached: the grid costs more than a computation's trajectories)."""
    zs = surface_grid(surface, dict(params), CONTOUR_RESOLUTION)[2]
    offset = height_offset(zs, SURFACES[surface].min_value)
    return offset, log_floor(zs, offset)


def compute(state: AppState, with_internals: bool = False) -> Result:
    """Everything the page shows for a validated `state`."""
    sim = state.simulation
    trajectories = tuple(simulate(sim))
    styles = run_styles(sim.runs, [state.color(i) for i in range(len(sim.runs))])
    scale = colour_scale(sim.surface, tuple(sim.surface_params.items()))
    payload = trajectory_payload(sim, trajectories, styles, scale, state.tolerance)
    verdict = None
    if state.preset in PRESETS:
        verdict = evaluate(PRESETS[state.preset], sim, trajectories)
    return Result(
        state=state,
        trajectories=trajectories,
        styles=styles,
        payload=payload,
        internals=internals_payload(trajectories) if with_internals else None,
        summary=tuple(summarize(sim, trajectories, state.tolerance)),
        verdict=verdict,
        edited=edited(state),
    )


def figure_key(state: AppState) -> str:
    """What the figures' static part depends on (the paths are filled in the browser)."""
    sim = state.simulation
    return json.dumps(
        [sim.surface, sim.surface_params, len(sim.runs), state.classroom], sort_keys=True
    )


@functools.lru_cache(maxsize=64)
def figures_for(key: str) -> tuple[Figure, ...]:
    """Every graph's static figure for a `figure_key`, in the order of `GRAPHS`."""
    name, params, count, classroom = json.loads(key)
    surface = SURFACES[name]
    scene = Scene(surface, params, placeholder_styles(count), surface.default_start, classroom)
    return build_figures(scene)


def with_playback_cleared(state: AppState) -> AppState:
    """`state` without the moment of the demonstration (which the browser owns)."""
    return replace(state, playback=type(state.playback)())


__all__ = [
    "GRAPHS",
    "Result",
    "colour_scale",
    "compute",
    "edited",
    "figure_key",
    "figures_for",
    "with_playback_cleared",
]
