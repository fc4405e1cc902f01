"""Schedules against torch.optim.lr_scheduler (the convention) and optax, step by step.

Where optax differs: its one-cycle schedules put the peak at step pct_start·T (torch:
pct_start·T − 1) and end at T (torch: T − 1), so they are compared to torch only.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import engine  # noqa: F401  (float64 in JAX)
from optimizers.schedules import SCHEDULES, warmup_factor

TOTAL = 60
import torch  # torch.optim.lr_scheduler is the reference: a missing torch fails, never skips


def ours(name: str, params: dict, total: int = TOTAL, steps: int = TOTAL) -> np.ndarray:
    t = jnp.arange(steps, dtype=jnp.float64)
    p = {k: jnp.float64(v) for k, v in {**SCHEDULES[name].defaults(), **params}.items()}
    return np.asarray(SCHEDULES[name].factor(t, p, jnp.float64(total)))


def torch_factors(make, steps: int = TOTAL) -> np.ndarray:
    """The learning rate a torch scheduler sets before each of `steps` steps (base lr 1)."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = make(optimizer)
    factors = []
    for _ in range(steps):
        factors.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(factors)


def optax_factors(schedule, steps: int = TOTAL) -> np.ndarray:
    return np.array([float(schedule(t)) for t in range(steps)])


def test_step_decay():
    expected = torch_factors(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3))
    np.testing.assert_allclose(ours("step", {"step_size": 7, "gamma": 0.3}), expected, rtol=1e-12)
    boundaries = {7 * i: 0.3 for i in range(1, TOTAL // 7 + 1)}
    reference = optax.piecewise_constant_schedule(1.0, boundaries)
    np.testing.assert_allclose(expected, optax_factors(reference), rtol=1e-6)


def test_exponential_is_e_to_the_minus_kt():
    k = 0.05
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=math.exp(-k))
    )
    np.testing.assert_allclose(ours("exponential", {"k": k}), expected, rtol=1e-12)
    reference = optax.exponential_decay(1.0, transition_steps=1, decay_rate=math.exp(-k))
    np.testing.assert_allclose(expected, optax_factors(reference), rtol=1e-6)


@pytest.mark.parametrize("floor", [0.0, 0.1])
def test_cosine_annealing(floor):
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=TOTAL, eta_min=floor)
    )
    np.testing.assert_allclose(ours("cosine", {"eta_min_ratio": floor}), expected, rtol=1e-9)
    reference = optax.cosine_decay_schedule(1.0, decay_steps=TOTAL, alpha=floor)
    np.testing.assert_allclose(expected, optax_factors(reference), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("t_mult", [1, 2])
def test_cosine_warm_restarts(t_mult):
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=8, T_mult=t_mult, eta_min=0.05
        )
    )
    params = {"restarts": 1, "T_0": 8, "T_mult": float(t_mult), "eta_min_ratio": 0.05}
    np.testing.assert_allclose(ours("cosine", params), expected, rtol=1e-9, atol=1e-12)
    if t_mult == 1:
        reference = optax.sgdr_schedule(
            [{"init_value": 1.0, "peak_value": 1.0, "decay_steps": 8, "warmup_steps": 0,
              "end_value": 0.05}] * (TOTAL // 8 + 1)
        )
        np.testing.assert_allclose(expected, optax_factors(reference), rtol=1e-6)


@pytest.mark.parametrize("pct_start", [0.3, 0.25])
def test_one_cycle(pct_start):
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=1.0, total_steps=TOTAL, pct_start=pct_start, div_factor=25.0,
            final_div_factor=1e4, anneal_strategy="cos", cycle_momentum=False,
        )
    )
    params = {"pct_start": pct_start, "div_factor": 25.0, "final_div_factor": 1e4}
    np.testing.assert_allclose(ours("one_cycle", params), expected, rtol=1e-9)


def test_linear_warmup():
    warmup = 10
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.LinearLR(
            o, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup - 1
        )
    )
    t = jnp.arange(TOTAL, dtype=jnp.float64)
    np.testing.assert_allclose(
        np.asarray(warmup_factor(t, jnp.float64(warmup))), expected, rtol=1e-12
    )


def test_constant_and_inverse_time():
    assert np.all(ours("constant", {}) == 1.0)
    k = 0.2
    expected = torch_factors(
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1.0 + k * t))
    )
    np.testing.assert_allclose(ours("inverse_time", {"k": k}), expected, rtol=1e-12)
