"""What to train, its validation, and the caps that bound every request's work.

`validate` returns a complete `Training` (every default filled in) or raises the engine's
`ConfigError` with the path of the offending field (`("runs", 1, "lr")`, `("steps",)`), so
the page and the API report it as they report a surface's. Runs are the engine's `Run`:
optimizer, hyperparameters (torch.optim's names), schedule, warmup, clipping and an optional
batch size of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.config import _run as validate_run, checked_number, FULL_BATCH, MAX_RUNS, MAX_SEED, ConfigError, Path, Run
from networks.datasets import DATASETS, get_dataset
from networks.models import MODELS, get_model
from optimizers import OPTIMIZERS

MAX_STEPS = 10_000
MAX_PARAMETER_STEPS = 100_000_000  # steps × runs × parameters (16 runs × 2,500 steps of the MLP)
MAX_EXAMPLE_PARAMETERS = 40_000_000_000  # Σ over runs of steps × batch size × parameters
MAX_NEWTON_PARAMETERS = 512  # Newton solves a (parameters × parameters) system every step
MAX_FRAMES = 1_000  # parameter vectors recorded per run (every k-th step beyond that)
MAX_RECORDED = 25_000_000  # numbers recorded in all: runs × frames × parameters (100 MB float32)
MAX_EVALUATIONS = 200  # full train/test evaluations per run
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Training:
    """Runs of one model on one data set, from one shared initialisation.

    `batch_size` is a whole number B (mini-batches of B examples drawn by shuffling the
    training set every epoch) or "full" (the whole training set every step); a run's own
    `batch_size` overrides it. `seed` fixes the initial weights and the mini-batch order.
    `record_every` is the number of steps between recorded parameter vectors (None: every
    step, coarser when there would be more than MAX_FRAMES per run or MAX_RECORDED numbers in
    all); the final step is always recorded. `eval_every` is the number of steps between
    evaluations of the whole train and test sets (None: one epoch of `batch_size`, coarser
    when there would be more than MAX_EVALUATIONS), rounded up to a multiple of
    `record_every`: the recorded vectors are what is evaluated.
    """

    runs: tuple[Run, ...]
    model: str = "mlp"
    data: str = "digits"
    steps: int = 500
    batch_size: int | str = 64
    seed: int = 0
    dtype: str = "float32"
    record_every: int | None = None
    eval_every: int | None = None


def _choice(path: Path, value, choices, kind: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(path, f"unknown {kind} {value!r} (choose one of {', '.join(choices)})")
    return value


def _batch(path: Path, value, examples: int) -> int | str:
    if value == FULL_BATCH:
        return FULL_BATCH
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(path, f"must be a whole number or {FULL_BATCH!r}") from None
    return checked_number(path, value, 1, examples, whole=True)


def _run(index: int, run: Run, examples: int, parameters: int) -> Run:
    """The engine's validation of a run (engine.config), with a batch size bounded by the
    training set and Newton only where its full Hessian is affordable."""
    prefix: Path = ("runs", index)
    if not isinstance(run, Run):
        raise ConfigError(prefix, "must be a run")
    checked = validate_run(index, replace(run, batch_size=None))
    if OPTIMIZERS[checked.optimizer].needs_hessian and parameters > MAX_NEWTON_PARAMETERS:
        raise ConfigError(
            (*prefix, "optimizer"),
            f"{run.optimizer} solves a system of the full Hessian every step: offered for "
            f"models of at most {MAX_NEWTON_PARAMETERS} parameters (this one has {parameters:,})",
        )
    batch = None if run.batch_size is None else _batch((*prefix, "batch_size"), run.batch_size, examples)
    return replace(checked, batch_size=batch)


def batch_of(run: Run, training: Training, examples: int) -> int:
    """The number of examples per step of a validated run (the training set when full)."""
    batch = training.batch_size if run.batch_size is None else run.batch_size
    return examples if batch == FULL_BATCH else int(batch)


def _record_every(steps: int, runs: int, parameters: int) -> int:
    """The smallest stride keeping ≤ MAX_FRAMES vectors per run and ≤ MAX_RECORDED numbers
    (the start, every stride-th step and the final step)."""
    per_run = MAX_RECORDED // (runs * parameters) - 2
    return max(1, math.ceil(steps / MAX_FRAMES), math.ceil(steps / max(per_run, 1)))


def _multiple(value: int, of: int) -> int:
    return of * math.ceil(value / of)


def validate(training: Training) -> Training:
    """The complete configuration, or ConfigError naming the first invalid field."""
    data = _choice(("data",), training.data, tuple(DATASETS), "data set")
    model_name = _choice(("model",), training.model, tuple(MODELS), "model")
    try:
        model = get_model(model_name, data)
    except KeyError as error:
        raise ConfigError(("model",), error.args[0]) from None
    examples = len(get_dataset(data).x_train)
    number = isinstance(training.steps, (int, float)) and not isinstance(training.steps, bool)
    if number and training.steps > MAX_STEPS:
        raise ConfigError(("steps",), f"at most {MAX_STEPS:,} steps can be computed")
    steps = checked_number(("steps",), training.steps, 1, MAX_STEPS, whole=True)
    if not isinstance(training.runs, (tuple, list)):
        raise ConfigError(("runs",), "must be a list of runs")
    if not training.runs:
        raise ConfigError(("runs",), "add at least one run")
    if len(training.runs) > MAX_RUNS:
        raise ConfigError(("runs",), f"at most {MAX_RUNS} runs at once")
    batch = _batch(("batch_size",), training.batch_size, examples)
    runs = tuple(_run(i, run, examples, model.size) for i, run in enumerate(training.runs))
    dtype = _choice(("dtype",), training.dtype, DTYPES, "dtype")
    seed = checked_number(("seed",), training.seed, 0, MAX_SEED, whole=True)
    checked = replace(
        training,
        runs=runs,
        model=model_name,
        data=data,
        steps=steps,
        batch_size=batch,
        seed=seed,
        dtype=dtype,
    )
    parameter_steps = steps * len(runs) * model.size
    if parameter_steps > MAX_PARAMETER_STEPS:
        most = MAX_PARAMETER_STEPS // (len(runs) * model.size)
        raise ConfigError(
            ("steps",),
            f"steps × runs × parameters is at most {MAX_PARAMETER_STEPS:,}: {len(runs)} runs of "
            f"this {model.size:,}-parameter model can take at most {most:,} steps",
        )
    work = steps * model.size * sum(batch_of(run, checked, examples) for run in runs)
    if work > MAX_EXAMPLE_PARAMETERS:
        raise ConfigError(
            ("batch_size",),
            f"steps × batch size × parameters, summed over the runs, is at most "
            f"{MAX_EXAMPLE_PARAMETERS:,} ({work:,} asked): use smaller batches, fewer steps "
            "or fewer runs",
        )
    fewest = _record_every(steps, len(runs), model.size)
    if training.record_every is None:
        record_every = fewest
    else:
        record_every = checked_number(("record_every",), training.record_every, 1, steps, whole=True)
        if record_every < fewest:
            raise ConfigError(
                ("record_every",),
                f"at most {MAX_FRAMES:,} recorded steps per run and {MAX_RECORDED:,} recorded "
                f"numbers: record at least every {fewest:,} steps",
            )
    if training.eval_every is None:
        epoch = 1 if batch == FULL_BATCH else max(1, examples // batch)
        eval_every = max(epoch, math.ceil(steps / MAX_EVALUATIONS))
    else:
        eval_every = checked_number(("eval_every",), training.eval_every, 1, steps, whole=True)
        if math.ceil(steps / eval_every) > MAX_EVALUATIONS:
            raise ConfigError(
                ("eval_every",),
                f"at most {MAX_EVALUATIONS} evaluations per run: at least "
                f"{math.ceil(steps / MAX_EVALUATIONS):,} steps apart for {steps:,} steps",
            )
    # a multiple of record_every (what is evaluated is recorded), at most the steps taken
    eval_every = min(_multiple(eval_every, record_every), steps // record_every * record_every)
    return replace(checked, record_every=record_every, eval_every=eval_every)
