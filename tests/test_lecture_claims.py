"""The lecture's claims about the update rules, checked on trajectories from the engine.

Runs come in pairs (two learning rates or two settings per rule) over 300 steps: the engine
compiles one structure per rule, surface and padded run count, so these reuse the compiles of
tests/test_optimizers.py when both files run together.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Noise, Run, Simulation, Trajectory, simulate

STEPS = 300


def run(surface: str, runs: list[Run], params: dict | None = None, **options) -> list[Trajectory]:
    """Trajectories of `runs`, none of which may diverge."""
    sim = Simulation(surface, tuple(runs), steps=STEPS, surface_params=params or {}, **options)
    trajectories = simulate(sim)
    assert all(t.diverged_at is None for t in trajectories)
    return trajectories


def steps_to_reach(trajectory: Trajectory, tolerance: float, minimum=(0.0, 0.0)) -> int:
    """The first step within `tolerance` of the minimum (STEPS + 1 when never)."""
    close = np.linalg.norm(trajectory.xy - np.asarray(minimum), axis=1) < tolerance
    return int(np.argmax(close)) if close.any() else STEPS + 1


def rotated(point: tuple[float, float], angle: float) -> tuple[float, float]:
    """`point` rotated by `angle` degrees: the same place relative to a canyon rotated so."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return (c * point[0] - s * point[1], s * point[0] + c * point[1])


NEWTON_QUADRATICS = [
    ("sphere", {}),
    *(("canyon", {"kappa": k, "angle": a}) for k in (1.0, 20.0, 200.0) for a in (0.0, 30.0, -75.0)),
]


@pytest.mark.parametrize("surface, params", NEWTON_QUADRATICS)
def test_newton_solves_a_quadratic_in_one_step(surface: str, params: dict) -> None:
    (trajectory,) = run(surface, [Run("newton", hyper={"lr": 1.0})], params, start=(-1.7, 1.3))
    np.testing.assert_allclose(trajectory.xy[1], [0.0, 0.0], rtol=0, atol=1e-12)
    assert trajectory.loss[1] < 1e-20 < trajectory.loss[0]


def test_newton_stops_at_a_saddle() -> None:
    """Newton jumps to the critical point whatever its kind: here a maximum along y."""
    (trajectory,) = run("saddle", [Run("newton")])
    np.testing.assert_allclose(trajectory.xy[1:], 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trajectory.grad[-1], 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "surface, params, rates",
    [("canyon", {"kappa": 20.0, "angle": 0.0}, (0.02, 0.03)), ("sphere", {}, (0.01, 0.02))],
)
def test_momentum_converges_before_sgd(surface: str, params: dict, rates: tuple) -> None:
    runs = [Run(name, hyper={"lr": lr}) for name in ("sgd", "momentum") for lr in rates]
    trajectories = run(surface, runs, params)
    sgd, momentum = trajectories[: len(rates)], trajectories[len(rates) :]
    for lr, plain, heavy in zip(rates, sgd, momentum):
        assert steps_to_reach(heavy, 1e-2) < steps_to_reach(plain, 1e-2) <= STEPS, lr


def test_adagrad_effective_learning_rate_never_grows() -> None:
    """η/(√s + ε) per axis only shrinks, because s only grows (even with noisy gradients)."""
    runs = [Run("adagrad", hyper={"lr": lr}) for lr in (0.1, 0.5)]
    params = {"kappa": 20.0, "angle": 30.0}
    for trajectory in run("canyon", runs, params, noise=Noise(batch_size=4, sigma=2.0, seed=3)):
        accumulator = trajectory.internals["accumulator"]
        assert np.all(np.diff(accumulator, axis=0) >= 0)
        lr = trajectory.lr[:, None]
        rate = lr / (np.sqrt(accumulator) + 1e-10)
        assert np.all(np.diff(rate, axis=0) <= 0)
        measured = trajectory.internals["effective_lr"]
        np.testing.assert_allclose(measured, rate, rtol=1e-12)  # the update is that rate × g
        assert np.all(rate[-1] < rate[0])


def test_bias_correction_and_the_size_of_the_first_steps() -> None:
    """Uncorrected, Adam's first steps are smaller when β₂ ≤ β₁ (both moments start at 0).

    With torch's β₂ = 0.999 they are larger instead: (1 − β₁ᵗ)/√(1 − β₂ᵗ) > 1 early on (Kingma
    & Ba, §3): the lecture's "tiny first steps" needs β₂ ≤ β₁, as in its preset.
    """
    betas = ({"beta2": 0.9}, {})
    runs = [Run("adam", hyper={"bias_correction": on, **b}) for on in (False, True) for b in betas]
    off_small, off_default, on_small, on_default = run("canyon", runs, {"kappa": 20.0})

    def size(trajectory: Trajectory) -> np.ndarray:
        return np.linalg.norm(trajectory.update[:10], axis=1)

    assert np.all(size(off_small) < size(on_small))
    assert np.all(size(off_default) > size(on_default))


def test_adam_is_slower_on_a_rotated_canyon() -> None:
    """Adam's per-axis scaling suits a canyon along the axes; rotated by 45° it needs more steps."""
    runs = [Run("adam", hyper={"lr": lr}) for lr in (0.05, 0.1)]
    start = (-1.8, 0.6)
    steps = {
        angle: [
            steps_to_reach(t, 1e-2)
            for t in run(
                "canyon", runs, {"kappa": 20.0, "angle": angle}, start=rotated(start, angle)
            )
        ]
        for angle in (0.0, 45.0)
    }
    for aligned, diagonal in zip(steps[0.0], steps[45.0]):
        assert aligned < diagonal <= STEPS


def test_weight_decay_is_l2_for_sgd_but_not_for_adam() -> None:
    """SGD with λθ in the gradient is the decoupled θ ← (1 − ηλ)θ − ηg; Adam + L2 is not AdamW."""
    decays = (0.5, 2.0)
    lr = 0.01
    params = {"kappa": 20.0, "angle": 30.0}
    for decay, sgd in zip(
        decays,
        run("canyon", [Run("sgd", hyper={"lr": lr, "weight_decay": d}) for d in decays], params),
    ):
        decoupled = (1 - lr * decay) * sgd.xy[:-1] - lr * sgd.grad[:-1]
        np.testing.assert_allclose(sgd.xy[1:], decoupled, rtol=0, atol=1e-14)
    adam_runs = [
        Run(name, hyper={"lr": 0.05, "weight_decay": d})
        for name in ("adam", "adamw")
        for d in decays
    ]
    trajectories = run("canyon", adam_runs, params)
    for l2, decoupled in zip(trajectories[:2], trajectories[2:]):
        assert np.abs(l2.xy - decoupled.xy).max() > 0.05
