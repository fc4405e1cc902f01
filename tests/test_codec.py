"""The URL codec: exact round trips for every state the registries allow, a parser that
never raises whatever the text, and notices that say what was ignored and why."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import ConfigError, Noise, Run, Simulation, validate
from engine.config import (
    FULL_BATCH,
    MAX_BATCH_SIZE,
    MAX_COORDINATE,
    MAX_RUNS,
    MAX_SEED,
    MAX_SIGMA,
    MAX_STEPS,
    MAX_WARMUP,
)
from landscapes import SURFACES
from optimizers import OPTIMIZERS, SCHEDULES
from schema import Param
from urlstate import VIEWS, AppState, default_state
from urlstate.model import MapSettings
from urlstate.codec import (
    MAX_QUERY_LENGTH,
    RUN_OPTIONS,
    TOLERANCE,
    format_number,
    normalize,
    parse_query,
    parse_query_strict,
    to_query,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies built from the registries ----------------------------------------------


def values(p: Param) -> st.SearchStrategy:
    """Every value `p` accepts."""
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "int":
        return st.integers(math.ceil(p.low), math.floor(p.high))
    return st.floats(p.low, p.high)


def params(schema: tuple[Param, ...]) -> st.SearchStrategy[dict]:
    """Any subset of the parameters (validate fills in the rest)."""
    return st.fixed_dictionaries({}, optional={p.name: values(p) for p in schema})


clip = st.none() | st.floats(1e-12, 1e12)
run_batch = st.none() | st.just(FULL_BATCH) | st.integers(1, MAX_BATCH_SIZE)
hex_colors = st.from_regex(r"#?[0-9A-Fa-f]{6}", fullmatch=True)


@st.composite
def runs(draw) -> Run:
    optimizer = draw(st.sampled_from(sorted(OPTIMIZERS)))
    schedule = draw(st.sampled_from(sorted(SCHEDULES)))
    return Run(
        optimizer,
        draw(params(OPTIMIZERS[optimizer].hyper)),
        schedule,
        draw(params(SCHEDULES[schedule].params)),
        warmup=draw(st.integers(0, MAX_WARMUP)),
        clip_norm=draw(clip),
        clip_value=draw(clip),
        batch_size=draw(run_batch),
    )


coordinate = st.floats(-MAX_COORDINATE, MAX_COORDINATE)


ANY_RUN_COUNT = st.integers(1, MAX_RUNS)


@st.composite
def states(draw, run_count: st.SearchStrategy[int] = ANY_RUN_COUNT) -> AppState:
    surface = draw(st.sampled_from(sorted(SURFACES)))
    chosen = draw(st.lists(runs(), min_size=1, max_size=draw(run_count)))
    noise = Noise(
        batch_size=draw(st.none() | st.integers(1, MAX_BATCH_SIZE)),
        sigma=draw(st.floats(0.0, MAX_SIGMA)),
        seed=draw(st.integers(0, MAX_SEED)),
    )
    simulation = Simulation(
        surface=surface,
        runs=tuple(chosen),
        start=draw(st.none() | st.tuples(coordinate, coordinate)),
        steps=draw(st.integers(1, MAX_STEPS)),
        surface_params=draw(params(SURFACES[surface].params)),
        noise=noise,
    )
    colors = draw(st.lists(st.just("") | hex_colors, max_size=len(chosen)))
    return AppState(
        simulation,
        tuple(colors),
        view=draw(st.sampled_from(VIEWS)),
        classroom=draw(st.booleans()),
        tolerance=draw(values(TOLERANCE)),
        # small enough for any view within the maps' caps (16 runs × 16² × 10,000 steps)
        maps=MapSettings(grid=draw(st.integers(8, 16)), seeds=draw(st.integers(2, 64))),
    )


# --- round trips ----------------------------------------------------------------------


@FAST
@given(states())
def test_round_trip_is_exact(state: AppState):
    query = to_query(state)
    expected = normalize(state)
    parsed, notices = parse_query(query)
    assert (parsed, notices) == (expected, ())
    assert repr(parsed) == repr(expected)  # bit for bit: also the sign of zero
    assert parse_query_strict("?" + query) == expected
    assert to_query(parsed) == query


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15))
def test_numbers_are_written_short_and_read_back_exactly(number):
    text = format_number(number)
    assert float(text) == number and math.copysign(1, float(text)) == math.copysign(1, number)
    assert len(text) <= len(repr(number))
    assert "+" not in text and "e-0" not in text


def test_default_page_is_the_empty_query():
    assert parse_query("") == (normalize(default_state()), ())
    assert parse_query("?") == (normalize(default_state()), ())
    assert parse_query(to_query(default_state())) == (normalize(default_state()), ())


def test_example_from_the_grammar_reads_without_notices():
    query = (
        "?v=1&surface=canyon(kappa=50,angle=30)&start=-1.8,0.6&steps=500&run=sgd(lr=0.001,batch=1)"
        "&run=momentum(lr=0.001,momentum=0.9,color=D55E00)"
        "&run=adam(lr=0.05,beta1=0.9,beta2=0.999,schedule=cosine,T_0=100,warmup=10,clip_norm=1)"
        "&batch=16&sigma=1&seed=0&tol=1e-6&view=contour&classroom=1"
    )
    state, notices = parse_query(query)
    assert notices == ()
    sim = state.simulation
    assert (sim.surface, sim.surface_params) == ("canyon", {"kappa": 50.0, "angle": 30.0})
    assert sim.steps == 500 and sim.noise.batch_size == 16 and state.classroom
    assert sim.runs[2].schedule == "cosine" and sim.runs[2].schedule_params["T_0"] == 100
    assert (sim.runs[2].warmup, sim.runs[2].clip_norm) == (10, 1.0)
    assert [run.batch_size for run in sim.runs] == [1, None, None]
    assert state.colors == ("", "#D55E00")


def test_canonical_form_is_readable():
    query = to_query(parse_query("v=1&surface=rosenbrock&run=sgd(lr=0.001)&steps=250")[0])
    assert query == "v=1&surface=rosenbrock&steps=250&run=sgd(lr=0.001)"


def test_run_batch_size_is_written_only_when_set():
    query = "v=1&surface=sphere&run=sgd(batch=FULL)&run=sgd(batch=16,color=112233)&run=sgd&batch=4"
    state, notices = parse_query(query)
    assert notices == ()
    assert [run.batch_size for run in state.simulation.runs] == [FULL_BATCH, 16, None]
    assert to_query(state) == (
        "v=1&surface=sphere&run=sgd(batch=full)&run=sgd(batch=16,color=112233)&run=sgd&batch=4"
    )


# --- length budget ----------------------------------------------------------------------


def busiest_run(index: int) -> str:
    """The optimizer with the most hyperparameters, every one moved off its default."""
    name = max(sorted(OPTIMIZERS), key=lambda n: len(OPTIMIZERS[n].hyper))
    items = []
    for p in OPTIMIZERS[name].hyper[:5]:
        value = (not p.default) if p.kind == "bool" else p.low + (p.high - p.low) * 0.37
        items.append(f"{p.name}={format_number(round(value, 4) if p.kind != 'bool' else value)}")
    return (
        f"run={name}({','.join(items)},schedule=one_cycle,pct_start=0.25,div_factor=10,"
        f"warmup=25,clip_norm=2.5,color=00{index}0FF)"
    )


def test_eight_busy_runs_fit_in_two_thousand_characters():
    query = (
        "v=1&surface=rosenbrock(a=0.5,b=50)&start=-1.25,1.75&steps=1000&"
        + "&".join(busiest_run(i) for i in range(8))
        + "&batch=16&sigma=0.5&seed=42&tol=0.0001&view=panels&classroom=1"
    )
    state, notices = parse_query(query)
    assert notices == () and len(state.simulation.runs) == 8
    assert len(to_query(state)) < 2_000


@st.composite
def busy_states(draw) -> AppState:
    """Eight runs with up to five non-default settings each, at full float precision."""
    chosen = []
    for _ in range(8):
        optimizer = OPTIMIZERS[draw(st.sampled_from(sorted(OPTIMIZERS)))]
        hyper = draw(params(optimizer.hyper[:4]))
        chosen.append(Run(optimizer.name, hyper, clip_norm=draw(clip)))
    surface = draw(st.sampled_from(sorted(SURFACES)))
    simulation = Simulation(
        surface,
        tuple(chosen),
        start=draw(st.tuples(coordinate, coordinate)),
        steps=draw(st.integers(1, MAX_STEPS)),
        surface_params=draw(params(SURFACES[surface].params)),
        noise=Noise(batch_size=draw(st.integers(1, MAX_BATCH_SIZE))),
    )
    return AppState(simulation, ("#D55E00",) * 8, tolerance=draw(values(TOLERANCE)))


@FAST
@given(busy_states())
def test_eight_runs_with_several_settings_stay_short(state: AppState):
    assert len(to_query(state)) < 2_000


# --- never raises -----------------------------------------------------------------------

KEYS = (
    "v",
    "preset",
    "surface",
    "start",
    "steps",
    "run",
    "batch",
    "sigma",
    "seed",
    "tol",
    "view",
    "classroom",
    "",
    "color",
    "lr",
    "x",
)
NUMBERS = (
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "4.9e-324",
    "0",
    "-0",
    "1e+16",
    "1_000",
    "0x10",
    " 1 ",
    "",
    "1e308",
    "١٢٣",
    "true",
    "1.0.0",
)
NAMES = (*sorted(SURFACES), *sorted(OPTIMIZERS), *sorted(SCHEDULES), "banana", "__import__")
SETTINGS = (*{p.name for o in OPTIMIZERS.values() for p in o.hyper}, *RUN_OPTIONS, "T_0", "zz")

number_text = st.sampled_from(NUMBERS) | st.floats().map(repr) | st.integers().map(str)
junk = st.text(max_size=20)


@st.composite
def call_text(draw) -> str:
    items = draw(
        st.lists(
            st.tuples(
                st.sampled_from(SETTINGS) | junk, number_text | st.sampled_from(NAMES) | junk
            ),
            max_size=8,
        )
    )
    inner = ",".join(f"{k}={v}" for k, v in items)
    close = draw(st.sampled_from(["(", ")", ""]))
    return f"{draw(st.sampled_from(NAMES) | junk)}({inner}{close}"


@st.composite
def queries(draw) -> str:
    """Queries that look almost right: known keys, odd values, duplicates, broken calls."""
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(KEYS) | junk, number_text | call_text() | junk), max_size=30
        )
    )
    return draw(st.sampled_from(["", "?", "v=1&"])) + "&".join(f"{k}={v}" for k, v in pairs)


any_text = (
    st.text()
    | st.text(st.characters(codec=None, exclude_categories=()))  # lone surrogates too
    | st.binary().map(lambda b: b.decode("latin-1"))
    | queries()
)


def assert_usable(query: str) -> tuple:
    state, notices = parse_query(query)
    assert validate(state.simulation) == state.simulation
    assert normalize(state) == state
    assert all(n.field and n.message for n in notices)
    assert not any("could not be read" in n.message for n in notices), notices
    return state, notices


@FAST
@given(any_text)
def test_parse_never_raises_and_returns_a_valid_state(query: str):
    assert_usable(query)


@FAST
@given(any_text)
def test_strict_parse_raises_only_config_errors(query: str):
    try:
        state = parse_query_strict(query)
    except ConfigError as error:
        assert error.field
    else:
        assert parse_query(query) == (state, ())


@pytest.mark.parametrize(
    "query",
    [
        "a" * 100_000,
        "v=1&run=" + "sgd(" * 20_000,
        "v=1&" + "&".join(["run=sgd"] * 5_000),
        "v=1&surface=" + "9" * 5_000,
        "v=1&steps=" + "9" * 500,
        "v=1&run=sgd(" + ",".join(f"k{i}=1" for i in range(400)) + ")",
        "v=1&run=adam(" + ",".join(["lr=1e-999"] * 100) + ")",
        "&&&&===&&=&=",
        "%zz%00%ff%C0%80%ED%A0%80",
        "v=1&start=nan,inf&sigma=-inf&tol=nan&seed=1e999&batch=-0",
        "v=1&start=1e-320,-1e-320&sigma=4.9e-324&tol=1e-15",
        "v=1&view=&classroom=&run=&surface=&start=&steps=",
    ],
)
def test_hostile_queries_are_survived(query: str):
    assert_usable(query)


def test_too_long_query_is_ignored_with_a_notice():
    state, notices = assert_usable("v=1&steps=5&" + "x" * MAX_QUERY_LENGTH)
    assert state == normalize(default_state())
    assert [n.field for n in notices] == ["query"]


def test_too_many_runs_are_cut_to_the_cap():
    state, notices = assert_usable("v=1&" + "&".join(["run=sgd"] * 1_000))
    assert len(state.simulation.runs) == MAX_RUNS
    assert [f"{n.field}: {n.message}" for n in notices] == [
        f"runs: at most {MAX_RUNS} runs at once — ignored the last {1_000 - MAX_RUNS}"
    ]
    state, _ = assert_usable("v=1&" + "&".join(f"run=sgd(lr={i + 1}e-3)" for i in range(20)))
    assert [run.hyper["lr"] for run in state.simulation.runs] == [
        float(f"{i + 1}e-3") for i in range(MAX_RUNS)
    ]


# --- notices ----------------------------------------------------------------------------


def notices_of(query: str) -> dict[str, str]:
    return {n.field: n.message for n in assert_usable(query)[1]}


def test_out_of_range_hyperparameter_uses_its_default():
    low, high = OPTIMIZERS["sgd"].hyper[0].low, OPTIMIZERS["sgd"].hyper[0].high
    default = format_number(OPTIMIZERS["sgd"].defaults()["lr"])
    state, notices = assert_usable("v=1&run=sgd&run=sgd&run=sgd(lr=100)")
    assert [str(n) for n in notices] == [
        f"Run 3 · learning rate η: must be between {low:g} and {high:g} — used the default {default}"
    ]
    assert state.simulation.runs[2].hyper["lr"] == OPTIMIZERS["sgd"].defaults()["lr"]


def test_unknown_surface_uses_the_default_one():
    found = notices_of("v=1&surface=banana(kappa=3)")
    assert found == {"surface": "unknown surface 'banana' — used canyon (ignored kappa)"}


def test_notices_name_what_was_ignored_and_why():
    found = notices_of(
        "surface=rosenbrock(a=9,q=1)&start=1,2,3&steps=0&run=sgd(lr=0.1,zz=2,lr=0.2)"
        "&run=nosuch(lr=1)&run=adam(schedule=bad,T_0=9,color=red,warmup=-1,batch=half)&batch=0"
        "&sigma=nan&seed=1.5&tol=0&view=globe&classroom=yes&steps=3&what=1&run=sgd(x=1"
    )
    assert "v" not in found  # a link without `v` is read as the current version, silently
    assert found.pop("steps") == "given more than once — used the last value"
    assert found.pop("what") == "unknown key — ignored"
    assert found.pop("runs[0].lr") == "given twice — used the last value"
    assert found.pop("runs[1].optimizer") == "unknown optimizer 'nosuch' — run dropped"
    assert found.pop("runs[2].color").endswith("— used the palette colour")
    assert found.pop("runs[2].schedule") == "unknown schedule 'bad' — used constant (ignored T_0)"
    assert found.pop("runs[2].warmup").endswith("— used 0")
    assert found.pop("runs[2].batch_size") == (
        "must be a whole number or 'full' — used the page's batch size"
    )
    assert found.pop("runs[3]") == "missing ')' — read up to the end"
    assert found.pop("runs[3].x").startswith("unknown parameter (known: ")
    assert found.pop("runs[0].zz").endswith("— ignored")
    assert found.pop("surface_params.q").endswith("— ignored")
    assert found.pop("surface_params.a").startswith("must be between")
    assert (
        found.pop("start")
        == "needs two coordinates — used the surface's default start "
        + f"({', '.join(format_number(v) for v in SURFACES['rosenbrock'].default_start)})"
    )
    assert found.pop("noise.batch_size").endswith("— used full batch (exact gradient)")
    assert found.pop("noise.sigma") == "must be finite — used 1"
    assert found.pop("noise.seed") == "must be a whole number — used 0"
    assert found.pop("tol").endswith("— used 1e-6")
    assert found.pop("view").startswith("unknown view 'globe'")
    assert found.pop("classroom") == "must be 1 or 0 — used 0"
    assert found == {}


def test_unknown_version_is_read_as_the_current_one():
    state, notices = assert_usable("v=7&steps=42&run=sgd")
    assert state.simulation.steps == 42
    assert [f"{n.field}: {n.message}" for n in notices] == [
        "v: unknown version '7' — read as version 1"
    ]


def test_booleans_read_as_words_or_digits():
    flags = [p for o in OPTIMIZERS.values() for p in o.hyper if p.kind == "bool"]
    if not flags:
        pytest.skip("no boolean hyperparameter registered")
    owner = next(o for o in OPTIMIZERS.values() if flags[0] in o.hyper)
    for text, value in [("true", True), ("1", True), ("FALSE", False), ("0", False)]:
        state, notices = assert_usable(f"v=1&run={owner.name}({flags[0].name}={text})")
        assert notices == () and state.simulation.runs[0].hyper[flags[0].name] is value
    assert f"runs[0].{flags[0].name}" in notices_of(f"v=1&run={owner.name}({flags[0].name}=2)")


def test_no_run_left_falls_back_to_the_default_runs():
    state, notices = assert_usable("v=1&run=banana&run=")
    assert state.simulation.runs == normalize(default_state()).simulation.runs
    assert notices[-1].field == "runs"


# --- presets and strict parsing ---------------------------------------------------------

PRESET = AppState(
    Simulation("rosenbrock", (Run("adam", {"lr": 0.02}),), steps=300, noise=Noise(batch_size=4)),
    colors=("#112233",),
    view=VIEWS[-1],
)


def test_preset_fills_the_state_and_explicit_keys_override_it():
    state, notices = parse_query(f"v=1&preset=demo&steps=50&view={VIEWS[0]}", {"demo": PRESET})
    assert notices == ()
    expected = normalize(PRESET)
    assert state.simulation.runs == expected.simulation.runs and state.colors == ("#112233",)
    assert (state.simulation.steps, state.view) == (50, VIEWS[0])
    assert state.simulation.noise.batch_size == 4
    assert (
        parse_query("v=1&preset=demo&batch=full", {"demo": PRESET})[0].simulation.noise.batch_size
        is None
    )


def test_unknown_preset_is_noticed():
    state, notices = parse_query("v=1&preset=nope", {"demo": PRESET})
    assert state == normalize(default_state())
    assert [str(n) for n in notices] == ["preset: unknown preset 'nope' — used the default page"]
    assert [n.field for n in notices] == ["preset"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("v=2&run=sgd", "v"),
        ("v=1&run=sgd(lr=100)", "runs[0].lr"),
        ("v=1&run=sgd&run=sgd(batch=0)", "runs[1].batch_size"),
        ("v=1&surface=banana", "surface"),
        ("v=1&run=sgd&run=nosuch", "runs[1].optimizer"),
        ("v=1&steps=1&steps=2", "steps"),
        ("v=1&sigma=nan", "noise.sigma"),
        ("v=1&view=x", "view"),
        ("v=1&bogus=1", "bogus"),
    ],
)
def test_strict_parse_names_the_first_problem(query: str, field: str):
    with pytest.raises(ConfigError) as raised:
        parse_query_strict(query)
    assert raised.value.field == field


def test_reserved_keys_are_the_callers():
    assert parse_query("v=1&format=csv", reserved=frozenset({"format"}))[1] == ()


# --- the grammar stays unambiguous as the registries grow ---------------------------------


def test_registry_names_fit_the_grammar():
    name = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
    for registry in (SURFACES, OPTIMIZERS, SCHEDULES):
        assert all(name.fullmatch(key) for key in registry)
    for optimizer in OPTIMIZERS.values():
        hyper = {p.name for p in optimizer.hyper}
        assert all(name.fullmatch(p) for p in hyper) and not hyper & set(RUN_OPTIONS)
        for schedule in SCHEDULES.values():
            assert not hyper & {p.name for p in schedule.params}, (optimizer.name, schedule.name)
    for schedule in SCHEDULES.values():
        assert not {p.name for p in schedule.params} & set(RUN_OPTIONS)
