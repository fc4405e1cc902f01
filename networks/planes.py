"""Planes through parameter space shared by all runs, the runs' paths on them, and the loss
over a grid on them.

A plane is a centre c and two directions d₁, d₂ (float64 vectors); its point (a, b) is the
parameter vector c + a·d₁ + b·d₂. Three planes:

- `pca`: the centre and top two principal directions of every run's recorded parameters
  together (one plane for all optimizers), with the share of the trajectories' variance each
  direction explains. Computed by randomised subspace iteration (Halko, Martinsson & Tropp
  2011) on the centred points: a few products with a thin matrix instead of a
  (points × parameters) decomposition.
- `random`: two random directions around the first run's final weights, filter-normalised
  (Li et al. 2018, *Visualizing the Loss Landscape of Neural Nets*): Gaussian, then each
  neuron's or filter's slice (a weight column) scaled to the norm of the same slice of the
  weights; bias directions are zero (their code's `ignore='biasbn'`). Seeded. The centre is
  at (0, 0), a grid node when the resolution is odd.
- `endpoints`: the plane through the initialisation (centre, (0, 0)) and two runs' final
  weights, at (1, 0) and (0, 1).

A run's path is projected by least squares onto the plane (the directions need not be
orthogonal; in the training dtype), with each point's distance off the plane: the loss drawn under a projected
point is the loss at its projection, not at the point, unless that distance is 0.

The grid uses that a model's first layer is linear in its weights (`networks.models`): on the
plane its pre-activation is z(c) + a·z(d₁) + b·z(d₂), computed once; each grid point then
costs only the rest of the network. Grid points go through one compiled function in chunks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.config import ConfigError
from networks.metrics import chunk_size, padded_chunks
from networks.models import Model, accuracy, cross_entropy
from networks.training import TrainingResult

PLANES = ("pca", "random", "endpoints")
MAX_RESOLUTION = 51
MIN_RESOLUTION = 3
MARGIN = 0.1  # the grid extends this share of the paths' span beyond them on each side
RANDOM_SPAN = 1.0  # the random plane's grid covers at least [−1, 1]² (Li et al.'s range)
PCA_OVERSAMPLING = 8  # extra columns of the randomised subspace iteration
PCA_ITERATIONS = 1  # its power iterations (on digits runs one agrees with an exact SVD to 1e-9)
PROJECTION_CHUNK = 1024  # points projected at a time
PCA_ROWS = 1024  # the subspace iteration's rows: this times a power of two


class Plane(NamedTuple):
    """The points c + a·d₁ + b·d₂: `centre` (P,), `directions` (2, P), float64.

    `explained_variance` (PCA only, else None): the share of the recorded trajectories'
    variance about the centre along each direction.
    """

    kind: str
    centre: np.ndarray
    directions: np.ndarray
    explained_variance: np.ndarray | None = None


class Projection(NamedTuple):
    """Points on a plane: coordinates (x, y) and each point's distance off the plane."""

    x: np.ndarray
    y: np.ndarray
    distance: np.ndarray


class Grid(NamedTuple):
    """Loss and accuracy on a grid of the plane: rows follow `y`, columns `x`.

    `non_finite` counts grid values that were not finite and are given as the grid's largest
    finite loss (and accuracy 0), so that nothing non-finite leaves the module.
    """

    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    non_finite: int = 0


class Landscape(NamedTuple):
    """A plane, every run's projected path (at its recorded steps), and the loss grids."""

    plane: Plane
    paths: tuple[Projection, ...]
    train: Grid
    test: Grid | None


# ------------------------------------------------------------------------------------- planes


def _oriented(directions: np.ndarray, result: TrainingResult) -> np.ndarray:
    """Directions signed so that the first run moves towards +x and +y from its start."""
    travel = result.runs[0].final.astype(np.float64) - result.runs[0].params[0]
    signs = np.where(directions @ travel < 0, -1.0, 1.0)
    return directions * signs[:, None]


@jax.jit
def _principal(points, centre, start):
    """The top two right singular vectors of (points − centre) and their shares of its
    squared norm: randomised subspace iteration from `start` (parameters, k), in one
    compiled call, so that no linear algebra runs outside XLA's threads."""
    centred = points - centre
    total = jnp.sum(jnp.square(centred).astype(jnp.float64))
    basis = jnp.linalg.qr(centred @ start)[0]
    for _ in range(PCA_ITERATIONS):
        right = jnp.linalg.qr(centred.T @ basis)[0]
        basis = jnp.linalg.qr(centred @ right)[0]
    _, singular, vt = jnp.linalg.svd(basis.T @ centred, full_matrices=False)
    share = jnp.where(total > 0, singular[:2].astype(jnp.float64) ** 2 / total, 0.0)
    return vt[:2], jnp.minimum(share, 1.0)


def top_directions(
    paths: Sequence[np.ndarray], centre: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The top two principal directions (2, P) of all rows of `paths` together about
    `centre`, and the share of the total variance along each.

    The rows are padded with the centre (which adds nothing) to PCA_ROWS times a power of
    two, so that a handful of compiled shapes serve every configuration.
    """
    dtype = paths[0].dtype if paths[0].dtype == np.float32 else np.dtype(np.float64)
    count, size = sum(len(p) for p in paths), paths[0].shape[1]
    blocks = -(-count // PCA_ROWS)
    rows = np.empty((PCA_ROWS * (1 << (blocks - 1).bit_length()), size), dtype)
    first = 0
    for path in paths:
        rows[first : first + len(path)] = path
        first += len(path)
    rows[first:] = centre
    width = min(2 + PCA_OVERSAMPLING, count, size)
    start = np.random.default_rng(seed).standard_normal((size, width))
    directions, share = _principal(
        jnp.asarray(rows), jnp.asarray(centre, dtype), jnp.asarray(start, dtype)
    )
    return np.asarray(directions, np.float64), np.asarray(share, np.float64)


def pca_plane(result: TrainingResult, seed: int = 0) -> Plane:
    """The plane of the two principal directions of all runs' trajectories together."""
    paths = [run.params for run in result.runs]
    count = sum(len(p) for p in paths)
    centre = sum(p.sum(axis=0, dtype=np.float64) for p in paths) / count
    directions, share = top_directions(paths, centre, seed)
    return Plane("pca", centre, _oriented(directions, result), share)


def filter_normalised(model: Model, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A Gaussian direction with each weight column (a neuron or filter) scaled to the norm
    of the same column of `weights`, biases zero (Li et al. 2018)."""
    direction = np.zeros(model.size)
    for layer in model.layers:
        if layer.is_bias:
            continue
        w = weights[layer.start : layer.stop].reshape(-1, layer.shape[-1])
        d = rng.standard_normal(w.shape)
        d *= np.linalg.norm(w, axis=0) / np.maximum(np.linalg.norm(d, axis=0), 1e-12)
        direction[layer.start : layer.stop] = d.ravel()
    return direction


def random_plane(result: TrainingResult, seed: int = 0) -> Plane:
    """Two filter-normalised random directions around the first run's final weights."""
    centre = result.runs[0].final.astype(np.float64)
    rng = np.random.default_rng(seed)
    directions = np.stack([filter_normalised(result.model, centre, rng) for _ in range(2)])
    return Plane("random", centre, directions)


def endpoints_plane(result: TrainingResult, runs: Sequence[int] = (0, 1)) -> Plane:
    """The plane through the initialisation (0, 0) and runs i and j's final weights, at
    (1, 0) and (0, 1). ConfigError when they do not span a plane."""
    count = len(result.runs)
    if len(runs) != 2:
        raise ConfigError(("plane_runs",), "name two runs")
    for position, index in enumerate(runs):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ConfigError(("plane_runs", position), "must be a run's index")
        if not 0 <= index < count:
            raise ConfigError(("plane_runs", position), f"must be between 0 and {count - 1}")
    if runs[0] == runs[1]:
        raise ConfigError(("plane_runs",), "name two different runs")
    centre = result.init.astype(np.float64)
    directions = np.stack([result.runs[i].final - centre for i in runs]).astype(np.float64)
    gram = directions @ directions.T
    norms = np.sqrt(np.diag(gram))
    if norms.min() == 0 or np.linalg.det(gram) <= 1e-12 * (norms[0] * norms[1]) ** 2:
        raise ConfigError(
            ("plane_runs",),
            "these runs end where they started or on one line through the start: "
            "they span no plane; choose two other runs",
        )
    return Plane("endpoints", centre, directions)


def make_plane(
    result: TrainingResult, kind: str = "pca", seed: int = 0, plane_runs: Sequence[int] = (0, 1)
) -> Plane:
    """The plane `kind` ("pca", "random" or "endpoints") of a training result: `seed` for
    the random plane's directions (and the PCA's start), `plane_runs` the endpoints plane's."""
    if kind == "pca":
        return pca_plane(result, seed)
    if kind == "random":
        return random_plane(result, seed)
    if kind == "endpoints":
        if len(result.runs) < 2:
            raise ConfigError(("plane",), "the endpoints plane needs two runs")
        return endpoints_plane(result, plane_runs)
    raise ConfigError(("plane",), f"unknown plane {kind!r} (choose one of {', '.join(PLANES)})")


# --------------------------------------------------------------------------------- projection


@jax.jit
def _project(points, centre, directions, gram_inverse):
    """Coordinates and distances off the plane of a chunk of points (one fused pass)."""
    offset = points - centre
    ab = (offset @ directions.T) @ gram_inverse
    residual = offset - ab @ directions
    return ab, jnp.sqrt(jnp.sum(residual * residual, axis=1))


def project(plane: Plane, points: np.ndarray) -> Projection:
    """Least-squares coordinates of each row of `points` on the plane, and its distance off
    it, computed in the points' dtype (float32 or float64) in chunks of fixed size."""
    dtype = points.dtype if points.dtype == np.float32 else np.dtype(np.float64)
    gram_inverse = np.linalg.inv(plane.directions @ plane.directions.T)
    constants = [jnp.asarray(a, dtype) for a in (plane.centre, plane.directions, gram_inverse)]
    coords, distance = [np.zeros((0, 2))], [np.zeros(0)]
    for chunk, real in padded_chunks(np.asarray(points, dtype), PROJECTION_CHUNK):
        ab, far = _project(jnp.asarray(chunk), *constants)
        coords.append(np.asarray(ab, np.float64)[:real])
        distance.append(np.asarray(far, np.float64)[:real])
    coords_all = np.concatenate(coords)
    return Projection(coords_all[:, 0], coords_all[:, 1], np.concatenate(distance))


def extent(plane: Plane, paths: Sequence[Projection]) -> tuple[float, float, float, float]:
    """(x₀, x₁, y₀, y₁): the paths' bounding box with MARGIN on each side; for the random
    plane a square centred on (0, 0) covering at least [−RANDOM_SPAN, RANDOM_SPAN]²."""
    xs = np.concatenate([p.x for p in paths] + [np.zeros(1)])
    ys = np.concatenate([p.y for p in paths] + [np.zeros(1)])
    if plane.kind == "random":
        reach = max(RANDOM_SPAN, (1 + MARGIN) * float(max(np.abs(xs).max(), np.abs(ys).max())))
        return -reach, reach, -reach, reach

    def padded(values):
        low, high = float(values.min()), float(values.max())
        pad = MARGIN * (high - low) if high > low else 0.5
        return low - pad, high + pad

    return (*padded(xs), *padded(ys))


# ----------------------------------------------------------------------------- loss on a plane


@functools.partial(jax.jit, static_argnames=("model",))
def _embeds(model: Model, basis: jnp.ndarray, x: jnp.ndarray) -> jnp.ndarray:
    """The first layer's pre-activation for the centre and each direction: (3, examples, …)."""
    return jax.vmap(lambda theta: model.embed(theta, x))(basis)


@functools.partial(jax.jit, static_argnames=("model",))
def _values(model: Model, basis, embeds, labels, coords):
    """Loss and accuracy at each plane point (a, b) of `coords`."""

    def one(ab):
        theta = basis[0] + ab[0] * basis[1] + ab[1] * basis[2]
        z = embeds[0] + ab[0] * embeds[1] + ab[1] * embeds[2]
        logits = model.head(theta, z)
        return cross_entropy(logits, labels), accuracy(logits, labels)

    return jax.vmap(one)(coords)


def plane_values(
    plane: Plane,
    model: Model,
    x: np.ndarray,
    labels: np.ndarray,
    coords: np.ndarray,
    dtype: str,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(loss, accuracy) over all of (x, labels) at each plane point (a, b) in `coords`
    (n, 2), computed in `dtype`. Non-finite values are returned as they are."""
    basis = jnp.asarray(np.vstack([plane.centre, plane.directions]), dtype)
    x_dev = jnp.asarray(x, dtype)
    labels_dev = jnp.asarray(labels, jnp.int32)
    embeds = _embeds(model, basis, x_dev)
    size = chunk_size(model, *x_dev.shape)
    coords = np.asarray(coords, dtype)
    losses, accuracies = [], []
    chunks = max(1, -(-len(coords) // size))
    for done, (chunk, real) in enumerate(padded_chunks(coords, size), start=1):
        loss, acc = _values(model, basis, embeds, labels_dev, jnp.asarray(chunk))
        losses.append(np.asarray(loss)[:real])
        accuracies.append(np.asarray(acc)[:real])
        if progress is not None:
            progress(done / chunks)
    return np.concatenate(losses), np.concatenate(accuracies)


def check_resolution(resolution) -> int:
    """A grid resolution in [MIN_RESOLUTION, MAX_RESOLUTION], else ConfigError."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ConfigError(("resolution",), "must be a whole number")
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise ConfigError(("resolution",), f"must be between {MIN_RESOLUTION} and {MAX_RESOLUTION}")
    return int(resolution)


def grid(
    plane: Plane,
    model: Model,
    x: np.ndarray,
    labels: np.ndarray,
    bounds: tuple[float, float, float, float],
    resolution: int,
    dtype: str,
    progress: Callable[[float], None] | None = None,
) -> Grid:
    """Loss and accuracy on `resolution` × `resolution` points of the plane within `bounds`
    (x₀, x₁, y₀, y₁), over all of (x, labels)."""
    resolution = check_resolution(resolution)
    xs = np.linspace(bounds[0], bounds[1], resolution)
    ys = np.linspace(bounds[2], bounds[3], resolution)
    a, b = np.meshgrid(xs, ys)  # rows follow y
    loss, acc = plane_values(
        plane, model, x, labels, np.stack([a.ravel(), b.ravel()], axis=1), dtype, progress
    )
    bad = ~(np.isfinite(loss) & np.isfinite(acc))
    if bad.any():
        ceiling = loss[~bad].max() if (~bad).any() else 0.0
        loss, acc = np.where(bad, ceiling, loss), np.where(bad, 0.0, acc)
    shape = (resolution, resolution)
    return Grid(xs, ys, loss.reshape(shape), acc.reshape(shape), int(bad.sum()))


def landscape(
    result: TrainingResult,
    kind: str = "pca",
    resolution: int = MAX_RESOLUTION,
    test: bool = False,
    seed: int = 0,
    plane_runs: Sequence[int] = (0, 1),
    progress: Callable[[float], None] | None = None,
) -> Landscape:
    """The plane `kind`, every run's projected path and the loss grid over the training set
    (and over the test set when `test`), for a training result.

    `progress`, if given, is called with the fraction of the grid work done; an exception
    raised by it abandons the work.
    """
    resolution = check_resolution(resolution)
    plane = make_plane(result, kind, seed, plane_runs)
    paths = tuple(project(plane, run.params) for run in result.runs)
    bounds = extent(plane, paths)
    data, dtype, model = result.dataset, result.training.dtype, result.model
    parts = 2 if test else 1

    def part(offset):
        if progress is None:
            return None
        return lambda fraction: progress((offset + fraction) / parts)

    train_grid = grid(plane, model, data.x_train, data.y_train, bounds, resolution, dtype, part(0))
    test_grid = (
        grid(plane, model, data.x_test, data.y_test, bounds, resolution, dtype, part(1))
        if test
        else None
    )
    return Landscape(plane, paths, train_grid, test_grid)
