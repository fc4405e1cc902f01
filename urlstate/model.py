"""The whole state of the page: a simulation plus how it is shown.

Everything here is what a shared link reproduces; nothing else is kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import FULL_BATCH, Noise, Run, Simulation

VERSION = 1

# Okabe–Ito: distinguishable with every common colour-vision deficiency (yellow last:
# weakest on a light background).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

VIEWS = ("contour", "surface3d", "panels", "internals")


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


def batch_label(batch_size: int | str | None) -> str:
    """"batch 16", or "full batch" for the exact gradient (None or `FULL_BATCH`)."""
    return "full batch" if batch_size in (None, FULL_BATCH) else f"batch {batch_size}"


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


__all__ = ["AppState", "PALETTE", "VERSION", "VIEWS", "batch_label", "default_state"]
