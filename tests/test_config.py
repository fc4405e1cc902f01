"""Validation of a configuration: every invalid field is named, nothing else is ever raised."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ConfigError, Noise, Run, Simulation, validate
from engine.config import MAX_BATCH_SIZE, MAX_RUNS, MAX_STEPS

VALID = Simulation("canyon", (Run("sgd"), Run("adam")), start=(0.5, 0.5), steps=100)


def _with_run(index: int, **changes) -> Simulation:
    runs = list(VALID.runs)
    runs[index] = replace(runs[index], **changes)
    return replace(VALID, runs=tuple(runs))


INVALID = {
    "runs[1].lr": _with_run(1, hyper={"lr": -1.0}),
    "runs[0].lr": _with_run(0, hyper={"lr": math.nan}),
    "runs[1].beta1": _with_run(1, hyper={"beta1": math.inf}),
    "runs[0].momentum": _with_run(0, hyper={"momentum": 0.9}),  # sgd has no momentum
    "runs[0].weight_decay": _with_run(0, hyper={"weight_decay": "heavy"}),
    "runs[0].optimizer": _with_run(0, optimizer="sgdx"),
    "runs[1].schedule": _with_run(1, schedule="triangle"),
    "runs[0].gamma": _with_run(0, schedule="step", schedule_params={"gamma": 2.0}),
    "runs[0].warmup": _with_run(0, warmup=1.5),
    "runs[1].clip_norm": _with_run(1, clip_norm=0.0),
    "runs[0].clip_value": _with_run(0, clip_value=-math.inf),
    "runs[1].batch_size": _with_run(1, batch_size=0),
    "runs[0].batch_size": _with_run(0, batch_size="half"),
    "surface": replace(VALID, surface="moon"),
    "surface_params.kappa": replace(VALID, surface_params={"kappa": 0.0}),
    "surface_params.depth": replace(VALID, surface_params={"depth": 1.0}),
    "start.x": replace(VALID, start=(math.nan, 0.0)),
    "start.y": replace(VALID, start=(0.0, "far")),
    "start": replace(VALID, start=(1.0,)),
    "steps": replace(VALID, steps=MAX_STEPS + 1),
    "runs": replace(VALID, runs=()),
    "noise.seed": replace(VALID, noise=Noise(seed=-1)),
    "noise.sigma": replace(VALID, noise=Noise(sigma=math.inf)),
    "noise.batch_size": replace(VALID, noise=Noise(batch_size=0)),
}


def test_valid_configuration_gets_defaults():
    sim = validate(VALID)
    assert sim.surface_params == {"kappa": 20.0, "angle": 0.0}
    assert sim.runs[1].hyper["beta2"] == 0.999


@pytest.mark.parametrize("field", sorted(INVALID))
def test_invalid_field_is_named(field):
    with pytest.raises(ConfigError) as caught:
        validate(INVALID[field])
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


# A switch's value typed into a number field (Python reads True as 1): named, never taken as 1.
SWITCHED = {
    "steps": replace(VALID, steps=True),
    "start.x": replace(VALID, start=(True, 0.0)),
    "noise.seed": replace(VALID, noise=Noise(seed=True)),
    "noise.batch_size": replace(VALID, noise=Noise(batch_size=True)),
    "runs[0].warmup": _with_run(0, warmup=True),
    "runs[1].clip_norm": _with_run(1, clip_norm=True),
    "runs[0].batch_size": _with_run(0, batch_size=True),
}


@pytest.mark.parametrize("field", sorted(SWITCHED))
def test_a_boolean_in_a_number_field_is_named(field):
    with pytest.raises(ConfigError, match="must be a number") as caught:
        validate(SWITCHED[field])
    assert caught.value.field == field


@pytest.mark.parametrize(
    "given, expected", [(None, None), ("full", "full"), (16, 16), ("16", 16), (4.0, 4)]
)
def test_run_batch_size_is_the_pages_full_or_a_whole_number(given, expected):
    batch = validate(_with_run(0, batch_size=given)).runs[0].batch_size
    assert batch == expected and type(batch) is type(expected)


@pytest.mark.parametrize("value", [1.5, MAX_BATCH_SIZE + 1, "FULL", math.nan, "1e999"])
def test_invalid_run_batch_size_is_named(value):
    with pytest.raises(ConfigError) as caught:
        validate(_with_run(1, batch_size=value))
    assert caught.value.field == "runs[1].batch_size"


def test_too_many_steps_says_the_limit():
    with pytest.raises(ConfigError, match="10,000"):
        validate(replace(VALID, steps=10_001))


def test_too_many_runs():
    with pytest.raises(ConfigError) as caught:
        validate(replace(VALID, runs=(Run("sgd"),) * (MAX_RUNS + 1)))
    assert caught.value.field == "runs"


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.text(max_size=3), st.floats(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(
        ["lr", "schedule_param", "warmup", "clip_norm", "start", "steps", "surface_param",
         "batch_size", "run_batch_size", "sigma", "seed", "surface", "optimizer", "schedule",
         "hyper", "runs"]
    ),
    value=ANYTHING,
)
def test_validate_raises_nothing_but_config_error(field, value):
    run = VALID.runs[0]
    sim = {
        "lr": lambda: _with_run(0, hyper={"lr": value}),
        "schedule_param": lambda: _with_run(0, schedule="step", schedule_params={"gamma": value}),
        "warmup": lambda: _with_run(0, warmup=value),
        "clip_norm": lambda: _with_run(0, clip_norm=value),
        "start": lambda: replace(VALID, start=value),
        "steps": lambda: replace(VALID, steps=value),
        "surface_param": lambda: replace(VALID, surface_params={"kappa": value}),
        "batch_size": lambda: replace(VALID, noise=Noise(batch_size=value)),
        "run_batch_size": lambda: _with_run(0, batch_size=value),
        "sigma": lambda: replace(VALID, noise=Noise(sigma=value)),
        "seed": lambda: replace(VALID, noise=Noise(seed=value)),
        "surface": lambda: replace(VALID, surface=value),
        "optimizer": lambda: _with_run(0, optimizer=value),
        "schedule": lambda: _with_run(0, schedule=value),
        "hyper": lambda: replace(VALID, runs=(replace(run, hyper=value),)),
        "runs": lambda: replace(VALID, runs=value),
    }[field]()
    try:
        validate(sim)
    except ConfigError:
        pass
