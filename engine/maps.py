"""Many runs of one configuration, summaries only: the engine behind the maps.

`sweep(sim, cells, tolerance)` computes up to MAX_MAP_RUNS runs that differ from one run of a
validated simulation in their start point, in numeric settings (hyperparameters, schedule and
surface parameters) or in their noise seed, and records per run only what a map needs: the
final position and loss, the best loss, the steps to the tolerance (the summary table's
definition, `engine.measures.within_tolerance`), the step of divergence, and which of the
surface's minima it ended in. A fan (`trace=True`) also keeps every step's loss and position.

Each cell is computed with the trajectory engine's own pieces (`engine.trajectories`: the
same rules, schedules, clipping and noise), so its outcome equals the trajectory of the same
link and its numbers agree to rounding (XLA:CPU contracts a·b + c into one FMA wherever both
meet in a kernel, and the two engines fuse differently). Cells are `vmap`ped in chunks of a
few fixed sizes (`CHUNKS`), on every core; every number, the grid's values included, is
data, so a new range or setting never recompiles.

Two passes: `_fast_kernel` tests nothing per step (a running sum turns NaN at the first
non-finite number), and the runs it cannot vouch for are computed again by `_sweep_kernel`,
which tests every step as `trajectories._diverged_at` does (and traces a fan).
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.config import ConfigError, Simulation, surface_of
from engine.trajectories import (
    BOUND,
    Structure,
    _columns,
    _common,
    _layout,
    _normal_pair,
    _row,
    _rule,
    _step,
    _structure,
    _surface_terms,
    _unpack,
)
from optimizers import OPTIMIZERS, SCHEDULES

MAX_MAP_RUNS = 65_536
MAX_RUN_STEPS = 100_000_000
CHUNKS = (64, 256, 1024, 4096)  # runs per compiled call: a map is cut into these
WORKERS = min(os.cpu_count() or 1, 4)  # threads computing a map's chunks side by side
MINIMUM_RADIUS = 0.025  # a run ended in a minimum within this fraction of the domain's side


class Cells(NamedTuple):
    """What differs from run to run of a sweep: one row each (n runs)."""

    start: np.ndarray  # (n, 2)
    row: np.ndarray  # (n, R): the run's numbers, `trajectories._row` layout
    slots: np.ndarray  # (n, S): the surface's parameters (a formula's: its constants)
    seed: np.ndarray  # (n,): the noise stream


class MapStructure(NamedTuple):
    """What a sweep compiles: the run's structure, the surface, which of its numbers differ
    from cell to cell (columns of its row, the surface parameters), whether each cell has its
    own noise seed, whether every step is kept (a fan), and the number
    of cells per call."""

    run: Structure
    surface: str | tuple  # `Surface.key`: a registered surface's name or a formula's structure
    varying: tuple[int, ...]
    slots_vary: bool
    seeds: bool
    trace: bool
    chunk: int

    @property
    def elementwise(self) -> bool:
        """Whether the rule acts on each coordinate alone, so that a chunk of cells can be
        updated as one parameter array (optax's own batching: a step counter and every
        shared number computed once per step, not once per cell). Clipping by the global
        norm and Newton's solve couple coordinates: those are `vmap`ped cell by cell."""
        return not (self.run.clipped or OPTIMIZERS[self.run.optimizer].needs_hessian)


@dataclass(frozen=True)
class Sweep:
    """Per run of a sweep (n runs): `final_xy` (n, 2) and `final_loss` at the last valid
    position, `best_loss`, `steps_to_tol` and `diverged_at` (-1: not reached / did not
    diverge), `minimum` (index into the surface's global then local minima, -1: none).
    `losses` (n, steps + 1) and `path` (n, steps + 1, 2) for a traced sweep: +inf and the
    last valid position after a divergence."""

    final_xy: np.ndarray
    final_loss: np.ndarray
    best_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged_at: np.ndarray
    minimum: np.ndarray
    losses: np.ndarray | None = None
    path: np.ndarray | None = None


class Abandoned(Exception):
    """A sweep stopped because its progress callback said so."""


def check_size(runs: int, steps: int, field: str) -> None:
    """ConfigError naming `field` (the grid or seed count) or `steps` above the caps."""
    if runs > MAX_MAP_RUNS:
        raise ConfigError(field, f"at most {MAX_MAP_RUNS:,} runs per map ({runs:,} asked)")
    if runs * steps > MAX_RUN_STEPS:
        raise ConfigError(
            "steps", f"at most {MAX_RUN_STEPS:,} run-steps per map ({runs:,} × {steps:,} asked)"
        )


# --------------------------------------------------------------------------- settings as data


def settings(sim: Simulation, run: int = 0) -> dict[str, tuple[str, int, object]]:
    """The numeric settings a map can vary for run `run` of a validated simulation, by name:
    (where, column, Param) with where "row" (a column of the run's row: hyperparameter or
    schedule parameter) or "slots" (a surface parameter). The run's own names come first."""
    spec = _structure(sim, sim.runs[run])
    hyper, schedule = _layout(spec)
    params = {p.name: p for p in OPTIMIZERS[spec.optimizer].hyper}
    params.update({p.name: p for p in SCHEDULES[spec.schedule].params})
    found: dict[str, tuple[str, int, object]] = {}
    for column, name in enumerate((*hyper, *schedule)):
        found[name] = ("row", column, params[name])
    for column, p in enumerate(surface_of(sim).params):
        found.setdefault(p.name, ("slots", column, p))
    return found


def base_cells(sim: Simulation, run: int, count: int) -> Cells:
    """`count` copies of run `run` of a validated simulation, as cells."""
    structure = _structure(sim, sim.runs[run])
    common = _common(sim)
    row = np.array(_row(structure, sim.runs[run], sim.noise), np.float64)
    return Cells(
        start=np.tile(common[:2], (count, 1)),
        row=np.tile(row, (count, 1)),
        slots=np.tile(common[5:], (count, 1)),
        seed=np.full(count, float(sim.noise.seed)),
    )


def vary(cells: Cells, sim: Simulation, run: int, name: str, values: np.ndarray) -> Cells:
    """`cells` with the setting `name` (see `settings`) set to `values`, one per cell."""
    where, column, _ = settings(sim, run)[name]
    array = getattr(cells, where).copy()
    array[:, column] = values
    return cells._replace(**{where: array})


# --------------------------------------------------------------------------- the kernel


def _chunk(runs: int) -> int:
    return CHUNKS[min(bisect.bisect_left(CHUNKS, runs), len(CHUNKS) - 1)]


def _draws(structure: MapStructure, shared, cells: Cells):
    """`draw_at(t)`: step t's standard-normal pair, per cell (n, 2) when each cell has its own
    seed, else the shared one (2,), precomputed for every step outside the loop (a branch
    inside a loop costs a tenth of a map). Drawn and added (times a noise scale of 0) without
    noise too, as the trajectory engine does: XLA:CPU fuses a·b + c into one multiply-add
    where a product has a single reader, so a gradient used as it is and one computed as
    g + 0·draw round the moments differently (AdamW's cells differed in the last bit)."""
    if structure.seeds:
        return lambda t: jax.vmap(_normal_pair, (0, None))(cells.seed, t)
    steps = jnp.arange(structure.run.length + 1, dtype=jnp.int32)
    draws = jax.vmap(_normal_pair, (None, 0))(shared[2], steps)
    return lambda t: draws[t]


def _mover(structure: MapStructure, shared, cells: Cells):
    """(initial carry, move) of a chunk of cells under an elementwise rule, where
    `move(carry, t)` returns position t's loss and gradient and the carry after step t.

    The chunk is one (n, 2) parameter array; a number that differs from cell to cell is an
    (n, 1) column, every other number a scalar. The numbers are those of
    `trajectories._step`: the same rule, terms and noise."""
    spec = structure.run
    total = shared[1]
    draw_at = _draws(structure, shared, cells)
    first = cells.row[0]
    row = [cells.row[:, c : c + 1] if c in structure.varying else first[c] for c in range(len(first))]
    run = _unpack(spec, row)
    tx, _ = _rule(spec, run, total)
    # The surface's terms as the trajectory engine computes them (a registered surface behind
    # its `lax.switch`): a conditional's outputs are computed once, not inside every fusion
    # that reads them, and the loss is the trajectory's to the last bit.
    formula = None if isinstance(structure.surface, str) else structure.surface
    index = shared[0].astype(jnp.int32)
    terms = jax.vmap(
        lambda xy, slots: _surface_terms(formula, (index, slots), xy, False),
        in_axes=(0, 0 if structure.slots_vary else None),
    )
    slots = cells.slots if structure.slots_vary else cells.slots[0]

    def move(carry, t):
        xy, state = carry
        value, grad = terms(xy, slots)
        update, state = tx.update(grad + run["noise_scale"] * draw_at(t), state, xy)
        moved = xy + update
        return value, grad, (jnp.where(jnp.abs(moved) <= BOUND, moved, jnp.nan), state)

    return (cells.start, tx.init(cells.start)), move


def _stepper(structure: MapStructure, shared, cells: Cells):
    """(initial state, step) of a chunk of cells, where `step(state, t)` returns the next
    state and, per cell, position t, its loss, whether position t's own numbers (position,
    loss, gradient) are finite, and whether step t's (update, learning rate, internals) are
    (None: nothing to test, see below)."""
    n = cells.start.shape[0]
    if structure.elementwise:
        state0, move = _mover(structure, shared, cells)

        def step(carry, t):
            # Step t's own numbers need no test of their own: a non-finite update makes
            # position t + 1 non-finite, and an optimizer's state or learning rate cannot
            # overflow while the gradient it accumulates stays finite (within BOUND): `head`
            # of t + 1 finds it.
            value, grad, carry_next = move(carry, t)
            xy = carry[0]
            return carry_next, xy, value, _finite(n, xy, value, grad), None

        return state0, step

    # Clipping by the global norm and Newton's solve: cell by cell, as the trajectory engine.
    spec = structure.run
    index, total = shared[0].astype(jnp.int32), shared[1]
    draw_at = _draws(structure, shared, cells)
    runs = jax.vmap(lambda row: _unpack(spec, row))(cells.row)
    columns = _columns(spec)
    split, width = columns["update"].start, columns["effective_lr"].start
    one = jax.vmap(
        lambda carry, run, slots, t, draw: _step(spec, (index, slots), total, carry, run, t, draw),
        in_axes=(0, 0, 0, None, 0 if structure.seeds else None),
    )

    def init(start, run):
        return start, _rule(spec, run, total)[0].init(start)

    def step(state, t):
        state, record = one(state, runs, cells.slots, t, draw_at(t))
        head = jnp.all(jnp.isfinite(record[:, :split]), axis=1)
        tail = jnp.all(jnp.isfinite(record[:, split:width]), axis=1)
        return state, record[:, 0:2], record[:, columns["loss"]], head, tail

    return jax.vmap(init)(cells.start, runs), step


def _columns_sum(n: int, values) -> jnp.ndarray:
    """Per cell, the sum of every number of `values` (arrays of n rows, or scalars), by
    columns: XLA reduces a short last axis slowly."""
    total = jnp.zeros(n)
    for value in values:
        value = jnp.asarray(value)
        value = jnp.broadcast_to(value, (n, *value.shape[1:]) if value.ndim else (n,))
        columns = value.reshape(n, -1)
        for c in range(columns.shape[1]):
            total = total + columns[:, c]
    return total


def _finite(n: int, *values) -> jnp.ndarray:
    """Per cell, whether every number of `values` is finite: one test of their sum (a
    non-finite number makes the sum non-finite; finite ones cannot overflow it within
    BOUND)."""
    return jnp.isfinite(_columns_sum(n, values))


def _within(loss, min_value, tolerance):
    """`engine.measures.within_tolerance`, elementwise in compiled code."""
    return loss - min_value <= tolerance


@jax.jit(static_argnames=("structure",))
def _sweep_kernel(structure: MapStructure, shared, cells: Cells):
    """Summaries (and, traced, every step's loss and position) of a chunk of cells.

    `shared`: the surface's index, the step count, the shared seed, the minimum value, the
    tolerance, and 1.0 when the surface has a minimum value. Position t is valid, as in
    `trajectories._diverged_at`, when its own numbers and step t − 1's are finite.
    """
    total, min_value, tolerance, has_min = shared[1], shared[3], shared[4], shared[5] > 0
    state0, step = _stepper(structure, shared, cells)
    n = cells.start.shape[0]
    minus = jnp.full(n, -1, jnp.int32)
    summary0 = (minus, jnp.ones(n, bool), jnp.full(n, jnp.inf), minus, cells.start, jnp.zeros(n))

    def body(carry, t):
        state, (diverged, tail_ok, best, reached, last_xy, last_loss) = carry
        state, xy, loss, head, tail = step(state, t)
        alive = (diverged < 0) & (t <= total)
        valid = alive & head if tail is None else alive & head & tail_ok
        diverged = jnp.where(alive & ~valid, t, diverged)
        last_xy = jnp.where(valid[:, None], xy, last_xy)
        last_loss = jnp.where(valid, loss, last_loss)
        best = jnp.where(valid, jnp.minimum(best, loss), best)
        hit = valid & has_min & (reached < 0) & _within(loss, min_value, tolerance)
        reached = jnp.where(hit, t, reached)
        out = (jnp.where(valid, loss, jnp.inf), last_xy) if structure.trace else None
        tail_ok = tail_ok if tail is None else tail
        return (state, (diverged, tail_ok, best, reached, last_xy, last_loss)), out

    steps = jnp.arange(structure.run.length + 1, dtype=jnp.int32)
    (_, summary), traced = jax.lax.scan(body, (state0, summary0), steps)
    diverged, _, best, reached, last_xy, last_loss = summary
    return last_xy, last_loss, best, reached, diverged, traced


@jax.jit(static_argnames=("structure",))
def _fast_kernel(structure: MapStructure, shared, cells: Cells):
    """The summaries of `_sweep_kernel` for the cells that never diverge, in less than half
    its time, and per cell whether it may have diverged (then its summary is not valid:
    `sweep` computes it again with `_sweep_kernel`). An elementwise rule only.

    What makes it cheap: no test of validity per step, only a running sum that turns NaN
    for good at the first non-finite position, loss or gradient (0 × ±inf and 0 × NaN are
    NaN); positions beyond BOUND are NaN already. A run that stays finite has every
    position valid, so its best loss and steps to the tolerance need no mask, its last
    position is the final one, and it did not diverge. And the loop stops at the step
    count, a number (the trip count of a `while`), so no step past it is masked either.
    """
    total, min_value, tolerance, has_min = shared[1], shared[3], shared[4], shared[5] > 0
    state0, move = _mover(structure, shared, cells)
    n = cells.start.shape[0]

    def summarise(t, state, best, reached, check):
        value, grad, state_next = move(state, t)
        best = jnp.minimum(best, value)
        hit = jnp.where(has_min, t.astype(jnp.float64), jnp.inf)  # a scalar
        reached = jnp.minimum(reached, jnp.where(_within(value, min_value, tolerance), hit, jnp.inf))
        # The position too, as `_sweep_kernel` tests it: XLA:CPU fuses a·b + c into one
        # multiply-add only where a product has a single reader, so the position's readers
        # decide how the step rounds; with the same readers, the same bits as the trajectory.
        check = check + 0.0 * _columns_sum(n, (state[0], value, grad))
        return state_next, best, reached, check, value

    last = total.astype(jnp.int32)
    carry = (state0, jnp.full(n, jnp.inf), jnp.full(n, jnp.inf), jnp.zeros(n))
    carry = jax.lax.fori_loop(0, last, lambda t, c: summarise(t, *c)[:4], carry)
    _, best, reached, check, value = summarise(last, *carry)  # the last position
    xy = carry[0][0]
    reached = jnp.where(jnp.isfinite(reached), reached, -1).astype(jnp.int32)
    # A position once NaN stays NaN (NaN + anything): the last one tells for them all.
    return xy, value, best, reached, jnp.isfinite(check + 0.0 * (xy[:, 0] + xy[:, 1]))


def compile_count() -> int:
    """How many sweep shapes have been compiled in this process."""
    return _sweep_kernel._cache_size()


def _minima(sim: Simulation, slots: np.ndarray, final_xy: np.ndarray) -> np.ndarray:
    """Per cell, the index of the listed minimum (global, then local) within MINIMUM_RADIUS of
    its final position, else -1. Minima follow each cell's surface parameters."""
    surface = surface_of(sim)
    names = [p.name for p in surface.params]
    (xmin, xmax), (ymin, ymax) = surface.domain
    radius = MINIMUM_RADIUS * min(xmax - xmin, ymax - ymin)
    found = np.full(len(final_xy), -1, np.int32)
    unique, inverse = np.unique(slots[:, : len(names)], axis=0, return_inverse=True)
    for k, values in enumerate(unique):
        params = dict(zip(names, map(float, values)))
        points = np.array([*surface.minima(params), *surface.local_minima(params)], np.float64)
        if not len(points):
            continue
        mine = np.flatnonzero(inverse.reshape(-1) == k)
        distance = np.linalg.norm(final_xy[mine, None, :] - points[None], axis=2)
        nearest = np.argmin(distance, axis=1)
        close = distance[np.arange(len(mine)), nearest] <= radius
        found[mine[close]] = nearest[close]
    return found


def _chunked(kernel, structure: MapStructure, shared, cells: Cells, progress) -> list:
    """`kernel` over `cells` cut into chunks of `structure.chunk` (the last padded with
    copies of its first cell, its padding discarded from every result), the chunks computed
    on every core (the kernels run in the calling thread, the GIL released); `progress` as
    in `sweep`. Per chunk, the kernel's results (traced ones time-major)."""
    count, chunk = len(cells.start), structure.chunk

    def one(first: int):
        part = Cells(*(np.asarray(a[first : first + chunk], np.float64) for a in cells))
        short = chunk - len(part.start)
        if short:
            part = Cells(*(np.concatenate([a, np.repeat(a[:1], short, axis=0)]) for a in part))
        keep = chunk - short
        result = jax.device_get(kernel(structure, shared, part))
        cut = [r[:keep] for r in result[:5]]
        if len(result) > 5 and result[5] is not None:
            cut.append(tuple(r[:, :keep] for r in result[5]))
        return cut

    firsts = range(0, count, chunk)
    with ThreadPoolExecutor(min(len(firsts), WORKERS), thread_name_prefix="map") as pool:
        futures = [pool.submit(one, first) for first in firsts]
        parts = []
        for first, future in zip(firsts, futures):
            parts.append(future.result())
            if progress is not None and progress(min(first + chunk, count), count) is False:
                for rest in futures:
                    rest.cancel()
                raise Abandoned
    return parts


def sweep(
    sim: Simulation,
    run: int,
    cells: Cells,
    tolerance: float,
    *,
    trace: bool = False,
    progress: Callable[[int, int], bool] | None = None,
) -> Sweep:
    """Every cell of `cells` as a variant of run `run` of the validated `sim`, summarised.

    `trace` keeps every step's loss and position (a fan). `progress(done, total)` is called
    after each chunk of cells; when it returns False the sweep stops (`Abandoned`).
    Raises ConfigError above MAX_MAP_RUNS runs or MAX_RUN_STEPS run-steps.
    """
    count = len(cells.start)
    check_size(count, sim.steps, "runs")
    surface = surface_of(sim)
    differs = [np.any(a != a[:1], axis=0) for a in cells]  # what changes from cell to cell
    seeds = bool(np.any(cells.row[:, -1] > 0)) and bool(differs[3])  # noisy, own seeds
    chunk = _chunk(count)
    structure = MapStructure(
        _structure(sim, sim.runs[run]), surface.key,
        tuple(int(c) for c in np.flatnonzero(differs[1])),
        bool(np.any(differs[2])), seeds, trace, chunk,
    )
    common = _common(sim)
    has_min = surface.min_value is not None
    shared = np.array(
        [common[4], sim.steps, sim.noise.seed, surface.min_value if has_min else 0.0,
         tolerance, 1.0 if has_min else 0.0],
        np.float64,
    )
    if trace or not structure.elementwise:
        parts = _chunked(_sweep_kernel, structure, shared, cells, progress)
        final_xy, final_loss, best, reached, diverged = (
            np.concatenate([p[i] for p in parts]) for i in range(5)
        )
    else:
        parts = _chunked(_fast_kernel, structure, shared, cells, progress)
        final_xy, final_loss, best, reached, finite = (
            np.concatenate([p[i] for p in parts]) for i in range(5)
        )
        diverged = np.full(count, -1, np.int32)
        again = np.flatnonzero(~finite)  # may have diverged: computed with every test
        if len(again):
            exact = structure._replace(chunk=_chunk(len(again)))
            parts = _chunked(_sweep_kernel, exact, shared, Cells(*(a[again] for a in cells)), progress)
            for array, i in ((final_xy, 0), (final_loss, 1), (best, 2), (reached, 3), (diverged, 4)):
                array[again] = np.concatenate([p[i] for p in parts])
    losses = path = None
    if trace:
        length = sim.steps + 1
        losses = np.concatenate([p[5][0] for p in parts], axis=1)[:length].T
        path = np.concatenate([p[5][1] for p in parts], axis=1)[:length].swapaxes(0, 1)
    return Sweep(
        final_xy=final_xy,
        final_loss=final_loss,
        best_loss=best,
        steps_to_tol=reached,
        diverged_at=diverged,
        minimum=_minima(sim, cells.slots, final_xy),
        losses=losses,
        path=path,
    )


def axis_values(low: float, high: float, count: int, log: bool = False) -> np.ndarray:
    """`count` cell centres evenly spaced over [low, high] (in log space when `log`)."""
    if log:
        edges = np.linspace(np.log10(low), np.log10(high), count + 1)
        return 10.0 ** ((edges[:-1] + edges[1:]) / 2)
    edges = np.linspace(low, high, count + 1)
    return (edges[:-1] + edges[1:]) / 2


__all__ = [
    "CHUNKS",
    "MAX_MAP_RUNS",
    "MAX_RUN_STEPS",
    "MINIMUM_RADIUS",
    "Abandoned",
    "Cells",
    "Sweep",
    "axis_values",
    "base_cells",
    "check_size",
    "compile_count",
    "settings",
    "sweep",
    "vary",
]
