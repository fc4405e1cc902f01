"""How fast a surface typed as a formula becomes trajectories, and what it costs per step.

    python -m benchmarks.formulas          # a readable table
    python -m benchmarks.formulas --json   # one JSON object

The work: 8 gradient-descent runs × 1,000 steps (one jitted `lax.scan` over a `vmap`ped
step, recording position, loss and gradient) on Rosenbrock typed as a formula. Measured:

- a new formula structure's first trajectories (parse + trace + compile + run): in a fresh
  process, then with the persistent compilation cache warm (`engine.enable_compilation_cache`),
  and in a process that has already compiled another structure (a server's case);
- an edited number (same structure): parse + run, and the number of compilations it caused;
- the cost per step of the formula against the registry's Rosenbrock `fn` in the same scan
  (timed in alternation; target ≤ 2×), after checking both give the same trajectories;
- the numerical landmarks (minima, start) of a new structure, and after an edited number.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import engine  # sets XLA flags and float64 before JAX runs anything
from landscapes import SURFACES
from landscapes.formula import BUILTIN_FORMULAS, constant_slots, formula_fn, parse_formula
from landscapes.minima import compile_count as landmark_compile_count
from landscapes.minima import formula_landmarks

STEPS = 1_000
RUNS = 8
FORMULA = BUILTIN_FORMULAS["rosenbrock"]  # (1 - x)^2 + 100*(y - x^2)^2
EDITED = "(1.5 - x)^2 + 80*(y - x^2)^2"
NEW_STRUCTURES = [f"(1 - x)^2 + 100*(y - x^2)^2 + 0.01*x^{n}" for n in (4, 6, 8)]
DOMAIN = SURFACES["rosenbrock"].domain
STARTS = np.array([(-1.5, 2.0)] * RUNS, np.float64)
LEARNING_RATES = np.geomspace(1e-4, 1.5e-3, RUNS)
CHILD_TIMEOUT_S = 120
ROUNDS = 20  # alternations of the formula's and the built-in's timings


@functools.partial(jax.jit, static_argnames=("fn",))
def descend(fn: Callable, data, starts, learning_rates):
    """Every run's record (step, [x, y, loss, gx, gy]) of gradient descent on `fn(xy, data)`."""

    def run(start, lr):
        def step(xy, _):
            loss, grad = jax.value_and_grad(fn)(xy, data)
            return xy - lr * grad, jnp.concatenate([xy, loss[None], grad])

        return jax.lax.scan(step, start, None, length=STEPS)[1]

    return jax.vmap(run)(starts, learning_rates)


def first_trajectories(text: str) -> np.ndarray:
    """Parse `text` and compute the work on it (compiling its structure if new)."""
    formula = parse_formula(text)
    fn = formula_fn(formula.structure)
    return np.asarray(descend(fn, constant_slots(formula.constants), STARTS, LEARNING_RATES))


def builtin_trajectories() -> np.ndarray:
    surface = SURFACES["rosenbrock"]
    params = {k: np.float64(v) for k, v in surface.defaults().items()}
    return np.asarray(descend(surface.fn, params, STARTS, LEARNING_RATES))


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_ms(first: Callable, second: Callable, rounds: int, calls: int) -> tuple:
    """Median times (ms) of `first` and `second`, measured in alternation (the shared
    machine's speed drifts; alternating gives both the same conditions)."""
    first(), second()
    times: tuple[list, list] = ([], [])
    for _ in range(rounds):
        times[0].extend(seconds(first) for _ in range(calls))
        times[1].extend(seconds(second) for _ in range(calls))
    return float(np.median(times[0]) * 1e3), float(np.median(times[1]) * 1e3)


def _child(cache_dir: str | None) -> None:
    """In a fresh process: the first trajectories of the formula, compilation included."""
    if cache_dir:
        engine.enable_compilation_cache(cache_dir)
    print(json.dumps({"first_s": seconds(lambda: first_trajectories(FORMULA))}))


def fresh_process_seconds(cache_dir: str | None) -> float:
    command = [sys.executable, "-m", "benchmarks.formulas", "--child", cache_dir or ""]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=root, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["first_s"]


def measure(repeats: int) -> dict:
    """Every figure, measured in this one run."""
    cold = fresh_process_seconds(None)
    with tempfile.TemporaryDirectory() as cache_dir:
        fresh_process_seconds(cache_dir)  # fills the cache
        cached = fresh_process_seconds(cache_dir)

    formula_paths = first_trajectories(FORMULA)  # this process: JAX running from here on
    builtin_paths = builtin_trajectories()
    if not np.allclose(formula_paths, builtin_paths, rtol=1e-12, atol=1e-12):
        raise SystemExit("the formula's trajectories differ from the built-in surface's")
    new_structure_s = [seconds(lambda t=t: first_trajectories(t)) for t in NEW_STRUCTURES]

    compiled = descend._cache_size()
    edited_s = float(np.median([seconds(lambda: first_trajectories(EDITED)) for _ in range(20)]))
    edit_compiles = descend._cache_size() - compiled

    formula = parse_formula(FORMULA)
    fn, slots = formula_fn(formula.structure), constant_slots(formula.constants)
    surface = SURFACES["rosenbrock"]
    params = {k: np.float64(v) for k, v in surface.defaults().items()}
    formula_ms, builtin_ms = interleaved_ms(
        lambda: descend(fn, slots, STARTS, LEARNING_RATES).block_until_ready(),
        lambda: descend(surface.fn, params, STARTS, LEARNING_RATES).block_until_ready(),
        ROUNDS,
        max(1, repeats // ROUNDS),
    )

    landmarks_new_s = seconds(lambda: formula_landmarks(parse_formula(FORMULA), DOMAIN))
    searches = landmark_compile_count()
    landmarks_edit_ms = 1e3 * seconds(lambda: formula_landmarks(parse_formula(EDITED), DOMAIN))
    return {
        "work": f"{RUNS} gradient-descent runs x {STEPS} steps on Rosenbrock typed as a formula",
        "new_structure_fresh_process_s": cold,
        "new_structure_persistent_cache_s": cached,
        "new_structure_running_process_s": float(np.median(new_structure_s)),
        "edited_number_ms": edited_s * 1e3,
        "edited_number_compilations": edit_compiles,
        "formula_ms": formula_ms,
        "builtin_ms": builtin_ms,
        "formula_ns_per_step": formula_ms * 1e6 / (RUNS * STEPS),
        "builtin_ns_per_step": builtin_ms * 1e6 / (RUNS * STEPS),
        "formula_over_builtin": formula_ms / builtin_ms,
        "landmarks_new_structure_s": landmarks_new_s,
        "landmarks_edited_number_ms": landmarks_edit_ms,
        "landmarks_edit_compilations": landmark_compile_count() - searches,
        "cpu_count": os.cpu_count(),
    }


def table(result: dict) -> str:
    """The figures as a small aligned table."""
    rows = [
        ("new structure, fresh process", f"{result['new_structure_fresh_process_s']:.2f} s"),
        ("new structure, persistent cache", f"{result['new_structure_persistent_cache_s']:.2f} s"),
        ("new structure, running process", f"{result['new_structure_running_process_s']:.2f} s"),
        ("edited number (parse + run)", f"{result['edited_number_ms']:.2f} ms"),
        ("  compilations it caused", str(result["edited_number_compilations"])),
        ("formula Rosenbrock, per call", f"{result['formula_ms']:.2f} ms"),
        ("built-in Rosenbrock, per call", f"{result['builtin_ms']:.2f} ms"),
        ("formula, per run-step", f"{result['formula_ns_per_step']:.1f} ns"),
        ("built-in, per run-step", f"{result['builtin_ns_per_step']:.1f} ns"),
        ("formula / built-in (target <= 2x)", f"{result['formula_over_builtin']:.2f}x"),
        ("landmarks, new structure", f"{result['landmarks_new_structure_s']:.2f} s"),
        ("landmarks, edited number", f"{result['landmarks_edited_number_ms']:.1f} ms"),
        ("  compilations it caused", str(result["landmarks_edit_compilations"])),
    ]
    lines = [result["work"]]
    lines += [f"{label:36}{value:>14}" for label, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=400, help="calls of each scan to time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child or None)
        return
    result = measure(args.repeats)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
