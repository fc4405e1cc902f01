"""How surface heights become colours and 3D heights (log-scaled where a surface asks)."""

from __future__ import annotations

import numpy as np

LOG_FLOOR = 1e-12


def height_offset(zs: np.ndarray, min_value: float | None) -> float:
    """The value subtracted before a log: the known minimum, or the grid's lowest value."""
    return float(min_value) if min_value is not None else float(np.min(zs))


def to_display(z: np.ndarray, log_scale: bool, offset: float) -> np.ndarray:
    """Heights as drawn: log10(z − offset) for log-scaled surfaces, else z."""
    z = np.asarray(z, dtype=np.float64)
    if not log_scale:
        return z
    return np.log10(np.maximum(z - offset, LOG_FLOOR))
