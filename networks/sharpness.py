"""Sharpness: the largest eigenvalue of the Hessian of the full-training-set loss.

Computed by the Lanczos iteration on Hessian-vector products (forward-over-reverse:
the `jvp` of the gradient, never the Hessian itself), with full reorthogonalisation, in
float64, for every run at once (`vmap`). The largest Ritz value of k steps is a lower bound
that converges to the top eigenvalue from below, fastest when it stands apart from the rest,
as the top of a network's Hessian usually does; `tests/test_networks.py` checks it against
the eigenvalues of the full Hessian.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from networks.models import Model, loss
from networks.training import TrainingResult

LANCZOS_STEPS = 30


@functools.partial(jax.jit, static_argnames=("model", "steps"))
def _lanczos(model: Model, thetas, x, labels, start, steps: int):
    """The largest Ritz value of `steps` Lanczos steps from `start`, per row of `thetas`."""

    def gradient(theta):
        return jax.grad(lambda t: loss(model, t, x, labels))(theta)

    def top(theta):
        def hvp(v):
            return jax.jvp(gradient, (theta,), (v,))[1]

        basis = jnp.zeros((steps + 1, theta.shape[0]), theta.dtype)
        basis = basis.at[0].set(start / jnp.linalg.norm(start))
        rows = jnp.arange(steps + 1)[:, None]

        def body(j, carry):
            basis, alpha, beta, alive = carry
            v = basis[j]
            w = hvp(v)
            a = w @ v
            w = w - a * v - jnp.where(j > 0, beta[j - 1], 0.0) * basis[j - 1]
            kept = jnp.where(rows <= j, basis, 0.0)
            for _ in range(2):  # full reorthogonalisation, twice ("twice is enough")
                w = w - kept.T @ (kept @ w)
            b = jnp.linalg.norm(w)
            # After an invariant subspace is found (b ≈ 0) the remaining steps are void: their
            # diagonal entries repeat alpha[0], a Rayleigh quotient, never above the top.
            a = jnp.where(alive, a, alpha[0])
            alive = alive & (b > 1e-12 * jnp.maximum(jnp.abs(a), 1e-300))
            basis = basis.at[j + 1].set(jnp.where(alive, w / jnp.where(alive, b, 1.0), 0.0))
            return basis, alpha.at[j].set(a), beta.at[j].set(jnp.where(alive, b, 0.0)), alive

        zeros = jnp.zeros(steps, theta.dtype)
        _, alpha, beta, _ = jax.lax.fori_loop(
            0, steps, body, (basis, zeros, zeros, jnp.array(True))
        )
        tridiagonal = jnp.diag(alpha) + jnp.diag(beta[:-1], 1) + jnp.diag(beta[:-1], -1)
        return jnp.linalg.eigvalsh(tridiagonal)[-1]

    return jax.vmap(top)(thetas)


def top_eigenvalues(
    model: Model,
    thetas: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    steps: int = LANCZOS_STEPS,
    seed: int = 0,
) -> np.ndarray:
    """The top Hessian eigenvalue of the mean loss on (x, labels) at each row of `thetas`
    (float64; `steps` Lanczos steps, at most the number of parameters)."""
    thetas = np.atleast_2d(np.asarray(thetas, np.float64))
    steps = min(steps, thetas.shape[1])
    start = np.random.default_rng(seed).standard_normal(thetas.shape[1])
    values = _lanczos(
        model,
        jnp.asarray(thetas),
        jnp.asarray(x, jnp.float64),
        jnp.asarray(labels, jnp.int32),
        jnp.asarray(start),
        steps,
    )
    return np.asarray(values)


def sharpness(result: TrainingResult, steps: int = LANCZOS_STEPS) -> list[float | None]:
    """Each run's sharpness at its end: the top eigenvalue of the full-training-set loss's
    Hessian at its last valid weights (None if that is not finite), one entry per run."""
    finals = np.stack([run.final for run in result.runs])
    data = result.dataset
    values = top_eigenvalues(result.model, finals, data.x_train, data.y_train, steps)
    return [float(v) if np.isfinite(v) else None for v in values]
