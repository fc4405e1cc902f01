"""The typed configuration of a computation, and its validation.

`validate` turns a possibly partial configuration into a complete one (every default
filled in) or raises `ConfigError` naming the offending field, e.g. `runs[1].lr`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from landscapes import SURFACES, Surface
from landscapes.formula import Formula, FormulaError
from landscapes.user import DOMAIN_PARAMS, FORMULA, as_formula, domain_of, formula_surface, prefetch
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param

MAX_STEPS = 10_000
MAX_RUNS = 16
MAX_WARMUP = MAX_STEPS
MAX_SEED = 2**31 - 1
MAX_BATCH_SIZE = 1_000_000
MAX_SIGMA = 1e3
MAX_COORDINATE = 1e4
FULL_BATCH = "full"  # a run's batch size meaning the exact gradient, whatever the page's noise


Path = tuple[str | int, ...]  # where a value sits in a configuration: ("runs", 1, "lr")


def path_text(path: Path) -> str:
    """A path as a URL or the API names it: `runs[1].lr`, `start.x`, `steps`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class ConfigError(ValueError):
    """An invalid configuration value at `path` (e.g. `("runs", 1, "lr")`), and why."""

    def __init__(self, path: Path | str, message: str):
        self.path: Path = (path,) if isinstance(path, str) else tuple(path)
        self.message = message
        super().__init__(f"{self.field}: {message}")

    @property
    def field(self) -> str:
        """The path as text (`runs[1].lr`), as the API's errors name it."""
        return path_text(self.path)


@dataclass(frozen=True)
class Run:
    """One optimizer run: the rule, its hyperparameters, schedule, clipping and batch size.

    `batch_size` None uses the page's (`Noise.batch_size`); a whole number B gives this run
    noise of σ/√B; `FULL_BATCH` ("full") the exact gradient even when the page is noisy.
    """

    optimizer: str
    hyper: Mapping[str, float | bool] = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: Mapping[str, float] = field(default_factory=dict)
    warmup: int = 0
    clip_norm: float | None = None
    clip_value: float | None = None
    batch_size: int | str | None = None


@dataclass(frozen=True)
class Noise:
    """Mini-batch gradient noise: N(0, (sigma/√batch_size)²) per coordinate and step.

    `batch_size` None means the exact (full-batch) gradient.
    """

    batch_size: int | None = None
    sigma: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class Simulation:
    """Everything that determines a set of trajectories.

    `surface` names a registered surface, or is FORMULA ("formula") for a user's own: then
    `formula` is its text (parsed by `validate` into a `Formula`) and `surface_params` its plot
    domain (`xmin`, `xmax`, `ymin`, `ymax`). `landscape` is the surface record either way.
    """

    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float] | None = None
    steps: int = 200
    surface_params: Mapping[str, float] = field(default_factory=dict)
    noise: Noise = field(default_factory=Noise)
    formula: Formula | str | None = None

    @property
    def landscape(self) -> Surface:
        """The surface record of a validated simulation (see `surface_of`)."""
        return surface_of(self)


def surface_of(sim: Simulation) -> Surface:
    """The surface record of a validated simulation: the registered one it names, or its
    formula's over its domain (minima found numerically, `landscapes.user`)."""
    return surface_record(sim.surface, sim.surface_params, sim.formula)


def surface_record(name: str, params: Mapping[str, float], formula: Formula | str | None):
    """The surface record `name` (with its validated `params`, and `formula` for FORMULA)."""
    if name == FORMULA:
        return formula_surface(as_formula(formula), domain_of(params))
    return SURFACES[name]


def formula_text(sim: Simulation) -> str | None:
    """A validated simulation's formula as canonical text (None for a registered surface)."""
    return None if sim.formula is None else as_formula(sim.formula).text


def _formula(sim: Simulation) -> tuple[Formula, dict]:
    """A formula surface's parsed formula and checked domain, or ConfigError naming `f` or
    the domain's bound."""
    if sim.formula is None or (isinstance(sim.formula, str) and not sim.formula.strip()):
        raise ConfigError("f", "type a formula f(x, y)")
    if not isinstance(sim.formula, (str, Formula)):
        raise ConfigError("f", "must be text")
    try:
        formula = as_formula(sim.formula)
    except FormulaError as error:
        raise ConfigError("f", error.message) from None
    domain = _params(("surface_params",), DOMAIN_PARAMS, sim.surface_params)
    for axis in "xy":
        if not domain[f"{axis}min"] < domain[f"{axis}max"]:
            raise ConfigError(("surface_params", f"{axis}max"), f"must be above {axis}min")
    return formula, domain


def checked_number(path: Path, value, low: float, high: float, whole: bool = False) -> float:
    """`value` as a number in [low, high] (an int when `whole`), else ConfigError naming `path`."""
    if isinstance(value, bool):  # a switch's value, not a number (float(True) would be 1)
        raise ConfigError(path, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(path, "must be a number") from None
    except OverflowError:  # an integer beyond float range
        raise ConfigError(path, f"must be between {low:,g} and {high:,g}") from None
    if not math.isfinite(number):
        raise ConfigError(path, "must be finite")
    if not low <= number <= high:
        raise ConfigError(path, f"must be between {low:,g} and {high:,g}")
    if whole and number != int(number):
        raise ConfigError(path, "must be a whole number")
    return int(number) if whole else number


def _choice(name: Path, value, registry: Mapping, kind: str) -> str:
    """`value` if it names an entry of `registry`, else ConfigError."""
    if not isinstance(value, str) or value not in registry:
        raise ConfigError(name, f"unknown {kind} {value!r}")
    return value


def _params(prefix: Path, schema: tuple[Param, ...], given: Mapping) -> dict:
    """`given` checked against a tuple of `Param`, defaults filled in."""
    if not isinstance(given, Mapping):
        raise ConfigError(prefix, "parameters must be a mapping of names to numbers")
    known = [p.name for p in schema]
    for name in given:
        if name not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ConfigError((*prefix, name), f"unknown parameter (known: {choices})")
    resolved = {}
    for p in schema:
        try:
            resolved[p.name] = p.check(given.get(p.name, p.default))
        except ValueError as error:
            raise ConfigError((*prefix, p.name), str(error).removeprefix(f"{p.name} ")) from None
    return resolved


def _batch_size(name: Path, value) -> int | str | None:
    """A run's batch size: None (the page's), `FULL_BATCH`, or a whole number in range."""
    if value is None or value == FULL_BATCH:
        return value
    if isinstance(value, str):  # text from a link or form: name both accepted forms
        try:
            float(value)
        except ValueError:
            raise ConfigError(name, f"must be a whole number or {FULL_BATCH!r}") from None
    return checked_number(name, value, 1, MAX_BATCH_SIZE, whole=True)


def batch_label(batch_size: int | str | None) -> str:
    """"batch 16", or "full batch" for the exact gradient (None or `FULL_BATCH`)."""
    return "full batch" if batch_size in (None, FULL_BATCH) else f"batch {batch_size}"


def effective_batch_size(run: Run, noise: Noise) -> int | None:
    """The batch size a validated run's gradients use (its own, else the page's); None = exact."""
    if run.batch_size == FULL_BATCH:
        return None
    return noise.batch_size if run.batch_size is None else run.batch_size


def _run(index: int, run: Run) -> Run:
    prefix: Path = ("runs", index)
    if not isinstance(run, Run):
        raise ConfigError(prefix, "must be a run")
    _choice((*prefix, "optimizer"), run.optimizer, OPTIMIZERS, "optimizer")
    _choice((*prefix, "schedule"), run.schedule, SCHEDULES, "schedule")
    optimizer = OPTIMIZERS[run.optimizer]
    clip = {
        name: None if value is None else checked_number((*prefix, name), value, 1e-12, 1e12)
        for name, value in (("clip_norm", run.clip_norm), ("clip_value", run.clip_value))
    }
    return Run(
        optimizer=run.optimizer,
        hyper=_params(prefix, optimizer.hyper, run.hyper),
        schedule=run.schedule,
        schedule_params=_params(prefix, SCHEDULES[run.schedule].params, run.schedule_params),
        warmup=checked_number((*prefix, "warmup"), run.warmup, 0, MAX_WARMUP, whole=True),
        batch_size=_batch_size((*prefix, "batch_size"), run.batch_size),
        **clip,
    )


def validate(sim: Simulation) -> Simulation:
    """The complete configuration, or ConfigError naming the first invalid field."""
    formula = None
    if sim.surface == FORMULA:
        formula, surface_params = _formula(sim)
        prefetch(formula, domain_of(surface_params))  # its landmarks, in the background
    else:
        surface = SURFACES[_choice(("surface",), sim.surface, SURFACES, "surface")]
        surface_params = _params(("surface_params",), surface.params, sim.surface_params)
    if sim.start is None:
        if formula is not None:
            start = formula_surface(formula, domain_of(surface_params)).default_start
        else:
            start = surface.default_start
    else:
        if not isinstance(sim.start, (tuple, list)) or len(sim.start) != 2:
            raise ConfigError("start", "needs two coordinates")
        start = tuple(
            checked_number(("start", axis), v, -MAX_COORDINATE, MAX_COORDINATE)
            for axis, v in zip("xy", sim.start)
        )
    steps = sim.steps
    if isinstance(steps, (int, float)) and not isinstance(steps, bool) and steps > MAX_STEPS:
        raise ConfigError("steps", f"at most {MAX_STEPS:,} steps can be computed")
    steps = checked_number(("steps",), steps, 1, MAX_STEPS, whole=True)
    if not isinstance(sim.runs, (tuple, list)):
        raise ConfigError("runs", "must be a list of runs")
    if not sim.runs:
        raise ConfigError("runs", "add at least one run")
    if len(sim.runs) > MAX_RUNS:
        raise ConfigError("runs", f"at most {MAX_RUNS} runs at once")
    noise = sim.noise
    batch = None if noise.batch_size is None else checked_number(
        ("noise", "batch_size"), noise.batch_size, 1, MAX_BATCH_SIZE, whole=True
    )
    noise = Noise(
        batch_size=batch,
        sigma=checked_number(("noise", "sigma"), noise.sigma, 0.0, MAX_SIGMA),
        seed=checked_number(("noise", "seed"), noise.seed, 0, MAX_SEED, whole=True),
    )
    return Simulation(
        surface=sim.surface,
        runs=tuple(_run(i, run) for i, run in enumerate(sim.runs)),
        start=start,
        steps=steps,
        surface_params=surface_params,
        noise=noise,
        formula=formula,
    )


def run_settings(run) -> dict:
    """A validated run's rule and settings as the APIs write them (optimizer, params,
    schedule, clipping)."""
    return {
        "optimizer": run.optimizer,
        "params": dict(run.hyper),
        "schedule": {
            "name": run.schedule, "params": dict(run.schedule_params), "warmup": run.warmup,
        },
        "clip_norm": run.clip_norm,
        "clip_value": run.clip_value,
    }
