"""Every preset reproduces its lecture comparison: its claim holds on the computed trajectories.

Trajectories are computed once per preset (and shared by the tests that need them); presets
are arranged so that most share compiled structures, which keeps the module fast.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest

from engine import Trajectory, simulate, validate
from urlstate import AppState, parse_query
from urlstate.presets import (
    CHECKS,
    DEFAULT_PRESET,
    PRESET_STATES,
    PRESETS,
    Claim,
    Preset,
    check_claim,
    get_preset,
)

NAMES = sorted(PRESETS)
SNAKE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"


@cache
def trajectories(name: str) -> tuple[Trajectory, ...]:
    return tuple(simulate(PRESETS[name].state.simulation))


def _reversed(claim: Claim) -> Claim:
    return replace(claim, runs=claim.runs[::-1], batch_sizes=claim.batch_sizes[::-1])


# How to turn each kind of claim around (the turned claim must fail on the same trajectories).
CONTRARY = {
    "differs": lambda c: replace(c, far=1e9),  # symmetric: ask for an impossible separation
    "ends_near": lambda c: replace(c, points=c.points[::-1]),  # each run at the other's point
}


def contrary(claim: Claim) -> Claim:
    """The claim with its comparison turned around."""
    return CONTRARY.get(claim.kind, _reversed)(claim)


@pytest.mark.parametrize("name", NAMES)
def test_claim_holds(name: str) -> None:
    holds, sentence = check_claim(PRESETS[name], trajectories(name))
    assert holds, f"{name}: {sentence}"
    assert sentence.endswith(".") and any(ch.isdigit() for ch in sentence)


@pytest.mark.parametrize("name", NAMES)
def test_claim_turned_around_fails(name: str) -> None:
    preset = PRESETS[name]
    turned = replace(preset, claim=contrary(preset.claim))
    holds, sentence = check_claim(turned, trajectories(name))
    assert not holds, f"{name}: the contrary claim also holds: {sentence}"


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
    assert preset.claim.kind in CHECKS
    runs = range(len(sim.runs))
    assert set(preset.claim.runs) <= set(runs)
    labels = [preset.label(i) for i in runs]
    assert len(set(labels)) == len(labels), f"{name}: runs need distinct labels: {labels}"


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
    holds, sentence = check_claim(swapped, trajectories(preset.name))
    assert not holds
    assert "SGD at step" in sentence and "Momentum at step" in sentence


def test_unknown_claim_kind_is_rejected() -> None:
    preset: Preset = get_preset(DEFAULT_PRESET)
    with pytest.raises(ValueError, match="unknown claim kind"):
        check_claim(replace(preset, claim=Claim("faster", runs=(0, 1))), ())
