"""Per-run numbers for the summary table: where each run ended and how fast it got there."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from engine import Simulation, Trajectory, measures
from engine.config import surface_of


@dataclass(frozen=True)
class RunSummary:
    """What the summary table shows for one run (None where it does not apply)."""

    final_loss: float
    distance_to_minimum: float | None
    steps_to_tolerance: int | None
    diverged_at: int | None


def steps_to_tolerance(gap: np.ndarray, tolerance: float) -> int | None:
    """The first step whose loss gap is ≤ `tolerance`, or None if never (`engine.measures`)."""
    return measures.steps_to_tolerance(gap, 0.0, tolerance)


def summarize(sim: Simulation, trajectories: Sequence[Trajectory], tolerance: float):
    """One `RunSummary` per trajectory (`sim` must be validated)."""
    surface = surface_of(sim)
    minima = np.asarray(surface.minima(sim.surface_params), dtype=np.float64).reshape(-1, 2)
    summaries = []
    for t in trajectories:
        end = t.xy[-1]
        distance = (
            float(np.min(np.linalg.norm(minima - end, axis=1))) if minima.size else None
        )
        reached = (
            steps_to_tolerance(t.loss - surface.min_value, tolerance)
            if surface.min_value is not None
            else None
        )
        summaries.append(
            RunSummary(
                final_loss=float(t.loss[-1]),
                distance_to_minimum=distance,
                steps_to_tolerance=reached,
                diverged_at=t.diverged_at,
            )
        )
    return summaries


def format_number(value: float | None) -> str:
    """Compact, readable: 3 significant digits, '—' for missing values."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3g}"
