"""The trajectory engine: compilation, divergence, noise, clipping, shapes and run order."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import Noise, Run, Simulation, compile_count, simulate
from engine.trajectories import BOUND, _normal_pair, step_bucket

ROSENBROCK = Simulation("rosenbrock", (Run("sgd", {"lr": 1e-3}),), start=(-1.5, 2.0), steps=80)
SPHERE = Simulation("sphere", (Run("sgd", {"lr": 0.05}),), start=(1.0, -0.5), steps=80)


def _finite(trajectory) -> bool:
    arrays = [trajectory.xy, trajectory.loss, trajectory.grad, trajectory.update, trajectory.lr]
    return all(np.isfinite(a).all() for a in arrays + list(trajectory.internals.values()))


def test_changing_every_number_never_recompiles():
    base = replace(ROSENBROCK, steps=300)
    simulate(base)
    simulate(replace(base, runs=(Run("sgd", clip_norm=9.0, clip_value=9.0),)))
    before = compile_count()
    run = Run("sgd", {"lr": 2e-4, "weight_decay": 0.1}, warmup=5, clip_norm=2.0, clip_value=1.0)
    for variant in (
        replace(base, runs=(run,)),
        replace(base, start=(0.3, -0.7)),
        replace(base, surface_params={"a": 0.5, "b": 20.0}),
        replace(base, surface="himmelblau", start=(1.0, 1.0)),  # surfaces are data too
        replace(base, surface="canyon", surface_params={"kappa": 50.0, "angle": 30.0}),
        replace(base, noise=Noise(batch_size=4, sigma=3.0, seed=11)),
        replace(base, noise=Noise(batch_size=1, sigma=0.1, seed=12)),
        replace(base, steps=451),  # the same bucket
    ):
        assert step_bucket(variant.steps) == step_bucket(base.steps)
        simulate(variant)
    assert compile_count() == before


@pytest.fixture
def forget_compiled():
    """An engine that has compiled nothing yet: call the returned function to forget again."""
    from engine import trajectories

    def forget() -> None:
        trajectories._trajectories.clear_cache()
        trajectories._COMPILED.clear()

    forget()
    yield forget
    forget()


def test_changing_structure_compiles(forget_compiled):
    base = replace(ROSENBROCK, steps=4321)
    simulate(base)
    before = compile_count()
    simulate(replace(base, runs=(Run("momentum"),)))
    simulate(replace(base, runs=(Run("momentum"),), surface="sphere"))  # not a new structure
    simulate(replace(base, runs=(Run("momentum", clip_norm=1.0),)))  # clipping switched on
    simulate(replace(base, runs=(Run("momentum"),), steps=50))  # a bucket 50× shorter
    assert compile_count() == before + 3


def _assert_same(got: list, expected: list) -> None:
    """Trajectories equal to the last bit."""
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.diverged_at == b.diverged_at and a.internals.keys() == b.internals.keys()
        for name in ("xy", "loss", "grad", "update", "lr"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        for name in a.internals:
            np.testing.assert_array_equal(a.internals[name], b.internals[name])


NOISY_GROUP = Simulation(
    "rosenbrock",
    tuple(Run("momentum", {"lr": lr}, schedule="cosine") for lr in (1e-4, 5e-4, 10.0)),
    start=(-1.5, 2.0),
    noise=Noise(batch_size=4, sigma=2.0, seed=5),
)


def test_a_compiled_longer_scan_computes_a_shorter_request_to_the_last_bit(forget_compiled):
    simulate(replace(NOISY_GROUP, steps=900))  # compiles the 1,000-step bucket
    before = compile_count()
    served = simulate(replace(NOISY_GROUP, steps=300))  # the 500-step bucket is not compiled
    assert compile_count() == before
    assert served[2].diverged_at is not None  # lr = 10 diverges: cut the same way
    forget_compiled()
    exact = simulate(replace(NOISY_GROUP, steps=300))
    assert compile_count() == 1  # its own bucket this time
    _assert_same(served, exact)


def test_a_group_is_computed_in_calls_of_a_compiled_single_run_shape(forget_compiled):
    simulate(replace(NOISY_GROUP, runs=NOISY_GROUP.runs[:1], steps=200))
    before = compile_count()
    served = simulate(replace(NOISY_GROUP, steps=200))  # three runs: three calls
    assert compile_count() == before
    forget_compiled()
    _assert_same(served, simulate(replace(NOISY_GROUP, steps=200)))


def test_a_much_longer_compiled_scan_is_not_used(forget_compiled):
    simulate(replace(NOISY_GROUP, steps=4000))  # the 5,000-step bucket
    before = compile_count()
    simulate(replace(NOISY_GROUP, steps=200))  # 250 steps: 20× shorter, compiled anew
    assert compile_count() == before + 1


def test_divergence_cuts_before_the_bad_step():
    (trajectory,) = simulate(replace(ROSENBROCK, runs=(Run("sgd", {"lr": 10.0}),)))
    k = trajectory.diverged_at
    assert k is not None and 1 <= k <= 5
    assert trajectory.xy.shape == (k, 2) and trajectory.loss.shape == (k,)
    assert trajectory.update.shape == (k - 1, 2) and trajectory.lr.shape == (k - 1,)
    assert _finite(trajectory)
    assert np.all(np.abs(trajectory.xy) <= BOUND)


def test_stable_run_does_not_diverge():
    (trajectory,) = simulate(ROSENBROCK)
    assert trajectory.diverged_at is None and _finite(trajectory)


@pytest.fixture
def log_x_surface(monkeypatch, forget_compiled):
    """Every surface's loss replaced by log(x) (NaN for x < 0) in the next compilations; the
    compiled structures are dropped before and after (`forget_compiled`), so no other test
    sees them."""
    from engine import trajectories

    terms = trajectories._surface_terms

    def log_x(key, surface, xy, hessian):
        _, *rest = terms(key, surface, xy, hessian)
        return jnp.log(xy[0]), *rest

    monkeypatch.setattr(trajectories, "_surface_terms", log_x)
    yield
    monkeypatch.undo()  # before `forget_compiled` drops what was compiled with it


def test_non_finite_loss_at_the_start(log_x_surface):
    sim = replace(SPHERE, start=(-1.0, 0.0))
    (trajectory,) = simulate(sim)
    assert trajectory.diverged_at == 0
    assert trajectory.xy.tolist() == [[-1.0, 0.0]]
    assert trajectory.update.shape == (0, 2)
    assert _finite(trajectory)


def test_step_out_of_bounds_diverges_at_once():
    sim = replace(ROSENBROCK, start=(9_000.0, -9_000.0))
    (trajectory,) = simulate(sim)
    assert trajectory.diverged_at == 1
    assert len(trajectory.xy) == 1 and _finite(trajectory)


def test_divergence_after_the_last_requested_step_is_not_reported():
    # On the saddle, SGD with lr = 0.5 doubles y every step: past BOUND at step 24.
    sim = Simulation("saddle", (Run("sgd", {"lr": 0.5}),), start=(0.0, 0.1), steps=50)
    (trajectory,) = simulate(sim)
    assert trajectory.diverged_at == 24
    assert np.abs(trajectory.xy[-1, 1]) <= BOUND < 2 * np.abs(trajectory.xy[-1, 1])
    (short,) = simulate(replace(sim, steps=20))  # the same bucket: computed on, not reported
    assert short.diverged_at is None and len(short.xy) == 21 and _finite(short)


def test_seed_reproducible_and_distinct():
    noisy = replace(SPHERE, noise=Noise(batch_size=2, sigma=1.0, seed=5))
    first, second = simulate(noisy)[0], simulate(noisy)[0]
    other = simulate(replace(noisy, noise=Noise(batch_size=2, sigma=1.0, seed=6)))[0]
    assert np.array_equal(first.xy, second.xy)
    assert not np.array_equal(first.xy, other.xy)


def test_noise_shrinks_with_batch_size():
    exact = simulate(SPHERE)[0]

    def deviation(batch: int) -> float:
        noisy = simulate(replace(SPHERE, noise=Noise(batch_size=batch, sigma=1.0, seed=3)))[0]
        return _deviation(noisy, exact)

    ratio = deviation(1) / deviation(64)
    assert 6.0 < ratio < 10.5  # √64 = 8


def _deviation(noisy, exact) -> float:
    """Root-mean-square distance between two paths."""
    return float(np.sqrt(np.mean((noisy.xy - exact.xy) ** 2)))


def _sgd(*batch_sizes) -> tuple[Run, ...]:
    """SPHERE's run once per batch size (None: the page's)."""
    return tuple(replace(SPHERE.runs[0], batch_size=b) for b in batch_sizes)


def test_a_runs_batch_size_sets_its_noise():
    exact = simulate(SPHERE)[0]
    small, large = simulate(replace(SPHERE, runs=_sgd(1, 64), noise=Noise(batch_size=4, seed=3)))
    assert 6.0 < _deviation(small, exact) / _deviation(large, exact) < 10.5  # √64 = 8
    # Common random numbers: the same draws as a page-wide batch of 1, in any company (to
    # rounding: XLA may vectorize a group of two differently from a group of one).
    (alone,) = simulate(replace(SPHERE, noise=Noise(batch_size=1, seed=3)))
    np.testing.assert_allclose(small.xy, alone.xy, rtol=1e-12, atol=1e-15)


def test_full_batch_run_is_the_exact_path_on_a_noisy_page():
    (exact,) = simulate(SPHERE)
    noise = Noise(batch_size=1, sigma=5.0)
    full, noisy = simulate(replace(SPHERE, runs=_sgd("full", None), noise=noise))
    # Equal to rounding (a group of two may be vectorized differently from a group of one).
    np.testing.assert_allclose(full.xy, exact.xy, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(full.grad, exact.grad, rtol=1e-12, atol=1e-15)
    assert not np.array_equal(noisy.xy, exact.xy)


def test_a_run_without_batch_size_uses_the_pages():
    page = Noise(batch_size=8, sigma=2.0, seed=4)
    (inherited,) = simulate(replace(SPHERE, noise=page))
    (own,) = simulate(replace(SPHERE, runs=_sgd(8), noise=page))
    np.testing.assert_array_equal(inherited.xy, own.xy)
    # On a full-batch page a run's own batch size still has noise (σ and seed: the page's).
    (quiet_page,) = simulate(replace(SPHERE, runs=_sgd(8), noise=replace(page, batch_size=None)))
    np.testing.assert_array_equal(quiet_page.xy, own.xy)


def test_changing_a_runs_batch_size_never_recompiles():
    base = replace(SPHERE, runs=_sgd(None, 4), noise=Noise(batch_size=16, sigma=1.0, seed=2))
    simulate(base)
    before = compile_count()
    for sizes in [(1, "full"), ("full", None), (None, 1_000_000), (64, 2)]:
        simulate(replace(base, runs=_sgd(*sizes)))
        simulate(replace(base, runs=_sgd(*sizes), noise=Noise()))
    assert compile_count() == before


def test_no_batch_size_is_the_exact_gradient_path():
    (trajectory,) = simulate(replace(SPHERE, noise=Noise(batch_size=None, sigma=5.0, seed=1)))
    lr = SPHERE.runs[0].hyper["lr"]
    expected = np.array(SPHERE.start) * (1 - 2 * lr) ** np.arange(SPHERE.steps + 1)[:, None]
    np.testing.assert_allclose(trajectory.xy, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(trajectory.grad, 2 * expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "clip, bound",
    [({"clip_norm": 5.0}, lambda u: np.linalg.norm(u, axis=1)), ({"clip_value": 3.0}, np.abs)],
)
def test_clipping_bounds_the_applied_gradient(clip, bound):
    lr = 1e-4
    sim = replace(ROSENBROCK, runs=(Run("sgd", {"lr": lr}, **clip),))
    (trajectory,) = simulate(sim)
    limit = next(iter(clip.values()))
    assert np.max(bound(trajectory.grad[:-1])) > 10 * limit  # clipping does something
    assert np.max(bound(trajectory.update)) <= lr * limit * (1 + 1e-12)


def test_shapes():
    steps = 37
    (trajectory,) = simulate(replace(ROSENBROCK, runs=(Run("momentum", {"lr": 1e-4}),), steps=steps))
    assert trajectory.xy.shape == (steps + 1, 2)
    assert trajectory.loss.shape == (steps + 1,)
    assert trajectory.grad.shape == (steps + 1, 2)
    assert trajectory.update.shape == (steps, 2)
    assert trajectory.lr.shape == (steps,)
    assert set(trajectory.internals) == {"velocity", "effective_lr"}
    assert all(v.shape == (steps, 2) for v in trajectory.internals.values())


def test_runs_keep_their_order_across_groups():
    runs = (Run("sgd", {"lr": 1e-3}), Run("momentum", {"lr": 1e-4}), Run("sgd", {"lr": 2e-4}))
    together = simulate(replace(ROSENBROCK, runs=runs))
    for run, trajectory in zip(runs, together):
        (alone,) = simulate(replace(ROSENBROCK, runs=(run,)))
        np.testing.assert_allclose(trajectory.xy, alone.xy, rtol=1e-12, atol=1e-15)


def test_noise_draws_are_standard_normal():
    t = jnp.arange(20_000, dtype=jnp.int32)
    draws = np.asarray(jax.vmap(_normal_pair, (None, 0))(jnp.float64(3), t))
    assert abs(draws.mean()) < 0.03 and abs(draws.std() - 1.0) < 0.03
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.03
    assert abs(np.mean(np.abs(draws) > 1.96) - 0.05) < 0.01  # Gaussian tails


def test_group_compiles_into_one_kernel():
    """The speed depends on it (see engine/__init__.py): no operation runs outside the kernel."""
    from engine import trajectories, validate

    sim = validate(ROSENBROCK)
    structure = trajectories._structure(sim, sim.runs[0])
    rows = trajectories._rows(structure, list(sim.runs), sim.noise)
    compiled = trajectories._trajectories.lower(structure, trajectories._common(sim), rows)
    text = compiled.compile().as_text()
    assert "xla_cpu_small_call" in text
    assert " while(" not in text[text.index("ENTRY") :]
