"""Every optimizer Optiscape offers, keyed by the name used in URLs.

Hyperparameter names and conventions follow torch.optim; each entry is built from optax.
"""

from __future__ import annotations

import optax

from optimizers.base import Optimizer
from schema import Param

LR = lambda default, high=10.0: Param("lr", default, 1e-6, high, "learning rate", log=True)  # noqa: E731
WEIGHT_DECAY = Param("weight_decay", 0.0, 0.0, 10.0, "weight decay (L2 in the gradient)")


def _l2(h, tx):
    """torch's `weight_decay` for most rules: λθ added to the gradient before the rule."""
    return optax.chain(optax.add_decayed_weights(h["weight_decay"]), tx)


def _sgd(h, lr):
    return _l2(h, optax.sgd(lr))


def _momentum(h, lr):
    return _l2(h, optax.sgd(lr, momentum=h["momentum"], nesterov=False))


def _adam(h, lr):
    return _l2(h, optax.adam(lr, b1=h["beta1"], b2=h["beta2"], eps=h["eps"]))


_OPTIMIZERS = (
    Optimizer(
        name="sgd",
        title="Gradient descent (SGD)",
        latex=r"\theta \leftarrow \theta - \eta\, g",
        summary="Steps straight downhill, as far as the learning rate times the slope.",
        build=_sgd,
        hyper=(LR(0.01), WEIGHT_DECAY),
    ),
    Optimizer(
        name="momentum",
        title="Momentum (heavy ball)",
        latex=r"v \leftarrow \mu v + g,\quad \theta \leftarrow \theta - \eta\, v",
        summary="Keeps a running velocity, so steps build up along the valley and cancel across it.",
        build=_momentum,
        hyper=(LR(0.01), Param("momentum", 0.9, 0.0, 0.999, "momentum μ"), WEIGHT_DECAY),
        internals={"velocity": "trace"},
    ),
    Optimizer(
        name="adam",
        title="Adam",
        latex=(
            r"m \leftarrow \beta_1 m + (1-\beta_1) g,\ s \leftarrow \beta_2 s + (1-\beta_2) g^2,\ "
            r"\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)"
        ),
        summary="Momentum plus a per-axis step size scaled by the recent gradient size.",
        build=_adam,
        hyper=(
            LR(0.001),
            Param("beta1", 0.9, 0.0, 0.9999, "β₁"),
            Param("beta2", 0.999, 0.0, 0.99999, "β₂"),
            Param("eps", 1e-8, 1e-12, 1.0, "ε", log=True),
            WEIGHT_DECAY,
        ),
        internals={"first_moment": "mu", "second_moment": "nu"},
    ),
)

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in _OPTIMIZERS}


def get_optimizer(name: str) -> Optimizer:
    """The registered optimizer called `name` (KeyError naming the choices otherwise)."""
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise KeyError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}") from None
