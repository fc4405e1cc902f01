"""The map engine (engine/maps.py) against the trajectory engine and independent loops."""

from __future__ import annotations

import numpy as np
import pytest

import engine  # noqa: F401 - float64
from engine import ConfigError, Noise, Run, Simulation, simulate, validate
from engine.maps import (
    MAX_MAP_RUNS,
    axis_values,
    base_cells,
    compile_count,
    settings,
    sweep,
    vary,
)
from engine.measures import steps_to_tolerance
from landscapes import SURFACES
from optimizers import OPTIMIZERS

TOL = 1e-6


def _starts(sim, n):
    (x0, x1), (y0, y1) = SURFACES[sim.surface].domain
    xs, ys = axis_values(x0, x1, n), axis_values(y0, y1, n)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def _same(cell, result, k, path, surface):
    """Cell k of a sweep equals `path` (a Trajectory) to the last bit: its final position and
    loss, its best loss, the step it reached the tolerance and the step it diverged."""
    min_value = SURFACES[surface].min_value
    reached = steps_to_tolerance(path.loss, min_value, TOL)
    assert result.steps_to_tol[k] == (-1 if reached is None else reached), cell
    assert result.diverged_at[k] == (-1 if path.diverged_at is None else path.diverged_at), cell
    assert result.final_xy[k].tolist() == path.xy[-1].tolist(), cell
    assert result.final_loss[k] == path.loss[-1], cell
    assert result.best_loss[k] == path.loss.min(), cell


CASES = [  # (surface, run, noise): elementwise rules, schedules, noise, and the vmapped rules
    ("himmelblau", Run("adam", {"lr": 0.05}), Noise()),
    ("rosenbrock", Run("momentum", {"lr": 0.002, "momentum": 0.9}, schedule="cosine"), Noise()),
    ("double_well", Run("rmsprop", {"lr": 0.02}, warmup=20), Noise(batch_size=4, seed=3)),
    ("canyon", Run("nadam", {"lr": 0.3}), Noise()),  # large steps: some starts diverge
    ("himmelblau", Run("sgd", {"lr": 0.01}, clip_norm=1.0), Noise()),  # coupled: vmapped
    ("beale", Run("newton", {"lr": 0.5, "damping": 0.1}), Noise()),
]


@pytest.mark.parametrize("surface, run, noise", CASES, ids=lambda c: getattr(c, "optimizer", None))
def test_every_start_cell_equals_the_trajectory_of_its_link(surface, run, noise):
    sim = validate(Simulation(surface, (Run("sgd"), run), steps=150, noise=noise))
    starts = _starts(sim, 8)
    result = sweep(sim, 1, base_cells(sim, 1, len(starts))._replace(start=starts), TOL)
    for k in range(len(starts)):
        linked = validate(Simulation(surface, sim.runs, tuple(starts[k]), sim.steps, noise=noise))
        _same(k, result, k, simulate(linked)[1], surface)


@pytest.mark.parametrize("surface, run, noise", CASES, ids=lambda c: getattr(c, "optimizer", None))
def test_the_kernel_that_tests_every_step_equals_every_position_to_the_last_bit(surface, run, noise):
    """The fan's kernel, which also recomputes the cells a map cannot vouch for: every position
    and loss of a cell is its link's, bit for bit (NAdam's μ_t is rounded before 1 − μ_t reads
    it, as torch rounds it, in both engines)."""
    sim = validate(Simulation(surface, (Run("sgd"), run), steps=150, noise=noise))
    starts = _starts(sim, 6)
    result = sweep(sim, 1, base_cells(sim, 1, len(starts))._replace(start=starts), TOL, trace=True)
    for k in range(len(starts)):
        path = simulate(validate(Simulation(surface, sim.runs, tuple(starts[k]), sim.steps, noise=noise)))[1]
        n = len(path.xy)
        assert result.path[k][:n].tolist() == path.xy.tolist(), k
        assert result.losses[k][:n].tolist() == path.loss.tolist(), k


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_s_cells_equal_their_trajectories(optimizer):
    """Each rule with its defaults (AdamW's decoupled decay, Newton's solve, …), on a curved
    valley and a surface with four minima."""
    for surface in ("rosenbrock", "himmelblau"):
        sim = validate(Simulation(surface, (Run(optimizer),), steps=80))
        starts = _starts(sim, 3)
        result = sweep(sim, 0, base_cells(sim, 0, len(starts))._replace(start=starts), TOL)
        for k in range(len(starts)):
            linked = validate(Simulation(surface, sim.runs, tuple(starts[k]), sim.steps))
            _same((optimizer, surface, k), result, k, simulate(linked)[0], surface)


def test_a_hyperparameter_cell_equals_the_trajectory_with_those_settings():
    sim = validate(Simulation("canyon", (Run("momentum"),), start=(-1.8, 0.6), steps=200,
                              surface_params={"kappa": 20.0}))
    lrs, mus = np.geomspace(1e-3, 0.5, 6), np.linspace(0.0, 0.95, 5)
    grid_lr, grid_mu = np.meshgrid(lrs, mus)
    cells = vary(base_cells(sim, 0, grid_lr.size), sim, 0, "lr", grid_lr.ravel())
    cells = vary(cells, sim, 0, "kappa", np.full(grid_lr.size, 30.0))
    cells = vary(cells, sim, 0, "momentum", grid_mu.ravel())
    result = sweep(sim, 0, cells, TOL)
    assert (result.diverged_at >= 0).any() and (result.diverged_at < 0).any()
    for k in range(grid_lr.size):
        run = Run("momentum", {"lr": grid_lr.ravel()[k], "momentum": grid_mu.ravel()[k]})
        linked = validate(Simulation("canyon", (run,), sim.start, sim.steps,
                                     surface_params={"kappa": 30.0}))
        _same(k, result, k, simulate(linked)[0], "canyon")


def test_a_seed_fan_traces_each_seed_as_its_own_link():
    sim = validate(Simulation("rosenbrock", (Run("adam", {"lr": 0.02}),), steps=100,
                              noise=Noise(batch_size=2, sigma=1.0, seed=10)))
    cells = base_cells(sim, 0, 5)._replace(seed=np.arange(10.0, 15.0))
    result = sweep(sim, 0, cells, TOL, trace=True)
    for k in range(5):
        linked = validate(Simulation("rosenbrock", sim.runs, sim.start, 100,
                                     noise=Noise(batch_size=2, sigma=1.0, seed=10 + k)))
        path = simulate(linked)[0]
        assert result.losses[k].tolist() == path.loss.tolist()
        assert result.path[k].tolist() == path.xy.tolist()
    assert len({tuple(p[-1]) for p in result.path}) == 5  # the seeds differ


def test_himmelblau_small_steps_end_in_the_minimum_an_independent_numpy_loop_reaches():
    sim = validate(Simulation("himmelblau", (Run("sgd", {"lr": 0.005}),), steps=1000))
    starts = _starts(sim, 12)
    result = sweep(sim, 0, base_cells(sim, 0, len(starts))._replace(start=starts), TOL)
    minima = np.array(SURFACES["himmelblau"].minima({}))
    xy = starts.copy()
    for _ in range(1000):  # gradient descent written out: ∇f of (x² + y − 11)² + (x + y² − 7)²
        x, y = xy[:, 0], xy[:, 1]
        a, b = x**2 + y - 11, x + y**2 - 7
        xy = xy - 0.005 * np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=1)
    expected = np.argmin(np.linalg.norm(xy[:, None] - minima[None], axis=2), axis=1)
    assert (result.minimum == expected).all()
    assert set(result.minimum) == {0, 1, 2, 3}  # four basins


def test_changing_every_number_never_recompiles():
    sim = validate(Simulation("rosenbrock", (Run("adam"),), steps=100))
    cells = base_cells(sim, 0, 64)._replace(start=_starts(sim, 8))
    sweep(sim, 0, vary(cells, sim, 0, "lr", np.geomspace(1e-3, 1, 64)), TOL)
    before = compile_count()
    other = validate(Simulation("rosenbrock", (Run("adam", {"beta1": 0.5}),), steps=90,
                                surface_params={"a": 1.2}))
    moved = base_cells(other, 0, 64)._replace(start=_starts(other, 8) * 0.5)
    sweep(other, 0, vary(moved, other, 0, "lr", np.geomspace(1e-2, 2, 64)), 1e-3)
    assert compile_count() == before


def test_the_caps_name_the_field():
    sim = validate(Simulation("sphere", (Run("sgd"),), steps=10_000))
    with pytest.raises(ConfigError) as error:
        sweep(sim, 0, base_cells(sim, 0, MAX_MAP_RUNS + 1), TOL)
    assert error.value.field == "runs"
    with pytest.raises(ConfigError) as error:
        sweep(sim, 0, base_cells(sim, 0, 20_000), TOL)
    assert error.value.field == "steps"


def test_settings_list_hyperparameters_schedule_and_surface_parameters():
    sim = validate(Simulation("canyon", (Run("adam", schedule="step"),)))
    names = settings(sim, 0)
    assert {"lr", "beta1", "beta2", "eps", "weight_decay", "kappa", "angle"} <= set(names)
    assert "bias_correction" not in names  # a switch is structure, not a number
    assert names["kappa"][0] == "slots" and names["lr"][0] == "row"


def test_axis_values_are_cell_centres():
    assert axis_values(0, 1, 4).tolist() == [0.125, 0.375, 0.625, 0.875]
    np.testing.assert_allclose(np.log10(axis_values(1e-3, 1, 3, log=True)), [-2.5, -1.5, -0.5])
