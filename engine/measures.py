"""Measures of a computed path, defined once for the summary table and the presets' claims.

Plain NumPy on a trajectory's arrays (`Trajectory.loss`, `.xy`), which hold no NaN or Inf.
"""

from __future__ import annotations

import numpy as np


def within_tolerance(loss: np.ndarray | float, min_value: float, tolerance: float) -> np.ndarray:
    """Where the loss gap `loss − min_value` is at most `tolerance` (equal counts as reached)."""
    return np.asarray(loss, np.float64) - min_value <= tolerance


def steps_to_tolerance(loss: np.ndarray, min_value: float | None, tolerance: float) -> int | None:
    """The first step whose loss gap `loss − min_value` is ≤ `tolerance`.

    None if no step gets there, or if the surface has no minimum value (unbounded below).
    """
    if min_value is None:
        return None
    hits = np.flatnonzero(within_tolerance(loss, min_value, tolerance))
    return int(hits[0]) if hits.size else None


def nearest_distance(xy: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each row of `xy` (n × 2), the distance to the nearest row of `points` (m ≥ 1 rows)."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    points = np.asarray(points, np.float64).reshape(-1, 2)
    return np.min(np.linalg.norm(xy[:, None] - points[None], axis=2), axis=1)


def roughness(xy: np.ndarray) -> float:
    """Mean size ‖x_{t+1} − 2x_t + x_{t−1}‖ of the path's second differences.

    Zero on a straight path at constant speed, large on a jittery one (and for fewer than
    three positions).
    """
    xy = np.asarray(xy, np.float64)
    if len(xy) < 3:
        return 0.0
    return float(np.mean(np.linalg.norm(np.diff(xy, n=2, axis=0), axis=1)))


def stability_limit(lam_max: np.ndarray | float, momentum: np.ndarray | float = 0.0):
    """The largest learning rate at which gradient descent (momentum 0) or heavy ball still
    converges on a quadratic with largest Hessian eigenvalue `lam_max`: lr·λmax < 2(1 + μ)
    (Polyak 1964; Goh, "Why Momentum Really Works", Distill 2017)."""
    return 2.0 * (1.0 + np.asarray(momentum, np.float64)) / np.asarray(lam_max, np.float64)


def optimal_momentum(lr, lam_min, lam_max):
    """Heavy ball's fastest momentum for learning rate `lr` on a quadratic with Hessian
    eigenvalues in [λmin, λmax]: μ* = max((1 − √(lr·λmin))², (1 − √(lr·λmax))²), where the
    slowest mode is critically damped."""
    lr = np.asarray(lr, np.float64)
    return np.maximum((1 - np.sqrt(lr * lam_min)) ** 2, (1 - np.sqrt(lr * lam_max)) ** 2)


__all__ = [
    "nearest_distance",
    "optimal_momentum",
    "roughness",
    "stability_limit",
    "steps_to_tolerance",
    "within_tolerance",
]
