"""A user's own surface: a formula and a plot domain, turned into a `Surface` record.

`surface=formula(xmin=-2,xmax=2,ymin=-1,ymax=3)` with `f=TEXT` names such a surface; its
domain's four numbers are its parameters (`DOMAIN_PARAMS`). Its `fn` is the formula's
`formula_fn(structure)`, which takes the constant slots (`Surface.arguments`), so compiled
code is specialised on the structure (`Surface.key`) and every number is data.

What a registered surface's record states (minima, lowest value, colour scale, start) is found
numerically here (`landscapes.minima`), once per formula and domain. That search compiles once
per structure (0.5–2 s), so `prefetch` starts it in a background thread as soon as a formula
is read: it compiles on the other core while the engine compiles the first trajectories, and
`formula_surface` waits for what is left of it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from landscapes.base import Surface, fixed
from landscapes.formula import Formula, formula_fn, parse_formula
from landscapes.minima import Domain, Landmarks, formula_landmarks
from schema import Param

FORMULA = "formula"  # the surface name of a user's formula
DOMAIN_LIMIT = 1_000.0
DOMAIN_PARAMS = (
    Param("xmin", -3.0, -DOMAIN_LIMIT, DOMAIN_LIMIT, "x from"),
    Param("xmax", 3.0, -DOMAIN_LIMIT, DOMAIN_LIMIT, "x to"),
    Param("ymin", -3.0, -DOMAIN_LIMIT, DOMAIN_LIMIT, "y from"),
    Param("ymax", 3.0, -DOMAIN_LIMIT, DOMAIN_LIMIT, "y to"),
)
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))

_LANDMARKS: dict[tuple, Future] = {}  # (structure, constants, domain) → its search
_LOCK = threading.Lock()
_MAX_KEPT = 256


def domain_of(params: Mapping[str, float]) -> Domain:
    """((xmin, xmax), (ymin, ymax)) from a formula surface's (validated) parameters."""
    values = {p.name: float(params.get(p.name, p.default)) for p in DOMAIN_PARAMS}
    return (values["xmin"], values["xmax"]), (values["ymin"], values["ymax"])


@functools.cache
def _executor() -> ThreadPoolExecutor:
    """One background thread per process (created after any fork, on first use)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="landmarks")


def prefetch(formula: Formula, domain: Domain) -> Future:
    """The landmarks of `formula` over `domain`, computing in the background if not known."""
    key = (formula.structure, formula.constants, domain)
    with _LOCK:
        future = _LANDMARKS.get(key)
        if future is None:
            if len(_LANDMARKS) >= _MAX_KEPT:
                _LANDMARKS.pop(next(iter(_LANDMARKS)))
            future = _executor().submit(formula_landmarks, formula, domain)
            _LANDMARKS[key] = future
    return future


def _landmarks(formula: Formula, domain: Domain) -> Landmarks:
    """The formula's landmarks; should the search fail, none (no minima, no lowest value, the
    domain's centre as start): the surface still works, without what was to be found."""
    try:
        future = prefetch(formula, domain)
        if future.cancel():  # not started: the background thread is busy (or gone): here
            with _LOCK:
                _LANDMARKS.pop((formula.structure, formula.constants, domain), None)
            return formula_landmarks(formula, domain)
        return future.result()
    except Exception:  # noqa: BLE001 - a page must open whatever the formula
        (x0, x1), (y0, y1) = domain
        return Landmarks((), (), None, False, ((x0 + x1) / 2, (y0 + y1) / 2))


@functools.lru_cache(maxsize=_MAX_KEPT)
def formula_surface(formula: Formula, domain: Domain) -> Surface:
    """The surface record of a parsed formula over `domain` (minima etc. found numerically)."""
    found = _landmarks(formula, domain)
    text = formula.text
    return Surface(
        name=FORMULA,
        title="Your own surface",
        latex=f"f(x, y) = {text}",
        fn=formula_fn(formula.structure),
        domain=domain,
        minima=fixed(*found.minima),
        min_value=found.min_value,
        default_start=found.default_start,
        log_scale=found.log_scale,
        description="Your own formula; its minima, lowest value and start were found numerically.",
        local_minima=fixed(*found.local_minima),
        structure=formula.structure,
        constants=formula.constants,
        numerical=True,
    )


def as_formula(value: Formula | str) -> Formula:
    """A parsed formula (text is parsed: FormulaError when it cannot be used)."""
    return value if isinstance(value, Formula) else parse_formula(value)


__all__ = [
    "DEFAULT_DOMAIN",
    "DOMAIN_PARAMS",
    "FORMULA",
    "as_formula",
    "domain_of",
    "formula_surface",
    "prefetch",
]
