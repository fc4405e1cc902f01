"""Loss and accuracy of many parameter vectors on a whole data set, vmapped and chunked.

One compiled function per model, data shape and dtype serves any number of vectors: they go
through it in chunks of a fixed size (the last padded with copies of the first row), sized so
that a chunk's activations stay within `ACTIVATION_BUDGET` numbers.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from networks.models import Model, accuracy, cross_entropy

ACTIVATION_BUDGET = 4_000_000  # first-layer activations per chunk (16 MB in float32)
MAX_CHUNK = 32


def embed_width(model: Model, features: int) -> int:
    """How many first-layer activations one example has."""
    shape = jax.eval_shape(
        model.embed,
        jax.ShapeDtypeStruct((model.size,), jnp.float32),
        jax.ShapeDtypeStruct((1, features), jnp.float32),
    ).shape
    return int(np.prod(shape))


def chunk_size(model: Model, examples: int, features: int) -> int:
    """Parameter vectors per compiled call: a power of two within the activation budget."""
    per_vector = max(1, examples * embed_width(model, features))
    size = max(1, min(MAX_CHUNK, ACTIVATION_BUDGET // per_vector))
    return 1 << (size.bit_length() - 1)


@functools.partial(jax.jit, static_argnames=("model",))
def _metrics(model: Model, thetas: jnp.ndarray, sets):
    """Per data set of `sets` ((x, labels), …): loss and accuracy of each row of `thetas`."""

    def one(theta):
        out = []
        for x, labels in sets:
            logits = model.logits(theta, x)
            out.append((cross_entropy(logits, labels), accuracy(logits, labels)))
        return out

    return jax.vmap(one)(thetas)


def padded_chunks(rows: np.ndarray, size: int):
    """`rows` in chunks of exactly `size` rows (the last padded with its first row), each
    with the number of real rows in it."""
    for first in range(0, len(rows), size):
        chunk = rows[first : first + size]
        real = len(chunk)
        if real < size:
            chunk = np.concatenate([chunk, np.repeat(chunk[:1], size - real, axis=0)])
        yield chunk, real


def evaluate_sets(
    model: Model, thetas: np.ndarray, sets: list[tuple[np.ndarray, np.ndarray]], dtype: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(loss, accuracy) of each row of `thetas` (vectors, parameters) on each whole data set
    (x, labels) of `sets`, in one compiled pass over them, computed in `dtype`.

    Non-finite values are returned as they are (callers decide).
    """
    thetas = np.asarray(thetas, dtype)
    if len(thetas) == 0:
        return [(np.zeros(0, dtype), np.zeros(0, dtype)) for _ in sets]
    device = [(jnp.asarray(x, dtype), jnp.asarray(labels, jnp.int32)) for x, labels in sets]
    size = chunk_size(model, sum(len(x) for x, _ in sets), device[0][0].shape[1])
    results: list[list] = [[] for _ in sets]
    for chunk, real in padded_chunks(thetas, size):
        for out, (loss, acc) in zip(results, _metrics(model, jnp.asarray(chunk), device)):
            out.append((np.asarray(loss)[:real], np.asarray(acc)[:real]))
    return [
        (np.concatenate([l for l, _ in out]), np.concatenate([a for _, a in out]))
        for out in results
    ]


def evaluate(
    model: Model, thetas: np.ndarray, x: np.ndarray, labels: np.ndarray, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    """(loss, accuracy) of each row of `thetas` (vectors, parameters) on all of (x, labels),
    computed in `dtype`. Non-finite values are returned as they are (callers decide)."""
    return evaluate_sets(model, thetas, [(x, labels)], dtype)[0]
