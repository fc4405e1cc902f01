"""The trajectory engine: every run of a configuration, computed in compiled JAX.

Runs that share a structure (surface, optimizer, its boolean switches, schedule, step bucket)
are stacked and computed by one `vmap`ped `lax.scan`. Every number (hyperparameters, schedule
and surface parameters, start, noise, seed, step count within its bucket) is passed as an
array, so changing it never recompiles.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.config import Simulation, validate
from landscapes import SURFACES
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.schedules import learning_rate

STEP_BUCKETS = (100, 250, 500, 1000, 2000, 5000, 10_000)
UNROLL = 1
BOUND = 1e6  # a run whose position leaves [-BOUND, BOUND]² has diverged


class Structure(NamedTuple):
    """What is compiled: everything that is not a number."""

    surface: str
    optimizer: str
    switches: tuple[tuple[str, bool], ...]
    schedule: str
    length: int


@dataclass(frozen=True)
class Trajectory:
    """One run's path. Arrays stop before divergence; nothing in them is NaN or Inf.

    `xy`, `loss`, `grad` have one row per position (the start first); `update`, `lr` and
    each `internals` entry one row per step taken (the state after that step).
    `diverged_at` is the step whose result was non-finite or out of bounds, else None.
    """

    xy: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    update: np.ndarray
    lr: np.ndarray
    internals: dict[str, np.ndarray]
    diverged_at: int | None


def step_bucket(steps: int) -> int:
    """The compiled scan length used for `steps` steps."""
    return STEP_BUCKETS[bisect.bisect_left(STEP_BUCKETS, steps)]


def _one_run(structure: Structure, surface_params, start, run, draws, total):
    surface = SURFACES[structure.surface]
    spec = OPTIMIZERS[structure.optimizer]
    hyper = {**run["hyper"], **dict(structure.switches)}
    lr = learning_rate(
        SCHEDULES[structure.schedule], hyper["lr"], run["schedule"], run["warmup"], total
    )
    tx = optax.chain(
        optax.clip_by_global_norm(run["clip_norm"]),
        optax.clip(run["clip_value"]),
        spec.build(hyper, lr),
    )

    def loss(xy):
        return surface.fn(xy, surface_params)

    value_and_grad = jax.value_and_grad(loss)
    hessian = jax.hessian(loss)

    def probe(xy):
        """Loss and gradient at `xy`, and whether all of it is finite and in bounds."""
        value, g = value_and_grad(xy)
        ok = (
            jnp.all(jnp.isfinite(xy))
            & jnp.all(jnp.abs(xy) <= BOUND)
            & jnp.isfinite(value)
            & jnp.all(jnp.isfinite(g))
        )
        return ok, value, g

    def body(carry, inputs):
        xy, g, state, alive, diverged_at = carry
        t, noise = inputs
        noisy = g + noise
        extra = {"hessian": hessian(xy)} if spec.needs_hessian else {}
        update, new_state = tx.update(noisy, state, xy, **extra)
        new_xy = xy + update
        ok, value, new_g = probe(new_xy)
        ok = alive & ok
        zero = jnp.zeros_like(xy)
        inner = {k: optax.tree_utils.tree_get(new_state, f) for k, f in spec.internals.items()}
        inner["effective_lr"] = jnp.where(jnp.abs(noisy) > 1e-12, -update / noisy, 0.0)
        record = {
            "xy": jnp.where(ok, new_xy, xy),
            "loss": jnp.where(ok, value, 0.0),
            "grad": jnp.where(ok, new_g, zero),
            "update": jnp.where(ok, update, zero),
            "lr": lr(t),
            "internals": {k: jnp.where(ok, v, zero) for k, v in inner.items()},
        }
        carry = (
            record["xy"],
            jnp.where(ok, new_g, g),
            new_state,  # a dead run's state is never used again: no `where` (it is costly)
            ok,
            jnp.where(alive & ~ok, t + 1, diverged_at),
        )
        return carry, record

    start_ok, start_loss, start_g = probe(start)
    start_g = jnp.where(start_ok, start_g, 0.0)
    init = (start, start_g, tx.init(start), start_ok, jnp.where(start_ok, -1, 0))
    steps = jnp.arange(structure.length)
    (*_, diverged_at), record = jax.lax.scan(body, init, (steps, draws), unroll=UNROLL)
    record["xy"] = jnp.concatenate([start[None], record["xy"]])
    record["grad"] = jnp.concatenate([start_g[None], record["grad"]])
    record["loss"] = jnp.concatenate([jnp.where(start_ok, start_loss, 0.0)[None], record["loss"]])
    return record, diverged_at


@jax.jit(static_argnames=("structure",))
def _trajectories(structure: Structure, surface_params, start, runs, noise, total):
    key = jax.random.key(noise["seed"])
    draws = noise["scale"] * jax.random.normal(key, (structure.length, 2), jnp.float64)
    return jax.vmap(_one_run, in_axes=(None, None, None, 0, None, None))(
        structure, surface_params, start, runs, draws, total
    )


def compile_count() -> int:
    """How many structures have been compiled in this process."""
    return _trajectories._cache_size()


def _structure(sim: Simulation, run) -> Structure:
    spec = OPTIMIZERS[run.optimizer]
    switches = tuple((name, bool(run.hyper[name])) for name in spec.static_names())
    return Structure(sim.surface, run.optimizer, switches, run.schedule, step_bucket(sim.steps))


def _as_data(run, spec) -> dict:
    """A run's numbers as float64 arrays (one dtype, so no value ever changes a signature)."""
    f64 = np.float64
    inf = np.inf
    return {
        "hyper": {p.name: f64(run.hyper[p.name]) for p in spec.hyper if not p.is_static},
        "schedule": {k: f64(v) for k, v in run.schedule_params.items()},
        "warmup": f64(run.warmup),
        "clip_norm": f64(inf if run.clip_norm is None else run.clip_norm),
        "clip_value": f64(inf if run.clip_value is None else run.clip_value),
    }


def _stack(items: list[dict]) -> dict:
    """Runs' data stacked along a leading axis padded to a power of two (fewer shapes)."""
    size = 1 << (len(items) - 1).bit_length()
    padded = items + [items[0]] * (size - len(items))
    return jax.tree.map(lambda *leaves: np.stack(leaves), *padded)


def simulate(sim: Simulation) -> list[Trajectory]:
    """Every run's trajectory, in the order of `sim.runs` (validating `sim` first)."""
    sim = validate(sim)
    groups: dict[Structure, list[int]] = {}
    for index, run in enumerate(sim.runs):
        groups.setdefault(_structure(sim, run), []).append(index)
    surface_params = {k: np.float64(v) for k, v in sim.surface_params.items()}
    start = np.asarray(sim.start, np.float64)
    batch = sim.noise.batch_size
    noise = {
        "scale": np.float64(0.0 if batch is None else sim.noise.sigma / np.sqrt(batch)),
        "seed": np.int64(sim.noise.seed),
    }
    total = np.float64(sim.steps)
    results: list[Trajectory | None] = [None] * len(sim.runs)
    for structure, indices in groups.items():
        data = _stack([_as_data(sim.runs[i], OPTIMIZERS[sim.runs[i].optimizer]) for i in indices])
        record, diverged = jax.device_get(
            _trajectories(structure, surface_params, start, data, noise, total)
        )
        for row, index in enumerate(indices):
            results[index] = _trajectory(record, int(diverged[row]), row, sim.steps)
    return results


def _trajectory(record: dict, diverged_at: int, row: int, steps: int) -> Trajectory:
    """Row `row` of a group's record, cut to the requested steps and before divergence."""
    if diverged_at < 0 or diverged_at > steps:
        diverged, positions = None, steps + 1
    else:
        diverged, positions = diverged_at, max(diverged_at, 1)
    moves = positions - 1
    return Trajectory(
        xy=record["xy"][row, :positions],
        loss=record["loss"][row, :positions],
        grad=record["grad"][row, :positions],
        update=record["update"][row, :moves],
        lr=record["lr"][row, :moves],
        internals={k: v[row, :moves] for k, v in record["internals"].items()},
        diverged_at=diverged,
    )
