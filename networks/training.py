"""Training runs of a network, every run of a configuration at once, in compiled JAX.

Runs that share a structure (optimizer, its boolean switches, schedule, clipping on or off,
batch size) are stacked and trained by one `vmap`ped step inside a `lax.scan`. Every number
(hyperparameters, schedule parameters, warmup, clipping thresholds, step count) is passed as
an array, so changing it never recompiles; the update rules are the registry's
(`optimizers.OPTIMIZERS[name].build`), with the learning-rate schedule and clipping built as
the 2D engine builds them, now on one flat vector of thousands of parameters.

- **Mini-batches**: the training set is shuffled every epoch (NumPy, from the seed) and cut
  into ⌊n/B⌋ batches of B examples; the remaining n mod B examples of that epoch are left
  out (a different few each epoch), so every step has the same shape. Every run with the same
  batch size sees the same batches, and runs with different batch sizes walk through the
  same shuffled epochs. `batch_order` gives the order, e.g. for a reference loop.
  A full batch is the whole training set, unshuffled.
- **Chunks**: the scan runs CHUNK steps per call (steps past the end are masked), so one
  compiled function serves any step count and long work reports progress between calls.
- **Recorded**: per step taken, the loss of its mini-batch at the parameters before the
  update (free: it comes with the gradient); the parameter vector every `record_every` steps
  and at the end; at every `eval_every`-th recorded step and at the end, the loss and
  accuracy over the whole training set and the whole test set (a full pass over both costs
  about as much as a few dozen mini-batch steps, so evaluating every step would dominate).
- **Divergence**: a run's position t is invalid when its parameters are non-finite or leave
  [−BOUND, BOUND], or its mini-batch or full loss is non-finite. `diverged_at` is the first
  invalid position; everything recorded stops before it, so no NaN or Inf leaves the module.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.config import Run
from networks import metrics
from networks.config import Training, batch_of, validate
from networks.datasets import Dataset, get_dataset
from networks.models import Model, get_model, init, loss
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.schedules import learning_rate

CHUNK = 100  # steps per compiled call
BOUND = 1e6  # a weight beyond ±BOUND means the run has diverged

Progress = Callable[[float], None]


class Structure(NamedTuple):
    """What is compiled for a group of runs: everything that is not a number."""

    model: Model
    optimizer: str
    switches: tuple[tuple[str, bool], ...]
    schedule: str
    clipped: bool
    batch: int  # examples per step; 0: the whole training set


@dataclass(frozen=True)
class RunRecord:
    """One run's training, cut before its divergence (nothing in it is NaN or Inf).

    `steps` are the recorded steps (0, k, 2k, …, and the last) and `params` the parameter
    vector at each (rows, in the training dtype); `batch_loss[t]` is the loss of step t's
    mini-batch before its update (for a full-batch run: the training loss at every step);
    `eval_steps` are the steps at which `train_loss`, `train_accuracy` (whole training set),
    `test_loss` and `test_accuracy` (whole test set) were evaluated, a subset of `steps`.
    """

    steps: np.ndarray
    params: np.ndarray
    batch_loss: np.ndarray
    eval_steps: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: int | None

    @property
    def final(self) -> np.ndarray:
        """The last valid recorded parameter vector."""
        return self.params[-1]


@dataclass(frozen=True)
class TrainingResult:
    """Every run of a validated `training`, in its order, from the shared `init` vector."""

    training: Training
    model: Model
    dataset: Dataset
    init: np.ndarray
    runs: tuple[RunRecord, ...]


def batch_order(seed: int, examples: int, batch: int, steps: int) -> np.ndarray:
    """(steps, batch) example indices: epochs shuffled from `seed`, each cut into ⌊n/B⌋
    batches (the rest of the epoch left out)."""
    per_epoch = examples // batch
    rng = np.random.default_rng((seed, 1))
    epochs = [
        rng.permutation(examples)[: per_epoch * batch].reshape(per_epoch, batch)
        for _ in range(math.ceil(steps / per_epoch))
    ]
    return np.concatenate(epochs)[:steps].astype(np.int32)


def _rule(structure: Structure, run: dict, total, dtype):
    """A run's update rule: clipping (when compiled in), then the optimizer with its
    schedule (computed in float64, applied in the parameters' dtype)."""
    spec = OPTIMIZERS[structure.optimizer]
    hyper = {**run["hyper"], **dict(structure.switches)}
    schedule = learning_rate(
        SCHEDULES[structure.schedule], hyper["lr"], run["schedule"], run["warmup"], total
    )

    def lr(count):
        return schedule(count).astype(dtype)

    tx = spec.build(hyper, lr)
    if structure.clipped:
        tx = optax.chain(
            optax.clip_by_global_norm(run["clip_norm"]), optax.clip(run["clip_value"]), tx
        )
    return tx


@functools.partial(jax.jit, static_argnames=("structure",))
def _init(structure: Structure, theta0, numbers, total):
    """Every run's starting parameters and optimizer state."""

    def one(run):
        return theta0, _rule(structure, run, total, theta0.dtype).init(theta0)

    return jax.vmap(one)(numbers)


@functools.partial(jax.jit, static_argnames=("structure",))
def _chunk(structure: Structure, carry, numbers, x, y, order, t0, steps):
    """CHUNK steps of a group from `carry` (parameters, optimizer states) at step t0.

    Returns the new carry and, per step, every run's parameters before it, its mini-batch
    loss, whether that loss is finite and whether the parameters after it are valid.
    """
    spec = OPTIMIZERS[structure.optimizer]
    model = structure.model
    total = steps.astype(jnp.float64)

    def objective(theta, xb, yb):
        return loss(model, theta, xb, yb)

    def step(carry, inputs):
        theta, state = carry
        t, index = inputs
        xb, yb = (x, y) if structure.batch == 0 else (x[index], y[index])

        def one(theta, state, run):
            tx = _rule(structure, run, total, theta.dtype)
            value, grad = jax.value_and_grad(objective)(theta, xb, yb)
            extra = {"hessian": jax.hessian(objective)(theta, xb, yb)} if spec.needs_hessian else {}
            update, new = tx.update(grad, state, theta, **extra)
            new = jax.tree.map(lambda a, b: a.astype(b.dtype), new, state)
            moved = theta + update.astype(theta.dtype)
            return moved, new, value, jnp.isfinite(value), jnp.all(jnp.abs(moved) <= BOUND)

        moved, new, value, loss_ok, moved_ok = jax.vmap(one)(theta, state, numbers)
        active = t < steps
        carry = jax.tree.map(lambda a, b: jnp.where(active, a, b), (moved, new), (theta, state))
        return carry, (theta, value, loss_ok, moved_ok)

    times = t0 + jnp.arange(CHUNK, dtype=jnp.int32)
    return jax.lax.scan(step, carry, (times, order))


def compile_count() -> int:
    """How many training structures have been compiled in this process."""
    return _chunk._cache_size()


def _structure(model: Model, run: Run, batch: int, examples: int) -> Structure:
    spec = OPTIMIZERS[run.optimizer]
    switches = tuple((name, bool(run.hyper[name])) for name in spec.static_names)
    clipped = run.clip_norm is not None or run.clip_value is not None
    return Structure(
        model, run.optimizer, switches, run.schedule, clipped, 0 if batch == examples else batch
    )


def _numbers(structure: Structure, runs: list[Run], dtype: str) -> dict:
    """The runs' numbers as arrays with one entry per run: hyperparameters and clipping in
    the training dtype, schedule parameters and warmup in float64 (the schedule's)."""
    spec = OPTIMIZERS[structure.optimizer]

    def column(values, kind):
        return jnp.asarray(np.array(values, np.float64).astype(kind))

    return {
        "hyper": {
            p.name: column([r.hyper[p.name] for r in runs], dtype)
            for p in spec.hyper
            if not p.is_static
        },
        "schedule": {
            p.name: column([r.schedule_params[p.name] for r in runs], np.float64)
            for p in SCHEDULES[structure.schedule].params
        },
        "warmup": column([r.warmup for r in runs], np.float64),
        "clip_norm": column([np.inf if r.clip_norm is None else r.clip_norm for r in runs], dtype),
        "clip_value": column(
            [np.inf if r.clip_value is None else r.clip_value for r in runs], dtype
        ),
    }


class _Trained(NamedTuple):
    """A group's raw record: frames (frame, run, parameter), batch losses (step, run), and
    per run the first invalid position seen during training (or None)."""

    frames: np.ndarray
    batch_loss: np.ndarray
    invalid: list[int | None]


def _first_invalid(loss_ok: np.ndarray, moved_ok: np.ndarray) -> list[int | None]:
    """Per run: the first position t whose mini-batch loss is non-finite, or t + 1 when the
    parameters after step t are invalid."""
    out: list[int | None] = []
    for r in range(loss_ok.shape[1]):
        bad_loss = np.flatnonzero(~loss_ok[:, r])
        bad_move = np.flatnonzero(~moved_ok[:, r]) + 1
        candidates = [int(a[0]) for a in (bad_loss, bad_move) if len(a)]
        out.append(min(candidates) if candidates else None)
    return out


def _train_group(
    structure: Structure,
    runs: list[Run],
    training: Training,
    theta0: jnp.ndarray,
    data: tuple[jnp.ndarray, jnp.ndarray],
    report: Callable[[], None],
) -> _Trained:
    steps, every = training.steps, training.record_every
    numbers = _numbers(structure, runs, training.dtype)
    total = jnp.asarray(steps, jnp.int32)
    chunks = math.ceil(steps / CHUNK)
    if structure.batch:
        order = batch_order(training.seed, len(data[0]), structure.batch, steps)
        order = np.pad(order, ((0, chunks * CHUNK - steps), (0, 0)))
    else:
        order = np.zeros((chunks * CHUNK, 0), np.int32)
    carry = _init(structure, theta0, numbers, total)
    frames, losses, loss_ok, moved_ok = [], [], [], []
    for c in range(chunks):
        t0 = c * CHUNK
        rows = order[t0 : t0 + CHUNK]
        carry, (thetas, value, ok_loss, ok_moved) = _chunk(
            structure, carry, numbers, *data, rows, jnp.asarray(t0, jnp.int32), total
        )
        taken = min(CHUNK, steps - t0)
        first = (-t0) % every  # the first recorded step in this chunk, relative to t0
        frames.append(np.asarray(thetas)[first:taken:every])
        losses.append(np.asarray(value)[:taken])
        loss_ok.append(np.asarray(ok_loss)[:taken])
        moved_ok.append(np.asarray(ok_moved)[:taken])
        report()
    frames.append(np.asarray(carry[0])[None])
    return _Trained(
        np.concatenate(frames),
        np.concatenate(losses),
        _first_invalid(np.concatenate(loss_ok), np.concatenate(moved_ok)),
    )


def recorded_steps(training: Training) -> np.ndarray:
    """The steps whose parameters are recorded: 0, k, 2k, … below `steps`, then `steps`."""
    return np.append(np.arange(0, training.steps, training.record_every), training.steps)


def evaluated_steps(training: Training) -> np.ndarray:
    """The steps at which the whole train and test sets are evaluated (a subset of
    `recorded_steps`): 0, e, 2e, … below `steps`, then `steps`."""
    return np.append(np.arange(0, training.steps, training.eval_every), training.steps)


def train(training: Training, progress: Progress | None = None) -> TrainingResult:
    """Every run of `training` (validated first), in its order.

    `progress`, if given, is called with the fraction of the training done after each
    compiled chunk; an exception raised by it abandons the work.
    """
    training = validate(training)
    model = get_model(training.model, training.data)
    dataset = get_dataset(training.data)
    examples = len(dataset.x_train)
    dtype = training.dtype
    theta0 = init(model, training.seed).astype(dtype)
    data = (jnp.asarray(dataset.x_train, dtype), jnp.asarray(dataset.y_train, jnp.int32))

    groups: dict[Structure, list[int]] = {}
    for index, run in enumerate(training.runs):
        batch = batch_of(run, training, examples)
        groups.setdefault(_structure(model, run, batch, examples), []).append(index)
    calls = len(groups) * math.ceil(training.steps / CHUNK)
    done = [0]

    def report():
        done[0] += 1
        if progress is not None:
            progress(done[0] / calls)

    raw: dict[int, tuple[np.ndarray, np.ndarray, int | None]] = {}
    for structure, indices in groups.items():
        runs = [training.runs[i] for i in indices]
        trained = _train_group(structure, runs, training, jnp.asarray(theta0), data, report)
        for column, index in enumerate(indices):
            raw[index] = (
                trained.frames[:, column],
                trained.batch_loss[:, column],
                trained.invalid[column],
            )
    records = _evaluate(training, model, dataset, [raw[i] for i in range(len(training.runs))])
    return TrainingResult(training, model, dataset, theta0, tuple(records))


def _evaluate(training: Training, model: Model, dataset: Dataset, raw: list) -> list[RunRecord]:
    """Full train and test metrics at the evaluated steps of every run's valid positions,
    and each run's record cut before its first invalid position."""
    frame_steps = recorded_steps(training)
    eval_steps = evaluated_steps(training)
    at = np.searchsorted(frame_steps, eval_steps)  # evaluated steps are recorded steps
    wanted, owners = [], []
    for index, (frames, _, invalid) in enumerate(raw):
        keep = eval_steps < (training.steps + 1 if invalid is None else invalid)
        wanted.append(frames[at[keep]])
        owners += [index] * int(keep.sum())
    thetas = np.concatenate(wanted)
    train, test = metrics.evaluate_sets(
        model,
        thetas,
        [(dataset.x_train, dataset.y_train), (dataset.x_test, dataset.y_test)],
        training.dtype,
    )
    owners_array = np.array(owners, int)
    records = []
    for index, (frames, batch_loss, invalid) in enumerate(raw):
        mine = owners_array == index
        values = [m[mine] for m in (*train, *test)]
        finite = np.logical_and.reduce([np.isfinite(v) for v in values])
        steps_here = eval_steps[: int(mine.sum())]
        if not finite.all():
            first_bad = int(steps_here[np.argmin(finite)])
            invalid = first_bad if invalid is None else min(invalid, first_bad)
        end = training.steps + 1 if invalid is None else invalid
        frame_keep = frame_steps < end
        eval_keep = steps_here < end
        records.append(
            RunRecord(
                steps=frame_steps[frame_keep],
                params=frames[frame_keep],
                batch_loss=batch_loss[: min(end, training.steps)],
                eval_steps=steps_here[eval_keep],
                train_loss=values[0][eval_keep],
                train_accuracy=values[1][eval_keep],
                test_loss=values[2][eval_keep],
                test_accuracy=values[3][eval_keep],
                diverged_at=invalid,
            )
        )
    return records
