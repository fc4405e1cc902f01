"""Learning-rate schedules as pure functions of the step count and traced parameters.

optax's schedule constructors validate their arguments in Python (`if not decay_steps > 0`),
so they cannot take traced numbers and would compile every value in. The formulas here are
the same one-liners over arrays; tests check them against optax's and torch's schedules.
Each returns the multiplier of the base learning rate at step `t` (0 for the first update).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax.numpy as jnp

from schema import Param

Factor = Callable[[jnp.ndarray, Mapping[str, jnp.ndarray], jnp.ndarray], jnp.ndarray]


@dataclass(frozen=True)
class Schedule:
    """A named schedule: `factor(t, params, total_steps)` and its parameters."""

    name: str
    title: str
    latex: str
    factor: Factor
    params: tuple[Param, ...] = ()

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}


def _constant(t, p, total):
    return jnp.ones_like(t, dtype=jnp.float64)


def _step(t, p, total):
    return p["gamma"] ** jnp.floor(t / p["step_size"])


def _exponential(t, p, total):
    return jnp.exp(-p["k"] * t)


def _inverse_time(t, p, total):
    return 1.0 / (1.0 + p["k"] * t)


def _cosine(t, p, total):
    """Cosine annealing from 1 to eta_min_ratio over T_0 steps, restarting (SGDR) when on.

    With `restarts` = 0 the period is the whole run; with restarts the n-th period lasts
    T_0·T_mult^n steps (torch's CosineAnnealingWarmRestarts).
    """
    period0 = jnp.where(p["restarts"] > 0, p["T_0"], total)
    mult = p["T_mult"]
    # Position inside the current period, for geometric period lengths.
    geometric = mult != 1.0
    safe_mult = jnp.where(geometric, mult, 2.0)
    n = jnp.where(
        geometric,
        jnp.floor(jnp.log1p(t / period0 * (safe_mult - 1.0)) / jnp.log(safe_mult)),
        jnp.floor(t / period0),
    )

    def start_of(k):
        return jnp.where(geometric, period0 * (safe_mult**k - 1.0) / (safe_mult - 1.0), k * period0)

    # The logarithm can land a hair below an integer exactly at a restart: correct by one.
    n = jnp.where(t >= start_of(n + 1.0), n + 1.0, n)
    n = jnp.where(t < start_of(n), n - 1.0, n)
    start = start_of(n)
    length = jnp.where(geometric, period0 * safe_mult**n, period0)
    phase = jnp.clip((t - start) / length, 0.0, 1.0)
    phase = jnp.where(p["restarts"] > 0, phase, jnp.clip(t / total, 0.0, 1.0))
    low = p["eta_min_ratio"]
    return low + (1.0 - low) * 0.5 * (1.0 + jnp.cos(jnp.pi * phase))


def _one_cycle(t, p, total):
    """torch's OneCycleLR (cosine annealing): up from 1/div to 1, then down to 1/(div·final_div)."""
    peak = p["pct_start"] * total - 1.0
    start, end = 1.0 / p["div_factor"], 1.0 / (p["div_factor"] * p["final_div_factor"])
    up = jnp.clip(t / jnp.maximum(peak, 1e-12), 0.0, 1.0)
    down = jnp.clip((t - peak) / jnp.maximum(total - 1.0 - peak, 1e-12), 0.0, 1.0)

    def anneal(a, b, frac):
        return b + (a - b) / 2.0 * (jnp.cos(jnp.pi * frac) + 1.0)

    return jnp.where(t <= peak, anneal(start, 1.0, up), anneal(1.0, end, down))


_SCHEDULES = (
    Schedule("constant", "Constant", r"\eta_t = \eta_0", _constant),
    Schedule(
        "step",
        "Step decay",
        r"\eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor}",
        _step,
        (
            Param("step_size", 100, 1, 10_000, "every s steps", kind="int"),
            Param("gamma", 0.5, 0.01, 1.0, "factor γ"),
        ),
    ),
    Schedule(
        "exponential",
        "Exponential decay",
        r"\eta_t = \eta_0\, e^{-k t}",
        _exponential,
        (Param("k", 0.005, 0.0, 1.0, "rate k", log=True),),
    ),
    Schedule(
        "inverse_time",
        "1/t decay",
        r"\eta_t = \eta_0 / (1 + k t)",
        _inverse_time,
        (Param("k", 0.01, 0.0, 10.0, "rate k", log=True),),
    ),
    Schedule(
        "cosine",
        "Cosine annealing",
        r"\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\, c_t \\ c_t = 1 + \cos(\pi t / T)",
        _cosine,
        (
            Param("eta_min_ratio", 0.0, 0.0, 1.0, "floor η_min/η₀"),
            Param("restarts", 0, 0, 1, "warm restarts", kind="int"),
            Param("T_0", 100, 1, 10_000, "first period T₀", kind="int"),
            Param("T_mult", 1.0, 1.0, 4.0, "period growth"),
        ),
    ),
    Schedule(
        "one_cycle",
        "One-cycle",
        r"\eta_t:\ \eta_0/d \nearrow \eta_0 \searrow \eta_0/(d\,d_f)",
        _one_cycle,
        (
            Param("pct_start", 0.3, 0.01, 0.99, "share rising"),
            Param("div_factor", 25.0, 1.0, 1e4, "initial divisor d", log=True),
            Param("final_div_factor", 1e4, 1.0, 1e6, "final divisor d_f", log=True),
        ),
    ),
)

SCHEDULES: dict[str, Schedule] = {s.name: s for s in _SCHEDULES}


def warmup_factor(t: jnp.ndarray, warmup: jnp.ndarray) -> jnp.ndarray:
    """Linear warmup from near zero: (t + 1) / warmup for the first `warmup` steps, then 1."""
    return jnp.where(t < warmup, (t + 1.0) / jnp.maximum(warmup, 1.0), 1.0)


def learning_rate(
    schedule: Schedule,
    lr: jnp.ndarray,
    params: Mapping[str, jnp.ndarray],
    warmup: jnp.ndarray,
    total: jnp.ndarray,
) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """The learning rate at step count t: base × warmup × schedule."""

    def at(count):
        t = jnp.asarray(count, jnp.float64)
        return lr * warmup_factor(t, warmup) * schedule.factor(t, params, total)

    return at
