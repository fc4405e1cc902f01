"""How fast networks train and their planes are computed, against a plain torch loop.

    python -m benchmarks.networks          # a readable table
    python -m benchmarks.networks --json   # one JSON object

The work: 8 runs × 1,000 steps of the digits MLP (64-32-10, 2,410 parameters, float32) with
mini-batches of 64 (3 SGD, 3 momentum, 2 Adam with different learning rates), recording the
parameters and mini-batch loss every step and the full train and test loss and accuracy every
epoch; then the PCA plane of all 8 trajectories, every path projected on it, and the loss
and accuracy on a 51 × 51 grid over the whole training set. The torch loop trains the same
8 runs from the same weights on the same mini-batches and records the same things (what a
user would otherwise write: `torch.optim`, one `step()` per mini-batch); its final weights
are checked against ours. Compile times are measured in fresh processes.
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

import numpy as np

import networks as nw  # imports engine first: XLA flags and float64 before JAX runs
from engine import Run, enable_compilation_cache

STEPS = 1_000
BATCH = 64
RESOLUTION = 51
WORK = (
    *(("sgd", {"lr": lr}) for lr in (0.05, 0.1, 0.2)),
    *(("momentum", {"lr": lr, "momentum": 0.9}) for lr in (0.01, 0.02, 0.05)),
    *(("adam", {"lr": lr}) for lr in (1e-3, 3e-3)),
)
REPEATS = 5
TORCH_ROUNDS = 2  # the torch loop takes seconds; timed in the first rounds, between ours
CHILD_TIMEOUT_S = 300
AGREEMENT = 1e-3  # float32 after 1,000 steps: rounding differences grow along the way


def work() -> nw.Training:
    """The benchmarked training."""
    runs = tuple(Run(name, dict(hyper)) for name, hyper in WORK)
    return nw.Training(runs, steps=STEPS, batch_size=BATCH)


def ours() -> tuple[nw.TrainingResult, nw.Landscape]:
    result = nw.train(work())
    return result, nw.landscape(result, "pca", RESOLUTION)


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def torch_all(result: nw.TrainingResult) -> tuple[list[np.ndarray], float]:
    """The same 8 runs in a plain torch loop (float32, one thread): the final weights of
    each, and the wall time. One thread: the tensors are tiny, and on this shared 2-core
    machine torch's default of 2 threads made the loop 7× slower."""
    import torch

    torch.set_num_threads(1)
    model, data = result.model, result.dataset
    x_train = torch.tensor(data.x_train, dtype=torch.float32)
    y_train = torch.tensor(data.y_train, dtype=torch.long)
    x_test = torch.tensor(data.x_test, dtype=torch.float32)
    y_test = torch.tensor(data.y_test, dtype=torch.long)
    order = torch.from_numpy(nw.batch_order(0, len(data.x_train), BATCH, STEPS).astype(np.int64))
    epoch = len(data.x_train) // BATCH
    start = time.perf_counter()
    finals = []
    for name, hyper in WORK:
        net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
        parts = model.unravel(result.init)
        with torch.no_grad():  # the same initial weights (torch stores weights transposed)
            net[0].weight.copy_(torch.tensor(np.asarray(parts["w0"]).T))
            net[0].bias.copy_(torch.tensor(np.asarray(parts["b0"])))
            net[2].weight.copy_(torch.tensor(np.asarray(parts["w1"]).T))
            net[2].bias.copy_(torch.tensor(np.asarray(parts["b1"])))
        if name == "adam":
            optimizer = torch.optim.Adam(net.parameters(), lr=hyper["lr"])
        else:
            optimizer = torch.optim.SGD(
                net.parameters(), lr=hyper["lr"], momentum=hyper.get("momentum", 0.0)
            )
        path, losses, evaluations = [], [], []

        def record(path=path, net=net):
            path.append(torch.cat([p.detach().flatten() for p in net.parameters()]).clone())

        def evaluate(evaluations=evaluations, net=net):
            with torch.no_grad():
                for x, y in ((x_train, y_train), (x_test, y_test)):
                    logits = net(x)
                    evaluations.append(
                        (
                            torch.nn.functional.cross_entropy(logits, y).item(),
                            (logits.argmax(1) == y).float().mean().item(),
                        )
                    )

        for t in range(STEPS):
            record()
            if t % epoch == 0:
                evaluate()
            index = order[t]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        record()
        evaluate()
        w0, b0, w1, b1 = (p.detach().numpy() for p in net.parameters())
        finals.append(np.concatenate([w0.T.ravel(), b0, w1.T.ravel(), b1]))
    return finals, time.perf_counter() - start


def check_agreement(result: nw.TrainingResult, finals: list[np.ndarray]) -> float:
    """The largest difference of final weights; fail loudly when torch trained other runs."""
    worst = max(float(np.abs(r.final - f).max()) for r, f in zip(result.runs, finals))
    if worst > AGREEMENT:
        raise SystemExit(
            f"torch disagrees with the networks module: final weights differ by {worst}"
        )
    return worst


def _child(cache_dir: str | None) -> None:
    """In a fresh process: time the first training and plane (tracing + compiling)."""
    if cache_dir:
        enable_compilation_cache(cache_dir)
    start, cpu = time.perf_counter(), time.process_time()
    result = nw.train(work())
    trained = time.perf_counter()
    nw.landscape(result, "pca", RESOLUTION)
    done = time.perf_counter()
    times = {"first_s": done - start, "first_cpu_s": time.process_time() - cpu}
    print(json.dumps({**times, "train_s": trained - start, "plane_s": done - trained}))


def first_call(cache_dir: str | None) -> dict:
    """The first training and plane of the work in a fresh Python process."""
    command = [sys.executable, "-m", "benchmarks.networks", "--child", cache_dir or ""]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=root, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(repeats: int) -> dict:
    """Every figure, measured in this one run."""
    import torch

    result, view = ours()
    torch_times, agreement = [], 0.0
    train_times, plane_times, total_times = [], [], []
    for round_ in range(repeats):  # alternated: both see the same load on a shared machine
        start = time.perf_counter()
        result = nw.train(work())
        trained = time.perf_counter()
        view = nw.landscape(result, "pca", RESOLUTION)
        done = time.perf_counter()
        train_times.append(trained - start)
        plane_times.append(done - trained)
        total_times.append(done - start)
        if round_ < TORCH_ROUNDS:
            finals, torch_s = torch_all(result)
            agreement = max(agreement, check_agreement(result, finals))
            torch_times.append(torch_s)
    sharpness_s = seconds(lambda: nw.sharpness(result))
    sharpness_s = min(sharpness_s, seconds(lambda: nw.sharpness(result)))
    cold = first_call(None)
    with tempfile.TemporaryDirectory() as cache_dir:
        first_call(cache_dir)  # fills the cache
        cached = first_call(cache_dir)
    train_s, torch_s = float(np.median(train_times)), float(np.median(torch_times))
    return {
        "work": (
            f"{len(WORK)} runs x {STEPS} steps of the digits MLP (batch {BATCH}, float32: "
            f"3 sgd, 3 momentum, 2 adam), then a {RESOLUTION}x{RESOLUTION} PCA plane"
        ),
        "warm_total_s": float(np.median(total_times)),
        "warm_train_s": train_s,
        "warm_plane_s": float(np.median(plane_times)),
        "torch_train_s": torch_s,
        "torch_over_ours": torch_s / train_s,
        "torch_threads": torch.get_num_threads(),
        "torch_max_weight_difference": agreement,
        "sharpness_s": sharpness_s,
        "explained_variance": [float(v) for v in view.plane.explained_variance],
        "cold_first_s": cold["first_s"],
        "cold_first_cpu_s": cold["first_cpu_s"],
        "cold_first_train_s": cold["train_s"],
        "cold_first_plane_s": cold["plane_s"],
        "cached_first_s": cached["first_s"],
        "cached_first_cpu_s": cached["first_cpu_s"],
        "repeats": repeats,
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],  # other processes on the same 2 cores
    }


def table(result: dict) -> str:
    """The figures as a small aligned table."""
    rows = [
        ("warm: training + plane (median)", f"{result['warm_total_s']:.2f} s", "≤ 3 s"),
        ("  of which training", f"{result['warm_train_s']:.2f} s", ""),
        ("  of which PCA plane, paths, grid", f"{result['warm_plane_s']:.2f} s", ""),
        (
            f"torch loop, training ({result['torch_threads']} thread)",
            f"{result['torch_train_s']:.2f} s",
            f"{result['torch_over_ours']:.1f}× ours",
        ),
        ("sharpness of the 8 runs (Lanczos)", f"{result['sharpness_s']:.2f} s", ""),
        ("first call, fresh process", f"{result['cold_first_s']:.2f} s", "≤ 10 s"),
        ("  its CPU time (all threads)", f"{result['cold_first_cpu_s']:.2f} s", ""),
        ("  of which training", f"{result['cold_first_train_s']:.2f} s", ""),
        ("first call, persistent cache warm", f"{result['cached_first_s']:.2f} s", ""),
        ("  its CPU time (all threads)", f"{result['cached_first_cpu_s']:.2f} s", ""),
    ]
    share = " + ".join(f"{100 * v:.1f} %" for v in result["explained_variance"])
    lines = [result["work"], f"{'':40}{'time':>10}  {'target / ratio':<14}"]
    lines += [f"{label:40}{value:>10}  {note:<14}" for label, value, note in rows]
    lines.append(f"PCA plane explains {share} of the trajectories' variance")
    lines.append(
        f"torch and ours agree to {result['torch_max_weight_difference']:.1e} in final weights; "
        f"{result['cpu_count']} cores, load average {result['load_average_1min']:.1f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="warm rounds to time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child or None)
        return
    result = measure(args.repeats)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
