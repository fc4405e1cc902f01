"""Small classifiers in plain JAX, each a function of ONE flat parameter vector.

Every model's parameters are a single float vector (one per run), cut into its layers at
fixed offsets (`Model.unravel`, the `ravel_pytree` idea with the layout written down), so
every optimizer of the registry applies to it unchanged and planes and PCA work on vectors.
Weights are stored (inputs, outputs): the last axis indexes a layer's neurons or filters,
which is what filter normalisation (`networks.planes`) scales by.

A model is `head(θ, embed(θ, x))`, where `embed` is the first layer's pre-activation
(`x W + b`, or the convolution plus bias) and reads only the first layer's parameters.
`embed` is linear in those parameters, so on a plane `c + a·d₁ + b·d₂` it is
`embed(c) + a·embed(d₁) + b·embed(d₂)`: the loss grid computes it three times instead of once
per grid point (`networks.planes`). Plain JAX rather than a model library: three small
architectures, a fixed flat layout and that split are a few lines each, and a library's
parameter trees would have to be flattened around every call.

| model | data | architecture | parameters |
|---|---|---|---|
| `mlp` | digits | 64 → 32 (tanh) → 10 | 2,410 |
| `cnn` | digits | 3×3 conv, 8 filters, same padding (ReLU) → 2×2 max-pool → 128 → 10 | 1,370 |
| `mlp` | moons | 2 → 16 (tanh) → 16 (tanh) → 2 | 354 |

Initialisation is torch's default for `nn.Linear` and `nn.Conv2d`: every weight and bias
uniform in ±1/√fan_in, drawn with NumPy from a seed (`init`), so it is one vector shared by
all runs and identical in float32 and float64 (up to rounding).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from networks.datasets import DATASETS

Params = Mapping[str, jnp.ndarray]


@dataclass(frozen=True)
class Layer:
    """One weight or bias array: its place in the flat vector and its fan-in."""

    name: str
    shape: tuple[int, ...]
    start: int
    fan_in: int

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def is_bias(self) -> bool:
        return len(self.shape) == 1


def _layers(shapes: tuple[tuple[str, tuple[int, ...]], ...]) -> tuple[Layer, ...]:
    """Layers laid out one after another; a bias takes the fan-in of the weight before it."""
    layers, start, fan_in = [], 0, 1
    for name, shape in shapes:
        if len(shape) > 1:
            fan_in = int(np.prod(shape[:-1]))
        layers.append(Layer(name, shape, start, fan_in))
        start += layers[-1].size
    return tuple(layers)


@dataclass(frozen=True, eq=False)  # compared by identity: one instance per architecture
class Model:
    """A classifier `head(θ, embed(θ, x))` of a flat parameter vector θ.

    `layers` lay out θ; the first `first` of them are the first layer, which `embed` reads
    (linearly); `head` reads the rest. `x` is (examples, features); logits (examples, classes).
    """

    name: str
    title: str
    layers: tuple[Layer, ...]
    first: int
    embed_fn: Callable[[Params, jnp.ndarray], jnp.ndarray]
    head_fn: Callable[[Params, jnp.ndarray], jnp.ndarray]

    @property
    def size(self) -> int:
        """The number of parameters."""
        return self.layers[-1].stop

    @property
    def first_size(self) -> int:
        """θ[:first_size] are the first layer's parameters (what `embed` reads)."""
        return self.layers[self.first - 1].stop

    def unravel(self, theta: jnp.ndarray) -> dict[str, jnp.ndarray]:
        """Each layer's array, cut from the flat vector `theta` (views, no copy)."""
        return {l.name: theta[l.start : l.stop].reshape(l.shape) for l in self.layers}

    def embed(self, theta: jnp.ndarray, x: jnp.ndarray) -> jnp.ndarray:
        """The first layer's pre-activation: linear in θ[:first_size]."""
        return self.embed_fn(self.unravel(theta), x)

    def head(self, theta: jnp.ndarray, z: jnp.ndarray) -> jnp.ndarray:
        """The logits from the first layer's pre-activation `z`."""
        return self.head_fn(self.unravel(theta), z)

    def logits(self, theta: jnp.ndarray, x: jnp.ndarray) -> jnp.ndarray:
        return self.head(theta, self.embed(theta, x))


def cross_entropy(logits: jnp.ndarray, labels: jnp.ndarray) -> jnp.ndarray:
    """The mean negative log-likelihood of `labels` (torch's `F.cross_entropy`)."""
    log_p = jax.nn.log_softmax(logits, axis=-1)
    chosen = labels[:, None] == jnp.arange(logits.shape[-1])  # a mask, not a gather: its
    return -jnp.mean(jnp.sum(jnp.where(chosen, log_p, 0.0), axis=-1))  # gradient needs no scatter


def accuracy(logits: jnp.ndarray, labels: jnp.ndarray) -> jnp.ndarray:
    """The share of examples whose largest logit is their label."""
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels).astype(logits.dtype)


def loss(model: Model, theta: jnp.ndarray, x: jnp.ndarray, labels: jnp.ndarray) -> jnp.ndarray:
    """The mean cross-entropy of `model` with parameters `theta` on (x, labels)."""
    return cross_entropy(model.logits(theta, x), labels)


def init(model: Model, seed: int) -> np.ndarray:
    """torch's default initialisation, float64: every array uniform in ±1/√fan_in."""
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-1.0, 1.0, l.size) / np.sqrt(l.fan_in) for l in model.layers]
    return np.concatenate(parts)


# ----------------------------------------------------------------------------- architectures


def mlp(name: str, title: str, widths: tuple[int, ...]) -> Model:
    """A tanh multilayer perceptron with layer widths `widths` (inputs first, classes last)."""
    shapes = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        shapes += [(f"w{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))]
    depth = len(widths) - 1

    def embed(p, x):
        return x @ p["w0"] + p["b0"]

    def head(p, z):
        for i in range(1, depth):
            z = jnp.tanh(z) @ p[f"w{i}"] + p[f"b{i}"]
        return z

    return Model(name, title, _layers(tuple(shapes)), 2, embed, head)


def _patches(x: jnp.ndarray, side: int) -> jnp.ndarray:
    """(examples, side², 9): each pixel's 3×3 neighbourhood (zero padding), row-major taps."""
    images = jnp.pad(x.reshape(-1, side, side), ((0, 0), (1, 1), (1, 1)))
    taps = [images[:, i : i + side, j : j + side] for i in range(3) for j in range(3)]
    return jnp.stack(taps, axis=-1).reshape(-1, side * side, 9)


def cnn(name: str, title: str, side: int, filters: int, classes: int) -> Model:
    """3×3 convolution (one input channel, `filters` outputs, same padding), ReLU, 2×2
    max-pooling, then a dense layer to `classes` logits. The convolution is written as a
    product with each pixel's 3×3 patch (the kernel is stored (9, filters))."""
    pooled = (side // 2) ** 2 * filters
    shapes = (
        ("conv", (9, filters)),
        ("conv_b", (filters,)),
        ("dense", (pooled, classes)),
        ("dense_b", (classes,)),
    )

    def embed(p, x):
        return _patches(x, side) @ p["conv"] + p["conv_b"]  # (examples, side², filters)

    def head(p, z):
        h = jax.nn.relu(z).reshape(-1, side // 2, 2, side // 2, 2, filters)
        h = h.max(axis=(2, 4)).reshape(-1, pooled)
        return h @ p["dense"] + p["dense_b"]

    return Model(name, title, _layers(shapes), 2, embed, head)


MODELS = {
    "mlp": "Multilayer perceptron",
    "cnn": "Convolutional network",
}


@functools.cache
def get_model(name: str, data: str) -> Model:
    """The architecture `name` for the data set `data` (KeyError saying why otherwise)."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    if data not in DATASETS:
        raise KeyError(f"unknown data set {data!r}; choose one of {sorted(DATASETS)}")
    if name == "mlp" and data == "digits":
        return mlp("mlp", "MLP 64-32-10 (tanh)", (64, 32, 10))
    if name == "mlp" and data == "moons":
        return mlp("mlp", "MLP 2-16-16-2 (tanh)", (2, 16, 16, 2))
    if name == "cnn" and data == "digits":
        return cnn("cnn", "CNN: 3×3 conv ×8, max-pool, dense", 8, 8, 10)
    raise KeyError(f"the {name} needs image data (digits), not {data!r}")
