"""Every registered update rule, driven through the engine, against an independent reference.

References: torch.optim (float64) for the rules torch has, including non-default settings and
learning-rate schedules; a NumPy loop written from the formula for the others (Lion, Newton,
Adam without bias correction). Trajectories must agree to 1e-9 over 300 steps.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from engine import Run, Simulation, simulate
from landscapes import SURFACES
from optimizers import OPTIMIZERS

STEPS = 300
TOLERANCE = 1e-9
# torch.optim is the reference for the rules it has: a missing torch fails these tests.

CANYON = {"kappa": 10.0, "angle": 30.0}
ROSENBROCK = {"a": 1.0, "b": 100.0}
START = {"canyon": (-1.8, 0.6), "rosenbrock": (-1.5, 2.0)}


def _rotation(angle: float) -> tuple[float, float]:
    return math.cos(math.radians(angle)), math.sin(math.radians(angle))


def surface_value(name: str, xy, p: dict):
    """The surface formula, for NumPy arrays and torch tensors alike."""
    if name == "canyon":
        c, s = _rotation(p["angle"])
        u, v = c * xy[0] + s * xy[1], -s * xy[0] + c * xy[1]
        return 0.5 * (u**2 + p["kappa"] * v**2)
    return (p["a"] - xy[0]) ** 2 + p["b"] * (xy[1] - xy[0] ** 2) ** 2


def surface_gradient(name: str, xy: np.ndarray, p: dict) -> np.ndarray:
    """The analytic gradient (for the NumPy references)."""
    if name == "canyon":
        return surface_hessian(name, xy, p) @ xy
    x, y = xy
    return np.array([-2 * (p["a"] - x) - 4 * p["b"] * x * (y - x**2), 2 * p["b"] * (y - x**2)])


def surface_hessian(name: str, xy: np.ndarray, p: dict) -> np.ndarray:
    """The analytic Hessian (for the NumPy Newton reference)."""
    if name == "canyon":
        c, s = _rotation(p["angle"])
        rotation = np.array([[c, s], [-s, c]])
        return rotation.T @ np.diag([1.0, p["kappa"]]) @ rotation
    x, y = xy
    b = p["b"]
    return np.array([[2 - 4 * b * (y - x**2) + 8 * b * x**2, -4 * b * x], [-4 * b * x, 2 * b]])


def engine_paths(surface: str, params: dict, runs: list[Run]) -> list[np.ndarray]:
    """Each run's positions (steps + 1 rows), checking that none diverged."""
    sim = Simulation(surface, tuple(runs), start=START[surface], steps=STEPS, surface_params=params)
    trajectories = simulate(sim)
    assert all(t.diverged_at is None for t in trajectories)
    return [t.xy for t in trajectories]


def full_hyper(optimizer: str, overrides: dict) -> dict:
    return {**OPTIMIZERS[optimizer].defaults(), **overrides}


# ---------------------------------------------------------------------------- torch references

# optimizer -> (surface, torch class, fixed torch arguments, variants' hyperparameter overrides)
TORCH_CASES: dict[str, tuple[str, str, dict, list[dict]]] = {
    "sgd": ("canyon", "SGD", {}, [{}, {"lr": 0.05, "weight_decay": 0.3}]),
    "momentum": ("canyon", "SGD", {}, [{}, {"momentum": 0.5, "weight_decay": 0.2}]),
    "nesterov": ("canyon", "SGD", {"nesterov": True}, [{}, {"lr": 0.03, "weight_decay": 0.2}]),
    "adagrad": (
        "canyon",
        "Adagrad",
        {},
        [{}, {"lr": 0.5, "lr_decay": 0.01, "eps": 1e-3, "weight_decay": 0.1}],
    ),
    "rmsprop": (
        "canyon",
        "RMSprop",
        {},
        [
            {},
            {"momentum": 0.8, "alpha": 0.9, "weight_decay": 0.1},
            {"centered": True},
            {"centered": True, "momentum": 0.8, "eps": 1e-4},
        ],
    ),
    "adam": (
        "canyon",
        "Adam",
        {},
        [{}, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-4, "weight_decay": 0.1}],
    ),
    "adamw": ("canyon", "AdamW", {}, [{}, {"weight_decay": 0.5, "beta2": 0.9}]),
    "amsgrad": (
        "rosenbrock",
        "Adam",
        {"amsgrad": True},
        [{}, {"beta2": 0.9, "weight_decay": 0.1, "lr": 0.02}],
    ),
    "nadam": (
        "rosenbrock",
        "NAdam",
        {},
        [{"lr": 0.02}, {"momentum_decay": 0.02, "beta1": 0.8, "weight_decay": 0.1, "lr": 0.02}],
    ),
    "adamax": ("rosenbrock", "Adamax", {}, [{}, {"beta2": 0.9, "weight_decay": 0.1, "eps": 1e-3}]),
    "adadelta": ("canyon", "Adadelta", {}, [{}, {"lr": 0.5, "rho": 0.7, "weight_decay": 0.1}]),
}
SURFACE_PARAMS = {"canyon": CANYON, "rosenbrock": ROSENBROCK}
# Registry defaults that deliberately differ from torch's constructor (besides lr).
OWN_DEFAULTS = {("momentum", "momentum"), ("nesterov", "momentum")}


def torch_arguments(hyper: dict, fixed: dict) -> dict:
    """Registry hyperparameters spelled as the torch constructor's arguments."""
    arguments = {k: v for k, v in hyper.items() if k not in ("beta1", "beta2", "bias_correction")}
    if "beta1" in hyper:
        arguments["betas"] = (hyper["beta1"], hyper["beta2"])
    return {**arguments, **fixed}


def torch_optimizer(optimizer: str, overrides: dict) -> Callable:
    """The torch constructor for a registry optimizer and hyperparameters, given its params."""
    import torch
    _, cls, fixed, _ = TORCH_CASES[optimizer]
    arguments = torch_arguments(full_hyper(optimizer, overrides), fixed)
    return functools.partial(getattr(torch.optim, cls), **arguments)


def torch_path(
    surface: str,
    params: dict,
    make_optimizer: Callable,
    make_scheduler: Callable | None = None,
) -> np.ndarray:
    """Positions visited by a torch optimizer on `surface` (float64)."""
    import torch
    default = torch.get_default_dtype()
    # torch keeps scalar state (step counts, NAdam's μ product) in the default dtype.
    torch.set_default_dtype(torch.float64)
    try:
        xy = torch.tensor(START[surface], requires_grad=True)
        optimizer = make_optimizer([xy])
        scheduler = make_scheduler(optimizer) if make_scheduler else None
        path = [xy.detach().numpy().copy()]
        for _ in range(STEPS):
            optimizer.zero_grad()
            surface_value(surface, xy, params).backward()
            optimizer.step()
            if scheduler:
                scheduler.step()
            path.append(xy.detach().numpy().copy())
    finally:
        torch.set_default_dtype(default)
    return np.array(path)


@pytest.mark.parametrize("optimizer", sorted(TORCH_CASES))
def test_matches_torch(optimizer: str) -> None:
    import torch  # noqa: F401  (the reference must be installed)
    surface, _, _, variants = TORCH_CASES[optimizer]
    params = SURFACE_PARAMS[surface]
    paths = engine_paths(surface, params, [Run(optimizer, hyper=v) for v in variants])
    for overrides, path in zip(variants, paths):
        expected = torch_path(surface, params, torch_optimizer(optimizer, overrides))
        np.testing.assert_allclose(path, expected, rtol=0, atol=TOLERANCE, err_msg=str(overrides))
        assert np.abs(path[-1] - path[0]).max() > 0.1  # the run went somewhere


@pytest.mark.parametrize("optimizer", sorted(TORCH_CASES))
def test_defaults_are_torchs(optimizer: str) -> None:
    import torch
    cls = TORCH_CASES[optimizer][1]
    signature = inspect.signature(getattr(torch.optim, cls).__init__).parameters
    defaults = {name: p.default for name, p in signature.items()}
    ours = torch_arguments(OPTIMIZERS[optimizer].defaults(), {})
    for name, value in ours.items():
        if name != "lr" and (optimizer, name) not in OWN_DEFAULTS and name in defaults:
            assert value == defaults[name], name
    assert set(ours) <= set(defaults)


# (schedule, its parameters, the torch scheduler, optimizer, its hyperparameter overrides)
SCHEDULE_CASES = [
    (
        "step",
        {"step_size": 40, "gamma": 0.5},
        ("StepLR", {"step_size": 40, "gamma": 0.5}),
        "rmsprop",
        {"momentum": 0.8},
    ),
    ("exponential", {"k": 0.01}, ("ExponentialLR", {"gamma": math.exp(-0.01)}), "adam", {}),
]


@pytest.mark.parametrize("schedule, params, scheduler, optimizer, overrides", SCHEDULE_CASES)
def test_schedule_matches_torch(schedule, params, scheduler, optimizer, overrides) -> None:
    """The scheduled learning rate multiplies the rule's direction exactly where torch's does."""
    import torch
    run = Run(optimizer, hyper=overrides, schedule=schedule, schedule_params=params)
    (path,) = engine_paths("canyon", CANYON, [run])
    name, scheduler_kwargs = scheduler
    expected = torch_path(
        "canyon",
        CANYON,
        torch_optimizer(optimizer, overrides),
        functools.partial(getattr(torch.optim.lr_scheduler, name), **scheduler_kwargs),
    )
    np.testing.assert_allclose(path, expected, rtol=0, atol=TOLERANCE)


# ---------------------------------------------------------------------------- NumPy references


def _lion(h: dict, surface: str, params: dict) -> np.ndarray:
    """Lion (Chen et al. 2023) with decoupled weight decay, as optax defines it."""
    xy, m = np.array(START[surface]), np.zeros(2)
    path = [xy]
    for _ in range(STEPS):
        g = surface_gradient(surface, xy, params)
        direction = np.sign(h["beta1"] * m + (1 - h["beta1"]) * g)
        m = h["beta2"] * m + (1 - h["beta2"]) * g
        xy = xy - h["lr"] * (direction + h["weight_decay"] * xy)
        path.append(xy)
    return np.array(path)


def _newton(h: dict, surface: str, params: dict) -> np.ndarray:
    """θ ← θ − η (H + λI)⁻¹ g."""
    xy = np.array(START[surface])
    path = [xy]
    for _ in range(STEPS):
        system = surface_hessian(surface, xy, params) + h["damping"] * np.eye(2)
        xy = xy - h["lr"] * np.linalg.solve(system, surface_gradient(surface, xy, params))
        path.append(xy)
    return np.array(path)


def _adam_uncorrected(h: dict, surface: str, params: dict) -> np.ndarray:
    """Adam with m and s used as they are (no division by 1 − βᵗ), L2 in the gradient."""
    xy, m, s = np.array(START[surface]), np.zeros(2), np.zeros(2)
    path = [xy]
    for _ in range(STEPS):
        g = surface_gradient(surface, xy, params) + h["weight_decay"] * xy
        m = h["beta1"] * m + (1 - h["beta1"]) * g
        s = h["beta2"] * s + (1 - h["beta2"]) * g * g
        xy = xy - h["lr"] * m / (np.sqrt(s) + h["eps"])
        path.append(xy)
    return np.array(path)


# (optimizer, surface, reference loop, variants' hyperparameter overrides)
NUMPY_CASES = [
    ("lion", "rosenbrock", _lion, [{}, {"beta1": 0.5, "beta2": 0.9, "weight_decay": 0.3}]),
    (
        "newton",
        "rosenbrock",
        _newton,
        [{"lr": 0.5}, {"damping": 2.0}, {"lr": 0.3, "damping": 10.0}],
    ),
    (
        "adam",
        "canyon",
        _adam_uncorrected,
        [{"bias_correction": False}, {"bias_correction": False, "beta2": 0.9, "weight_decay": 0.1}],
    ),
]


@pytest.mark.parametrize("optimizer, surface, reference, variants", NUMPY_CASES)
def test_matches_formula(optimizer, surface, reference, variants) -> None:
    params = SURFACE_PARAMS[surface]
    paths = engine_paths(surface, params, [Run(optimizer, hyper=v) for v in variants])
    for overrides, path in zip(variants, paths):
        expected = reference(full_hyper(optimizer, overrides), surface, params)
        np.testing.assert_allclose(path, expected, rtol=0, atol=TOLERANCE, err_msg=str(overrides))
        assert np.abs(path[-1] - path[0]).max() > 0.1


def test_newton_singular_hessian_is_reported_not_raised() -> None:
    """Where H is singular the undamped step is non-finite: the run stops, reported as diverged.

    At x = 0, Rosenbrock's H = [[2 - 4b·y, 0], [0, 2b]]: singular at y = 1/(2b), exactly for
    b = 2. Damping makes the system regular again.
    """
    variants = NUMPY_CASES[1][3]
    sim = Simulation(
        "rosenbrock",
        tuple(Run("newton", hyper=v) for v in variants),
        start=(0.0, 0.25),
        steps=STEPS,
        surface_params={"a": 1.0, "b": 2.0},
    )
    for overrides, trajectory in zip(variants, simulate(sim)):
        singular = full_hyper("newton", overrides)["damping"] == 0
        assert trajectory.diverged_at == (1 if singular else None), overrides
        assert np.all(np.isfinite(trajectory.xy))


# ---------------------------------------------------------------------------- registry


def _switch_settings(name: str) -> list[dict]:
    """Every combination of an optimizer's boolean switches."""
    switches = [p.name for p in OPTIMIZERS[name].hyper if p.is_static]
    combinations = itertools.product((False, True), repeat=len(switches))
    return [dict(zip(switches, values)) for values in combinations]


VARIANTS = [(name, switches) for name in sorted(OPTIMIZERS) for switches in _switch_settings(name)]


def _chain(name: str, hyper: dict) -> optax.GradientTransformationExtraArgs:
    """The transformation as the engine chains it (clipping first), at a constant lr."""
    return optax.chain(
        optax.clip_by_global_norm(jnp.inf),
        optax.clip(jnp.inf),
        OPTIMIZERS[name].build(hyper, lambda count: hyper["lr"]),
    )


def _sphere_path(name: str, hyper: dict, steps: int = 200) -> tuple[jnp.ndarray, dict]:
    """`steps` steps from the sphere's default start, and the final internals."""
    spec, tx = OPTIMIZERS[name], _chain(name, hyper)
    sphere = SURFACES["sphere"]

    def loss(xy: jnp.ndarray) -> jnp.ndarray:
        return sphere.fn(xy, {})

    def step(carry, _):
        xy, state = carry
        extra = {"hessian": jax.hessian(loss)(xy)} if spec.needs_hessian else {}
        update, state = tx.update(jax.grad(loss)(xy), state, xy, **extra)
        return (xy + update, state), xy + update

    start = jnp.asarray(sphere.default_start)
    (_, state), path = jax.lax.scan(step, (start, tx.init(start)), length=steps)
    inner = {k: optax.tree_utils.tree_get(state, f) for k, f in spec.internals.items()}
    return jnp.concatenate([start[None], path]), inner


@jax.jit
def _defaults_on_sphere(numbers: list[dict]) -> list:
    """Every optimizer and switch setting on the sphere, in one compile.

    Float hyperparameters are traced (as in the engine), so a rule that branches on one in
    Python fails here.
    """
    return [
        _sphere_path(name, {**hyper, **switches})
        for (name, switches), hyper in zip(VARIANTS, numbers)
    ]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_entry_is_complete(name: str) -> None:
    spec = OPTIMIZERS[name]
    assert spec.latex.strip() and spec.title and spec.summary.endswith(".")
    names = [p.name for p in spec.hyper]
    assert "lr" in names and len(set(names)) == len(names)
    for p in spec.hyper:
        assert p.check(p.default) == p.default, p.name
        assert p.log == (p.name in ("lr", "eps")), p.name


@pytest.mark.parametrize("name, switches", VARIANTS)
def test_internals_are_found_once(name: str, switches: dict) -> None:
    """Each internal is exactly one field of the state the engine builds, for every switch."""
    spec = OPTIMIZERS[name]
    numbers = {k: np.float64(v) for k, v in spec.defaults().items() if k not in switches}
    state = _chain(name, {**numbers, **switches}).init(np.zeros(2))
    for label, field in spec.internals.items():
        found = optax.tree_utils.tree_get_all_with_path(state, field)
        assert len(found) == 1, (label, field)
        assert np.shape(found[0][1]) == (2,)


def test_defaults_run_on_the_sphere() -> None:
    """Defaults give a finite path that ends closer to the minimum, for every switch setting."""
    numbers = [
        {p.name: np.float64(p.default) for p in OPTIMIZERS[name].hyper if not p.is_static}
        for name, _ in VARIANTS
    ]
    for (name, switches), (path, inner) in zip(VARIANTS, _defaults_on_sphere(numbers)):
        assert np.all(np.isfinite(path)) and path.shape == (201, 2), (name, switches)
        assert np.linalg.norm(path[-1]) < np.linalg.norm(path[0]), (name, switches)
        assert set(inner) == set(OPTIMIZERS[name].internals)
        assert all(np.all(np.isfinite(v)) and np.shape(v) == (2,) for v in inner.values())
