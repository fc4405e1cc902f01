"""Networks: vendored data, models, training against torch.optim, planes, sharpness, caps.

References: scikit-learn's `load_digits` for the vendored digits; torch.optim (float64 to
1e-9, float32 to 2e-6) for training on the same model, initial weights and mini-batch order;
an exact SVD and `eigvalsh` of the full Hessian (`jax.hessian`) for PCA and sharpness. A
missing reference fails, never skips.
"""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import networks as nw
from engine import ConfigError, Run
from networks import config, datasets, metrics, models, planes
from networks.sharpness import top_eigenvalues
from optimizers import OPTIMIZERS, SCHEDULES

TORCH_STEPS = 200
FLOAT64_TOLERANCE = 1e-9
FLOAT32_TOLERANCE = 2e-6  # absolute, on weights of size ≤ 1.3 (measured: ≤ 3e-7 after 200 steps)
REFERENCE_RUNS = (
    Run("sgd", {"lr": 0.1}),
    Run("momentum", {"lr": 0.05, "momentum": 0.9}),
    Run("adam", {"lr": 0.003}),
)


# ------------------------------------------------------------------------------------- data


def test_vendored_digits_equal_scikit_learns():
    reference = load_digits()
    with np.load(datasets.DIGITS_FILE) as stored:
        images, labels, test_index = stored["images"], stored["labels"], stored["test_index"]
    assert images.dtype == np.uint8 and images.shape == (1797, 64)
    np.testing.assert_array_equal(images, reference.data)
    np.testing.assert_array_equal(labels, reference.target)
    data = datasets.digits()
    assert (len(data.x_train), len(data.x_test)) == (1437, 360)
    assert np.bincount(data.y_test).tolist() == [36] * 10  # stratified
    assert len(np.unique(test_index)) == 360
    both = np.concatenate([data.x_train, data.x_test]) * 16
    assert sorted(map(bytes, both.astype(np.uint8))) == sorted(map(bytes, images))


def test_moons_are_deterministic_and_balanced():
    first = datasets.moons()
    datasets.moons.cache_clear()
    second = datasets.moons()
    for a, b in zip(first[1:5], second[1:5]):
        np.testing.assert_array_equal(a, b)
    assert first.x_train.shape == first.x_test.shape == (200, 2)
    assert np.bincount(first.y_train).tolist() == [100, 100]
    assert not np.array_equal(first.x_train, first.x_test)


# ----------------------------------------------------------------------------------- models


@pytest.mark.parametrize(
    ("name", "data", "size"),
    [("mlp", "digits", 2410), ("cnn", "digits", 1370), ("mlp", "moons", 354)],
)
def test_models_are_functions_of_one_flat_vector(name, data, size):
    model = nw.get_model(name, data)
    dataset = nw.get_dataset(data)
    assert model.size == size
    theta = models.init(model, 0)
    assert theta.shape == (size,) and np.abs(theta).max() <= 1.0
    np.testing.assert_array_equal(theta, models.init(model, 0))
    parts = model.unravel(theta)
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in parts.values()]), theta)
    x = jnp.asarray(dataset.x_train[:5])
    assert model.logits(jnp.asarray(theta), x).shape == (5, dataset.classes)
    # the first layer's pre-activation is linear in the parameters (what planes rely on)
    other = models.init(model, 1)
    together = model.embed(jnp.asarray(2.0 * theta - 3.0 * other), x)
    apart = 2.0 * model.embed(jnp.asarray(theta), x) - 3.0 * model.embed(jnp.asarray(other), x)
    np.testing.assert_allclose(together, apart, atol=1e-12)


def test_cnn_equals_a_convolution():
    model = nw.get_model("cnn", "digits")
    theta = jnp.asarray(models.init(model, 0))
    x = jnp.asarray(nw.get_dataset("digits").x_train[:4])
    p = model.unravel(theta)
    kernel = p["conv"].reshape(3, 3, 1, 8)
    conv = jax.lax.conv_general_dilated(
        x.reshape(4, 8, 8, 1), kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    np.testing.assert_allclose(model.embed(theta, x).reshape(4, 8, 8, 8), conv + p["conv_b"])


def test_unknown_and_mismatched_models():
    with pytest.raises(KeyError, match="image data"):
        nw.get_model("cnn", "moons")
    with pytest.raises(KeyError, match="unknown model"):
        nw.get_model("resnet", "digits")


# --------------------------------------------------------------------------------- training


def test_batch_order_shuffles_each_epoch():
    order = nw.batch_order(0, 1437, 64, 50)
    assert order.shape == (50, 64)
    per_epoch = 1437 // 64
    for epoch in range(2):
        seen = order[epoch * per_epoch : (epoch + 1) * per_epoch].ravel()
        assert len(np.unique(seen)) == per_epoch * 64  # no example twice in an epoch
    assert not np.array_equal(order[:per_epoch], order[per_epoch : 2 * per_epoch])
    np.testing.assert_array_equal(order, nw.batch_order(0, 1437, 64, 50))
    # runs with another batch size walk through the same shuffled epochs
    np.testing.assert_array_equal(
        nw.batch_order(0, 1437, 16, 89).ravel()[:1424], nw.batch_order(0, 1437, 1424, 1).ravel()
    )


def torch_path(run: Run, result: nw.TrainingResult) -> np.ndarray:
    """The same run with torch.optim on the same model, weights and mini-batches."""
    dtype = torch.float64 if result.training.dtype == "float64" else torch.float32
    model, data, steps = result.model, result.dataset, result.training.steps
    parts = {
        name: torch.tensor(np.asarray(value), dtype=dtype, requires_grad=True)
        for name, value in model.unravel(result.init).items()
    }
    params = [parts[layer.name] for layer in model.layers]
    hyper = run.hyper
    if run.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=hyper["lr"])
    else:
        optimizer = torch.optim.SGD(params, lr=hyper["lr"], momentum=hyper.get("momentum", 0.0))
    x = torch.tensor(data.x_train, dtype=dtype)
    y = torch.tensor(data.y_train, dtype=torch.long)
    order = nw.batch_order(result.training.seed, len(data.x_train), 64, steps)

    def flat():
        return torch.cat([p.detach().flatten() for p in params]).numpy().copy()

    path = [flat()]
    for t in range(steps):
        index = torch.from_numpy(order[t].astype(np.int64))
        optimizer.zero_grad()
        logits = torch.tanh(x[index] @ parts["w0"] + parts["b0"]) @ parts["w1"] + parts["b1"]
        torch.nn.functional.cross_entropy(logits, y[index]).backward()
        optimizer.step()
        path.append(flat())
    return np.array(path)


@pytest.fixture(scope="module")
def reference_float32() -> nw.TrainingResult:
    return nw.train(nw.Training(REFERENCE_RUNS, steps=TORCH_STEPS, batch_size=64))


@pytest.mark.parametrize(
    ("dtype", "tolerance"), [("float64", FLOAT64_TOLERANCE), ("float32", FLOAT32_TOLERANCE)]
)
def test_training_equals_torch_optim(dtype, tolerance, reference_float32):
    if dtype == "float32":
        result = reference_float32
    else:
        result = nw.train(
            nw.Training(REFERENCE_RUNS, steps=TORCH_STEPS, batch_size=64, dtype=dtype)
        )
    torch.set_num_threads(1)
    for run, record in zip(REFERENCE_RUNS, result.runs):
        assert record.diverged_at is None and record.params.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(record.steps, np.arange(TORCH_STEPS + 1))
        np.testing.assert_allclose(record.params, torch_path(run, result), rtol=0, atol=tolerance)


def test_adam_with_registry_defaults_learns_digits():
    """Adam with the registry's defaults (lr=0.05, β=(0.9, 0.999), ε=1e-8), 500 steps of
    batch 64 on the digits MLP: 96.9 % test accuracy (and torch's default lr=1e-3: 95.3 %)."""
    result = nw.train(
        nw.Training((Run("adam"), Run("adam", {"lr": 1e-3})), steps=500, batch_size=64)
    )
    defaults, torch_default = result.runs
    assert defaults.test_accuracy[-1] >= 0.90 and torch_default.test_accuracy[-1] >= 0.90
    assert defaults.eval_steps[-1] == 500 and defaults.eval_steps[1] == 1437 // 64
    assert defaults.train_loss[-1] < defaults.train_loss[0] / 10
    assert len(defaults.batch_loss) == 500 and np.all(np.isfinite(defaults.batch_loss))


def test_every_optimizer_schedule_and_clipping_trains_moons():
    """Every optimizer the torch comparison does not train, with every schedule, warmup and
    both clippings spread over them, in float32 (the default, where dtypes must not drift)."""
    schedules = list(SCHEDULES)
    hyper = {"newton": {"lr": 0.5, "damping": 1.0}}  # undamped Newton climbs to saddles
    others = [name for name in OPTIMIZERS if name not in {r.optimizer for r in REFERENCE_RUNS}]
    runs = tuple(
        Run(
            name,
            hyper.get(name, {}),
            schedule=schedules[i % len(schedules)],
            warmup=10 * (i % 2),
            clip_norm=5.0 if i % 3 == 0 else None,
            clip_value=1.0 if i % 3 == 1 else None,
        )
        for i, name in enumerate(others)
    )
    result = nw.train(nw.Training(runs, data="moons", steps=60, batch_size=32))
    for run, record in zip(runs, result.runs):
        assert record.diverged_at is None, run.optimizer
        assert record.train_loss[-1] < record.train_loss[0], run.optimizer


def test_numbers_never_recompile(reference_float32):
    before = nw.compile_count()
    changed = tuple(
        replace(run, hyper={k: v * 0.7 for k, v in run.hyper.items()}) for run in REFERENCE_RUNS
    )
    for variant in (
        nw.Training(changed, steps=TORCH_STEPS, batch_size=64),
        nw.Training(REFERENCE_RUNS, steps=137, batch_size=64, seed=5),
        nw.Training(REFERENCE_RUNS, steps=TORCH_STEPS, batch_size=64, eval_every=50),
    ):
        nw.train(variant)
    assert nw.compile_count() == before


def test_divergence_is_reported_and_cut():
    # θ ← θ − 10·(g + 10·θ) multiplies the weights by about −99 every step
    exploding = Run("sgd", {"lr": 10.0, "weight_decay": 10.0})
    result = nw.train(
        nw.Training((exploding, Run("sgd", {"lr": 0.1})), data="moons", steps=300, batch_size=32)
    )
    diverged, fine = result.runs
    assert diverged.diverged_at is not None and fine.diverged_at is None
    for record in result.runs:
        for values in (record.params, record.batch_loss, record.train_loss, record.test_loss):
            assert np.all(np.isfinite(values))
    assert diverged.steps[-1] < diverged.diverged_at and len(diverged.batch_loss) == (
        diverged.diverged_at
    )


def test_batch_sizes_mix_and_recording_can_be_sparser():
    runs = (Run("sgd", batch_size="full"), Run("sgd"))  # the second takes the training's 32
    dense = nw.train(nw.Training(runs, data="moons", steps=2500, batch_size=32, record_every=5))
    sparse = nw.train(replace(dense.training, record_every=None, eval_every=None))
    assert sparse.training.record_every == 3 and sparse.training.eval_every % 3 == 0
    for a, b in zip(dense.runs, sparse.runs):
        np.testing.assert_array_equal(b.steps[:-1], np.arange(0, 2500, 3))
        assert a.steps[-1] == b.steps[-1] == 2500
        common = np.intersect1d(a.steps, b.steps)
        np.testing.assert_array_equal(
            a.params[np.isin(a.steps, common)], b.params[np.isin(b.steps, common)]
        )
        np.testing.assert_array_equal(a.batch_loss, b.batch_loss)
    full, mini = sparse.runs
    # a full batch's loss is the training loss, which the evaluation computes separately
    np.testing.assert_allclose(
        full.batch_loss[full.eval_steps[:-1]], full.train_loss[:-1], rtol=1e-5
    )
    assert not np.allclose(mini.batch_loss, full.batch_loss)
    assert nw.validate(sparse.training) == sparse.training  # validation is idempotent


def test_progress_reports_and_can_abandon():
    seen = []
    quick = nw.Training((Run("sgd"),), data="moons", steps=250, batch_size=32)
    nw.train(quick, progress=seen.append)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])

    class Stale(Exception):
        pass

    def abandon(fraction):
        raise Stale

    with pytest.raises(Stale):
        nw.train(quick, progress=abandon)


# ----------------------------------------------------------------------------------- planes


@pytest.fixture(scope="module")
def float64_runs() -> nw.TrainingResult:
    runs = (Run("sgd", {"lr": 0.3}), Run("momentum", {"lr": 0.05}), Run("adam", {"lr": 3e-3}))
    return nw.train(nw.Training(runs, steps=150, batch_size=64, dtype="float64"))


def test_plane_value_at_a_final_point_is_its_training_loss(float64_runs):
    data = float64_runs.dataset
    plane = nw.make_plane(float64_runs, "endpoints", plane_runs=(0, 1))
    for index, corner in ((0, (1.0, 0.0)), (1, (0.0, 1.0))):
        path = nw.project(plane, float64_runs.runs[index].params)
        assert (path.x[-1], path.y[-1]) == pytest.approx(corner, abs=1e-12)
        assert path.distance[-1] == pytest.approx(0.0, abs=1e-10)
        loss, acc = nw.plane_values(
            plane, float64_runs.model, data.x_train, data.y_train, np.array([corner]), "float64"
        )
        record = float64_runs.runs[index]
        assert loss[0] == pytest.approx(record.train_loss[-1], rel=1e-12)
        assert acc[0] == pytest.approx(record.train_accuracy[-1])
    # the random plane is centred on the first run's end, a node of an odd grid
    view = nw.landscape(float64_runs, "random", resolution=11, test=True)
    assert view.train.loss[5, 5] == pytest.approx(float64_runs.runs[0].train_loss[-1], rel=1e-12)
    assert view.test.loss[5, 5] == pytest.approx(float64_runs.runs[0].test_loss[-1], rel=1e-12)


def test_random_directions_are_filter_normalised(float64_runs):
    plane = nw.make_plane(float64_runs, "random", seed=3)
    weights = plane.centre
    for layer in float64_runs.model.layers:
        for direction in plane.directions:
            d = direction[layer.start : layer.stop]
            if layer.is_bias:
                assert not d.any()
                continue
            w = weights[layer.start : layer.stop].reshape(-1, layer.shape[-1])
            np.testing.assert_allclose(
                np.linalg.norm(d.reshape(w.shape), axis=0), np.linalg.norm(w, axis=0), rtol=1e-12
            )
    again = nw.make_plane(float64_runs, "random", seed=3)
    np.testing.assert_array_equal(plane.directions, again.directions)


def test_pca_plane_explains_and_reconstructs(float64_runs):
    plane = nw.make_plane(float64_runs, "pca")
    points = np.concatenate([run.params for run in float64_runs.runs])
    centred = points - points.mean(axis=0)
    _, singular, vt = (np.asarray(a) for a in jnp.linalg.svd(centred, full_matrices=False))
    exact = singular[:2] ** 2 / (singular**2).sum()
    share = plane.explained_variance
    assert np.all((share >= 0) & (share <= 1)) and share.sum() <= 1
    np.testing.assert_allclose(share, exact, rtol=1e-6)
    np.testing.assert_allclose(np.abs(plane.directions @ vt[:2].T), np.eye(2), atol=1e-6)
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-12)
    # a point of the plane projects to its coordinates, at distance 0 …
    ab = np.array([[0.3, -1.2], [2.0, 0.5]])
    on_plane = plane.centre + ab @ plane.directions
    projected = nw.project(plane, on_plane)
    np.testing.assert_allclose(np.stack([projected.x, projected.y], 1), ab, atol=1e-12)
    np.testing.assert_allclose(projected.distance, 0, atol=1e-12)
    # … and every recorded point is its projection plus its distance off the plane
    path = nw.project(plane, float64_runs.runs[2].params)
    rebuilt = plane.centre + np.stack([path.x, path.y], 1) @ plane.directions
    residual = np.linalg.norm(float64_runs.runs[2].params - rebuilt, axis=1)
    np.testing.assert_allclose(residual, path.distance, rtol=1e-9, atol=1e-12)
    # the first run moves towards +x
    first = nw.project(plane, float64_runs.runs[0].params)
    assert first.x[-1] > first.x[0]


def test_landscape_grid_covers_the_paths(float64_runs):
    view = nw.landscape(float64_runs, "pca", resolution=7)
    assert view.train.loss.shape == view.train.accuracy.shape == (7, 7) and view.test is None
    for path in view.paths:
        assert view.train.x[0] < path.x.min() and path.x.max() < view.train.x[-1]
        assert view.train.y[0] < path.y.min() and path.y.max() < view.train.y[-1]
    a, b = np.meshgrid(view.train.x, view.train.y)
    points = view.plane.centre + np.stack([a.ravel(), b.ravel()], 1) @ view.plane.directions
    direct, _ = metrics.evaluate(
        float64_runs.model,
        points,
        float64_runs.dataset.x_train,
        float64_runs.dataset.y_train,
        "float64",
    )
    np.testing.assert_allclose(view.train.loss.ravel(), direct, rtol=1e-10)


def test_cnn_trains_and_its_plane_matches_direct_evaluation():
    result = nw.train(nw.Training((Run("momentum", {"lr": 0.05}),), model="cnn", steps=100))
    record = result.runs[0]
    assert record.train_loss[-1] < record.train_loss[0]
    view = nw.landscape(result, "random", resolution=3)
    a, b = np.meshgrid(view.train.x, view.train.y)
    points = view.plane.centre + np.stack([a.ravel(), b.ravel()], 1) @ view.plane.directions
    direct, _ = metrics.evaluate(
        result.model, points, result.dataset.x_train, result.dataset.y_train, "float32"
    )
    np.testing.assert_allclose(view.train.loss.ravel(), direct, rtol=2e-5)


# -------------------------------------------------------------------------------- sharpness


def test_sharpness_equals_the_full_hessians_top_eigenvalue():
    """On a 64-8-10 digits MLP (610 parameters) over the whole training set: forming the
    digits MLP's own 2,410 × 2,410 Hessian takes too long for a test."""
    model = models.mlp("test", "test", (64, 8, 10))
    dataset = nw.get_dataset("digits")
    x, y = jnp.asarray(dataset.x_train), jnp.asarray(dataset.y_train)
    thetas = np.stack([models.init(model, 0), 3.0 * models.init(model, 1)])  # a sharper point
    lanczos = top_eigenvalues(model, thetas, dataset.x_train, dataset.y_train)
    hessian = jax.jit(jax.hessian(lambda t: models.loss(model, t, x, y)))
    for theta, value in zip(thetas, lanczos):
        exact = np.linalg.eigvalsh(np.asarray(hessian(jnp.asarray(theta))))[-1]
        assert value == pytest.approx(exact, rel=1e-8)


def test_sharpness_of_training_runs(float64_runs):
    values = nw.sharpness(float64_runs)
    assert len(values) == 3 and all(v is not None and v > 0 for v in values)


# ------------------------------------------------------------------------------------- caps


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps": config.MAX_STEPS + 1}, "steps"),
        ({"steps": 0}, "steps"),
        ({"runs": (Run("sgd"),) * 16, "steps": 5000}, "steps"),  # steps × runs × parameters
        ({"batch_size": "full", "steps": 10_000, "runs": (Run("sgd"),) * 2}, "batch_size"),
        ({"runs": ()}, "runs"),
        ({"runs": (Run("sgd"),) * 17}, "runs"),
        ({"runs": (Run("newton"),)}, "runs[0].optimizer"),
        ({"runs": (Run("sgd", {"lr": 100.0}),)}, "runs[0].lr"),
        ({"runs": (Run("sgd", batch_size=5000),)}, "runs[0].batch_size"),
        ({"runs": (Run("sgd", schedule="nope"),)}, "runs[0].schedule"),
        ({"batch_size": 0}, "batch_size"),
        ({"model": "cnn", "data": "moons"}, "model"),
        ({"data": "mnist"}, "data"),
        ({"dtype": "float16"}, "dtype"),
        ({"seed": -1}, "seed"),
        ({"record_every": 0}, "record_every"),
        ({"steps": 5000, "record_every": 1}, "record_every"),
        ({"steps": 1000, "eval_every": 1}, "eval_every"),
    ],
)
def test_caps_and_invalid_fields_raise_naming_the_field(change, field):
    base = nw.Training((Run("sgd"),))
    with pytest.raises(ConfigError) as caught:
        nw.validate(replace(base, **change))
    assert caught.value.field == field


def test_plane_arguments_raise_naming_the_field(float64_runs):
    for kwargs, field in (
        ({"kind": "hessian"}, "plane"),
        ({"resolution": planes.MAX_RESOLUTION + 1}, "resolution"),
        ({"resolution": 2}, "resolution"),
        ({"kind": "endpoints", "plane_runs": (0, 0)}, "plane_runs"),
        ({"kind": "endpoints", "plane_runs": (0, 7)}, "plane_runs[1]"),
    ):
        with pytest.raises(ConfigError) as caught:
            nw.landscape(float64_runs, **kwargs)
        assert caught.value.field == field


def test_defaults_filled_in():
    checked = nw.validate(nw.Training((Run("adam"),), steps=1000))
    assert checked.runs[0].hyper["lr"] == OPTIMIZERS["adam"].defaults()["lr"]
    assert checked.record_every == 1 and checked.eval_every == 1437 // 64
    big = nw.validate(nw.Training((Run("sgd"),) * 16, steps=2500))
    assert 16 * 2410 * (2500 // big.record_every + 2) <= config.MAX_RECORDED
    assert big.eval_every % big.record_every == 0
