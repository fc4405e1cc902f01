"""The whole state of the page: a simulation plus how it is shown.

Everything here is what a shared link reproduces; nothing else is kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import Noise, Run, Simulation
from figures.registry import VIEWS as VIEW_REGISTRY
from figures.theme import PALETTE

VERSION = 1


VIEWS = tuple(VIEW_REGISTRY)  # the valid `view=` values, in tab order


@dataclass(frozen=True)
class AppState:
    """A simulation, one colour per run, and the presentation options."""

    simulation: Simulation
    colors: tuple[str, ...] = ()
    view: str = "contour"
    classroom: bool = False
    tolerance: float = 1e-6

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


__all__ = ["AppState", "PALETTE", "VERSION", "VIEWS", "default_state"]
