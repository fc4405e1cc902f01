"""Surface values on the plot grid: shape, orientation, limits, sanitising, no recompiles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import SURFACES, Surface
from landscapes.base import fixed
from landscapes.grid import MAX_RESOLUTION, compile_count, surface_grid

ROOT = Path(__file__).resolve().parent.parent


def test_axes_span_the_domain_and_rows_follow_y():
    surface = SURFACES["rosenbrock"]
    params = {"a": 0.5, "b": 3.0}
    xs, ys, zs = surface_grid("rosenbrock", params, 7)
    assert xs.shape == ys.shape == (7,) and zs.shape == (7, 7)
    assert ((xs[0], xs[-1]), (ys[0], ys[-1])) == surface.domain
    assert zs.dtype == np.float64 and isinstance(zs, np.ndarray)
    for i, j in [(0, 6), (2, 5), (6, 1)]:
        expected = surface.fn(jnp.array([xs[j], ys[i]]), params)
        assert zs[i, j] == pytest.approx(float(expected), rel=1e-12)


def test_missing_params_take_their_defaults():
    explicit = surface_grid("canyon", {"kappa": 20.0, "angle": 0.0}, 11)[2]
    assert np.array_equal(surface_grid("canyon", {}, 11)[2], explicit)
    assert not np.array_equal(surface_grid("canyon", {"kappa": 5.0}, 11)[2], explicit)


@pytest.mark.parametrize("resolution", [MAX_RESOLUTION + 1, 1, 0, -3, 2.5, True, "50"])
def test_bad_resolutions_are_refused(resolution):
    with pytest.raises(ValueError, match="resolution"):
        surface_grid("sphere", {}, resolution)


def test_the_largest_resolution_is_accepted():
    assert surface_grid("sphere", {}, MAX_RESOLUTION)[2].shape == (MAX_RESOLUTION,) * 2


@pytest.mark.parametrize(
    "params, message", [({"kappa": 1e6}, "kappa"), ({"depth": 1.0}, "unknown")]
)
def test_bad_params_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        surface_grid("canyon", params, 5)


def test_changing_params_never_recompiles():
    surface_grid("rosenbrock", {}, 32)
    compiled = compile_count()
    for a, b in [(0.3, 2.0), (-1.0, 150.0), (1.5, 1.0)]:
        surface_grid("rosenbrock", {"a": a, "b": b}, 32)
    assert compile_count() == compiled


def test_non_finite_values_become_the_finite_maximum(monkeypatch):
    broken = Surface(
        name="test_non_finite",
        title="1/x",
        latex="y/x",
        fn=lambda xy, p: xy[1] / xy[0],  # ±inf on x = 0, NaN at the origin
        domain=((-1.0, 1.0), (-1.0, 1.0)),
        minima=fixed(),
        min_value=None,
        default_start=(0.5, 0.5),
    )
    monkeypatch.setitem(SURFACES, broken.name, broken)
    xs, ys, zs = surface_grid(broken.name, {}, 5)
    assert np.isfinite(zs).all()
    column = zs[:, 2]  # x = 0
    assert np.all(column == zs[:, [0, 1, 3, 4]].max())
    assert zs[0, 3] == -1.0 / 0.5


def test_importing_creates_no_jax_arrays():
    code = "import jax, landscapes.grid; print(len(jax.live_arrays()))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0"
