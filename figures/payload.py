"""The compact trajectory data the browser animates (rounded: small, but exact enough to draw).

Nothing non-finite ever reaches the page: the engine cuts a run before the step that
diverged, values are rounded with non-finite ones as 0, and ranges are checked here.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from engine import Simulation, Trajectory
from engine.config import surface_of
from engine.trajectories import TINY_GRADIENT
from figures.theme import halo_color, text_color

GAP_FLOOR = 1e-16  # the smallest loss gap f − f* drawn on a log axis
LOSS_DECADES = 16  # a log loss axis spans at most this many powers of ten


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
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.round(values * scale) / scale
    return np.where(np.isfinite(rounded), rounded, 0.0)


def inside(xy: np.ndarray, domain) -> np.ndarray:
    """Whether each point of `xy` (n, 2) lies in the closed rectangle `domain`."""
    (x0, x1), (y0, y1) = domain
    return (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)


def boundary_crossing(p: np.ndarray, q: np.ndarray, domain) -> np.ndarray:
    """Where the segment from `p` (inside `domain`) to `q` (outside) first meets the
    domain's edge."""
    t = 1.0
    for axis, (low, high) in enumerate(domain):
        d = q[axis] - p[axis]
        if q[axis] > high and d > 0:
            t = min(t, (high - p[axis]) / d)
        elif q[axis] < low and d < 0:
            t = min(t, (low - p[axis]) / d)
    return p + max(t, 0.0) * (q - p)


def exit_of(xy: np.ndarray, diverged_at: int | None, domain) -> dict:
    """How a run's path is drawn on the plane views: the positions drawn as they are
    (`end`, the last index), then the point where it leaves the domain for good (`edge`),
    and the ✕ mark (`mark`) shown from step `mark_step` on, with its `mark_text`.

    A run that ends inside the domain and did not diverge has no edge and no mark; one that
    diverged while still inside is marked at its last finite position.
    """
    n = len(xy)
    ok = inside(xy, domain)
    none = {"end": n - 1, "edge": None, "mark": None, "mark_step": None, "mark_text": ""}
    if ok[-1] and diverged_at is None:
        return none
    text = f"diverged at step {diverged_at}" if diverged_at is not None else ""
    if ok[-1]:  # diverged in one jump from inside the domain
        return {**none, "mark": xy[-1].tolist(), "mark_step": int(diverged_at), "mark_text": text}
    outside_from = n - 1
    while outside_from > 0 and not ok[outside_from - 1]:
        outside_from -= 1  # the first position of the final stretch outside
    if outside_from == 0:  # started outside: clamp the start onto the edge
        (x0, x1), (y0, y1) = domain
        edge = [float(np.clip(xy[0, 0], x0, x1)), float(np.clip(xy[0, 1], y0, y1))]
        end = 0
    else:
        end = outside_from - 1
        edge = boundary_crossing(xy[end], xy[outside_from], domain).tolist()
    return {
        "end": end, "edge": edge, "mark": edge, "mark_step": outside_from,
        "mark_text": text or f"left the plot at step {outside_from}",
    }


def _gaps(loss: np.ndarray, min_value: float | None) -> np.ndarray:
    if min_value is None:
        return loss
    return np.maximum(loss - min_value, GAP_FLOOR)


def loss_range(
    losses: Sequence[np.ndarray], diverged: Sequence[bool], min_value: float | None
) -> list[float]:
    """The loss view's y range, in axis units (log10 of f − f* where the surface is bounded
    below, else f), from the finite losses of the runs that did not diverge (of all runs if
    every one did): a diverging run's tail never squeezes the others into a line."""
    kept = [loss for loss, gone in zip(losses, diverged) if not gone] or list(losses)
    values = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in kept] or [np.zeros(1)])
    values = _gaps(values[np.isfinite(values)], min_value)
    if values.size == 0:
        values = np.zeros(1) if min_value is None else np.ones(1)
    if min_value is not None:
        values = np.log10(values)
    lo, hi = float(values.min()), float(values.max())
    if min_value is not None:
        lo = max(lo, hi - LOSS_DECADES)
    span = hi - lo
    pad = 0.05 * span if span > 0 else (0.5 if min_value is not None else max(abs(hi) * 0.1, 1.0))
    return [lo - pad, hi + pad]


def trajectory_payload(
    sim: Simulation, trajectories: Sequence[Trajectory], styles: Sequence, colour_scale: tuple,
    tolerance: float,
) -> dict:
    """What the browser needs to draw and animate every view (`sim` validated).

    `styles`: a `RunStyle` per run; `colour_scale`: the surface's (log offset, log floor).
    """
    surface = surface_of(sim)
    domain = [[float(a), float(b)] for a, b in surface.domain]
    log_offset, log_floor = colour_scale
    runs = []
    for t, style in zip(trajectories, styles):
        xy = np.column_stack([significant(t.xy[:, 0], 6), significant(t.xy[:, 1], 6)])
        runs.append({
            "label": style.label,
            "name": style.name or style.label,
            "color": style.color,
            "text_color": text_color(style.color),
            "halo": halo_color(style.color),
            "dash": style.dash,
            "x": np.ascontiguousarray(xy[:, 0]),  # orjson encodes contiguous arrays only
            "y": np.ascontiguousarray(xy[:, 1]),
            "loss": significant(t.loss, 5),
            "diverged_at": t.diverged_at,
            **exit_of(xy, t.diverged_at, domain),
        })
    return {
        "steps": sim.steps,
        "min_value": surface.min_value,
        "log": surface.log_scale,
        "offset": _finite(log_offset),
        "floor": _finite(log_floor),
        "domain": domain,
        "start": [float(sim.start[0]), float(sim.start[1])],
        "tolerance": _finite(tolerance),
        # Below this a gradient is numerical noise: no −g arrow, no effective step (the engine's).
        "tiny_gradient": TINY_GRADIENT,
        "loss_log": surface.min_value is not None,
        "loss_range": loss_range(
            [r["loss"] for r in runs], [t.diverged_at is not None for t in trajectories],
            surface.min_value,
        ),
        "runs": runs,
    }


def _finite(value: float) -> float:
    value = float(value)
    return value if np.isfinite(value) else 0.0


def internals_payload(trajectories: Sequence[Trajectory]) -> list[dict]:
    """Per run and step: gradient, applied step, learning rate and the optimizer's drawn
    state (`state`: name → one (x, y) row per step, the effective per-axis step size
    −Δθ/g as "effective_lr")."""
    return [
        {
            "grad": significant(t.grad, 4),
            "update": significant(t.update, 4),
            "lr": significant(t.lr, 4),
            "state": {name: significant(v, 4) for name, v in t.internals.items()},
        }
        for t in trajectories
    ]
