"""Claims checked on edited presets: the page evaluates them on whatever the user built.

Each kind of claim fails when an edit breaks what it states, and cannot be checked (holds is
None, with a sentence saying why) when a run it names is gone or the surface lacks what it
measures. No check raises or prints NaN, whatever surface the runs are moved to.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from mapping import compute_map
from urlstate.reader import normalize
from engine import Noise, Run, validate, simulate
from landscapes import SURFACES
from urlstate.claims import Verdict
from urlstate.presets import PRESETS, evaluate

CANT = "Can't be checked: "


def verdict(name: str, **changes) -> Verdict:
    """The claim of preset `name` on its simulation with `changes` (fields of `Simulation`)."""
    preset = PRESETS[name]
    sim = validate(replace(preset.state.simulation, **changes))
    field = None
    if preset.claim.about_map:  # a small map of the preset's view (mapping.py)
        maps = replace(preset.state.maps, grid=12, seeds=16)
        field = compute_map(normalize(replace(preset.state, simulation=sim, maps=maps)))
    return evaluate(preset, sim, simulate(sim), field)


def with_run(name: str, index: int, run: Run) -> tuple[Run, ...]:
    runs = list(PRESETS[name].state.simulation.runs)
    runs[index] = run
    return tuple(runs)


def without_run(name: str, index: int) -> tuple[Run, ...]:
    runs = PRESETS[name].state.simulation.runs
    return runs[:index] + runs[index + 1 :]


def elsewhere(surface: str) -> dict:
    """The same runs on `surface`, from its default start."""
    return {"surface": surface, "start": None, "surface_params": {}}


def assert_fails(v: Verdict, *pieces: str) -> None:
    assert v.holds is False, v.sentence
    for piece in pieces:
        assert piece in v.sentence, v.sentence


def assert_unchecked(v: Verdict, reason: str) -> None:
    assert v.holds is None and v.sentence == CANT + reason, v.sentence


# --- each kind of claim, broken by an edit --------------------------------------------------


def test_reaches_first_fails_when_sgd_is_slowed_behind_adam() -> None:
    v = verdict("canyon_race", runs=with_run("canyon_race", 0, Run("sgd", {"lr": 0.05})))
    assert_fails(v, "Momentum at step 25", "SGD at step 140", "Adam at step 135")


def test_reaches_first_fails_when_momentum_is_slowed() -> None:
    v = verdict("canyon_race", runs=with_run("canyon_race", 1, Run("momentum", {"lr": 0.001})))
    assert_fails(v, "Momentum never", "SGD at step 76")


def test_stalls_fails_when_adagrad_gets_a_larger_learning_rate() -> None:
    v = verdict("adagrad_stalls", runs=with_run("adagrad_stalls", 1, Run("adagrad", {"lr": 1.0})))
    assert_fails(v, "AdaGrad is still ")


def test_ends_near_fails_when_momentum_has_no_momentum() -> None:
    momentum = Run("momentum", {"lr": 0.02, "momentum": 0.0})
    v = verdict("local_minima", runs=with_run("local_minima", 1, momentum))
    assert_fails(v, "Momentum ends 1.89 from the global minimum")


def test_escapes_fails_when_both_runs_are_newton() -> None:
    newton = PRESETS["newton_saddle"].state.simulation.runs[1]
    v = verdict("newton_saddle", runs=(newton, newton))
    assert_fails(v, "Distance from (0, 0) after 55 steps")


def test_one_step_fails_with_a_damped_newton_step() -> None:
    runs = with_run("newton_quadratic", 1, Run("newton", {"lr": 0.5}))
    v = verdict("newton_quadratic", runs=runs)
    assert_fails(v, "Loss gap after one step: Newton 5.24, SGD 13.6.")


def test_differs_fails_without_weight_decay() -> None:
    runs = (Run("adam", {"lr": 0.1}), Run("adamw", {"lr": 0.1, "weight_decay": 0.0}))
    assert_fails(verdict("adamw_vs_adam_l2", runs=runs), ": 0 apart.")


def test_differs_cannot_compare_an_end_that_diverged() -> None:
    runs = with_run("adamw_vs_adam_l2", 0, Run("sgd", {"lr": 1.0}))
    v = verdict("adamw_vs_adam_l2", runs=runs)
    assert v.holds is None and re.fullmatch(CANT + r"Adam \+ L2 diverged at step \d+\.", v.sentence)


def test_settles_fails_without_noise() -> None:
    """Without noise, constant-lr SGD converges fastest: the annealed run is not calmer."""
    v = verdict("annealing", noise=Noise(batch_size=1, sigma=0.0, seed=0))
    assert_fails(v, "SGD (annealed lr) 0.0175")


def test_settles_fails_when_the_calm_run_diverges() -> None:
    v = verdict("annealing", runs=with_run("annealing", 1, Run("sgd", {"lr": 1.5})))
    assert_fails(v, "SGD (annealed lr) diverged, SGD (constant lr) 0.399.")


def test_noise_grows_fails_without_noise() -> None:
    v = verdict("adaptive_four_way_noisy", noise=Noise(batch_size=4, sigma=0.0, seed=0))
    assert_fails(v, "SGD: full batch 0.087, batch 4 0.087")


def test_roughness_grows_fails_without_noise() -> None:
    v = verdict("batch_vs_stochastic", noise=Noise(batch_size=16, sigma=0.0, seed=0))
    assert_fails(v, "SGD (full batch) 0.000965, SGD (batch 16) 0.000965")


# --- what cannot be checked ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, index, reason",
    [
        ("canyon_race", 2, "run 3 was removed."),
        ("canyon_race", 0, "run 3 was removed."),  # positions shift: run 3 no longer exists
        ("newton_saddle", 0, "run 2 was removed."),
        ("adaptive_four_way_noisy", 1, "run 4 was removed."),
    ],
)
def test_a_removed_run_cannot_be_checked(name: str, index: int, reason: str) -> None:
    assert_unchecked(verdict(name, runs=without_run(name, index)), reason)


def test_removed_runs_are_all_named() -> None:
    runs = PRESETS["adaptive_four_way"].state.simulation.runs[:1]
    assert_unchecked(verdict("adaptive_four_way", runs=runs), "runs 2, 3 and 4 were removed.")


@pytest.mark.parametrize(
    "name, surface, reason",
    [
        ("local_minima", "sphere", "Sphere has no known local minimum."),
        ("adagrad_stalls", "monkey_saddle", "Monkey saddle has no minimum."),
        ("annealing", "saddle", "Saddle has no minimum."),
        ("canyon_race", "saddle", "Saddle is unbounded below, so there is no loss gap."),
        (
            "newton_quadratic",
            "monkey_saddle",
            "Monkey saddle is unbounded below, so there is no loss gap.",
        ),
    ],
)
def test_a_surface_without_what_the_claim_measures(name: str, surface: str, reason: str) -> None:
    assert_unchecked(verdict(name, **elsewhere(surface)), reason)


def test_a_claim_on_a_point_is_checked_on_any_surface() -> None:
    assert verdict("newton_saddle", **elsewhere("sphere")).holds is False


def test_a_run_that_diverged_is_named_not_measured() -> None:
    v = verdict("local_minima", **elsewhere("goldstein_price"), steps=60)
    assert v.holds is False
    assert re.fullmatch(r"SGD diverged at step \d+; Momentum diverged at step \d+\.", v.sentence)


# --- never raises, never prints NaN ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_claim_gives_a_verdict_on_every_surface(name: str) -> None:
    for surface in SURFACES:
        v = verdict(name, **elsewhere(surface), steps=60)
        assert isinstance(v.holds, bool) or v.holds is None
        assert v.sentence.endswith("."), (surface, v.sentence)
        assert not re.search(r"\b(nan|inf)\b", v.sentence, re.IGNORECASE), (surface, v.sentence)
        if v.holds is None:  # only what the surface lacks: every run is there
            assert v.sentence.startswith(CANT), v.sentence
            unbounded = SURFACES[surface].min_value is None
            lacks = ("local minimum", "not a quadratic", "outside the map's learning rates")
            assert unbounded or any(r in v.sentence for r in lacks), v.sentence
