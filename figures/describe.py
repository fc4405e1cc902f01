"""What the figures show, in words: the text alternative of every view, written from the data.

A screen reader reads it as each figure's description (`aria-describedby`); it is also what a
student hears instead of seeing which run got where:

    3 runs on Rosenbrock from (−1.5, 2), 500 steps: Momentum reaches the minimum
    (f − f* ≤ 1e-06) at step 76, SGD at step 412; Adam diverges at step 30.

Pure functions of the simulation, the runs' names and the summary rows (figures/summary.py);
where each run ended (`ends`), when given, names a local minimum a run settled in.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from engine import Simulation
from engine.config import batch_label, surface_of
from figures.summary import RunSummary, format_number
from landscapes import SURFACES

NEAR = 0.02  # "at a local minimum": within this fraction of the domain's larger side


def number(value: float | None) -> str:
    """A number as a sentence writes it: 3 significant digits, a true minus sign."""
    return format_number(value).replace("-", "−")


def point(xy: Sequence[float]) -> str:
    """(x, y) with short numbers and true minus signs."""
    return "(" + ", ".join(f"{float(v):.4g}".replace("-", "−") for v in xy) + ")"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _local_minimum(sim: Simulation, end: Sequence[float] | None) -> tuple | None:
    """The known local minimum `end` lies at, if any."""
    surface = surface_of(sim) if sim.surface in SURFACES or sim.formula is not None else None
    if surface is None or end is None or not np.all(np.isfinite(end)):
        return None
    (x0, x1), (y0, y1) = surface.domain
    near = NEAR * max(x1 - x0, y1 - y0)
    for m in surface.local_minima(sim.surface_params):
        if math.dist(m, end) <= near:
            return tuple(m)
    return None


def _unreached(sim: Simulation, runs: list, bounded: bool) -> list[str]:
    """Clauses for the runs that neither reach the minimum nor diverge: a local minimum one
    settled in, else where they end (one clause for all those still on their way)."""
    clauses, going = [], []
    for name, row, end in runs:
        local = _local_minimum(sim, end)
        if local is not None:
            clauses.append(f"{name} stops at the local minimum near {point(local)}")
        elif not bounded:
            clauses.append(f"{name} ends at loss {number(row.final_loss)}")
        else:
            going.append((name, row))
    if len(going) == 1:
        name, row = going[0]
        away = (
            f", {number(row.distance_to_minimum)} from it"
            if row.distance_to_minimum is not None
            else ""
        )
        clauses.append(
            f"{name} has not reached the minimum after {sim.steps} steps "
            f"(loss {number(row.final_loss)}{away})"
        )
    elif going:
        losses = [f"{name} (loss {number(row.final_loss)})" for name, row in going[:1]]
        losses += [f"{name} ({number(row.final_loss)})" for name, row in going[1:]]
        clauses.append(f"after {sim.steps} steps {_join(losses)} have not reached the minimum")
    return clauses


def describe(
    sim: Simulation,
    names: Sequence[str],
    rows: Sequence[RunSummary],
    tolerance: float,
    ends: Sequence[Sequence[float]] | None = None,
) -> str:
    """One paragraph: how many runs, on which surface, from where; then which runs reach the
    minimum and when (first first), which diverge and when, and where the others end.

    `names`: each run's short name; `rows`: `summarize(sim, …)`; `ends`: each run's last
    position (optional).
    """
    surface = surface_of(sim) if sim.surface in SURFACES or sim.formula is not None else None
    title = surface.title if surface is not None else sim.surface
    count = len(rows)
    head = f"{count} run{'s' if count != 1 else ''} on {title}"
    if sim.start is not None:
        head += f" from {point(sim.start)}"
    if sim.noise.batch_size is not None:
        head += f" with mini-batch noise ({batch_label(sim.noise.batch_size)})"
    head += f", {sim.steps} step{'s' if sim.steps != 1 else ''}"
    bounded = surface is not None and surface.min_value is not None
    ends = list(ends) if ends is not None else [None] * count

    reached = sorted(
        (row.steps_to_tolerance, name)
        for name, row in zip(names, rows)
        if row.steps_to_tolerance is not None and row.diverged_at is None
    )
    diverged = sorted(
        (row.diverged_at, name) for name, row in zip(names, rows) if row.diverged_at is not None
    )
    others = _unreached(sim, [
        (name, row, end)
        for name, row, end in zip(names, rows, ends)
        if row.diverged_at is None and row.steps_to_tolerance is None
    ], bounded)
    clauses = []
    if reached:
        first_step, first = reached[0]
        rest = [f"{name} at step {step}" for step, name in reached[1:]]
        clauses.append(_join([
            f"{first} reaches the minimum (f − f* ≤ {tolerance:g}) at step {first_step}", *rest
        ]))
    if diverged:
        clauses.append(_join([f"{name} diverges at step {step}" for step, name in diverged]))
    clauses += others
    return f"{head}: {'; '.join(clauses)}." if clauses else f"{head}."


__all__ = ["describe", "number", "point"]
