"""Ready-made page states for the lecture's comparisons, each with a claim that is checked.

A preset is an `AppState` (what `?preset=NAME` opens) plus a two-line caption telling students
what to look for, and a `Claim`: a small declarative statement ("momentum reaches the
tolerance first", "AdaGrad stalls") that one generic checker, `check_claim`, evaluates on the
computed trajectories. The app shows the checker's sentence, with the measured numbers, under
the caption; the tests assert that every claim holds.

Measures used by the claims (all from `Trajectory.xy` and `.loss`):
- loss gap: loss − the surface's `min_value`;
- distance to the minimum: to the nearest of the surface's `minima(params)`;
- roughness: mean ‖x_{t+1} − 2x_t + x_{t−1}‖, the size of the path's second differences
  (zero on a straight path at constant speed, large on a jittery one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal

import numpy as np

from engine import Noise, Run, Simulation, Trajectory, simulate, validate
from engine.config import batch_label
from landscapes import SURFACES
from urlstate.model import AppState, default_state

Point = tuple[float, float]
PointRef = Point | Literal["global", "local"]


@dataclass(frozen=True)
class Claim:
    """What must hold on a preset's trajectories; `runs` are indices into the preset's runs.

    kind (and how its fields are read):
    - "reaches_first": each of `runs` reaches loss gap < `tol` strictly before the next one
      (the last ones may never reach it).
    - "stalls": runs[0] ends farther than `far` from the nearest minimum, runs[1] within `near`.
    - "ends_near": each of `runs` ends within `near` of its entry in `points` ("global" or
      "local": the nearest global or local minimum; or coordinates).
    - "escapes": runs[0] ends within `near` of points[0], runs[1] farther than `far` from it.
    - "one_step": runs[0] has loss gap < `tol` after its first step, runs[1] does not.
    - "differs": the endpoints of runs[0] and runs[1] are more than `far` apart.
    - "settles": over the last quarter of the steps, runs[0]'s mean distance to the minimum is
      at most 1/`ratio` of runs[1]'s.
    - "noise_grows": for each of `runs`, the path's roughness grows strictly along
      `batch_sizes`, the page's batch size (None = exact gradient); the preset is re-simulated
      at each (runs with a batch size of their own keep it).
    - "roughness_grows": the paths of `runs` are strictly rougher in that order, all from the
      one computation (e.g. runs with their own batch sizes, largest first).
    """

    kind: str
    runs: tuple[int, ...]
    tol: float = 1e-6
    near: float = 0.05
    far: float = 0.5
    points: tuple[PointRef, ...] = ()
    ratio: float = 1.0
    batch_sizes: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class Preset:
    """A named page state with a student-facing caption and the claim it demonstrates.

    `labels` names the runs in the claim's sentence (default: the optimizer's short name, and
    the run's own batch size if it has one).
    """

    name: str
    title: str
    caption: str
    state: AppState
    claim: Claim
    labels: tuple[str, ...] = field(default=())

    @property
    def simulation(self) -> Simulation:
        return self.state.simulation

    def label(self, index: int) -> str:
        """How run `index` is called in sentences."""
        if index < len(self.labels):
            return self.labels[index]
        run = self.simulation.runs[index]
        name = SHORT_NAMES.get(run.optimizer, run.optimizer.capitalize())
        return name if run.batch_size is None else f"{name} ({batch_label(run.batch_size)})"


SHORT_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": "AMSGrad",
    "nadam": "NAdam",
    "adamax": "Adamax",
    "adadelta": "Adadelta",
    "lion": "Lion",
    "newton": "Newton",
}


# --- measures -------------------------------------------------------------------------------


def _surface_params(sim: Simulation) -> dict[str, float]:
    return SURFACES[sim.surface].resolve(sim.surface_params)


def _candidates(sim: Simulation, ref: PointRef) -> np.ndarray:
    """The points `ref` stands for, one per row: itself, or the global or local minima."""
    if not isinstance(ref, str):
        return np.asarray([ref], np.float64)
    surface = SURFACES[sim.surface]
    find = surface.minima if ref == "global" else surface.local_minima
    points = np.asarray(find(_surface_params(sim)), np.float64).reshape(-1, 2)
    if not len(points):
        raise ValueError(f"surface {sim.surface!r} has no {ref} minimum")
    return points


def _nearest(xy: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each row of `xy`, the distance to the nearest of `points`."""
    return np.min(np.linalg.norm(xy[:, None] - points[None], axis=2), axis=1)


def _end(traj: Trajectory) -> np.ndarray:
    """The final position, or infinitely far away when the run diverged."""
    return np.full(2, np.inf) if traj.diverged_at is not None else traj.xy[-1]


def _distance(sim: Simulation, traj: Trajectory, ref: PointRef = "global") -> float:
    """How far the run ends from `ref` (the nearest point it stands for); inf if it diverged."""
    end = _end(traj)
    if not np.all(np.isfinite(end)):
        return float("inf")
    return float(_nearest(end[None], _candidates(sim, ref))[0])


def _point_text(ref: PointRef) -> str:
    return f"the {ref} minimum" if isinstance(ref, str) else f"({ref[0]:g}, {ref[1]:g})"


def _gap(sim: Simulation, traj: Trajectory) -> np.ndarray:
    min_value = SURFACES[sim.surface].min_value
    if min_value is None:
        raise ValueError(f"surface {sim.surface!r} is unbounded below: no loss gap")
    return traj.loss - min_value


def _reached(sim: Simulation, traj: Trajectory, tol: float) -> int | None:
    """The first step at which the loss gap is below `tol`, or None."""
    below = np.flatnonzero(_gap(sim, traj) < tol)
    return int(below[0]) if below.size else None


def _tail_distance(sim: Simulation, traj: Trajectory) -> float:
    """Mean distance to the nearest minimum over the last quarter of the path."""
    tail = traj.xy[-max(len(traj.xy) // 4, 1) :]
    return float(np.mean(_nearest(tail, _candidates(sim, "global"))))


def roughness(traj: Trajectory) -> float:
    """Mean size of the path's second differences (0 for a straight, steady path)."""
    if len(traj.xy) < 3:
        return 0.0
    return float(np.mean(np.linalg.norm(np.diff(traj.xy, n=2, axis=0), axis=1)))


def _with_batch(sim: Simulation, batch_size: int | None) -> Simulation:
    return replace(sim, noise=replace(sim.noise, batch_size=batch_size))


def _step_text(step: int | None) -> str:
    return "never" if step is None else f"at step {step}"


def _distance_text(value: float) -> str:
    return "diverged" if not np.isfinite(value) else f"{value:.3g}"


# --- the checker ----------------------------------------------------------------------------

Check = Callable[[Preset, Claim, Sequence[Trajectory]], tuple[bool, str]]


def _reaches_first(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    steps = [_reached(sim, trajs[i], claim.tol) for i in claim.runs]
    order = [np.inf if s is None else s for s in steps]
    holds = steps[0] is not None and all(a < b for a, b in pairwise(order))
    parts = [f"{preset.label(i)} {_step_text(s)}" for i, s in zip(claim.runs, steps)]
    return holds, f"Loss gap below {claim.tol:g}: " + ", ".join(parts) + f" (of {sim.steps})."


def _stalls(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    stuck, good = (_distance(sim, trajs[i]) for i in claim.runs)
    a, b = (preset.label(i) for i in claim.runs)
    holds = stuck > claim.far and good < claim.near
    return holds, (
        f"After {sim.steps} steps {a} is still {_distance_text(stuck)} from the minimum, "
        f"{b} {_distance_text(good)}."
    )


def _ends_near(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    parts, holds = [], True
    for i, ref in zip(claim.runs, claim.points, strict=True):
        d = _distance(sim, trajs[i], ref)
        holds &= d < claim.near
        parts.append(f"{preset.label(i)} ends {_distance_text(d)} from {_point_text(ref)}")
    return holds, "; ".join(parts) + "."


def _escapes(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    ref = claim.points[0]
    stays, leaves = (_distance(sim, trajs[i], ref) for i in claim.runs)
    a, b = (preset.label(i) for i in claim.runs)
    holds = stays < claim.near and leaves > claim.far
    return holds, (
        f"Distance from {_point_text(ref)} after {sim.steps} steps: {a} {_distance_text(stays)}, "
        f"{b} {_distance_text(leaves)}."
    )


def _one_step(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    gaps = [float(_gap(sim, trajs[i])[1]) if len(trajs[i].loss) > 1 else np.inf for i in claim.runs]
    holds = gaps[0] < claim.tol <= gaps[1]
    parts = [f"{preset.label(i)} {g:.3g}" for i, g in zip(claim.runs, gaps)]
    return holds, "Loss gap after one step: " + ", ".join(parts) + "."


def _differs(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    a, b = (_end(trajs[i]) for i in claim.runs)
    apart = float(np.linalg.norm(a - b))
    la, lb = (preset.label(i) for i in claim.runs)
    holds = bool(apart > claim.far)
    return holds, (
        f"{la} ends at ({a[0]:.3g}, {a[1]:.3g}), {lb} at ({b[0]:.3g}, {b[1]:.3g}): "
        f"{apart:.3g} apart."
    )


def _settles(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    calm, restless = (_tail_distance(sim, trajs[i]) for i in claim.runs)
    a, b = (preset.label(i) for i in claim.runs)
    holds = calm * claim.ratio <= restless
    return holds, (
        f"Mean distance from the minimum over the last quarter: {a} {calm:.3g}, {b} {restless:.3g}."
    )


def _noise_grows(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    sim = preset.simulation
    own = validate(sim).noise.batch_size
    by_batch = {b: trajs if b == own else simulate(_with_batch(sim, b)) for b in claim.batch_sizes}
    parts, holds = [], True
    for i in claim.runs:
        values = [roughness(by_batch[b][i]) for b in claim.batch_sizes]
        holds &= all(a < b for a, b in pairwise(values))
        listed = ", ".join(f"{batch_label(b)} {v:.3g}" for b, v in zip(claim.batch_sizes, values))
        parts.append(f"{preset.label(i)}: {listed}")
    return holds, "Path roughness — " + "; ".join(parts) + "."


def _roughness_grows(preset: Preset, claim: Claim, trajs: Sequence[Trajectory]) -> tuple[bool, str]:
    values = [roughness(trajs[i]) for i in claim.runs]
    holds = all(a < b for a, b in pairwise(values))
    listed = ", ".join(f"{preset.label(i)} {v:.3g}" for i, v in zip(claim.runs, values))
    return holds, f"Path roughness — {listed}."


CHECKS: dict[str, Check] = {
    "reaches_first": _reaches_first,
    "stalls": _stalls,
    "ends_near": _ends_near,
    "escapes": _escapes,
    "one_step": _one_step,
    "differs": _differs,
    "settles": _settles,
    "noise_grows": _noise_grows,
    "roughness_grows": _roughness_grows,
}


def check_claim(preset: Preset, trajectories: Sequence[Trajectory]) -> tuple[bool, str]:
    """Whether the preset's claim holds on `trajectories` (its runs, in order), and a sentence
    with the measured numbers."""
    claim = preset.claim
    if claim.kind not in CHECKS:
        raise ValueError(f"unknown claim kind {claim.kind!r}; choose one of {sorted(CHECKS)}")
    holds, sentence = CHECKS[claim.kind](preset, claim, trajectories)
    return bool(holds), sentence


# --- the registry ---------------------------------------------------------------------------


def _state(
    surface: str,
    runs: Sequence[Run],
    *,
    start: Point | None = None,
    steps: int = 200,
    params: dict[str, float] | None = None,
    noise: Noise | None = None,
    view: str = "contour",
) -> AppState:
    return AppState(
        simulation=Simulation(
            surface=surface,
            runs=tuple(runs),
            start=start,
            steps=steps,
            surface_params=params or {},
            noise=noise or Noise(),
        ),
        view=view,
    )


CANYON_START: Point = (-1.8, 0.6)


def _canyon(kappa: float, angle: float = 0.0) -> dict[str, float]:
    return {"kappa": kappa, "angle": angle}


def _sgd(lr: float, **options) -> Run:
    return Run("sgd", {"lr": lr}, **options)


def _momentum(lr: float, momentum: float, name: str = "momentum") -> Run:
    return Run(name, {"lr": lr, "momentum": momentum})


def _lr(name: str, lr: float, **hyper: float) -> Run:
    return Run(name, {"lr": lr, **hyper})


def _four_way(noise: Noise | None = None) -> AppState:
    """SGD, AdaGrad, RMSProp and Adam where one axis is 100 times steeper (presets 6 and 6b)."""
    return _state(
        "canyon",
        (_sgd(0.019), _lr("adagrad", 0.05), _lr("rmsprop", 0.05), _lr("adam", 0.05)),
        start=CANYON_START,
        steps=250,
        params=_canyon(100.0),
        noise=noise,
    )


_PRESETS: tuple[Preset, ...] = (
    Preset(
        name="canyon_race",
        title="SGD, momentum and Adam in a canyon",
        caption=(
            "SGD zig-zags between the steep walls; momentum's velocity cancels across them.\n"
            "Adam takes steps of about lr on each axis, so it arrives steadily but later."
        ),
        state=default_state(),  # the page opens on this comparison
        claim=Claim("reaches_first", runs=(1, 0, 2), tol=1e-6),
    ),
    Preset(
        name="sgd_vs_momentum_sphere",
        title="SGD vs momentum on a round bowl",
        caption=(
            "Both use the same learning rate; momentum adds half of its previous step.\n"
            "Compare the loss curves: momentum reaches the tolerance in far fewer steps."
        ),
        state=_state("sphere", (_sgd(0.05), _momentum(0.05, 0.5)), start=(-1.5, 1.2), steps=150),
        claim=Claim("reaches_first", runs=(1, 0), tol=1e-6),
    ),
    Preset(
        name="sgd_vs_momentum_canyon",
        title="SGD vs momentum in a tilted canyon",
        caption=(
            "Same learning rate: SGD bounces between the walls and creeps along the floor.\n"
            "Momentum's steps cancel across the canyon and add up along it."
        ),
        state=_state(
            "canyon",
            (_sgd(0.038), _momentum(0.038, 0.7)),
            start=CANYON_START,
            steps=250,
            params=_canyon(50.0, 20.0),
        ),
        claim=Claim("reaches_first", runs=(1, 0), tol=1e-6),
    ),
    Preset(
        name="nesterov",
        title="SGD vs momentum vs Nesterov",
        caption=(
            "Nesterov takes the gradient where momentum is about to carry it (the look-ahead).\n"
            "It brakes before overshooting, so it swings less than plain momentum."
        ),
        state=_state(
            "canyon",
            (_sgd(0.02), _momentum(0.02, 0.9), _momentum(0.02, 0.9, "nesterov")),
            start=CANYON_START,
            steps=250,
            params=_canyon(50.0, 20.0),
        ),
        claim=Claim("reaches_first", runs=(2, 1, 0), tol=1e-6),
    ),
    Preset(
        name="steep_and_flat",
        title="One steep parameter, one flat: why adaptive methods",
        caption=(
            "It curves 200 times more sharply in y than in x, so SGD's lr must be tiny.\n"
            "RMSProp and Adam divide each axis by its gradient size and cross the flat x fast."
        ),
        state=_state(
            "canyon",
            (_sgd(0.009), _lr("rmsprop", 0.05), _lr("adam", 0.05)),
            start=CANYON_START,
            steps=250,
            params=_canyon(200.0),
        ),
        claim=Claim("reaches_first", runs=(1, 2, 0), tol=1e-3),
    ),
    Preset(
        name="adagrad_stalls",
        title="AdaGrad stops short",
        caption=(
            "AdaGrad divides by the root of the sum of all squared gradients, which only grows.\n"
            "Its steps shrink until it all but halts far from the minimum; SGD gets there."
        ),
        state=_state(
            "canyon",
            (_sgd(0.09), _lr("adagrad", 0.05)),
            start=CANYON_START,
            steps=250,
            params=_canyon(20.0),
        ),
        claim=Claim("stalls", runs=(1, 0), far=0.3, near=1e-3),
    ),
    Preset(
        name="sgd_adagrad_rmsprop",
        title="SGD vs AdaGrad vs RMSProp",
        caption=(
            "RMSProp averages recent squared gradients instead of summing all of them.\n"
            "It starts fast like AdaGrad but does not slow to a halt."
        ),
        state=_state(
            "canyon",
            (_sgd(0.09), _lr("adagrad", 0.05), _lr("rmsprop", 0.05)),
            start=CANYON_START,
            steps=250,
            params=_canyon(20.0),
        ),
        claim=Claim("reaches_first", runs=(2, 0, 1), tol=1e-3),
    ),
    Preset(
        name="adaptive_four_way",
        title="SGD vs AdaGrad vs RMSProp vs Adam",
        caption=(
            "One axis is 100 times steeper: SGD's stable lr is small, AdaGrad's steps dwindle.\n"
            "RMSProp and Adam rescale each axis and reach the minimum first."
        ),
        state=_four_way(),
        claim=Claim("reaches_first", runs=(2, 3, 0, 1), tol=1e-3),
    ),
    Preset(
        name="adaptive_four_way_noisy",
        title="SGD vs AdaGrad vs RMSProp vs Adam, batch size 4",
        caption=(
            "The same race with gradients from mini-batches of 4: every path jitters.\n"
            "Compare the paths' wiggles with the full-batch preset (roughness below)."
        ),
        state=_four_way(Noise(batch_size=4, sigma=1.0, seed=0)),
        claim=Claim("noise_grows", runs=(0, 1, 2, 3), batch_sizes=(None, 4)),
    ),
    Preset(
        name="ravine",
        title="The ravine demo: step size 0.0035, momentum 0.83",
        caption=(
            "In a ravine 200 times steeper across than along, SGD at α = 0.0035 barely moves.\n"
            "With momentum β = 0.83 the same step size travels about six times as far per step."
        ),
        state=_state(
            "canyon",
            (_sgd(0.0035), _momentum(0.0035, 0.83)),
            start=CANYON_START,
            steps=250,
            params=_canyon(200.0, 30.0),
        ),
        claim=Claim("reaches_first", runs=(1, 0), tol=1e-4),
    ),
    Preset(
        name="newton_quadratic",
        title="Newton vs gradient descent on a quadratic",
        caption=(
            "Newton divides the gradient by the curvature (the Hessian), exact on a quadratic.\n"
            "With lr = 1 it lands on the minimum in one step; gradient descent needs many."
        ),
        state=_state(
            "canyon",
            (_sgd(0.09), _lr("newton", 1.0)),
            start=CANYON_START,
            params=_canyon(20.0, 30.0),
        ),
        claim=Claim("one_step", runs=(1, 0), tol=1e-10),
    ),
    Preset(
        name="newton_saddle",
        title="Newton vs gradient descent at a saddle",
        caption=(
            "Newton jumps to where the gradient vanishes, whether that is a minimum or a saddle.\n"
            "Gradient descent rolls off the saddle downhill along y."
        ),
        state=_state("saddle", (_sgd(0.05), _lr("newton", 1.0)), start=(-1.5, 0.01), steps=55),
        claim=Claim("escapes", runs=(1, 0), points=((0.0, 0.0),), near=1e-6, far=1.0),
    ),
    Preset(
        name="adamw_vs_adam_l2",
        title="AdamW vs Adam with L2 regularisation",
        caption=(
            "Same λ = 0.1: Adam adds λθ to the gradient, where it is rescaled with the rest;\n"
            "AdamW shrinks θ by lr·λ·θ outside the rescaling. They end in different places."
        ),
        state=_state(
            "booth",
            (_lr("adam", 0.1, weight_decay=0.1), _lr("adamw", 0.1, weight_decay=0.1)),
            steps=250,
        ),
        claim=Claim("differs", runs=(0, 1), far=0.3),
        labels=("Adam + L2", "AdamW"),
    ),
    Preset(
        name="batch_vs_stochastic",
        title="Batch vs mini-batch vs stochastic gradient descent",
        caption=(
            "SGD three times on one bowl: full batch, mini-batches of 16, single samples (batch 1).\n"
            "All see the same noise draws, scaled by σ/√B: the smaller the batch, the noisier the path."
        ),
        state=_state(
            "sphere",
            (_sgd(0.05, batch_size="full"), _sgd(0.05, batch_size=16), _sgd(0.05, batch_size=1)),
            start=(-1.5, 1.2),
            noise=Noise(batch_size=16, sigma=2.0, seed=0),
        ),
        claim=Claim("roughness_grows", runs=(0, 1, 2)),
    ),
    Preset(
        name="annealing",
        title="Noisy SGD with and without an annealed learning rate",
        caption=(
            "With a constant lr, noisy SGD keeps fluctuating around the minimum.\n"
            "Annealing (1/t decay of the lr) lets it settle into the bottom."
        ),
        state=_state(
            "sphere",
            (_sgd(0.1), _sgd(0.1, schedule="inverse_time", schedule_params={"k": 0.2})),
            start=(-1.5, 1.2),
            steps=500,
            noise=Noise(batch_size=1, sigma=2.0, seed=0),
        ),
        # Over seeds 0–39 the ratio of tail distances is 2.5–15 (median 7.7).
        claim=Claim("settles", runs=(1, 0), ratio=2.0),
        labels=("SGD (constant lr)", "SGD (annealed lr)"),
    ),
    Preset(
        name="local_minima",
        title="A local minimum: gradient descent stops, momentum rolls on",
        caption=(
            "Gradient descent stops in the first basin it reaches: the raised one on the right.\n"
            "Momentum carries enough speed over the ridge into the deeper global minimum."
        ),
        state=_state(
            "double_well",
            (_sgd(0.02), _momentum(0.02, 0.8)),
            steps=250,
            params={"h": 0.2},
        ),
        claim=Claim("ends_near", runs=(0, 1), points=("local", "global"), near=0.01),
    ),
)

# Claims measured against a loss-gap tolerance: the page's "steps to reach" uses the same one.
_TOLERANCE_KINDS = frozenset({"reaches_first", "one_step"})


def _shown_tolerance(preset: Preset) -> Preset:
    """`preset` with the page's tolerance set to its claim's (so figure and sentence agree)."""
    if preset.claim.kind not in _TOLERANCE_KINDS:
        return preset
    return replace(preset, state=replace(preset.state, tolerance=preset.claim.tol))


PRESETS: dict[str, Preset] = {p.name: p for p in map(_shown_tolerance, _PRESETS)}
PRESET_STATES: dict[str, AppState] = {name: p.state for name, p in PRESETS.items()}
DEFAULT_PRESET = "canyon_race"


def get_preset(name: str) -> Preset:
    """The preset called `name` (KeyError naming the choices otherwise)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None


__all__ = [
    "CHECKS",
    "DEFAULT_PRESET",
    "PRESETS",
    "PRESET_STATES",
    "Claim",
    "Preset",
    "check_claim",
    "get_preset",
    "roughness",
]
