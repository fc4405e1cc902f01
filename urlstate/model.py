"""The whole state of the page: a simulation plus how it is shown.

Everything here is what a shared link reproduces; nothing else is kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import Noise, Run, Simulation
from figures.registry import VIEWS as VIEW_REGISTRY
from figures.theme import PALETTE

VERSION = 1


VIEWS = tuple(VIEW_REGISTRY)  # the valid `view=` values, in tab order
# Parts of the page a link can hide (`hide=controls,caption`), e.g. to embed a figure in slides.
HIDEABLE = ("controls", "header", "caption", "table", "bar", "tabs", "notices")
SPEEDS = (5, 15, 30, 60, 120, 240)  # animation speeds in steps per second (the bar's choices)
DEFAULT_SPEED = 30


@dataclass(frozen=True)
class Playback:
    """The moment of a demonstration a link opens on: paused at `step` (None: the last
    step), or playing from the start, at `speed` steps per second."""

    step: int | None = None
    play: bool = False
    speed: int = DEFAULT_SPEED


@dataclass(frozen=True)
class Axis:
    """An axis of the hyperparameter map: a numeric setting of the first run (hyperparameter,
    schedule or surface parameter), its range, linear or logarithmic."""

    name: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class MapSettings:
    """How the maps are drawn: starts (or settings) per axis, seeds of the fan, and the
    hyperparameter map's axes (None: the first run's defaults, `urlstate.maps.default_axes`)."""

    grid: int = 64
    seeds: int = 128
    hx: Axis | None = None
    hy: Axis | None = None


@dataclass(frozen=True)
class AppState:
    """A simulation, one colour per run, and the presentation options.

    `preset` names the lecture preset the state started from (its link is written as the
    preset plus what differs from it); `hide` lists hidden parts of the page (`HIDEABLE`).
    """

    simulation: Simulation
    colors: tuple[str, ...] = ()
    view: str = "contour"
    classroom: bool = False
    tolerance: float = 1e-6
    preset: str | None = None
    playback: Playback = field(default_factory=Playback)
    hide: tuple[str, ...] = ()
    maps: MapSettings = field(default_factory=MapSettings)

    def color(self, index: int) -> str:
        """The colour of run `index` (the palette's, cycling, when none was chosen)."""
        if index < len(self.colors) and self.colors[index]:
            return self.colors[index]
        return PALETTE[index % len(PALETTE)]


def default_state() -> AppState:
    """What the page opens on: momentum against SGD in an ill-conditioned canyon."""
    return AppState(
        simulation=Simulation(
            surface="canyon",
            surface_params={"kappa": 20.0, "angle": 0.0},
            start=(-1.8, 0.6),
            steps=200,
            runs=(
                Run("sgd", {"lr": 0.09}),
                Run("momentum", {"lr": 0.09, "momentum": 0.5}),
                Run("adam", {"lr": 0.1}),
            ),
            noise=Noise(),
        )
    )


__all__ = [
    "DEFAULT_SPEED", "HIDEABLE", "PALETTE", "SPEEDS", "VERSION", "VIEWS", "AppState", "Axis",
    "MapSettings", "Playback",
    "default_state",
]
