"""The compact trajectory data the browser animates (rounded: small, but exact enough to draw)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from engine import Simulation, Trajectory
from landscapes import SURFACES


def significant(values: np.ndarray, digits: int) -> np.ndarray:
    """`values` rounded to `digits` significant digits, non-finite ones as 0.

    Arrays, not lists: plotly's JSON encoder writes a float64 array in one call, while a
    list is walked value by value (most of a response's encoding time).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    magnitude = np.floor(np.log10(np.maximum(np.abs(values), 1e-300)))
    scale = 10.0 ** (digits - 1 - magnitude)
    rounded = np.round(values * scale) / scale
    return np.where(np.isfinite(rounded), rounded, 0.0)


def trajectory_payload(
    sim: Simulation, trajectories: Sequence[Trajectory], labels: Sequence[str],
    colors: Sequence[str], log_offset: float, log_floor: float,
) -> dict:
    """What the browser needs to draw and animate every view (`sim` validated)."""
    surface = SURFACES[sim.surface]
    return {
        "steps": sim.steps,
        "min_value": surface.min_value,
        "log": surface.log_scale,
        "offset": log_offset,
        "floor": log_floor,
        "runs": [
            {
                "label": label,
                "color": color,
                "x": significant(t.xy[:, 0], 6),
                "y": significant(t.xy[:, 1], 6),
                "loss": significant(t.loss, 5),
                "diverged_at": t.diverged_at,
            }
            for t, label, color in zip(trajectories, labels, colors)
        ],
    }


def internals_payload(trajectories: Sequence[Trajectory]) -> list[dict]:
    """Per run and step: gradient, applied step and the optimizer's drawn state."""
    return [
        {
            "grad": significant(t.grad, 4),
            "update": significant(t.update, 4),
            "lr": significant(t.lr, 4),
            "state": {name: significant(v, 4) for name, v in t.internals.items()},
        }
        for t in trajectories
    ]
