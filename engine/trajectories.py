"""The trajectory engine: every run of a configuration, computed in compiled JAX.

Runs that share a structure (optimizer, its boolean switches, schedule, step bucket) are
stacked and computed by one `lax.scan` over a `vmap`ped step. Every number
(hyperparameters, schedule and surface parameters, start, each run's noise scale, seed, step
count within its bucket) is passed as an array, so changing it never recompiles. So is the
surface: every compiled step holds all of them behind a `lax.switch` (a few percent of a
call), so a class switching surfaces never waits for a compilation. A surface typed as a
formula is compiled on its own instead: its structure is part of the `Structure` (one
compilation per formula structure, kept in process and in the persistent compilation cache)
and its numbers are data (the constant slots), so editing a number never recompiles. And a
group whose own shape is not compiled yet runs on a compiled one with more steps or fewer runs
per call (`_serving_shape`), which gives the same numbers.

Gradient noise uses common random numbers: one stream of standard-normal pairs per seed, shared
by every run (in every group), scaled by each run's σ/√B (0 for the exact gradient). So runs
differ only through their optimizers and batch sizes.

Speed on CPU comes from XLA:CPU compiling a whole small loop into one kernel (see
`engine/__init__.py`): inside it an operation costs nanoseconds, outside it a dispatch of
about a microsecond. So everything per step (loss, gradient, learning rate, record) is
computed inside the scan, and what can be vectorised over all steps (the effective step)
after it, in the same kernel. Divergence needs no test per step: it always leaves a
non-finite number in the record, which one test over the whole record finds.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.config import Noise, Run, Simulation, effective_batch_size, validate
from landscapes import SURFACES
from landscapes.formula import constant_slots, formula_fn
from landscapes.user import FORMULA
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.schedules import learning_rate

STEP_BUCKETS = (100, 250, 500, 1000, 2000, 5000, 10_000)
MAX_OVERSHOOT = 4  # a compiled structure serves requests of down to 1/4 of its scan length
BOUND = 1e6  # a run whose position leaves [-BOUND, BOUND]² has diverged
MIN_ROWS = 2  # rows per compiled call, at least (see `_group_record`)
TINY_GRADIENT = 1e-12  # below this the effective learning rate is reported as 0
PER_POSITION = ("xy", "loss", "grad")  # recorded quantities with a row for the final position
RECORDED = (*PER_POSITION, "update", "lr")  # for every run; then its optimizer's internals


SURFACE_ORDER = tuple(SURFACES)  # a surface is passed to compiled code as its index here
SURFACE_PARAMS = max(len(s.params) for s in SURFACES.values())  # slots for its parameters


class Structure(NamedTuple):
    """What is compiled: everything that is not a number."""

    optimizer: str
    switches: tuple[tuple[str, bool], ...]
    schedule: str
    length: int
    clipped: bool  # clipping costs a fifth of a step: compiled in only where a run asks
    surface: tuple | None = None  # a formula's structure; None: every registered surface


def _view(name: str) -> functools.cached_property[np.ndarray]:
    """A `Trajectory` array: the recorded quantity `name`, cut when first read."""
    return functools.cached_property(lambda trajectory: trajectory._cut(name))


@dataclass(frozen=True)
class Trajectory:
    """One run's path. Arrays stop before divergence; nothing in them is NaN or Inf.

    `xy`, `loss`, `grad` have one row per position (the start first); `update`, `lr` and
    each `internals` entry one row per step taken (the state after that step).
    `diverged_at` is the step whose result was non-finite or out of bounds, else None.
    Each array is a view of the run's packed record (see `_columns`), cut when first read:
    a page reads the path and loss of every run, the rest only for its internals view.
    """

    record: np.ndarray = field(repr=False)  # this run's packed record (iteration, column)
    columns: Mapping[str, int | slice] = field(repr=False)  # `_columns` of its structure
    positions: int  # valid positions: steps + 1, or up to the divergence (at least the start)
    diverged_at: int | None

    def _cut(self, name: str) -> np.ndarray:
        """A recorded quantity up to the last valid position (or step)."""
        if self.diverged_at == 0 and name in ("loss", "grad"):  # the start itself is invalid:
            return np.zeros((1,) if name == "loss" else (1, 2))  # keep the point, not its numbers
        rows = self.positions if name in PER_POSITION else self.positions - 1
        return self.record[:rows, self.columns[name]]

    xy = _view("xy")
    loss = _view("loss")
    grad = _view("grad")
    update = _view("update")
    lr = _view("lr")

    @functools.cached_property
    def internals(self) -> dict[str, np.ndarray]:
        """The optimizer's drawn state and the effective per-axis step, by name."""
        return {name: self._cut(name) for name in self.columns if name not in RECORDED}


def step_bucket(steps: int) -> int:
    """The compiled scan length used for `steps` steps."""
    return STEP_BUCKETS[bisect.bisect_left(STEP_BUCKETS, steps)]


def _splitmix64(x: jnp.ndarray) -> jnp.ndarray:
    """A well-mixed 64-bit hash of `x` (uint64; SplitMix64's finaliser)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _normal_pair(seed: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """Two independent N(0, 1) draws for step t of the stream `seed` (hash + Box–Muller).

    A counter-based generator: on CPU jax.random's threefry costs more than a whole
    trajectory. Computed only when there is noise (a zero scale skips it).
    """
    counter = (seed.astype(jnp.uint64) << np.uint64(32)) | t.astype(jnp.uint64)
    bits = _splitmix64(jnp.stack([counter << np.uint64(1), (counter << np.uint64(1)) | 1]))
    unit = (bits >> np.uint64(11)).astype(jnp.float64) * 2.0**-53  # in [0, 1)
    radius = jnp.sqrt(-2.0 * jnp.log1p(-unit[0]))  # 1 − u in (0, 1]
    angle = 2.0 * jnp.pi * unit[1]
    return radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)])


def _unpack(structure: Structure, row) -> dict:
    """A run's numbers by name, from its row in the group's matrix (see `_row`)."""
    hyper, schedule = _layout(structure)
    return {
        "hyper": {name: row[i] for i, name in enumerate(hyper)},
        "schedule": {name: row[len(hyper) + i] for i, name in enumerate(schedule)},
        "warmup": row[-4],
        "clip_norm": row[-3],
        "clip_value": row[-2],
        "noise_scale": row[-1],
    }


def _rule(structure: Structure, run: dict, total):
    """A run's update rule (clipping, then the optimizer) and its learning-rate schedule."""
    spec = OPTIMIZERS[structure.optimizer]
    hyper = {**run["hyper"], **dict(structure.switches)}
    lr = learning_rate(
        SCHEDULES[structure.schedule], hyper["lr"], run["schedule"], run["warmup"], total
    )
    tx = spec.build(hyper, lr)
    if structure.clipped:
        tx = optax.chain(
            optax.clip_by_global_norm(run["clip_norm"]), optax.clip(run["clip_value"]), tx
        )
    return tx, lr


@functools.cache
def _terms(key: str | tuple, hessian: bool):
    """(loss, gradient[, Hessian]) of one surface as a function of the position and the
    parameter slots. `key` is a surface's `Surface.key`: a registered surface's name (the
    slots hold its parameters) or a formula's structure (the slots are its constants).
    Jitted so that it is traced once per process: every structure that calls it reuses its
    jaxpr (compiled code inlines it)."""
    if isinstance(key, str):
        names = [p.name for p in SURFACES[key].params]
        fn = SURFACES[key].fn

        def with_slots(z, slots):
            return fn(z, {n: slots[i] for i, n in enumerate(names)})
    else:
        with_slots = formula_fn(key)

    def terms(xy, slots):
        def loss(z):
            return with_slots(z, slots)

        value, grad = jax.value_and_grad(loss)(xy)
        return (value, grad, jax.hessian(loss)(xy)) if hessian else (value, grad)

    return jax.jit(terms)


def _surface_terms(key: tuple | None, surface, xy, hessian: bool) -> tuple:
    """Loss and gradient (and Hessian when `hessian`) at `xy` of the surface given as data:
    `surface` is (index into SURFACE_ORDER, parameter slots), or, for a formula whose
    structure is `key`, (unused, constant slots)."""
    index, slots = surface
    if key is not None:
        return _terms(key, hessian)(xy, slots)
    branches = [_terms(name, hessian) for name in SURFACE_ORDER]
    return jax.lax.switch(index, branches, xy, slots)


def _step(structure: Structure, surface, total, carry, run, t, draw):
    """One run's iteration t: record position t and take step t.

    `draw` is step t's standard-normal pair, shared by all runs; this run's gradient noise is
    it times the run's `noise_scale`. The carry is the position and the optimizer state; a
    position beyond BOUND is carried as NaN, so every divergence shows as a non-finite
    record (see `_diverged_at`). The record is packed (see `_columns`); its effective step
    is filled in after the loop.
    """
    spec = OPTIMIZERS[structure.optimizer]
    tx, lr = _rule(structure, run, total)
    xy, state = carry
    value, grad, *hessian = _surface_terms(structure.surface, surface, xy, spec.needs_hessian)
    extra = {"hessian": hessian[0]} if hessian else {}
    update, state = tx.update(grad + run["noise_scale"] * draw, state, xy, **extra)
    inner = [optax.tree_utils.tree_get(state, field) for field in spec.internals.values()]
    effective_lr = jnp.zeros(2)  # computed for all steps at once after the loop
    record = jnp.hstack([xy, value, grad, update, lr(t), *inner, effective_lr])
    moved = xy + update
    return (jnp.where(jnp.abs(moved) <= BOUND, moved, jnp.nan), state), record


def _effective_lr(record, noise, columns: dict) -> jnp.ndarray:
    """−Δθ/g per axis for every record (0 where the gradient is below TINY_GRADIENT).

    Computed over all steps at once after the loop: vectorised, it costs a fraction of what
    it would inside every step. `noise` is the noise added to each recorded gradient.
    """
    noisy = record[..., columns["grad"]] + noise
    safe = jnp.where(noisy == 0, 1.0, noisy)
    return jnp.where(jnp.abs(noisy) > TINY_GRADIENT, -record[..., columns["update"]] / safe, 0.0)


@jax.jit(static_argnames=("structure",))
def _trajectories(structure: Structure, common, rows):
    """Time-major packed records (iteration, run, column) of a group of runs.

    `common` is `_common(sim)` and `rows` one `_row` per run.
    """
    shape = (structure.length + 1, rows.shape[0], _width(structure))
    return _one_kernel(lambda c, r: _records(structure, c, r), common, rows, shape)


def _one_kernel(fn, common, rows, shape: tuple[int, ...]):
    """`fn(common, rows)`, an array of `shape`, run inside a loop of one iteration.

    XLA:CPU compiles a small loop, nested loops and branches included, into one kernel; the
    operations outside any loop (slicing inputs, initialising buffers, the noise branch) are
    dispatched one by one and cost more than 1,000 steps inside it. The trip count and the
    arguments depend on data (×1.0 is exact), so XLA can neither remove the loop nor hoist
    the work out of it. (The shape is given rather than found by `jax.eval_shape`, which
    would trace the whole computation a second time on every compilation.)
    """
    once = (common[3] > 0).astype(jnp.int32)  # steps ≥ 1, so always one iteration

    def body(i, _):
        return fn(common * (1.0 + i), rows * (1.0 + i))

    return jax.lax.fori_loop(0, once, body, jnp.zeros(shape))


def _records(structure: Structure, common, rows):
    """The computation of `_trajectories`: one scan of length+1 iterations (the last only
    records the final position) over the group's `vmap`ped step."""
    start, seed, total = common[:2], common[2], common[3]
    surface = common[4].astype(jnp.int32), common[5:]
    runs = jax.vmap(lambda row: _unpack(structure, row))(rows)

    def init(run):
        return start, _rule(structure, run, total)[0].init(start)

    step = jax.vmap(
        lambda carry, run, t, draw: _step(structure, surface, total, carry, run, t, draw),
        in_axes=(0, 0, None, None),
    )

    def body(carry, inputs):
        return step(carry, runs, *inputs)

    steps = jnp.arange(structure.length + 1, dtype=jnp.int32)
    draws = jax.lax.cond(  # unscaled: common random numbers for every run
        jnp.any(runs["noise_scale"] > 0),
        lambda: jax.vmap(_normal_pair, (None, 0))(seed, steps),
        lambda: jnp.zeros((structure.length + 1, 2)),
    )
    _, record = jax.lax.scan(body, jax.vmap(init)(runs), (steps, draws))
    columns = _columns(structure)
    noise = draws[:, None, :] * runs["noise_scale"][None, :, None]
    effective = _effective_lr(record, noise, columns)  # into its columns, in place (a
    # scatter, as `.at[].set` would give, would keep XLA from making the loop one kernel)
    return jax.lax.dynamic_update_slice(record, effective, (0, 0, columns["effective_lr"].start))


def compile_count() -> int:
    """How many structures have been compiled in this process."""
    return _trajectories._cache_size()


def _structure(sim: Simulation, run: Run) -> Structure:
    spec = OPTIMIZERS[run.optimizer]
    switches = tuple((name, bool(run.hyper[name])) for name in spec.static_names)
    clipped = run.clip_norm is not None or run.clip_value is not None
    surface = sim.formula.structure if sim.surface == FORMULA else None
    return Structure(
        run.optimizer, switches, run.schedule, step_bucket(sim.steps), clipped, surface
    )


@functools.cache
def _layout(structure: Structure) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of a run's numeric hyperparameters and schedule parameters, in row order."""
    hyper = OPTIMIZERS[structure.optimizer].hyper
    return (
        tuple(p.name for p in hyper if not p.is_static),
        tuple(p.name for p in SCHEDULES[structure.schedule].params),
    )


def _noise_scale(run: Run, noise: Noise) -> float:
    """The standard deviation σ/√B of a validated run's gradient noise (0: exact gradient)."""
    batch = effective_batch_size(run, noise)
    return 0.0 if batch is None else noise.sigma / np.sqrt(batch)


def _row(structure: Structure, run: Run, noise: Noise) -> list[float]:
    """A validated run's numbers, flat: hyperparameters, schedule, warmup, clipping (inf = off),
    noise scale."""
    hyper, schedule = _layout(structure)
    return [
        *(run.hyper[name] for name in hyper),
        *(run.schedule_params[name] for name in schedule),
        run.warmup,
        np.inf if run.clip_norm is None else run.clip_norm,
        np.inf if run.clip_value is None else run.clip_value,
        _noise_scale(run, noise),
    ]


def _common(sim: Simulation) -> np.ndarray:
    """A validated simulation's shared numbers: start, seed, steps, the surface's index and
    its parameters (in SURFACE_PARAMS slots), or for a formula 0 and its MAX_CONSTANTS
    constant slots."""
    if sim.surface == FORMULA:
        slots = constant_slots(sim.formula.constants)
        return np.array([*sim.start, sim.noise.seed, sim.steps, 0, *slots], np.float64)
    params = [sim.surface_params[p.name] for p in SURFACES[sim.surface].params]
    slots = params + [0.0] * (SURFACE_PARAMS - len(params))
    index = SURFACE_ORDER.index(sim.surface)
    return np.array([*sim.start, sim.noise.seed, sim.steps, index, *slots], np.float64)


def _rows(structure: Structure, runs: list[Run], noise: Noise) -> np.ndarray:
    """Runs' rows, one per run (the number of rows per call is part of what is compiled)."""
    return np.array([_row(structure, run, noise) for run in runs], np.float64)


# The shapes (structure, rows per call) compiled in this process, so that a group whose own
# shape is not compiled can be computed by one that is (see `_serving_shape`).
_COMPILED: set[tuple[Structure, int]] = set()


def _serving_shape(structure: Structure, runs: int) -> tuple[Structure, int]:
    """The compiled shape that computes a group of `runs` runs of `structure` soonest.

    Its own when compiled. Otherwise the cheapest compiled one with the same rule, at least
    as many steps (at most MAX_OVERSHOOT× as many) and any number of rows per call (fewer
    rows: the group is computed in several calls): the extra steps and padding rows cost
    microseconds, a compilation a few hundred milliseconds. The result is the same to the
    last bit: steps are a prefix of a longer scan and rows are independent. Without such a
    shape, its own (compiled by the call).
    """
    if (structure, runs) in _COMPILED:
        return structure, runs
    length = structure.length

    def cost(shape: tuple[Structure, int]) -> int:
        served, rows = shape
        return -(-runs // rows) * rows * (served.length + 1)

    usable = [
        (served, rows)
        for served, rows in tuple(_COMPILED)  # a snapshot: other threads may add to it
        if served._replace(length=length) == structure
        and length <= served.length <= MAX_OVERSHOOT * length
    ]
    return min(usable, key=cost, default=(structure, runs))


def _group_record(structure: Structure, common: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The packed record (iteration, run, column) of a group, at least `structure.length` + 1
    iterations long, from the compiled shape `_serving_shape` picks."""
    # At least two rows per call: XLA compiles a batch of one as scalar code, whose rounding
    # differs in the last bits from the vectorised code every wider batch (and every map,
    # engine/maps.py) runs, so one run alone would not equal the same run beside others.
    served, size = _serving_shape(structure, max(len(rows), MIN_ROWS))
    records = []
    for first in range(0, len(rows), size):  # one call when the shape is as wide
        chunk = rows[first : first + size]
        if len(chunk) < size:  # padded with copies of its first row, discarded
            chunk = np.concatenate([chunk, np.repeat(chunk[:1], size - len(chunk), axis=0)])
        records.append(np.asarray(_trajectories(served, common, chunk)))  # faster than device_get
    _COMPILED.add((served, size))
    return (records[0] if len(records) == 1 else np.concatenate(records, axis=1))[:, : len(rows)]


def _group_records(common: np.ndarray, rows: dict[Structure, np.ndarray]) -> dict:
    """Each group's packed record. Computed in this thread (engine/__init__.py), except when
    several groups need a compilation (a new formula, a first request): then one thread per
    group, so that one group's compilation (which releases the GIL) overlaps the next one's
    tracing, on the other core."""
    new = [s for s, r in rows.items() if _serving_shape(s, max(len(r), MIN_ROWS)) not in _COMPILED]
    if len(new) < 2:
        return {s: _group_record(s, common, r) for s, r in rows.items()}
    with ThreadPoolExecutor(len(rows), thread_name_prefix="compile") as pool:
        futures = {s: pool.submit(_group_record, s, common, r) for s, r in rows.items()}
        return {s: future.result() for s, future in futures.items()}


def simulate(sim: Simulation) -> list[Trajectory]:
    """Every run's trajectory, in the order of `sim.runs` (validating `sim` first)."""
    sim = validate(sim)
    groups: dict[Structure, list[int]] = {}
    for index, run in enumerate(sim.runs):
        groups.setdefault(_structure(sim, run), []).append(index)
    common = _common(sim)
    rows = {s: _rows(s, [sim.runs[i] for i in indices], sim.noise) for s, indices in groups.items()}
    records = _group_records(common, rows)
    results: list[Trajectory | None] = [None] * len(sim.runs)
    for structure, indices in groups.items():
        record, columns = records[structure], _columns(structure)
        diverged = _diverged_at(record, columns, sim.steps)
        for row, index in enumerate(indices):
            results[index] = _trajectory(record[:, row], columns, diverged[row], sim.steps)
    return results


def _width(structure: Structure) -> int:
    """How many numbers a step's packed record holds."""
    return max(c.stop if isinstance(c, slice) else c + 1 for c in _columns(structure).values())


@functools.cache
def _columns(structure: Structure) -> dict[str, int | slice]:
    """Where each recorded quantity sits in a step's packed record (one array per group:
    every output buffer of a compiled call costs time)."""
    names = [*RECORDED, *OPTIMIZERS[structure.optimizer].internals, "effective_lr"]
    columns, start = {}, 0
    for name in names:
        width = 1 if name in ("loss", "lr") else 2
        columns[name] = start if width == 1 else slice(start, start + width)
        start += width
    return columns


def _diverged_at(record: np.ndarray, columns: dict, steps: int) -> list[int | None]:
    """Per run of a group, the first invalid position within `steps` steps, or None.

    Position t is valid when its coordinates (NaN beyond BOUND, see `_step`), loss and
    gradient are finite and step t−1 (update, learning rate, internals) was finite. One
    vectorised test answers the common case, where nothing at all is non-finite.
    """
    head = record[: steps + 1]
    finite = np.isfinite(head)
    if finite.all():
        return [None] * record.shape[1]
    split = columns["update"].start  # column by column: numpy reduces a short last axis slowly
    ok = np.logical_and.reduce([finite[..., c] for c in range(split)])
    ok[1:] &= np.logical_and.reduce([finite[:-1, :, c] for c in range(split, head.shape[-1])])
    first = np.argmin(ok, axis=0)
    return [None if ok[t, run] else int(t) for run, t in enumerate(first)]


def _trajectory(
    record: np.ndarray, columns: dict, diverged_at: int | None, steps: int
) -> Trajectory:
    """A run's packed record (iteration, column), cut to the requested steps and before
    divergence."""
    positions = steps + 1 if diverged_at is None else max(diverged_at, 1)
    return Trajectory(record, columns, positions, diverged_at)
