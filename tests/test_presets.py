"""Every preset reproduces its lecture comparison: its claim holds on the computed trajectories,
and the claim turned around fails on them.

Trajectories are computed once per preset (and shared by the tests that need them); presets
are arranged so that most share compiled structures, which keeps the module fast.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest

from engine import simulate, validate
from urlstate import AppState, parse_query
from urlstate.reader import normalize
from mapping import compute_map
from urlstate.claims import (
    CLAIMS,
    BasinCount,
    BasinShare,
    FanWidens,
    OnStabilityLimit,
    Claim,
    Differs,
    EndsNear,
    Escapes,
    NoiseGrows,
    OneStep,
    ReachesFirst,
    RoughnessGrows,
    Settles,
    Stalls,
)
from urlstate.presets import (
    DEFAULT_PRESET,
    PRESET_STATES,
    PRESETS,
    check_claim,
    evaluate,
    get_preset,
    run_names,
)

NAMES = sorted(PRESETS)
SNAKE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"


@cache
def computed(name: str) -> tuple:
    """(simulation, trajectories, map): the map of the preset's view for a claim about a map
    (computed by mapping.py), else None."""
    preset = PRESETS[name]
    sim = validate(preset.state.simulation)
    field = compute_map(normalize(preset.state)) if preset.claim.about_map else None
    return sim, tuple(simulate(sim)), field


# How to turn each kind of claim around (the turned claim must fail on the same trajectories).
CONTRARY = {
    ReachesFirst: lambda c: replace(c, runs=c.runs[::-1]),
    Stalls: lambda c: replace(c, stuck=c.arrives, arrives=c.stuck),
    EndsNear: lambda c: replace(c, points=c.points[::-1]),  # each run at the other's point
    Escapes: lambda c: replace(c, stays=c.leaves, leaves=c.stays),
    OneStep: lambda c: replace(c, solves=c.other, other=c.solves),
    Differs: lambda c: replace(c, far=1e9),  # symmetric: ask for an impossible separation
    Settles: lambda c: replace(c, calm=c.restless, restless=c.calm),
    NoiseGrows: lambda c: replace(c, batch_sizes=c.batch_sizes[::-1]),
    RoughnessGrows: lambda c: replace(c, runs=c.runs[::-1]),
    BasinShare: lambda c: replace(c, runs=c.runs[::-1]),
    BasinCount: lambda c: replace(c, count=c.count + 1),  # one basin more than there are
    OnStabilityLimit: lambda c: replace(c, cells=-1),  # no edge lies within −1 cells
    FanWidens: lambda c: replace(c, runs=c.runs[::-1]),
}


def contrary(claim: Claim) -> Claim:
    """The claim with its comparison turned around."""
    return CONTRARY[type(claim)](claim)


def test_every_kind_of_claim_can_be_turned_around() -> None:
    assert set(CONTRARY) == set(CLAIMS)


@pytest.mark.parametrize("name", NAMES)
def test_claim_holds(name: str) -> None:
    verdict = evaluate(PRESETS[name], *computed(name))
    assert verdict.holds is True, f"{name}: {verdict.sentence}"
    assert verdict.sentence.endswith(".") and any(ch.isdigit() for ch in verdict.sentence)
    assert not re.search(r"\b(nan|inf)\b", verdict.sentence, re.IGNORECASE), verdict.sentence


@pytest.mark.parametrize("name", NAMES)
def test_claim_turned_around_fails(name: str) -> None:
    preset = PRESETS[name]
    turned = replace(preset, claim=contrary(preset.claim))
    verdict = evaluate(turned, *computed(name))
    assert verdict.holds is False, f"{name}: the contrary claim does not fail: {verdict.sentence}"


@pytest.mark.parametrize("name", NAMES)
def test_preset_is_well_formed(name: str) -> None:
    preset = PRESETS[name]
    assert preset.name == name
    assert re.match(SNAKE, name)
    assert preset.title
    lines = preset.caption.split("\n")
    assert len(lines) == 2 and all(line.strip() for line in lines)
    sim = validate(preset.state.simulation)
    assert sim.steps <= 1_000
    assert isinstance(preset.claim, CLAIMS)
    assert set(preset.claim.indices()) <= set(range(len(sim.runs)))
    names = run_names(preset, sim)
    assert len(set(names)) == len(names) == len(sim.runs), f"{name}: runs need distinct labels"


@pytest.mark.parametrize("name", NAMES)
def test_page_tolerance_is_the_claims(name: str) -> None:
    """The summary table's "steps to f − f* ≤ tol" measures what the sentence measures."""
    preset = PRESETS[name]
    if isinstance(preset.claim, (ReachesFirst, OneStep)):
        assert preset.state.tolerance == preset.claim.tol
    else:
        assert preset.state.tolerance == AppState(preset.state.simulation).tolerance


@pytest.mark.parametrize("name", NAMES)
def test_preset_opens_from_its_url_unchanged(name: str) -> None:
    state, notices = parse_query(f"v=1&preset={name}", PRESET_STATES)
    assert not notices
    assert isinstance(state, AppState)
    assert validate(state.simulation) == validate(PRESETS[name].state.simulation)


def test_registry() -> None:
    assert len(PRESETS) >= 11
    assert DEFAULT_PRESET in PRESETS
    assert get_preset(DEFAULT_PRESET) is PRESETS[DEFAULT_PRESET]
    assert PRESET_STATES == {name: p.state for name, p in PRESETS.items()}
    with pytest.raises(KeyError, match="unknown preset"):
        get_preset("no_such_preset")


def test_swapped_order_fails_with_the_measured_steps() -> None:
    preset = get_preset("sgd_vs_momentum_sphere")
    swapped = replace(preset, claim=replace(preset.claim, runs=(0, 1)))
    verdict = evaluate(swapped, *computed(preset.name))
    assert verdict.holds is False
    assert re.search(r"SGD at step \d+, Momentum at step \d+ \(of 150\)\.$", verdict.sentence)


def test_check_claim_is_evaluate_on_the_presets_own_simulation() -> None:
    preset = get_preset(DEFAULT_PRESET)
    sim, trajectories, _ = computed(DEFAULT_PRESET)
    assert check_claim(preset, trajectories) == (True, evaluate(preset, sim, trajectories).sentence)
    fewer = check_claim(preset, trajectories[:2])
    assert fewer == (False, "Can't be checked: run 3 was removed.")


def test_labels_follow_the_runs_once_the_run_list_changes() -> None:
    """A preset's own labels name its runs while there are as many; after that, short names."""
    preset = get_preset("adamw_vs_adam_l2")
    sim = validate(preset.state.simulation)
    assert run_names(preset, sim) == ("Adam + L2", "AdamW")
    grown = replace(sim, runs=(*sim.runs, sim.runs[0]))
    assert run_names(preset, grown) == ("Adam 1", "AdamW", "Adam 2")
