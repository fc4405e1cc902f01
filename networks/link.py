"""A network link: the query string of a training and its landscape (docs/url-grammar.md).

    ?v=1&surface=network&model=mlp&data=digits&plane=pca&steps=500&batch=64
        &run=momentum(lr=0.1,momentum=0.9)&run=adam(lr=0.001)&seed=0&resolution=51

`read_link` reads it strictly into a validated `Training` and the landscape's options, and
raises the engine's `ConfigError` naming the first invalid field (the `Training` field's
name: `steps`, `batch_size`, `runs[1].lr`, or the link key: `plane`, `resolution`, …).
`link_query` writes the canonical form back. Runs are read by the page's own run reader
(`urlstate.codec`), so `run=NAME(key=value,...)` means the same in both kinds of link: every
optimizer, hyperparameter, schedule, warmup, clipping, a run's own `batch` and `color`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.config import FULL_BATCH, MAX_SEED, ConfigError
from networks.config import Training, checked_number, validate
from networks.planes import MAX_RESOLUTION, PLANES, check_resolution
from urlstate.codec import MAX_QUERY_LENGTH, quoted, read_run, run_text, split
from urlstate.model import VERSION
from urlstate.reader import batch_text, boolean, raise_first

SURFACE = "network"  # `surface=network` marks a network link
# Keys that shape the page, not the computation: accepted and left to the page.
PRESENTATION = ("view", "classroom", "hide", "step", "play", "speed")
KEYS = (
    "v",
    "surface",
    "model",
    "data",
    "plane",
    "steps",
    "batch",
    "seed",
    "dtype",
    "record_every",
    "eval_every",
    "resolution",
    "test",
    "plane_runs",
    "plane_seed",
    *PRESENTATION,
)
DEFAULT_TRAINING = Training(runs=())


@dataclass(frozen=True)
class NetworkLink:
    """What a network link asks for: a validated `training`, the plane `kind` with its grid
    `resolution`, the test-set grid too when `test`, the endpoints plane's two runs
    (`plane_runs`), the random plane's `plane_seed`, each run's colour ("" for the
    palette's) and the page's presentation keys as given (unchecked, ignored by the API)."""

    training: Training
    plane: str = "pca"
    resolution: int = MAX_RESOLUTION
    test: bool = False
    plane_runs: tuple[int, int] = (0, 1)
    plane_seed: int = 0
    colors: tuple[str, ...] = ()
    presentation: tuple[tuple[str, str], ...] = field(default=())


def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The single-valued keys; ConfigError for an unknown key or one given twice."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key == "run":
            continue
        if key not in KEYS:
            raise ConfigError((key[:40] or "(empty key)",), "unknown key in a network link")
        if key in values:
            raise ConfigError((key,), "given more than once")
        values[key] = value
    return values


def _plane_runs(text: str, runs: int) -> tuple[int, int]:
    pieces = text.split(",")
    if len(pieces) != 2:
        raise ConfigError(("plane_runs",), "must be two run indices i,j (from 0)")
    if runs < 2:
        raise ConfigError(("plane_runs",), "the endpoints plane needs two runs")
    chosen = tuple(
        checked_number(("plane_runs", i), p, 0, runs - 1, whole=True) for i, p in enumerate(pieces)
    )
    if chosen[0] == chosen[1]:
        raise ConfigError(("plane_runs",), "name two different runs")
    return chosen


def _training(values: dict[str, str], runs: list[str]) -> tuple[Training, tuple[str, ...]]:
    """The validated training and the runs' colours."""
    read = [read_run(i, text, raise_first) for i, text in enumerate(runs)]
    numbers = {}
    for key, name in (("steps", "steps"), ("seed", "seed")):
        if key in values:
            numbers[name] = values[key]
    for key in ("record_every", "eval_every"):
        if key in values:
            numbers[key] = values[key]
    if "batch" in values:
        numbers["batch_size"] = batch_text(values["batch"])
    training = replace(
        DEFAULT_TRAINING,
        runs=tuple(run for run, _ in read),
        model=values.get("model", DEFAULT_TRAINING.model),
        data=values.get("data", DEFAULT_TRAINING.data),
        dtype=values.get("dtype", DEFAULT_TRAINING.dtype),
        **numbers,
    )
    return validate(training), tuple(colour for _, colour in read)


def read_link(query: str, *, reserved: frozenset[str] = frozenset()) -> NetworkLink:
    """The network link `query` describes; ConfigError(path, message) on the first problem.

    `reserved` keys belong to the caller (e.g. the API's `format`) and are skipped.
    """
    if not isinstance(query, str):
        raise ConfigError(("query",), "not text")
    if len(query) > MAX_QUERY_LENGTH:
        raise ConfigError(("query",), f"longer than {MAX_QUERY_LENGTH:,} characters")
    pairs = split(query, raise_first, reserved)
    values = _single(pairs)
    if "v" in values and values["v"].strip() != str(VERSION):
        raise ConfigError(("v",), f"unknown version (this is version {VERSION})")
    if values.get("surface", "").strip() != SURFACE:
        raise ConfigError(("surface",), f"a network link has surface={SURFACE}")
    training, colors = _training(values, [v for k, v in pairs if k == "run"])
    plane = values.get("plane", "pca")
    if plane not in PLANES:
        raise ConfigError(("plane",), f"unknown plane {plane[:40]!r} (one of {', '.join(PLANES)})")
    resolution = MAX_RESOLUTION
    if "resolution" in values:
        resolution = check_resolution(
            checked_number(("resolution",), values["resolution"], 0, 10**6, whole=True)
        )
    test = boolean(values.get("test", False))
    if not isinstance(test, bool):
        raise ConfigError(("test",), "must be true or false (1 or 0)")
    if plane == "endpoints" and len(training.runs) < 2:
        raise ConfigError(("plane",), "the endpoints plane needs two runs")
    plane_runs = (0, 1)
    if "plane_runs" in values:
        plane_runs = _plane_runs(values["plane_runs"], len(training.runs))
    plane_seed = 0
    if "plane_seed" in values:
        plane_seed = checked_number(("plane_seed",), values["plane_seed"], 0, MAX_SEED, whole=True)
    return NetworkLink(
        training=training,
        plane=plane,
        resolution=resolution,
        test=test,
        plane_runs=plane_runs,
        plane_seed=plane_seed,
        colors=colors,
        presentation=tuple((k, values[k]) for k in PRESENTATION if k in values),
    )


def _pairs(link: NetworkLink):
    """The canonical keys: `v`, `surface`, `model`, `data`, `plane`, `steps`, `batch`, every
    `run`, then the other keys only where they differ from their defaults."""
    t, default = link.training, DEFAULT_TRAINING
    yield "v", str(VERSION)
    yield "surface", SURFACE
    yield "model", t.model
    yield "data", t.data
    yield "plane", link.plane
    yield "steps", str(t.steps)
    yield "batch", FULL_BATCH if t.batch_size == FULL_BATCH else str(t.batch_size)
    for index, run in enumerate(t.runs):
        yield "run", run_text(run, link.colors[index] if index < len(link.colors) else "")
    if t.seed != default.seed:
        yield "seed", str(t.seed)
    if t.dtype != default.dtype:
        yield "dtype", t.dtype
    strides = validate(replace(t, record_every=None, eval_every=None))
    for key in ("record_every", "eval_every"):
        if getattr(t, key) != getattr(strides, key):
            yield key, str(getattr(t, key))
    if link.resolution != MAX_RESOLUTION:
        yield "resolution", str(link.resolution)
    if link.test:
        yield "test", "1"
    if link.plane_runs != (0, 1):
        yield "plane_runs", ",".join(map(str, link.plane_runs))
    if link.plane_seed:
        yield "plane_seed", str(link.plane_seed)
    yield from link.presentation


def link_query(link: NetworkLink) -> str:
    """The canonical query string of a link read by `read_link` (no leading "?"): what it
    computes, written once; `read_link(link_query(link)) == link`."""
    return "&".join(f"{key}={quoted(key, value)}" for key, value in _pairs(link))


def computation_key(link: NetworkLink) -> str:
    """The canonical query of what `link` computes (without the page's presentation keys)."""
    return link_query(replace(link, colors=(), presentation=()))


__all__ = [
    "KEYS",
    "PRESENTATION",
    "SURFACE",
    "NetworkLink",
    "computation_key",
    "link_query",
    "read_link",
]
