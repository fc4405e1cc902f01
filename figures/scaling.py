"""How surface heights become colours and 3D heights (log-scaled where a surface asks)."""

from __future__ import annotations

import numpy as np

DECADES = 7  # log-scaled heights span at most this many powers of ten below the grid's top


def height_offset(zs: np.ndarray, min_value: float | None) -> float:
    """The value subtracted before a log: the known minimum, or the grid's lowest value."""
    return float(min_value) if min_value is not None else float(np.min(zs))


def log_floor(zs: np.ndarray, offset: float) -> float:
    """The smallest height shown on a log scale (a single grid point at the minimum would
    otherwise dig a well 12 decades deep)."""
    return max(float(np.max(zs)) - offset, 1e-300) * 10.0**-DECADES


def to_display(z: np.ndarray, log_scale: bool, offset: float, floor: float) -> np.ndarray:
    """Heights as drawn: log10(z − offset) (at least `floor`) for log-scaled surfaces, else z."""
    z = np.asarray(z, dtype=np.float64)
    if not log_scale:
        return z
    return np.log10(np.maximum(z - offset, floor))
