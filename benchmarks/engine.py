"""How fast the trajectory engine is, against plain loops doing the same work.

    python -m benchmarks.engine          # a readable table
    python -m benchmarks.engine --json   # one JSON object

The work: 8 runs × 1,000 steps on Rosenbrock (3 SGD, 3 momentum, 2 Adam with different
learning rates), recording position, loss and gradient at every step. The NumPy and torch
loops compute the same 8 trajectories, and their final positions are checked against the
engine's, so the comparison is honest. Compile times are measured in fresh processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

import engine  # sets XLA flags and float64 before JAX runs anything
from engine import Noise, Run, Simulation, compile_count, simulate
from optimizers import OPTIMIZERS

STEPS = 1_000
START = (-1.5, 2.0)
WORK = (
    *(("sgd", {"lr": lr}) for lr in (1e-3, 5e-4, 2e-4)),
    *(("momentum", {"lr": lr, "momentum": 0.9}) for lr in (1e-4, 5e-4, 1e-3)),
    *(("adam", {"lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}) for lr in (1e-2, 5e-2)),
)
CHILD_TIMEOUT_S = 60
NUMPY_ROUNDS = 20  # NumPy loops timed (~0.1 s each), alternated with the engine's calls: the
# loop's time swings by up to 2× on a shared machine, and a median of a few would swing too


def work() -> Simulation:
    """The benchmarked configuration."""
    runs = tuple(Run(name, dict(hyper)) for name, hyper in WORK)
    return Simulation("rosenbrock", runs, start=START, steps=STEPS)


def eight_optimizers() -> Simulation:
    """The first 8 registered optimizers (8 structures, so 8 compiled loops per call)."""
    names = [name for name, spec in OPTIMIZERS.items() if not spec.needs_hessian][:8]
    return replace(work(), runs=tuple(Run(name) for name in names))


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call of `fn`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of `fn` in milliseconds."""
    for _ in range(warmup):
        fn()
    return float(np.median([seconds(fn) for _ in range(repeats)]) * 1e3)


def interleaved_ms(
    fast: Callable[[], object], slow: Callable[[], object], rounds: int, calls: int
) -> tuple[float, float]:
    """Median times (ms) of `fast` and `slow`, measured in alternation.

    The machine is shared, so its load drifts: alternating gives both the same conditions
    and keeps their ratio meaningful.
    """
    fast(), slow()
    fast_times, slow_times = [], []
    for _ in range(rounds):
        slow_times.append(seconds(slow))
        fast_times += [seconds(fast) for _ in range(calls)]
    return float(np.median(fast_times) * 1e3), float(np.median(slow_times) * 1e3)


def _rosenbrock(xy: np.ndarray, a: float = 1.0, b: float = 100.0) -> tuple[float, np.ndarray]:
    x, y = xy
    loss = (a - x) ** 2 + b * (y - x * x) ** 2
    grad = np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)])
    return loss, grad


def numpy_run(name: str, hyper: dict, steps: int = STEPS) -> np.ndarray:
    """One run as a plain NumPy loop (torch's update rules); returns the path."""
    xy = np.array(START, np.float64)
    path, losses, grads = np.empty((steps + 1, 2)), np.empty(steps + 1), np.empty((steps + 1, 2))
    first, second = np.zeros(2), np.zeros(2)
    lr = hyper["lr"]
    for t in range(steps + 1):
        loss, grad = _rosenbrock(xy)
        path[t], losses[t], grads[t] = xy, loss, grad
        if t == steps:
            break
        if name == "sgd":
            xy = xy - lr * grad
        elif name == "momentum":
            first = hyper["momentum"] * first + grad
            xy = xy - lr * first
        else:
            b1, b2 = hyper["beta1"], hyper["beta2"]
            first = b1 * first + (1 - b1) * grad
            second = b2 * second + (1 - b2) * grad * grad
            m_hat, v_hat = first / (1 - b1 ** (t + 1)), second / (1 - b2 ** (t + 1))
            xy = xy - lr * m_hat / (np.sqrt(v_hat) + hyper["eps"])
    return path


def numpy_all() -> list[np.ndarray]:
    return [numpy_run(name, hyper) for name, hyper in WORK]


def torch_all() -> list[np.ndarray] | None:
    """The same runs with torch.optim (float64, one optimizer.step() per step), or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # 2-element tensors: extra threads only add synchronisation
    makers = {
        "sgd": lambda p, h: torch.optim.SGD([p], lr=h["lr"]),
        "momentum": lambda p, h: torch.optim.SGD([p], lr=h["lr"], momentum=h["momentum"]),
        "adam": lambda p, h: torch.optim.Adam(
            [p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"]
        ),
    }
    paths = []
    for name, hyper in WORK:
        xy = torch.tensor(START, dtype=torch.float64, requires_grad=True)
        optimizer = makers[name](xy, hyper)
        path = np.empty((STEPS + 1, 2))
        for t in range(STEPS + 1):
            optimizer.zero_grad()
            loss = (1.0 - xy[0]) ** 2 + 100.0 * (xy[1] - xy[0] ** 2) ** 2
            loss.backward()
            path[t] = xy.detach().numpy()
            if t < STEPS:
                optimizer.step()
        paths.append(path)
    return paths


def check_agreement(reference: list[np.ndarray], paths: list[np.ndarray], label: str) -> None:
    """Fail loudly when a loop does not compute the engine's trajectories."""
    for (name, hyper), ours, theirs in zip(WORK, reference, paths):
        if not np.allclose(ours[-1], theirs[-1], rtol=1e-6, atol=1e-9):
            raise SystemExit(f"{label} disagrees with the engine on {name} {hyper}")


def recompiles_after_warmup() -> int:
    """Compilations caused by changing every number of the warmed-up configuration."""
    sim = work()
    clipped = replace(sim, runs=tuple(replace(r, clip_norm=5.0, clip_value=4.0) for r in sim.runs))
    simulate(sim)
    simulate(clipped)  # clipping on or off is structure; its thresholds are numbers
    before = compile_count()
    changed_runs = []
    for run in clipped.runs:
        hyper = {k: v * 0.9 for k, v in run.hyper.items()}
        changed_runs.append(replace(run, hyper=hyper, warmup=10, clip_norm=3.0, clip_value=2.0))
    variants = [
        replace(sim, runs=tuple(changed_runs)),
        replace(sim, start=(0.5, -0.5)),
        replace(sim, surface_params={"a": 0.5, "b": 50.0}),
        replace(sim, noise=Noise(batch_size=8, sigma=2.0, seed=1)),
        replace(sim, noise=Noise(batch_size=1, sigma=0.5, seed=7)),
        replace(sim, steps=STEPS - 137),
    ]
    for variant in variants:
        simulate(variant)
    return compile_count() - before


def _child(cache_dir: str | None) -> None:
    """In a fresh process: time the first `simulate` of the work (tracing + compiling)."""
    if cache_dir:
        engine.enable_compilation_cache(cache_dir)
    start = time.perf_counter()
    simulate(work())
    print(json.dumps({"first_call_s": time.perf_counter() - start}))


def compile_seconds(cache_dir: str | None) -> float:
    """The first-call time of the work in a fresh Python process."""
    command = [sys.executable, "-m", "benchmarks.engine", "--child", cache_dir or ""]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=root, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["first_call_s"]


def measure(repeats: int) -> dict:
    """Every figure, measured in this one run (so the ratios compare like with like)."""
    sim = work()
    engine_paths = [t.xy for t in simulate(sim)]
    check_agreement(engine_paths, numpy_all(), "the NumPy loop")
    torch_paths = torch_all()
    if torch_paths is not None:
        check_agreement(engine_paths, torch_paths, "torch.optim")
    engine_ms, numpy_ms = interleaved_ms(
        lambda: simulate(sim), numpy_all, NUMPY_ROUNDS, repeats // NUMPY_ROUNDS
    )
    eight = eight_optimizers()
    eight_ms = median_ms(lambda: simulate(eight), repeats)
    torch_ms = None if torch_paths is None else median_ms(torch_all, 2, warmup=0)
    recompiles = recompiles_after_warmup()
    cold = compile_seconds(None)
    with tempfile.TemporaryDirectory() as cache_dir:
        compile_seconds(cache_dir)  # populates the cache
        cached = compile_seconds(cache_dir)
    return {
        "work": "8 runs x 1000 steps on Rosenbrock (3 sgd, 3 momentum, 2 adam)",
        "engine_ms": engine_ms,
        "engine_8_optimizers_ms": eight_ms,
        "numpy_ms": numpy_ms,
        "torch_ms": torch_ms,
        "numpy_over_engine": numpy_ms / engine_ms,
        "torch_over_engine": None if torch_ms is None else torch_ms / engine_ms,
        "recompiles_after_warmup": recompiles,
        "cold_compile_s": cold,
        "cached_compile_s": cached,
        "cpu_count": os.cpu_count(),
    }


def table(result: dict) -> str:
    """The figures as a small aligned table."""
    engine_ms = result["engine_ms"]
    rows = [
        ("engine, warm (median)", f"{engine_ms:.2f} ms", "1×"),
        ("engine, 8 optimizers (median)", f"{result['engine_8_optimizers_ms']:.2f} ms", ""),
        ("NumPy loop", f"{result['numpy_ms']:.1f} ms", f"{result['numpy_over_engine']:.0f}×"),
    ]
    if result["torch_ms"] is None:
        rows.append(("torch.optim loop", "not installed", ""))
    else:
        rows.append(
            ("torch.optim loop", f"{result['torch_ms']:.1f} ms", f"{result['torch_over_engine']:.0f}×")
        )
    rows += [
        ("compile, fresh process", f"{result['cold_compile_s']:.2f} s", ""),
        ("compile, persistent cache warm", f"{result['cached_compile_s']:.2f} s", ""),
        ("recompiles after warm-up", str(result["recompiles_after_warmup"]), ""),
    ]
    lines = [result["work"], f"{'':32}{'time':>14}{'vs engine':>11}"]
    lines += [f"{label:32}{value:>14}{ratio:>11}" for label, value, ratio in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=400, help="engine calls to time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child or None)
        return
    result = measure(args.repeats)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
