"""Every optimizer Optiscape offers, keyed by the name used in URLs.

Hyperparameter names, defaults and conventions follow torch.optim (only the default
learning rates are chosen for 2D demos); Lion follows optax. Rules optax implements in
torch's convention are composed from optax; the others are in `optimizers.transforms`.
The learning rate (a schedule) always multiplies the final direction, as in torch: e.g.
RMSProp with momentum is `scale_by_rms → trace → lr`, not optax.rmsprop's `… → lr → trace`.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import optax

from optimizers import transforms
from optimizers.base import LearningRate, Optimizer
from schema import Param

Hyper = Mapping[str, jnp.ndarray]


def _lr(default: float) -> Param:
    return Param("lr", default, 1e-6, 10.0, "learning rate η", log=True)


def _weight_decay(default: float = 0.0, decoupled: bool = False) -> Param:
    label = "weight decay λ (decoupled)" if decoupled else "weight decay λ (L2 in the gradient)"
    return Param("weight_decay", default, 0.0, 10.0, label)


def _eps(default: float) -> Param:
    return Param("eps", default, 1e-12, 1.0, "ε", log=True)


MOMENTUM = Param("momentum", 0.9, 0.0, 0.999, "momentum μ")
BETA1 = Param("beta1", 0.9, 0.0, 0.9999, "β₁")
BETA2 = Param("beta2", 0.999, 0.0, 0.99999, "β₂")
ADAM_HYPER = (BETA1, BETA2, _eps(1e-8))

# LaTeX fragments shared by the Adam family: one assignment per line, lines joined by `\\`
# (the page renders each line as its own block, at most ~280 px wide at 16 px).
_MOMENTS = r"m \leftarrow \beta_1 m + (1-\beta_1)\, g \\ s \leftarrow \beta_2 s + (1-\beta_2)\, g^2"
_HATS = r"\hat m = m/(1-\beta_1^t),\ \ \hat s = s/(1-\beta_2^t)"
_L2 = r"g \leftarrow \nabla f(\theta) + \lambda\theta"
_ADAM_STEP = r"\theta \leftarrow \theta - \eta\, \hat m/(\sqrt{\hat s} + \epsilon)"


def _l2(h: Hyper, *chain: optax.GradientTransformation) -> optax.GradientTransformation:
    """torch's coupled `weight_decay`: λθ added to the gradient before the rule."""
    return optax.chain(optax.add_decayed_weights(h["weight_decay"]), *chain)


def _sgd(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return _l2(h, optax.sgd(lr))


def _momentum(h: Hyper, lr: LearningRate, nesterov: bool = False) -> optax.GradientTransformation:
    return _l2(h, optax.sgd(lr, momentum=h["momentum"], nesterov=nesterov))


def _nesterov(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return _momentum(h, lr, nesterov=True)


def _adagrad(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    def decayed(count: jnp.ndarray) -> jnp.ndarray:
        """torch's lr / (1 + (t − 1)·lr_decay), t counted from 1."""
        return lr(count) / (1.0 + count * h["lr_decay"])

    return _l2(
        h, transforms.scale_by_torch_adagrad(h["eps"]), optax.scale_by_learning_rate(decayed)
    )


def _rmsprop(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    scale = optax.scale_by_stddev if h["centered"] else optax.scale_by_rms
    return _l2(
        h,
        scale(decay=h["alpha"], eps=h["eps"], eps_in_sqrt=False),
        optax.trace(decay=h["momentum"]),  # momentum 0 leaves the direction unchanged
        optax.scale_by_learning_rate(lr),
    )


def _adam(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    if h["bias_correction"]:
        rule = optax.scale_by_adam(b1=h["beta1"], b2=h["beta2"], eps=h["eps"])
    else:
        rule = transforms.scale_by_torch_adam(
            h["beta1"], h["beta2"], h["eps"], bias_correction=False
        )
    return _l2(h, rule, optax.scale_by_learning_rate(lr))


def _adamw(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return optax.adamw(
        lr, b1=h["beta1"], b2=h["beta2"], eps=h["eps"], weight_decay=h["weight_decay"]
    )


def _amsgrad(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    rule = transforms.scale_by_torch_adam(h["beta1"], h["beta2"], h["eps"], amsgrad=True)
    return _l2(h, rule, optax.scale_by_learning_rate(lr))


def _nadam(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    rule = transforms.scale_by_torch_nadam(h["beta1"], h["beta2"], h["eps"], h["momentum_decay"])
    return _l2(h, rule, optax.scale_by_learning_rate(lr))


def _adamax(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return _l2(h, optax.adamax(lr, b1=h["beta1"], b2=h["beta2"], eps=h["eps"]))


def _adadelta(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return _l2(h, optax.adadelta(lr, rho=h["rho"], eps=h["eps"]))


def _lion(h: Hyper, lr: LearningRate) -> optax.GradientTransformation:
    return optax.lion(lr, b1=h["beta1"], b2=h["beta2"], weight_decay=h["weight_decay"])


def _newton(h: Hyper, lr: LearningRate) -> optax.GradientTransformationExtraArgs:
    return optax.chain(transforms.scale_by_newton(h["damping"]), optax.scale_by_learning_rate(lr))


_OPTIMIZERS = (
    Optimizer(
        name="sgd",
        title="Gradient descent (SGD)",
        latex=_L2 + r" \\ \theta \leftarrow \theta - \eta\, g",
        summary="Steps straight downhill, as far as the learning rate times the slope.",
        build=_sgd,
        hyper=(_lr(0.01), _weight_decay()),
    ),
    Optimizer(
        name="momentum",
        title="Momentum (heavy ball)",
        latex=_L2 + r" \\ v \leftarrow \mu v + g \\ \theta \leftarrow \theta - \eta\, v",
        summary="Keeps a running velocity, so steps build up along the valley and cancel across it.",
        build=_momentum,
        hyper=(_lr(0.01), MOMENTUM, _weight_decay()),
        internals={"velocity": "trace"},
    ),
    Optimizer(
        name="nesterov",
        title="Nesterov momentum",
        latex=(
            _L2 + r" \\ v \leftarrow \mu v + g \\ "
            r"\theta \leftarrow \theta - \eta\,(g + \mu v)"
        ),
        summary="Momentum that looks one step ahead, so it brakes before overshooting.",
        build=_nesterov,
        hyper=(_lr(0.01), MOMENTUM, _weight_decay()),
        internals={"velocity": "trace"},
    ),
    Optimizer(
        name="adagrad",
        title="AdaGrad",
        latex=(
            _L2 + r" \\ s \leftarrow s + g^2 \\ "
            r"\eta_t = \eta/(1 + (t-1)\,\delta) \\ "
            r"\theta \leftarrow \theta - \eta_t\, g/(\sqrt{s} + \epsilon)"
        ),
        summary=(
            "Divides each axis's step by the root of all its squared slopes so far, "
            "so steps only ever shrink."
        ),
        build=_adagrad,
        hyper=(
            _lr(0.1),
            Param("lr_decay", 0.0, 0.0, 1.0, "learning-rate decay δ"),
            _eps(1e-10),
            _weight_decay(),
        ),
        internals={"accumulator": "sum_of_squares"},
    ),
    Optimizer(
        name="rmsprop",
        title="RMSProp",
        latex=(
            _L2 + r" \\ s \leftarrow \alpha s + (1-\alpha)\, g^2 \\ "
            r"\bar g \leftarrow \alpha \bar g + (1-\alpha)\, g \text{ (else 0)} \\ "
            r"v \leftarrow \mu v + g/(\sqrt{s - \bar g^2} + \epsilon) \\ "
            r"\theta \leftarrow \theta - \eta\, v"
        ),
        summary=(
            "Divides each axis's step by the root of a running average of its squared slopes, "
            "which forgets the distant past."
        ),
        build=_rmsprop,
        hyper=(
            _lr(0.01),
            Param("alpha", 0.99, 0.0, 0.9999, "smoothing α"),
            _eps(1e-8),
            Param("momentum", 0.0, 0.0, 0.999, "momentum μ"),
            Param("centered", False, label="centered (subtract the mean gradient)", kind="bool"),
            _weight_decay(),
        ),
        internals={"second_moment": "nu", "velocity": "trace"},
    ),
    Optimizer(
        name="adam",
        title="Adam",
        latex=(
            _L2 + r" \\ " + _MOMENTS + r" \\ " + _HATS + r" \\ " + _ADAM_STEP
            + r" \\ \text{no bias correction: } \hat m = m,\ \hat s = s"
        ),
        summary="Momentum plus a per-axis step size scaled by the recent gradient size.",
        build=_adam,
        hyper=(
            _lr(0.05),
            *ADAM_HYPER,
            _weight_decay(),
            Param("bias_correction", True, label="bias correction", kind="bool"),
        ),
        internals={"first_moment": "mu", "second_moment": "nu"},
    ),
    Optimizer(
        name="adamw",
        title="AdamW",
        latex=(
            r"g = \nabla f(\theta) \\ \theta \leftarrow \theta - \eta\lambda\theta \\ "
            + _MOMENTS + r" \\ " + _HATS + r" \\ " + _ADAM_STEP
        ),
        summary=(
            "Adam that shrinks the weights directly instead of adding the decay to the "
            "gradient, so the decay is not rescaled per axis."
        ),
        build=_adamw,
        hyper=(_lr(0.05), *ADAM_HYPER, _weight_decay(0.01, decoupled=True)),
        internals={"first_moment": "mu", "second_moment": "nu"},
    ),
    Optimizer(
        name="amsgrad",
        title="AMSGrad",
        latex=(
            _L2 + r" \\ " + _MOMENTS + r" \\ s_{\max} \leftarrow \max(s_{\max}, s) \\ "
            r"\hat m = m/(1-\beta_1^t),\ \ \hat s = s_{\max}/(1-\beta_2^t) \\ " + _ADAM_STEP
        ),
        summary="Adam whose per-axis step size never grows back once the slopes calm down.",
        build=_amsgrad,
        hyper=(_lr(0.05), *ADAM_HYPER, _weight_decay()),
        internals={"first_moment": "mu", "second_moment": "nu", "max_second_moment": "nu_max"},
    ),
    Optimizer(
        name="nadam",
        title="NAdam",
        latex=(
            _L2
            + r" \\ \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right) \\ "
            r"\Pi_t = \mu_1 \mu_2 \cdots \mu_t \\ "
            + _MOMENTS
            + r" \\ \hat m = \frac{\mu_{t+1}\, m}{1-\Pi_{t+1}} + \frac{(1-\mu_t)\, g}{1-\Pi_t} \\ "
            r"\hat s = s/(1-\beta_2^t) \\ " + _ADAM_STEP
        ),
        summary="Adam with Nesterov's look-ahead: the momentum step is taken from one step ahead.",
        build=_nadam,
        hyper=(
            _lr(0.05),
            *ADAM_HYPER,
            Param("momentum_decay", 4e-3, 0.0, 0.1, "momentum decay ψ"),
            _weight_decay(),
        ),
        internals={"first_moment": "mu", "second_moment": "nu"},
    ),
    Optimizer(
        name="adamax",
        title="Adamax",
        latex=(
            _L2 + r" \\ m \leftarrow \beta_1 m + (1-\beta_1)\, g \\ "
            r"u \leftarrow \max(\beta_2 u,\ |g| + \epsilon) \\ "
            r"\theta \leftarrow \theta - \eta\, m/\big((1-\beta_1^t)\, u\big)"
        ),
        summary="Adam that scales each axis by the largest recent slope instead of the average.",
        build=_adamax,
        hyper=(_lr(0.05), *ADAM_HYPER, _weight_decay()),
        internals={"first_moment": "mu", "infinity_norm": "nu"},
    ),
    Optimizer(
        name="adadelta",
        title="Adadelta",
        latex=(
            _L2 + r" \\ s \leftarrow \rho s + (1-\rho)\, g^2 \\ "
            r"\Delta = g\, \sqrt{d + \epsilon}/\sqrt{s + \epsilon} \\ "
            r"d \leftarrow \rho d + (1-\rho)\, \Delta^2 \\ \theta \leftarrow \theta - \eta\, \Delta"
        ),
        summary=(
            "Scales each axis's step by the ratio of recent step sizes to recent slopes, "
            "so its units match the parameters'."
        ),
        build=_adadelta,
        hyper=(
            _lr(1.0),
            Param("rho", 0.9, 0.0, 0.9999, "smoothing ρ"),
            _eps(1e-6),
            _weight_decay(),
        ),
        internals={"second_moment": "e_g", "squared_step": "e_x"},
    ),
    Optimizer(
        name="lion",
        title="Lion",
        latex=(
            r"g = \nabla f(\theta) \\ c = \operatorname{sign}\big(\beta_1 m + (1-\beta_1)\, g\big) \\ "
            r"m \leftarrow \beta_2 m + (1-\beta_2)\, g \\ "
            r"\theta \leftarrow \theta - \eta\,(c + \lambda\theta)"
        ),
        summary="Moves every axis by the same amount, in the direction of a momentum's sign.",
        build=_lion,
        hyper=(
            _lr(0.01),
            BETA1,
            Param("beta2", 0.99, 0.0, 0.99999, "β₂"),
            _weight_decay(1e-3, decoupled=True),
        ),
        internals={"momentum": "mu"},
    ),
    Optimizer(
        name="newton",
        title="Newton's method (damped)",
        latex=r"H = \nabla^2 f(\theta) \\ \theta \leftarrow \theta - \eta\,(H + \lambda I)^{-1} g",
        summary=(
            "Uses the curvature to jump to the bottom of the local quadratic bowl, "
            "which is a saddle when the curvature is negative somewhere."
        ),
        build=_newton,
        hyper=(_lr(1.0), Param("damping", 0.0, 0.0, 100.0, "damping λ")),
        needs_hessian=True,
    ),
)

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in _OPTIMIZERS}


def get_optimizer(name: str) -> Optimizer:
    """The registered optimizer called `name` (KeyError naming the choices otherwise)."""
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise KeyError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}") from None
