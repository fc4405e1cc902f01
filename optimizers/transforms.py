"""Update rules written by hand, because optax lacks them or follows another convention.

Everything else in the registry is composed from optax. The rules here are small optax
`GradientTransformation`s with NamedTuple states, each matching torch.optim exactly (up to
rounding) so that the trajectories Optiscape draws are the ones students get from torch:

- `scale_by_torch_adagrad`: optax's `scale_by_rss` puts ε inside the square root and starts
  the accumulator at 0.1 (and returns 0 where it is 0); torch divides by √s + ε, from s = 0.
- `scale_by_torch_adam`: Adam without bias correction (optax's `scale_by_adam` always
  corrects), and AMSGrad as torch does it: the maximum is taken over the raw second moment
  and bias-corrected afterwards (optax's `scale_by_amsgrad` takes the maximum of the
  corrected moment, or of the raw one without correcting it).
- `scale_by_torch_nadam`: torch's NAdam, whose momentum coefficient μ_t follows the
  `momentum_decay` schedule (Dozat's); optax's `nadam` is Adam with a Nesterov look-ahead.
- `scale_by_newton`: damped Newton, (H + λI)⁻¹g with the Hessian passed as the extra
  argument `hessian=`; optax has no second-order rule.

None of them applies the learning rate: the registry chains `optax.scale_by_learning_rate`
after them, which is where torch multiplies by the (scheduled) learning rate too.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByAdamState, ScaleByAmsgradState


class ScaleByTorchAdagradState(NamedTuple):
    """AdaGrad's accumulator of squared gradients (the name optax uses for it)."""

    sum_of_squares: optax.Updates


def scale_by_torch_adagrad(eps: jax.typing.ArrayLike) -> optax.GradientTransformation:
    """g / (√s + ε) with s ← s + g², s starting at 0 (torch.optim.Adagrad)."""

    def init(params):
        return ScaleByTorchAdagradState(sum_of_squares=optax.tree.zeros_like(params))

    def update(updates, state, params=None):
        del params
        total = jax.tree.map(lambda g, s: s + g * g, updates, state.sum_of_squares)
        updates = jax.tree.map(lambda g, s: g / (jnp.sqrt(s) + eps), updates, total)
        return updates, ScaleByTorchAdagradState(sum_of_squares=total)

    return optax.GradientTransformation(init, update)


def scale_by_torch_adam(
    b1: jax.typing.ArrayLike,
    b2: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike,
    *,
    bias_correction: bool = True,
    amsgrad: bool = False,
) -> optax.GradientTransformation:
    """torch.optim.Adam's direction m̂ / (√ŝ + ε), optionally uncorrected or AMSGrad.

    With `amsgrad` the running maximum of the raw second moment replaces it before the bias
    correction, as torch does. The states are optax's own (`ScaleByAdamState`,
    `ScaleByAmsgradState`), so the fields carry the names of `optax.adam`'s.
    """

    def init(params):
        count = jnp.zeros([], jnp.int32)
        zeros = optax.tree.zeros_like
        if amsgrad:
            return ScaleByAmsgradState(count, zeros(params), zeros(params), zeros(params))
        return ScaleByAdamState(count, zeros(params), zeros(params))

    def update(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count = optax.safe_increment(state.count)
        second = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else nu
        if bias_correction:
            first = optax.tree.bias_correction(mu, b1, count)
            root = jnp.sqrt(1.0 - b2**count)
            denominator = jax.tree.map(lambda s: jnp.sqrt(s) / root + eps, second)
        else:
            first = mu
            denominator = jax.tree.map(lambda s: jnp.sqrt(s) + eps, second)
        updates = jax.tree.map(jnp.divide, first, denominator)
        if amsgrad:
            return updates, ScaleByAmsgradState(count, mu, nu, second)
        return updates, ScaleByAdamState(count, mu, nu)

    return optax.GradientTransformation(init, update)


def _rounded(product: jax.Array) -> jax.Array:
    """A non-negative `product`, rounded before a sum reads it: `|·|` keeps XLA:CPU from
    contracting a·b + c into one fused multiply-add, which it does in some kernels and not in
    others (the map's and the trajectory's), so both compute 1 − μ_t from the same rounded μ_t."""
    return jnp.abs(product)


class ScaleByTorchNadamState(NamedTuple):
    """NAdam's step count, product of the momentum coefficients so far, and moments."""

    count: jax.typing.ArrayLike
    mu_product: jax.typing.ArrayLike
    mu: optax.Updates
    nu: optax.Updates


def scale_by_torch_nadam(
    b1: jax.typing.ArrayLike,
    b2: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike,
    momentum_decay: jax.typing.ArrayLike,
) -> optax.GradientTransformation:
    """torch.optim.NAdam's direction, with μ_t = β₁(1 − ½·0.96^(t·ψ)) and ψ = momentum_decay."""

    def coefficient(t):
        return _rounded(b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay)))

    def init(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByTorchNadamState(jnp.zeros([], jnp.int32), jnp.ones([]), zeros, zeros)

    def update(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(state.mu_product.dtype)
        now, following = coefficient(t), coefficient(t + 1.0)
        product = _rounded(state.mu_product * now)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        correction = 1.0 - b2**t
        gradient_weight = (1.0 - now) / (1.0 - product)
        momentum_weight = following / (1.0 - _rounded(product * following))
        updates = jax.tree.map(
            lambda g, m, v: (
                (gradient_weight * g + momentum_weight * m) / (jnp.sqrt(v / correction) + eps)
            ),
            updates,
            mu,
            nu,
        )
        return updates, ScaleByTorchNadamState(count, product, mu, nu)

    return optax.GradientTransformation(init, update)


def scale_by_newton(damping: jax.typing.ArrayLike) -> optax.GradientTransformationExtraArgs:
    """(H + λI)⁻¹ g for a flat parameter vector, H passed as `update(..., hessian=H)`.

    A singular system gives non-finite values, which the engine reports as divergence.
    """

    def init(params):
        del params
        return optax.EmptyState()

    def update(updates, state, params=None, *, hessian, **extra_args):
        del params, extra_args
        system = hessian + damping * jnp.eye(updates.shape[0], dtype=hessian.dtype)
        return jnp.linalg.solve(system, updates), state

    return optax.GradientTransformationExtraArgs(init, update)
