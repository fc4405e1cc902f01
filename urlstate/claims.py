"""What a preset demonstrates, as claims checked on whatever trajectories the page computed.

Each kind of claim is a small frozen dataclass whose fields are run indices and thresholds;
`claim.check(sim, trajectories, label)` returns a `Verdict`: whether the claim holds, and a
sentence with the measured numbers. The page calls it on the current state, which the user may
have edited (other learning rates, a removed run, another surface), so a check never raises for
a valid simulation: when a claim cannot be measured on the state (a run it names is gone, the
surface has no such minimum, or no minimum value for a loss gap) the verdict's `holds` is None
and its sentence says why.

Measures (from `engine.measures`, on `Trajectory.xy` and `.loss`):
- loss gap: loss − the surface's `min_value`; a run reaches the tolerance at the first step
  whose gap is ≤ it;
- distance to the minimum: to the nearest of the surface's `minima(params)` (or local minima);
  a diverged run ends infinitely far from everything;
- roughness: mean ‖x_{t+1} − 2x_t + x_{t−1}‖ (zero on a straight path at constant speed).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

import numpy as np

from engine import Simulation, Trajectory, simulate
from engine.config import batch_label, surface_of
from engine.measures import (
    nearest_distance,
    roughness,
    stability_limit,
    steps_to_tolerance,
    within_tolerance,
)

Point = tuple[float, float]
PointRef = Point | Literal["global", "local"]  # coordinates, or the nearest such minimum
Label = Callable[[int], str]  # names run i in sentences


@dataclass(frozen=True)
class Verdict:
    """`holds`: True or False, or None when the claim cannot be checked on this state;
    `sentence`: the measured numbers, or why it cannot be checked."""

    holds: bool | None
    sentence: str

    def __post_init__(self) -> None:
        if self.holds is not None:
            object.__setattr__(self, "holds", bool(self.holds))


class Unmeasurable(Exception):
    """The claim needs something this state does not have (its message says what)."""


class Claim(ABC):
    """A statement about some of a simulation's runs (by index), checked on its trajectories."""

    @abstractmethod
    def indices(self) -> tuple[int, ...]:
        """The run indices the claim refers to."""

    @abstractmethod
    def measure(self, sim: Simulation, trajectories: Sequence[Trajectory], label: Label) -> Verdict:
        """The verdict, every referenced run being present (may raise `Unmeasurable`)."""

    # A claim about a map (basins, hyperparameter map, fan) is measured on the map instead of
    # the trajectories: `measure(sim, map, label)` with the map of mapping.py.
    about_map = False

    def check(
        self, sim: Simulation, trajectories: Sequence[Trajectory], label: Label, field=None
    ) -> Verdict:
        """Whether the claim holds on `trajectories` (the runs of the validated `sim`), or,
        for a claim about a map, on `field` (the map)."""
        count = len(trajectories)
        if self.about_map:
            if field is None:
                return Verdict(None, "Can't be checked: the claim is about the map.")
            trajectories, count = field, len(sim.runs)
        missing = sorted({i + 1 for i in self.indices() if not 0 <= i < count})
        if len(missing) == 1:
            return Verdict(None, f"Can't be checked: run {missing[0]} was removed.")
        if missing:
            numbers = ", ".join(map(str, missing[:-1])) + f" and {missing[-1]}"
            return Verdict(None, f"Can't be checked: runs {numbers} were removed.")
        try:
            return self.measure(sim, trajectories, label)
        except Unmeasurable as reason:
            return Verdict(None, f"Can't be checked: {reason}.")


# --- measures on a state ---------------------------------------------------------------------


def _surface_title(sim: Simulation) -> str:
    return surface_of(sim).title.split(" (")[0]


def _points(sim: Simulation, ref: PointRef) -> np.ndarray:
    """The points `ref` stands for, one per row: itself, or the surface's global or local minima."""
    if not isinstance(ref, str):
        return np.asarray([ref], np.float64)
    surface = surface_of(sim)
    find = surface.minima if ref == "global" else surface.local_minima
    points = np.asarray(find(surface.resolve(sim.surface_params)), np.float64).reshape(-1, 2)
    if not len(points):
        kind = "minimum" if ref == "global" else "known local minimum"
        raise Unmeasurable(f"{_surface_title(sim)} has no {kind}")
    return points


def _min_value(sim: Simulation) -> float:
    min_value = surface_of(sim).min_value
    if min_value is None:
        raise Unmeasurable(f"{_surface_title(sim)} is unbounded below, so there is no loss gap")
    return min_value


def _distance(sim: Simulation, traj: Trajectory, ref: PointRef = "global") -> float:
    """How far the run ends from `ref` (the nearest point it stands for); inf if it diverged."""
    points = _points(sim, ref)
    if traj.diverged_at is not None:
        return math.inf
    return float(nearest_distance(traj.xy[-1], points)[0])


def _tail_distance(sim: Simulation, traj: Trajectory) -> float:
    """Mean distance to the nearest minimum over the last quarter of the path; inf if diverged."""
    points = _points(sim, "global")
    if traj.diverged_at is not None:
        return math.inf
    tail = traj.xy[-max(len(traj.xy) // 4, 1) :]
    return float(np.mean(nearest_distance(tail, points)))


def _number(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "diverged"


def _point_text(ref: PointRef) -> str:
    return f"the {ref} minimum" if isinstance(ref, str) else f"({ref[0]:g}, {ref[1]:g})"


def _reached_text(step: int | None, traj: Trajectory) -> str:
    if step is not None:
        return f"at step {step}"
    return "never" if traj.diverged_at is None else f"never (diverged at step {traj.diverged_at})"


def _increasing(values: Sequence[float]) -> bool:
    return all(a < b for a, b in pairwise(values))


# --- the claims --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReachesFirst(Claim):
    """Each of `runs` reaches loss gap ≤ `tol` strictly before the next (the last may never)."""

    runs: tuple[int, ...]
    tol: float

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, trajectories, label) -> Verdict:
        min_value = _min_value(sim)
        steps = [steps_to_tolerance(trajectories[i].loss, min_value, self.tol) for i in self.runs]
        order = [math.inf if s is None else s for s in steps]
        holds = steps[0] is not None and _increasing(order)
        parts = [
            f"{label(i)} {_reached_text(s, trajectories[i])}" for i, s in zip(self.runs, steps)
        ]
        sentence = f"Loss gap ≤ {self.tol:g}: " + ", ".join(parts) + f" (of {sim.steps})."
        return Verdict(holds, sentence)


@dataclass(frozen=True)
class Stalls(Claim):
    """Run `stuck` ends farther than `far` from the nearest minimum, run `arrives` within `near`."""

    stuck: int
    arrives: int
    far: float
    near: float

    def indices(self) -> tuple[int, ...]:
        return (self.stuck, self.arrives)

    def measure(self, sim, trajectories, label) -> Verdict:
        stuck, good = (_distance(sim, trajectories[i]) for i in self.indices())
        holds = stuck > self.far and good < self.near
        return Verdict(
            holds,
            f"After {sim.steps} steps {label(self.stuck)} is still {_number(stuck)} from the "
            f"minimum, {label(self.arrives)} {_number(good)}.",
        )


@dataclass(frozen=True)
class EndsNear(Claim):
    """Each of `runs` ends within `near` of its entry in `points`."""

    runs: tuple[int, ...]
    points: tuple[PointRef, ...]
    near: float

    def __post_init__(self) -> None:
        if len(self.runs) != len(self.points):
            raise ValueError("EndsNear needs one point per run")

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, trajectories, label) -> Verdict:
        parts, holds = [], True
        for i, ref in zip(self.runs, self.points):
            d = _distance(sim, trajectories[i], ref)
            holds &= d < self.near
            parts.append(
                f"{label(i)} ends {d:.3g} from {_point_text(ref)}"
                if math.isfinite(d)
                else f"{label(i)} diverged at step {trajectories[i].diverged_at}"
            )
        return Verdict(holds, "; ".join(parts) + ".")


@dataclass(frozen=True)
class Escapes(Claim):
    """Run `stays` ends within `near` of `point`, run `leaves` farther than `far` from it."""

    stays: int
    leaves: int
    point: PointRef
    near: float
    far: float

    def indices(self) -> tuple[int, ...]:
        return (self.stays, self.leaves)

    def measure(self, sim, trajectories, label) -> Verdict:
        stays, leaves = (_distance(sim, trajectories[i], self.point) for i in self.indices())
        holds = stays < self.near and leaves > self.far
        return Verdict(
            holds,
            f"Distance from {_point_text(self.point)} after {sim.steps} steps: "
            f"{label(self.stays)} {_number(stays)}, {label(self.leaves)} {_number(leaves)}.",
        )


@dataclass(frozen=True)
class OneStep(Claim):
    """Run `solves` has loss gap ≤ `tol` after its first step, run `other` does not."""

    solves: int
    other: int
    tol: float

    def indices(self) -> tuple[int, ...]:
        return (self.solves, self.other)

    def measure(self, sim, trajectories, label) -> Verdict:
        min_value = _min_value(sim)
        # A run that diverged at its first step has no position after it.
        losses = [
            float(trajectories[i].loss[1]) if len(trajectories[i].loss) > 1 else math.inf
            for i in self.indices()
        ]
        solves, other = (
            math.isfinite(loss) and bool(within_tolerance(loss, min_value, self.tol))
            for loss in losses
        )
        parts = [
            f"{label(i)} {_number(loss - min_value)}" for i, loss in zip(self.indices(), losses)
        ]
        return Verdict(solves and not other, "Loss gap after one step: " + ", ".join(parts) + ".")


@dataclass(frozen=True)
class Differs(Claim):
    """The endpoints of runs `first` and `second` are more than `far` apart."""

    first: int
    second: int
    far: float

    def indices(self) -> tuple[int, ...]:
        return (self.first, self.second)

    def measure(self, sim, trajectories, label) -> Verdict:
        for i in self.indices():
            if trajectories[i].diverged_at is not None:
                raise Unmeasurable(f"{label(i)} diverged at step {trajectories[i].diverged_at}")
        a, b = (trajectories[i].xy[-1] for i in self.indices())
        apart = float(np.linalg.norm(a - b))
        return Verdict(
            apart > self.far,
            f"{label(self.first)} ends at ({a[0]:.3g}, {a[1]:.3g}), {label(self.second)} at "
            f"({b[0]:.3g}, {b[1]:.3g}): {apart:.3g} apart.",
        )


@dataclass(frozen=True)
class Settles(Claim):
    """Over the last quarter of the steps, run `calm`'s mean distance to the minimum is at most
    1/`ratio` of run `restless`'s (a diverged `calm` never settles)."""

    calm: int
    restless: int
    ratio: float

    def indices(self) -> tuple[int, ...]:
        return (self.calm, self.restless)

    def measure(self, sim, trajectories, label) -> Verdict:
        calm, restless = (_tail_distance(sim, trajectories[i]) for i in self.indices())
        holds = math.isfinite(calm) and calm * self.ratio <= restless
        return Verdict(
            holds,
            f"Mean distance from the minimum over the last quarter: {label(self.calm)} "
            f"{_number(calm)}, {label(self.restless)} {_number(restless)}.",
        )


@dataclass(frozen=True)
class NoiseGrows(Claim):
    """For each of `runs`, the path's roughness grows strictly along `batch_sizes`, the page's
    batch size (None = exact gradient). The simulation is recomputed at each batch size (runs
    with a batch size of their own keep it, so their roughness does not grow)."""

    runs: tuple[int, ...]
    batch_sizes: tuple[int | None, ...]

    def __post_init__(self) -> None:
        if len(self.batch_sizes) < 2:
            raise ValueError("NoiseGrows compares at least two batch sizes")

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, trajectories, label) -> Verdict:
        def at(batch_size: int | None) -> Sequence[Trajectory]:
            if batch_size == sim.noise.batch_size:
                return trajectories
            return simulate(replace(sim, noise=replace(sim.noise, batch_size=batch_size)))

        by_batch = {b: at(b) for b in self.batch_sizes}
        parts, holds = [], True
        for i in self.runs:
            values = [roughness(by_batch[b][i].xy) for b in self.batch_sizes]
            holds &= _increasing(values)
            listed = ", ".join(
                f"{batch_label(b)} {v:.3g}" for b, v in zip(self.batch_sizes, values)
            )
            parts.append(f"{label(i)}: {listed}")
        return Verdict(holds, "Path roughness — " + "; ".join(parts) + ".")


@dataclass(frozen=True)
class RoughnessGrows(Claim):
    """The paths of `runs` are strictly rougher in that order, all from the one computation."""

    runs: tuple[int, ...]

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, trajectories, label) -> Verdict:
        values = [roughness(trajectories[i].xy) for i in self.runs]
        listed = ", ".join(f"{label(i)} {v:.3g}" for i, v in zip(self.runs, values))
        return Verdict(_increasing(values), f"Path roughness — {listed}.")



# --- claims about maps (measured on mapping.py's maps) --------------------------------------


def _panel(field, run: int):
    for panel in getattr(field, "panels", ()):
        if panel.run == run:
            return panel
    raise Unmeasurable("the map has no panel for this run")


def _share(panel, outcome: int) -> float:
    return float(np.mean(panel.outcome == outcome))


@dataclass(frozen=True)
class BasinShare(Claim):
    """On the basins map, run `runs[1]` sends a larger share of the starts into listed minimum
    `minimum` (0: the first global one) than run `runs[0]`, by at least `margin`."""

    runs: tuple[int, int]
    minimum: int
    margin: float
    about_map = True

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, field, label) -> Verdict:
        shares = [_share(_panel(field, i), self.minimum) for i in self.runs]
        holds = shares[1] - shares[0] >= self.margin
        parts = ", ".join(f"{label(i)} {share:.0%}" for i, share in zip(self.runs, shares))
        return Verdict(holds, f"Starts that end in the global minimum's basin: {parts}.")


@dataclass(frozen=True)
class BasinCount(Claim):
    """On the basins map, run `run` ends in at least `count` different listed minima, each
    from at least `share` of the starts."""

    run: int
    count: int
    share: float
    about_map = True

    def indices(self) -> tuple[int, ...]:
        return (self.run,)

    def measure(self, sim, field, label) -> Verdict:
        panel = _panel(field, self.run)
        reached = sorted((int(o) for o in np.unique(panel.outcome) if o >= 0))
        shares = [_share(panel, o) for o in reached]
        counted = sum(s >= self.share for s in shares)
        listed = ", ".join(f"{s:.0%}" for s in shares) or "none"
        return Verdict(
            counted >= self.count,
            f"{label(self.run)} ends in {counted} minima from at least {self.share:.0%} of the "
            f"starts each (shares: {listed}).",
        )


@dataclass(frozen=True)
class OnStabilityLimit(Claim):
    """On the hyperparameter map of run `run` (axes lr, momentum) on a quadratic, the first
    diverging learning rate of each row lies within `cells` cells of lr·λmax = 2(1 + μ)."""

    run: int
    cells: int = 1
    about_map = True

    def indices(self) -> tuple[int, ...]:
        return (self.run,)

    def measure(self, sim, field, label) -> Verdict:
        surface = surface_of(sim)
        if surface.eigenvalues is None:
            raise Unmeasurable(f"{_surface_title(sim)} is not a quadratic")
        panel = _panel(field, self.run)
        run = sim.runs[self.run]
        decay = run.hyper.get("weight_decay", 0.0)
        lam_max = surface.eigenvalues(surface.resolve(sim.surface_params))[1] + decay
        xs, ys = np.asarray(field.x), np.asarray(field.y)
        checked = agree = 0
        for row, mu in zip(panel.outcome, ys[field.rows[0] : field.rows[1]]):
            limit = float(stability_limit(lam_max, mu))
            diverged = np.flatnonzero(row == -2)
            if not xs[0] < limit < xs[-1] or not len(diverged):
                continue
            checked += 1
            expected = int(np.searchsorted(xs, limit))  # the first cell centre beyond the limit
            agree += abs(int(diverged[0]) - expected) <= self.cells
        if not checked:
            raise Unmeasurable("the limit lies outside the map's learning rates")
        return Verdict(
            agree == checked,
            f"The first diverging learning rate lies within {self.cells} cell of "
            f"lr·λmax = 2(1 + μ) in {agree} of {checked} rows (λmax = {lam_max:g}).",
        )


@dataclass(frozen=True)
class FanWidens(Claim):
    """Over the seeds, the spread of the final loss (90 % quantile − 10 %) grows from each of
    `runs` to the next."""

    runs: tuple[int, ...]
    about_map = True

    def indices(self) -> tuple[int, ...]:
        return self.runs

    def measure(self, sim, field, label) -> Verdict:
        fans = {fan.run: fan for fan in getattr(field, "runs", ())}
        if any(i not in fans for i in self.runs):
            raise Unmeasurable("the fan has no such run")
        widths = [float(fans[i].quantiles[-1, -1] - fans[i].quantiles[0, -1]) for i in self.runs]
        parts = ", ".join(f"{label(i)} {_number(w)}" for i, w in zip(self.runs, widths))
        return Verdict(
            _increasing(widths),
            f"Spread of the final loss over {len(field.seeds)} seeds (10–90 %): {parts}.",
        )


CLAIMS: tuple[type[Claim], ...] = (
    ReachesFirst,
    Stalls,
    EndsNear,
    Escapes,
    OneStep,
    Differs,
    Settles,
    NoiseGrows,
    RoughnessGrows,
    BasinShare,
    BasinCount,
    OnStabilityLimit,
    FanWidens,
)


__all__ = [
    "CLAIMS",
    "BasinCount",
    "BasinShare",
    "FanWidens",
    "OnStabilityLimit",
    "Claim",
    "Differs",
    "EndsNear",
    "Escapes",
    "NoiseGrows",
    "OneStep",
    "ReachesFirst",
    "RoughnessGrows",
    "Settles",
    "Stalls",
    "Unmeasurable",
    "Verdict",
]
