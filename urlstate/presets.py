"""Ready-made page states for the lecture's comparisons, each with a claim that is checked.

A preset is an `AppState` (what `?preset=NAME` opens), a two-line caption telling students what
to look for, and a claim from `urlstate.claims` ("momentum reaches the tolerance first",
"AdaGrad stalls"). The page shows `evaluate(preset, sim, trajectories)` under the caption: the
claim checked on the trajectories it computed, which may come from an edited preset; the tests
assert that every claim holds on its own preset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from engine import Noise, Run, Simulation, Trajectory, validate
from figures.labels import short_labels
from urlstate.claims import (
    BasinCount,
    BasinShare,
    Claim,
    Differs,
    EndsNear,
    Escapes,
    FanWidens,
    NoiseGrows,
    OneStep,
    OnStabilityLimit,
    ReachesFirst,
    RoughnessGrows,
    Settles,
    Stalls,
    Verdict,
)
from urlstate.model import AppState, MapSettings, default_state

Point = tuple[float, float]


@dataclass(frozen=True)
class Preset:
    """A named page state with a student-facing caption and the claim it demonstrates.

    `labels` names the runs in the claim's sentence (default: their short labels, as beside
    the moving points: the optimizer's short name, and the run's own batch size if it has one).
    """

    name: str
    title: str
    caption: str
    state: AppState
    claim: Claim
    labels: tuple[str, ...] = field(default=())


def run_names(preset: Preset, sim: Simulation) -> tuple[str, ...]:
    """How each run of `sim` (the preset, possibly edited) is called in the claim's sentence.

    The preset's own `labels` while it still has as many runs, else the short labels written
    beside the moving points (which tell runs of the same optimizer apart).
    """
    if len(sim.runs) == len(preset.state.simulation.runs) and preset.labels:
        shown = short_labels(sim.runs)
        return tuple(
            preset.labels[i] if i < len(preset.labels) else shown[i] for i in range(len(sim.runs))
        )
    return tuple(short_labels(sim.runs))


def evaluate(
    preset: Preset, sim: Simulation, trajectories: Sequence[Trajectory], field=None
) -> Verdict:
    """The preset's claim checked on `trajectories`, the runs of the validated `sim` (the state
    the page computed: the preset itself or an edit of it), or on `field`, the map of the
    preset's view computed for it (mapping.py), for a claim about a map."""
    names = run_names(preset, sim)
    return preset.claim.check(
        sim, trajectories, lambda i: names[i] if 0 <= i < len(names) else f"run {i + 1}", field
    )


def check_claim(preset: Preset, trajectories: Sequence[Trajectory]) -> tuple[bool, str]:
    """Whether the claim holds on the preset's own `trajectories`, and the sentence
    (`evaluate` on the preset's simulation; a claim that cannot be checked does not hold)."""
    verdict = evaluate(preset, validate(preset.state.simulation), trajectories)
    return verdict.holds is True, verdict.sentence


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
        claim=ReachesFirst(runs=(1, 0, 2), tol=1e-6),
    ),
    Preset(
        name="sgd_vs_momentum_sphere",
        title="SGD vs momentum on a round bowl",
        caption=(
            "Both use the same learning rate; momentum adds half of its previous step.\n"
            "Compare the loss curves: momentum reaches the tolerance in far fewer steps."
        ),
        state=_state("sphere", (_sgd(0.05), _momentum(0.05, 0.5)), start=(-1.5, 1.2), steps=150),
        claim=ReachesFirst(runs=(1, 0), tol=1e-6),
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
        claim=ReachesFirst(runs=(1, 0), tol=1e-6),
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
        claim=ReachesFirst(runs=(2, 1, 0), tol=1e-6),
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
        claim=ReachesFirst(runs=(1, 2, 0), tol=1e-3),
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
        claim=Stalls(stuck=1, arrives=0, far=0.3, near=1e-3),
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
        claim=ReachesFirst(runs=(2, 0, 1), tol=1e-3),
    ),
    Preset(
        name="adaptive_four_way",
        title="SGD vs AdaGrad vs RMSProp vs Adam",
        caption=(
            "One axis is 100 times steeper: SGD's stable lr is small, AdaGrad's steps dwindle.\n"
            "RMSProp and Adam rescale each axis and reach the minimum first."
        ),
        state=_four_way(),
        claim=ReachesFirst(runs=(2, 3, 0, 1), tol=1e-3),
    ),
    Preset(
        name="adaptive_four_way_noisy",
        title="SGD vs AdaGrad vs RMSProp vs Adam, batch size 4",
        caption=(
            "The same race with gradients from mini-batches of 4: every path jitters.\n"
            "Compare the paths' wiggles with the full-batch preset (roughness below)."
        ),
        state=_four_way(Noise(batch_size=4, sigma=1.0, seed=0)),
        claim=NoiseGrows(runs=(0, 1, 2, 3), batch_sizes=(None, 4)),
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
        claim=ReachesFirst(runs=(1, 0), tol=1e-4),
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
        claim=OneStep(solves=1, other=0, tol=1e-10),
    ),
    Preset(
        name="newton_saddle",
        title="Newton vs gradient descent at a saddle",
        caption=(
            "Newton jumps to where the gradient vanishes, whether that is a minimum or a saddle.\n"
            "Gradient descent rolls off the saddle downhill along y."
        ),
        state=_state("saddle", (_sgd(0.05), _lr("newton", 1.0)), start=(-1.5, 0.01), steps=55),
        claim=Escapes(stays=1, leaves=0, point=(0.0, 0.0), near=1e-6, far=1.0),
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
        claim=Differs(first=0, second=1, far=0.3),
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
        claim=RoughnessGrows(runs=(0, 1, 2)),
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
        claim=Settles(calm=1, restless=0, ratio=2.0),
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
        claim=EndsNear(runs=(0, 1), points=("local", "global"), near=0.01),
    ),
    Preset(
        name="large_basins",
        title="Maps: momentum prefers large basins",
        caption=(
            "Every start of the double well, by gradient descent and by momentum, coloured by "
            "the minimum it ends in.\nMomentum carries many starts over the ridge into the wide "
            "global basin; gradient descent stays in the basin it starts in."
        ),
        state=replace(
            _state("double_well", (_sgd(0.05), _momentum(0.05, 0.9)), steps=400,
                   params={"h": 0.4}, view="basins"),
            maps=MapSettings(grid=64),
        ),
        claim=BasinShare(runs=(0, 1), minimum=0, margin=0.1),
        labels=("gradient descent", "momentum"),
    ),
    Preset(
        name="stability_limit",
        title="Maps: the stability limit lr < 2(1+μ)/λmax",
        caption=(
            "Heavy ball on the canyon (κ = 20) over its learning rate and momentum; the bottom "
            "row (μ = 0) is gradient descent.\nRuns diverge (dark) just beyond the white line "
            "lr·λmax = 2(1 + μ); the fastest lie near the dashed optimal momentum."
        ),
        state=replace(
            _state("canyon", (_momentum(0.01, 0.5),), start=CANYON_START, steps=200,
                   params=_canyon(20.0), view="hypermap"),
            maps=MapSettings(grid=64),
        ),
        claim=OnStabilityLimit(run=0, cells=1),
        labels=("heavy ball",),
    ),
    Preset(
        name="adam_basins",
        title="Maps: Adam's basins on Himmelblau",
        caption=(
            "Himmelblau's four equally deep minima: which one Adam ends in depends on the start."
            "\nIts basins are not gradient descent's: compare the shapes of the two panels."
        ),
        state=replace(
            _state("himmelblau", (_lr("adam", 0.1), _sgd(0.01)), steps=300, view="basins"),
            maps=MapSettings(grid=64),
        ),
        claim=BasinCount(run=0, count=4, share=0.15),
        labels=("Adam", "gradient descent"),
    ),
    Preset(
        name="seed_fan",
        title="Maps: noise over seeds (full batch, batch 16, batch 1)",
        caption=(
            "The same gradient descent with the exact gradient, batches of 16 and single "
            "examples, over 128 seeds.\nThe median loss and where 50 % and 80 % of the seeds "
            "lie: the smaller the batch, the wider the fan."
        ),
        state=replace(
            _state("sphere", (_sgd(0.05, batch_size="full"), _sgd(0.05, batch_size=16),
                              _sgd(0.05, batch_size=1)),
                   steps=300, noise=Noise(batch_size=16, sigma=2.0), view="fan"),
            maps=MapSettings(seeds=128),
        ),
        claim=FanWidens(runs=(0, 1, 2)),
        labels=("full batch", "batch 16", "batch 1"),
    ),
)

def _shown_tolerance(preset: Preset) -> Preset:
    """`preset` with the page's tolerance set to its claim's, if it has one (so that the
    summary table and the sentence measure the same thing)."""
    if not isinstance(preset.claim, (ReachesFirst, OneStep)):
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
    "DEFAULT_PRESET",
    "PRESETS",
    "PRESET_STATES",
    "Claim",
    "Preset",
    "Verdict",
    "check_claim",
    "evaluate",
    "get_preset",
    "run_names",
]
