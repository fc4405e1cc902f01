"""Every registered surface: its listed minima are minima, and it is finite where it is drawn."""

from __future__ import annotations

from functools import cache
from typing import Callable, Mapping

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Run, Simulation, simulate
from landscapes import SURFACES, Point, Surface
from landscapes.grid import surface_values

REQUIRED = {
    "sphere",
    "canyon",
    "saddle",
    "rosenbrock",
    "monkey_saddle",
    "beale",
    "himmelblau",
    "rastrigin",
    "ackley",
    "booth",
    "goldstein_price",
    "six_hump_camel",
    "styblinski_tang",
    "double_well",
}
ALL = sorted(SURFACES)
WITH_PARAMS = [name for name in ALL if SURFACES[name].params]

PLOT_RESOLUTION = 200  # grid for the default parameters
RANDOM_RESOLUTION = 60  # grid for random parameters (hypothesis)
NEIGHBOURS = 21  # points per axis of the local grid around a minimum
VALUE_TOL = 1e-6
GRAD_TOL = 1e-5


@cache
def _derivatives(name: str) -> tuple[Callable, Callable]:
    """Compiled value-and-gradient and Hessian of a surface (params traced, so reused)."""
    fn = SURFACES[name].fn
    return jax.jit(jax.value_and_grad(fn)), jax.jit(jax.hessian(fn))


def _data(params: Mapping[str, float]) -> dict[str, np.float64]:
    return {k: np.float64(v) for k, v in params.items()}


def _inside(surface: Surface, point: Point) -> bool:
    (x_low, x_high), (y_low, y_high) = surface.domain
    return x_low <= point[0] <= x_high and y_low <= point[1] <= y_high


def _domain_values(surface: Surface, params: Mapping[str, float], resolution: int) -> np.ndarray:
    (x_low, x_high), (y_low, y_high) = surface.domain
    xs = np.linspace(x_low, x_high, resolution)
    ys = np.linspace(y_low, y_high, resolution)
    return surface_values(surface.name, _data(params), xs, ys)


def _check_minimum(surface: Surface, params: Mapping[str, float], point: Point) -> float:
    """Assert `point` is a local minimiser of `surface`; return the value there."""
    value_and_grad, hessian = _derivatives(surface.name)
    xy = np.asarray(point, np.float64)
    value, grad = value_and_grad(xy, _data(params))
    value = float(value)
    assert _inside(surface, point), f"{point} lies outside the domain {surface.domain}"
    assert np.max(np.abs(grad)) <= GRAD_TOL, f"gradient {grad} at {point}"
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian(xy, _data(params))))
    assert eigenvalues.min() >= -1e-8 * max(1.0, abs(eigenvalues.max())), (
        f"Hessian eigenvalues {eigenvalues} at {point}"
    )
    (x_low, x_high), (y_low, y_high) = surface.domain
    radius = 1e-3 * max(x_high - x_low, y_high - y_low)
    offsets = np.linspace(-radius, radius, NEIGHBOURS)
    around = surface_values(surface.name, _data(params), point[0] + offsets, point[1] + offsets)
    lowest = np.unravel_index(np.argmin(around), around.shape)
    assert around.min() >= value - 1e-12 * max(1.0, abs(value)), (
        f"a neighbour of {point} is lower: {around.min()!r} < {value!r} "
        f"at offset {(offsets[lowest[1]], offsets[lowest[0]])}"
    )
    return value


def _check_all_minima(surface: Surface, params: Mapping[str, float]) -> None:
    """Every listed global and local minimum is one, at the right height."""
    for point in surface.minima(params):
        value = _check_minimum(surface, params, point)
        assert value == pytest.approx(surface.min_value, abs=VALUE_TOL), point
    for point in surface.local_minima(params):
        value = _check_minimum(surface, params, point)
        assert value > surface.min_value + VALUE_TOL, f"local minimum {point} is global"


def test_registry_names_are_exactly_the_offered_surfaces():
    assert set(SURFACES) == REQUIRED
    assert all(surface.name == name for name, surface in SURFACES.items())


@pytest.mark.parametrize("name", ALL)
def test_metadata_is_consistent(name):
    surface = SURFACES[name]
    (x_low, x_high), (y_low, y_high) = surface.domain
    assert x_low < x_high and y_low < y_high
    assert _inside(surface, surface.default_start)
    assert surface.title and surface.latex
    assert surface.description.endswith(".") and surface.description.count(". ") == 0
    assert len({p.name for p in surface.params}) == len(surface.params)
    for p in surface.params:
        assert p.low <= p.default <= p.high and p.low < p.high, p
    if surface.min_value is None:
        assert not surface.minima(surface.defaults()) and not surface.log_scale
    else:
        assert surface.minima(surface.defaults()), "a bounded surface lists its global minima"


@pytest.mark.parametrize("name", ALL)
def test_listed_minima_are_minima_with_default_params(name):
    surface = SURFACES[name]
    _check_all_minima(surface, surface.defaults())


@pytest.mark.parametrize("name", ALL)
def test_finite_on_the_plot_grid_and_never_below_the_minimum(name):
    surface = SURFACES[name]
    zs = _domain_values(surface, surface.defaults(), PLOT_RESOLUTION)
    assert np.isfinite(zs).all()
    if surface.min_value is None:
        value_and_grad = _derivatives(name)[0]
        start, _ = value_and_grad(np.asarray(surface.default_start), _data(surface.defaults()))
        assert zs.min() < float(start), "an unbounded surface goes below its start"
    else:
        assert zs.min() >= surface.min_value - 1e-9


@pytest.mark.parametrize("name", WITH_PARAMS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_random_params_keep_the_surface_finite_and_its_minima(name, data):
    surface = SURFACES[name]
    params = {
        p.name: data.draw(st.floats(p.low, p.high, allow_nan=False), label=p.name)
        for p in surface.params
    }
    zs = _domain_values(surface, params, RANDOM_RESOLUTION)
    assert np.isfinite(zs).all()
    assert zs.min() >= surface.min_value - 1e-9
    _check_all_minima(surface, params)


def test_double_well_traps_sgd_and_lets_momentum_roll_through():
    """The lecture demo: plain GD stops in the raised basin, momentum reaches the global one."""
    surface = SURFACES["double_well"]
    sgd, momentum = simulate(
        Simulation(
            "double_well",
            (Run("sgd", {"lr": 0.01}), Run("momentum", {"lr": 0.01, "momentum": 0.9})),
            steps=300,
        )
    )
    (trap,) = surface.local_minima(surface.defaults())
    (goal,) = surface.minima(surface.defaults())
    assert sgd.diverged_at is None and momentum.diverged_at is None
    assert np.allclose(sgd.xy[-1], trap, atol=1e-2)
    assert np.allclose(momentum.xy[-1], goal, atol=1e-2)
